// SPDX-License-Identifier: GPL-2.0
/*
 * io: read, write, pread64, pwrite64, readv, writev, preadv, pwritev, preadv2,
 * pwritev2 and the copies (copy_file_range, sendfile, splice, tee). Entry
 * remembers the fd (two for a copy), the size asked for and the time per
 * thread; exit measures, applies the thresholds and either sends an event or
 * adds to the process's summary row.
 *
 * Paths are resolved by the host from /proc/PID/fd/FD when it decodes the
 * event; by then the fd may have been closed and reused. So that the host can
 * tell, each event carries two generations, the process's (moved by exec and
 * close_range, dropped when its pid is given to a new task) and the fd's
 * (moved by close and dup2/dup3 onto it): a name read while neither has moved
 * is the event's file. An fd with no path in a mount (a pipe, a socket, an
 * anonymous inode) is named in the kernel from its inode when the event is
 * sent: /proc would only say the same, later or never.
 */
#include "io.h"

#define IO_MON_ID @MON_ID@
/* Metrics only (EBPFMON_EVENTS 0): neither events nor summary rows. */
#define IO_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define IO_PATHS (@PATHS@ && EBPFMON_EVENTS && !IO_SUMMARY)
/* 0: off. Both set: a call that is slow OR large passes. */
#define IO_SLOW_NS @SLOW_NS@ULL
#define IO_LARGE_BYTES @LARGE_BYTES@ULL

/*
 * preadv2/pwritev2's tracepoint struct (made by bcc from their format) has a
 * field of this kernel type; linux/fs.h's is the same int (C11 allows both).
 */
typedef int rwf_t;

#if EBPFMON_OFFSETS_TRUSTED
/* Headers, not BTF, give the offsets (prologue.bpf.c included sched.h). */
#ifdef _LINUX_SCHED_H
#include <linux/fs.h>
#include <linux/fdtable.h>
#endif
#define IO_OFF_TASK_FILES @OFFSETOF(task_struct,files)@
#define IO_OFF_FILES_FDT @OFFSETOF(files_struct,fdt)@
#define IO_OFF_FDT_MAX_FDS @OFFSETOF(fdtable,max_fds)@
#define IO_OFF_FDT_FD @OFFSETOF(fdtable,fd)@
#define IO_OFF_FILE_INODE @OFFSETOF(file,f_inode)@
#define IO_OFF_FILE_DENTRY (@OFFSETOF(file,f_path)@ + @OFFSETOF(path,dentry)@)
#define IO_OFF_INODE_SB @OFFSETOF(inode,i_sb)@
#define IO_OFF_INODE_INO @OFFSETOF(inode,i_ino)@
#define IO_OFF_SB_MAGIC @OFFSETOF(super_block,s_magic)@
#define IO_OFF_DENTRY_NAME (@OFFSETOF(dentry,d_name)@ + @OFFSETOF(qstr,name)@)
/* include/uapi/linux/magic.h */
#define IO_PIPEFS_MAGIC 0x50495045UL
#define IO_SOCKFS_MAGIC 0x534F434BUL
#define IO_ANON_INODE_FS_MAGIC 0x09041934UL
#endif

struct io_start {
	u64 ts;
	u64 requested;
	s32 fd;
	u32 op;
	u32 iovcnt;
	s32 fd_out;	/* copies; -1 otherwise */
};

/* The userspace struct iovec of a 64-bit task (compat syscalls are not traced). */
struct io_iovec {
	u64 base;
	u64 len;
};

struct io_iovbuf {
	struct io_iovec iov[IO_MAX_IOV];
};

BPF_TABLE("lru_hash", u32, struct io_start, io_starts, @MAX_ENTRIES@);
BPF_PERCPU_ARRAY(io_iov_scratch, struct io_iovbuf, 1);
#if IO_SUMMARY
/*
 * Rows are allocated as processes appear, not max_entries of them up front;
 * per CPU, so a call adds without atomics (the host merges the CPUs).
 */
