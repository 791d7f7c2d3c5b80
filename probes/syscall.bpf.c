// SPDX-License-Identifier: GPL-2.0
/*
 * syscall: every system call, timed from raw_syscalls:sys_enter to
 * raw_syscalls:sys_exit. These two fire for every call of every process, so
 * the enter side does only what it must: the number filter (an array
 * lookup), the pid/uid filters, the sampling counter, then ts + nr keyed by
 * tid. Everything else (duration, failed_only, comm filter, the event or the
 * summary update) happens at exit, for the calls that were kept.
 */
#include "syscall.h"

#define SYSCALL_MON_ID @MON_ID@
#define SYSCALL_SUMMARY @SUMMARY@
/* include/exclude given: syscall_traced[nr] says which numbers are kept. */
#define SYSCALL_FILTER_NR @FILTER_NR@
/* Numbers outside syscall_traced: kept unless an include list was given. */
#define SYSCALL_OTHER_TRACED @OTHER_TRACED@
#define SYSCALL_MIN_NS @MIN_NS@ull
#define SYSCALL_SAMPLE_RATE @SAMPLE_RATE@
#define SYSCALL_FAILED_ONLY @FAILED_ONLY@

struct syscall_start {
	u64 ts;
	s64 nr;
};

/*
 * Per thread: the start of its call in progress (ts 0: none). LRU, so the
 * entries of threads that have exited age out.
 */
BPF_TABLE("lru_hash", u32, struct syscall_start, syscall_starts, @MAX_INFLIGHT@);

#if SYSCALL_FILTER_NR
BPF_ARRAY(syscall_traced, u8, SYSCALL_NR_MAX);

static __always_inline int syscall_nr_traced(s64 nr)
{
	u32 idx = nr;
	u8 *on;

	if (nr < 0 || nr >= SYSCALL_NR_MAX)
		return SYSCALL_OTHER_TRACED;
	on = syscall_traced.lookup(&idx);
	return on && *on;
}
#else
#define syscall_nr_traced(nr) 1
#endif

#if SYSCALL_SAMPLE_RATE > 1
/* Per CPU, so no atomics: every Nth kept call on each CPU. */
BPF_PERCPU_ARRAY(syscall_sample, u64, 1);
#endif

#if SYSCALL_SUMMARY
/*
 * Allocated as rows appear (and freed when the host drains them), not
 * max_entries x CPUs up front.
 */
BPF_F_TABLE("percpu_hash", struct syscall_key, struct syscall_stats, syscall_stats,
	    @MAX_ENTRIES@, BPF_F_NO_PREALLOC);
/* A zeroed value to insert from: 376 bytes are too many for the stack. */
BPF_PERCPU_ARRAY(syscall_zero, struct syscall_stats, 1);
/* Calls not counted because syscall_stats was full. */
BPF_PERCPU_ARRAY(syscall_dropped, u64, 1);
#else
#include "output.h"
#endif

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
	struct syscall_start *st;
	u32 tid;

	if (!syscall_nr_traced(args->id) || !ebpfmon_ids_match())
		return 0;
#if SYSCALL_SAMPLE_RATE > 1
	{
		u32 zero = 0;
		u64 *n = syscall_sample.lookup(&zero);

		if (!n || (*n)++ % SYSCALL_SAMPLE_RATE)
			return 0;
	}
#endif
	tid = (u32)bpf_get_current_pid_tgid();
	/*
	 * A thread keeps its entry from call to call: writing it in place costs
	 * a lookup, where an update and a delete per call would each take the
	 * table's locks.
	 */
	st = syscall_starts.lookup(&tid);
	if (st) {
		st->ts = bpf_ktime_get_ns();
		st->nr = args->id;
	} else {
		struct syscall_start new = { .ts = bpf_ktime_get_ns(), .nr = args->id };

		syscall_starts.update(&tid, &new);
	}
	return 0;
}

#if SYSCALL_SUMMARY
static __always_inline void syscall_account(s64 nr, s64 ret, u64 dur)
{
	struct syscall_key key = { .pid = bpf_get_current_pid_tgid() >> 32, .nr = nr };
	struct syscall_stats *v;
	u32 zero = 0;

#if EBPFMON_FILTER_COMM
	{
		struct ebpfmon_comm_key c = {};	/* compared whole: zero the tail */

		bpf_get_current_comm(c.comm, sizeof(c.comm));
		if (!ebpfmon_filter_comm.lookup(&c)) {
			ebpfmon_count_filtered(SYSCALL_MON_ID);
			return;
		}
	}
#endif
	v = syscall_stats.lookup(&key);
	if (!v) {
		struct syscall_stats *z = syscall_zero.lookup(&zero);

		if (z)
			syscall_stats.insert(&key, z);
		v = syscall_stats.lookup(&key);
		if (!v) {
			u64 *d = syscall_dropped.lookup(&zero);

			if (d)
				(*d)++;
			return;
		}
	}
	/* The name once per row and CPU, not per call: it costs as much as the rest. */
	if (!v->count)
		bpf_get_current_comm(v->comm, sizeof(v->comm));
	v->count++;
	if (ret < 0)
		v->errors++;
	v->total_ns += dur;
	if (v->count == 1 || dur < v->min_ns)
		v->min_ns = dur;
	if (dur > v->max_ns)
		v->max_ns = dur;
	v->hist[ebpfmon_hist_slot(dur)]++;
}
#else
static __always_inline void syscall_emit(void *ctx, s64 nr, s64 ret, u64 dur)
{
	struct syscall_event ev;

	if (ebpfmon_hdr_fill(&ev.hdr, SYSCALL_MON_ID))
		return;
	ev.ret = ret;
	ev.duration_ns = dur;
	ev.nr = nr;
	ev.pad = 0;
	syscall_events_submit(ctx, &ev, sizeof(ev));
}
#endif

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct syscall_start *st;
	s64 ret = args->ret, nr;
	u64 dur;

	/* Calls the lists rule out never had an entry: skip the hash lookup. */
	if (!syscall_nr_traced(args->id))
		return 0;
	st = syscall_starts.lookup(&tid);
	/*
	 * No start, or not this call's: a new thread's first return from
	 * clone, where the entry is a dead thread's (exit_group) of the same tid.
	 */
	if (!st || !st->ts || st->nr != args->id)
		return 0;
	dur = bpf_ktime_get_ns() - st->ts;
	nr = st->nr;
	st->ts = 0;	/* taken: a sys_exit without its sys_enter finds 0 */
	if (SYSCALL_FAILED_ONLY && ret >= 0)
		return 0;
#if SYSCALL_MIN_NS
	if (dur < SYSCALL_MIN_NS)
		return 0;
#endif
#if SYSCALL_SUMMARY
	syscall_account(nr, ret, dur);
#else
	syscall_emit(args, nr, ret, dur);
#endif
	return 0;
}
