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
 * is the event's file.
 *
 * With BTF the kernel names the file itself when it sends the event, so a
 * process that is gone by the time the host reads it still has its paths: a
 * pipe, a socket or an anonymous inode from its inode, a file by a dentry
 * walk (probes/kpath.h). That is done once per (process, fd, generations):
 * io_kpath_sent remembers what was sent, the host keeps it (and deletes the
 * entry when it drops its copy), and later calls on the fd read nothing.
 */
#include "io.h"
#include "kpath.h"

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

/* Besides kpath.h's: the inode and its file system's magic number. */
#define IO_OFF_FILE_INODE @BTF_OFFSETOF(file,f_inode)@
#define IO_OFF_INODE_SB @BTF_OFFSETOF(inode,i_sb)@
#define IO_OFF_INODE_INO @BTF_OFFSETOF(inode,i_ino)@
#define IO_OFF_SB_MAGIC @BTF_OFFSETOF(super_block,s_magic)@
/* Names in the kernel: events with resolve_paths, and BTF for every offset. */
#define IO_KNAMES (@RESOLVE_PATHS@ && EBPFMON_EVENTS && !IO_SUMMARY && KPATH_OK && \
		   IO_OFF_FILE_INODE >= 0 && \
		   IO_OFF_INODE_SB >= 0 && IO_OFF_INODE_INO >= 0 && IO_OFF_SB_MAGIC >= 0)
/* Files' paths walked too: only with the generations that say when to walk again. */
#define IO_KPATH (IO_KNAMES && IO_PATHS)
/* include/uapi/linux/magic.h */
#define IO_PIPEFS_MAGIC 0x50495045UL
#define IO_SOCKFS_MAGIC 0x534F434BUL
#define IO_ANON_INODE_FS_MAGIC 0x09041934UL

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
BPF_F_TABLE("percpu_hash", u32, struct io_stats, io_stats, @STATS_ENTRIES@, BPF_F_NO_PREALLOC);
/* The zeroed row a new process starts from (too big for the stack). */
BPF_PERCPU_ARRAY(io_stats_zero, struct io_stats, 1);
/*
 * Calls io_stats had no row for: how many, and their sums (cumulative: the
 * host takes the growth, its (other) row).
 */
BPF_PERCPU_ARRAY(io_stats_full, u64, 1);
BPF_PERCPU_ARRAY(io_stats_over, struct io_stats, 1);
#endif
#if IO_PATHS
/* Generations: by tgid, and by tgid << 32 | fd. Started at first sight. */
BPF_TABLE("lru_hash", u32, u64, io_proc_gen, @MAX_ENTRIES@);
BPF_TABLE("lru_hash", u64, u64, io_fd_gen, @MAX_ENTRIES@);
#endif
#if IO_KPATH
/* The generations a walked path was last sent with, by tgid << 32 | fd. */
struct io_sent {
	u64 proc_gen;
	u64 fd_gen;
};

BPF_TABLE("lru_hash", u64, struct io_sent, io_kpath_sent, @MAX_ENTRIES@);

/* An event and its two paths (KPATH_OUT_SIZE each for the walk's bounds). */
struct io_send_buf {
	struct io_call_event ev;
	char data[2 * KPATH_OUT_SIZE];
};

BPF_PERCPU_ARRAY(io_send_scratch, struct io_send_buf, 1);
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
	int over = 0;

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
			s = io_stats_over.lookup(&zero);
			if (!s)
				return;
			over = 1;
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
	/* A maximum is no counter: the (other) row has none. */
	if (!over && dur > s->max_ns)
		s->max_ns = dur;
	s->hist[ebpfmon_hist_slot(dur)]++;
}
#elif EBPFMON_EVENTS
#if IO_KNAMES
/*
 * A pipe, a socket or an anonymous inode, from FILE's file system magic.
 * FILE is the task's file at fd at exit: the call's, unless another thread
 * changed the fd meanwhile (which /proc could not tell either).
 */
static __always_inline void io_fd_kind_fill(struct io_fd_kind *k, const char *file)
{
	char *inode = kpath_ptr(file, IO_OFF_FILE_INODE), *sb = kpath_ptr(inode, IO_OFF_INODE_SB);
	char *dentry, *name;
	unsigned long magic = 0, ino = 0;

	if (!sb)
		return;
	bpf_probe_read_kernel(&ino, sizeof(ino), inode + IO_OFF_INODE_INO);
	bpf_probe_read_kernel(&magic, sizeof(magic), sb + IO_OFF_SB_MAGIC);
	k->ino = ino;
	if (magic == IO_PIPEFS_MAGIC) {
		k->kind = IO_FD_PIPE;
	} else if (magic == IO_SOCKFS_MAGIC) {
		k->kind = IO_FD_SOCKET;
	} else if (magic == IO_ANON_INODE_FS_MAGIC) {
		dentry = kpath_ptr(file, KPATH_OFF_FILE_PATH + KPATH_OFF_PATH_DENTRY);
		name = kpath_ptr(dentry, KPATH_OFF_DENTRY_NAME + KPATH_OFF_QSTR_NAME);
		if (name && bpf_probe_read_kernel_str(k->anon, sizeof(k->anon), name) > 0)
			k->kind = IO_FD_ANON;
	}
}
#endif