BPF_F_TABLE("percpu_hash", u32, struct io_stats, io_stats, @MAX_ENTRIES@, BPF_F_NO_PREALLOC);
/* The zeroed row a new process starts from (too big for the stack). */
BPF_PERCPU_ARRAY(io_stats_zero, struct io_stats, 1);
/* Calls not counted because io_stats was full. */
BPF_PERCPU_ARRAY(io_stats_full, u64, 1);
#endif
#if IO_PATHS
/* Generations: by tgid, and by tgid << 32 | fd. Started at first sight. */
BPF_TABLE("lru_hash", u32, u64, io_proc_gen, @MAX_ENTRIES@);
BPF_TABLE("lru_hash", u64, u64, io_fd_gen, @MAX_ENTRIES@);
#endif
/* Summary rows and metrics reach the host through maps: no buffer for them. */
#if EBPFMON_EVENTS && !IO_SUMMARY
#include "output.h"
#endif

#if EBPFMON_METRICS
/*
 * Per op: bytes moved and latency of every call the filters and fds let
 * through, whatever the thresholds; cumulative, read by the exporter, never
 * cleared.
 */
BPF_PERCPU_ARRAY(io_op_metrics, struct io_op_metric, IO_OP_COUNT);

static __always_inline void io_metric(u32 op, s64 ret, u64 dur)
{
	struct io_op_metric *m;

	/* pid and uid were checked at entry; the name may have changed since. */
	if (!ebpfmon_comm_match())
		return;
	m = io_op_metrics.lookup(&op);
	if (!m)
		return;
	if (ret > 0)
		m->bytes += ret;
	ebpfmon_metric_hist_add(&m->lat, dur);
}
#endif

/* Keeps clang from dropping a bound the verifier needs to see. */
#define io_opaque(v) asm volatile("" : "+r"(v))

/* The fds option, rendered as a test on fd ("1" when every fd is watched). */
static __always_inline int io_fd_match(s32 fd)
{
	return @FD_MATCH@;
}

static __always_inline void io_enter(u32 op, s32 fd, s32 fd_out, u64 requested, u32 iovcnt)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct io_start *old = io_starts.lookup(&tid);
	struct io_start st = {
		.ts = bpf_ktime_get_ns(),
		.requested = requested,
		.fd = fd,
		.op = op,
		.iovcnt = iovcnt,
		.fd_out = fd_out,
	};

	/*
	 * A thread keeps its entry from call to call (ts 0 between calls):
	 * written in place, where an update and a delete per call would each
	 * take the table's locks.
	 */
	if (old)
		*old = st;
	else
		io_starts.update(&tid, &st);
}

static __always_inline void io_enter_rw(u32 op, s32 fd, u64 count)
{
	if (!ebpfmon_ids_match() || !io_fd_match(fd))
		return;
	io_enter(op, fd, -1, count, 0);
}

/* Copies: watched when either end is. */
static __always_inline void io_enter_copy(u32 op, s32 fd_in, s32 fd_out, u64 len)
{
	if (!ebpfmon_ids_match() || !(io_fd_match(fd_in) || io_fd_match(fd_out)))
		return;
	io_enter(op, fd_in, fd_out, len, 0);
}

/*
 * readv, writev and the p*v* calls: the caller has just written its iovec array, so it is
 * resident; one read of up to IO_MAX_IOV entries, then fixed-offset sums.
 */
static __always_inline void io_enter_vec(u32 op, s32 fd, const void *vec, u64 vlen)
{
	u64 n = vlen < IO_MAX_IOV ? vlen : IO_MAX_IOV, size, sum = 0;
	struct io_iovbuf *b;
	u32 zero = 0;
	int i;

	if (!ebpfmon_ids_match() || !io_fd_match(fd))
		return;
	b = io_iov_scratch.lookup(&zero);
	size = n * sizeof(struct io_iovec);
	io_opaque(size);
	if (b && size && size <= sizeof(b->iov) &&
	    !bpf_probe_read_user(b->iov, size, vec)) {
#pragma unroll
		for (i = 0; i < IO_MAX_IOV; i++) {
			if (i >= n)
				break;
			sum += b->iov[i].len;
		}
	}
	io_enter(op, fd, -1, sum, vlen > 0xffffffffULL ? 0xffffffff : (u32)vlen);
}

#if IO_PATHS
static __always_inline u64 io_proc_gen_get(u32 tgid, u64 now)
{
	u64 *g = io_proc_gen.lookup(&tgid);

	if (g)
		return *g;
	io_proc_gen.insert(&tgid, &now);
	g = io_proc_gen.lookup(&tgid);
	return g ? *g : 0;
}

static __always_inline u64 io_fd_gen_get(u32 tgid, s32 fd, u64 now)
{
	u64 key = (u64)tgid << 32 | (u32)fd;
	u64 *g = io_fd_gen.lookup(&key);

	if (g)
		return *g;
	io_fd_gen.insert(&key, &now);
	g = io_fd_gen.lookup(&key);
	return g ? *g : 0;
}

