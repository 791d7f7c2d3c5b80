// SPDX-License-Identifier: GPL-2.0
/*
 * io: read, write, pread64, pwrite64, readv, writev. Entry remembers the fd,
 * the size asked for and the time per thread; exit measures, applies the
 * thresholds and either sends an event or adds to the process's summary row.
 *
 * Paths are resolved by the host from /proc/PID/fd/FD when it decodes the
 * event; by then the fd may have been closed and reused. So that the host can
 * tell, each event carries two generations, the process's (moved by exec and
 * close_range, dropped when its pid is given to a new task) and the fd's
 * (moved by close and dup2/dup3 onto it): a name read while neither has moved
 * is the event's file.
 */
#include "io.h"

#define IO_MON_ID @MON_ID@
/* Metrics only (EBPFMON_EVENTS 0): neither events nor summary rows. */
#define IO_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define IO_PATHS (@PATHS@ && EBPFMON_EVENTS && !IO_SUMMARY)
/* 0: off. Both set: a call that is slow OR large passes. */
#define IO_SLOW_NS @SLOW_NS@ULL
#define IO_LARGE_BYTES @LARGE_BYTES@ULL

struct io_start {
	u64 ts;
	u64 requested;
	s32 fd;
	u32 op;
	u32 iovcnt;
	u32 pad;
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

static __always_inline void io_enter(u32 op, s32 fd, u64 requested, u32 iovcnt)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct io_start *old = io_starts.lookup(&tid);
	struct io_start st = {
		.ts = bpf_ktime_get_ns(),
		.requested = requested,
		.fd = fd,
		.op = op,
		.iovcnt = iovcnt,
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
	io_enter(op, fd, count, 0);
}

/*
 * readv/writev: the caller has just written its iovec array, so it is
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
	io_enter(op, fd, sum, vlen > 0xffffffffULL ? 0xffffffff : (u32)vlen);
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
	if (IO_OP_IS_WRITE(op)) {
		s->writes++;
		if (ret > 0)
			s->write_bytes += ret;
	} else {
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
#if IO_PATHS
	ev.proc_gen = io_proc_gen_get(ev.hdr.pid, now);
	ev.fd_gen = io_fd_gen_get(ev.hdr.pid, ev.fd, now);
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