#if IO_KPATH
/*
 * The name of fd, unless the host has it already (sent with the same
 * generations: then nothing is read at all): its kind, and for a file its
 * path into OUT. Returns the path's bytes, NUL included, or 0.
 */
static __always_inline u32 io_name(char *out, s32 fd, u64 proc_gen, u64 fd_gen,
				   struct io_fd_kind *k, u32 *flags)
{
	u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (u32)fd;
	struct io_sent *old = io_kpath_sent.lookup(&key), now = { proc_gen, fd_gen };
	const void *file;
	u32 n = 0;

	if (old && old->proc_gen == proc_gen && old->fd_gen == fd_gen)
		return 0;
	file = kpath_fd_file(fd);
	if (!file)
		return 0;
	io_fd_kind_fill(k, file);
	if (k->kind == IO_FD_FILE) {
		n = kpath_walk(out, kpath_file_path(file), flags);
		/* Not under the task's root: a name the host could not place. */
		if (!n || (*flags & (KPATH_F_UNAVAILABLE | KPATH_F_UNREACHABLE)))
			return 0;
		n++;
	}
	if (proc_gen && fd_gen)
		io_kpath_sent.update(&key, &now);
	return n;
}
#endif

static __always_inline void io_send(void *ctx, struct io_start *st, s64 ret, u64 now)
{
#if IO_KPATH
	u32 zero = 0, n0 = 0, n1 = 0;
	struct io_send_buf *b = io_send_scratch.lookup(&zero);
	struct io_call_event *e;
#else
	struct io_call_event ev0 = {}, *e = &ev0;
#endif
	u64 size = sizeof(*e);

#if IO_KPATH
	if (!b)
		return;
	e = &b->ev;
	__builtin_memset(e, 0, sizeof(*e));
#endif
	if (ebpfmon_hdr_fill(&e->hdr, IO_MON_ID))
		return;
	e->duration_ns = now - st->ts;
	e->requested = st->requested;
	e->ret = ret;
	e->fd = st->fd;
	e->op = st->op;
	e->iovcnt = st->iovcnt;
	e->fd_out = st->fd_out;
#if IO_KNAMES && !IO_KPATH
	/* No generations to tell when the host has them: named every time. */
	io_fd_kind_fill(&e->kinds[0], kpath_fd_file(e->fd));
	if (e->fd_out >= 0)
		io_fd_kind_fill(&e->kinds[1], kpath_fd_file(e->fd_out));
#endif
#if IO_PATHS
	e->proc_gen = io_proc_gen_get(e->hdr.pid, now);
	e->fd_gen = io_fd_gen_get(e->hdr.pid, e->fd, now);
	if (e->fd_out >= 0)
		e->fd_out_gen = io_fd_gen_get(e->hdr.pid, e->fd_out, now);
#endif
#if IO_KPATH
	e->path_len[0] = io_name(b->data, e->fd, e->proc_gen, e->fd_gen, &e->kinds[0],
				 &e->path_flags[0]);
	/*
	 * Everything the second walk needs is read back from the map value:
	 * the verifier then sees one state after the first walk, not one per
	 * way it ended (two walks in a row were too many states for it).
	 */
	io_opaque(e);
	if (e->fd_out >= 0)
		e->path_len[1] = io_name(b->data + KPATH_OUT_SIZE, e->fd_out, e->proc_gen,
					 e->fd_out_gen, &e->kinds[1], &e->path_flags[1]);
	io_opaque(e);
	n0 = e->path_len[0];
	n1 = e->path_len[1];
	/* fd_out's path moved up against fd's: what is sent has no gap. */
	io_opaque(n0);
	n0 &= KPATH_OUT_SIZE - 1;
	io_opaque(n1);
	n1 &= KPATH_OUT_SIZE - 1;
	if (n1 && bpf_probe_read_kernel(b->data + n0, n1, b->data + KPATH_OUT_SIZE))
		e->path_len[1] = n1 = 0;
	size += n0 + n1;
#endif
	io_events_submit(ctx, e, size);
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
 * One entry program per call, from templates/io_syscall.bpf.c with the items
 * src/monitors/io.c sets (tracepoint__syscalls__sys_enter_read...).
 */
@REPEAT(io_syscall.bpf.c)@

/*
 * The exit of every call: src/monitors/io.c attaches it to each sys_exit_*
 * (one layout), so the path walks are verified once.
 */
TRACEPOINT_PROBE(syscalls, sys_exit_read)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	io_exit(args, args->ret);
	return 0;
}

#if IO_PATHS
/*
 * The cache's invalidations below run when inert too: a path cached before
 * must not outlive a close, dup or rename made while inert.
 */
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