/* Any fd of this process may now name another file. */
static __always_inline void io_proc_gen_bump(void)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u64 *g = io_proc_gen.lookup(&tgid);

	if (g)
		*g = bpf_ktime_get_ns();
}

/* fd of this process may now name another file. */
static __always_inline void io_fd_gen_bump(u64 fd)
{
	u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (u32)fd;
	u64 *g = io_fd_gen.lookup(&key);

	if (g)
		*g = bpf_ktime_get_ns();
}
#endif

#if IO_SUMMARY
static __always_inline void io_count(u32 op, s64 ret, u64 dur)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct io_stats *s, *z;

	/* pid and uid were checked at entry; the name may have changed since. */
	if (!ebpfmon_comm_match()) {
		ebpfmon_count_filtered(IO_MON_ID);
		return;
	}
	s = io_stats.lookup(&tgid);
	if (!s) {
		z = io_stats_zero.lookup(&zero);
		if (!z)
			return;
		io_stats.insert(&tgid, z);
		s = io_stats.lookup(&tgid);
		if (!s) {
			u64 *full = io_stats_full.lookup(&zero);

			if (full)
				(*full)++;
			return;
		}
	}
	/* The name once per row and CPU, not per call. */
	if (!s->reads && !s->writes)
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	/* A copy reads what it writes: it counts as both. */
	if (IO_OP_IS_WRITE(op) || IO_OP_IS_COPY(op)) {
		s->writes++;
		if (ret > 0)
			s->write_bytes += ret;
	}
	if (!IO_OP_IS_WRITE(op)) {
		s->reads++;
		if (ret > 0)
			s->read_bytes += ret;
	}
	if (ret < 0)
		s->errors++;
	s->total_ns += dur;
	if (dur > s->max_ns)
		s->max_ns = dur;
	s->hist[ebpfmon_hist_slot(dur)]++;
}
#elif EBPFMON_EVENTS
#if EBPFMON_OFFSETS_TRUSTED
/*
 * The current task's open file at fd, or NULL: task->files->fdt->fd[fd].
 * Read at exit, so the fd is the call's unless another thread changed it
 * meanwhile (as /proc could not tell either).
 */
static __always_inline void *io_fd_file(s32 fd)
{
	char *task = (char *)bpf_get_current_task();
	char *files = NULL, *fdt = NULL, **fda = NULL;
	void *file = NULL;
	unsigned int max = 0;

	if (fd < 0)
		return NULL;
	bpf_probe_read_kernel(&files, sizeof(files), task + IO_OFF_TASK_FILES);
	if (files)
		bpf_probe_read_kernel(&fdt, sizeof(fdt), files + IO_OFF_FILES_FDT);
	if (fdt) {
		bpf_probe_read_kernel(&max, sizeof(max), fdt + IO_OFF_FDT_MAX_FDS);
		bpf_probe_read_kernel(&fda, sizeof(fda), fdt + IO_OFF_FDT_FD);
	}
	if (fda && (u32)fd < max)
		bpf_probe_read_kernel(&file, sizeof(file), fda + fd);
	return file;
}

/* Pipe, socket or anonymous inode: from the file system's magic. */
static __always_inline void io_fd_kind_fill(struct io_fd_kind *k, s32 fd)
{
	char *file = io_fd_file(fd), *inode = NULL, *sb = NULL, *dentry = NULL;
	const char *name = NULL;
	unsigned long magic = 0, ino = 0;

	if (file)
		bpf_probe_read_kernel(&inode, sizeof(inode), file + IO_OFF_FILE_INODE);
	if (inode) {
		bpf_probe_read_kernel(&sb, sizeof(sb), inode + IO_OFF_INODE_SB);
		bpf_probe_read_kernel(&ino, sizeof(ino), inode + IO_OFF_INODE_INO);
	}
	if (sb)
		bpf_probe_read_kernel(&magic, sizeof(magic), sb + IO_OFF_SB_MAGIC);
	k->ino = ino;
	if (magic == IO_PIPEFS_MAGIC) {
		k->kind = IO_FD_PIPE;
	} else if (magic == IO_SOCKFS_MAGIC) {
		k->kind = IO_FD_SOCKET;
	} else if (magic == IO_ANON_INODE_FS_MAGIC) {
		bpf_probe_read_kernel(&dentry, sizeof(dentry), file + IO_OFF_FILE_DENTRY);
		if (dentry)
			bpf_probe_read_kernel(&name, sizeof(name), dentry + IO_OFF_DENTRY_NAME);
		if (name && bpf_probe_read_kernel_str(k->anon, sizeof(k->anon), name) > 0)
			k->kind = IO_FD_ANON;
	}
}
#endif

static __always_inline void io_send(void *ctx, struct io_start *st, s64 ret, u64 now)
{
	struct io_call_event ev = {};

	if (ebpfmon_hdr_fill(&ev.hdr, IO_MON_ID))
		return;
	ev.duration_ns = now - st->ts;
	ev.requested = st->requested;
	ev.ret = ret;
	ev.fd = st->fd;
	ev.op = st->op;
	ev.iovcnt = st->iovcnt;
	ev.fd_out = st->fd_out;
#if EBPFMON_OFFSETS_TRUSTED
	io_fd_kind_fill(&ev.kinds[0], ev.fd);
	if (ev.fd_out >= 0)
		io_fd_kind_fill(&ev.kinds[1], ev.fd_out);
#endif
#if IO_PATHS
	ev.proc_gen = io_proc_gen_get(ev.hdr.pid, now);
	ev.fd_gen = io_fd_gen_get(ev.hdr.pid, ev.fd, now);
	if (ev.fd_out >= 0)
		ev.fd_out_gen = io_fd_gen_get(ev.hdr.pid, ev.fd_out, now);
#endif
	io_events_submit(ctx, &ev, sizeof(ev));
}
#endif

static __always_inline void io_exit(void *ctx, s64 ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct io_start *st = io_starts.lookup(&tid);
	u64 now, dur;

	if (!st || !st->ts)
		return;
	now = bpf_ktime_get_ns();
	dur = now - st->ts;
#if EBPFMON_METRICS
	io_metric(st->op, ret, dur);
#endif
#if EBPFMON_EVENTS && (IO_SLOW_NS || IO_LARGE_BYTES)
	{
		int keep = 0;
#if IO_SLOW_NS
		keep |= dur >= IO_SLOW_NS;
#endif
#if IO_LARGE_BYTES
		keep |= st->requested >= IO_LARGE_BYTES ||
			(ret > 0 && (u64)ret >= IO_LARGE_BYTES);
#endif
		if (!keep)
			goto out;
	}
#endif
#if IO_SUMMARY
	io_count(st->op, ret, dur);
#elif EBPFMON_EVENTS
	io_send(ctx, st, ret, now);
#endif
out:
	st->ts = 0;	/* taken */
}

/*
 * One entry and exit program per call, from templates/io_syscall.bpf.c with
 * the items src/monitors/io.c sets (tracepoint__syscalls__sys_enter_read...).
 */
@REPEAT(io_syscall.bpf.c)@

#if IO_PATHS
#if @HAVE_SYS_ENTER_CLOSE@
TRACEPOINT_PROBE(syscalls, sys_enter_close)
{
	io_fd_gen_bump(args->fd);
	return 0;
}
#endif

#if @HAVE_SYS_ENTER_CLOSE_RANGE@
TRACEPOINT_PROBE(syscalls, sys_enter_close_range)
{
	io_proc_gen_bump();
	return 0;
}
#endif

#if @HAVE_SYS_ENTER_DUP2@
TRACEPOINT_PROBE(syscalls, sys_enter_dup2)
{
	io_fd_gen_bump(args->newfd);
	return 0;
}
#endif

#if @HAVE_SYS_ENTER_DUP3@
TRACEPOINT_PROBE(syscalls, sys_enter_dup3)
{
	io_fd_gen_bump(args->newfd);
	return 0;
}
#endif

/*
 * Fires at every exec, which closes the close-on-exec fds (and at renames
 * through prctl or /proc, where a bump only costs the host a lookup).
 */
#if @HAVE_TASK_RENAME@
TRACEPOINT_PROBE(task, task_rename)
{
	io_proc_gen_bump();
	return 0;
}
#endif

/*
 * A new task, before it runs: a process given the pid of one that is gone
 * must not inherit its generation (a new thread's tid is no live tgid).
 */
#if @HAVE_TASK_NEWTASK@
TRACEPOINT_PROBE(task, task_newtask)
{
	u32 pid = args->pid;

	io_proc_gen.delete(&pid);
	return 0;
}
#endif
#endif
