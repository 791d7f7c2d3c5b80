// SPDX-License-Identifier: GPL-2.0
/*
 * func: kernel functions matched by the patterns, one entry program (and with
 * latency one return program) per function, generated from
 * templates/func_entry.bpf.c with the function's index baked in. kprobes and
 * kretprobes, or fentry/fexit (KFUNC_PROBE) where kprobes are missing.
 */
#include "func.h"

#define FUNC_MON_ID @MON_ID@
#define FUNC_N @N_FUNCS@
#define FUNC_LATENCY @LATENCY@
#define FUNC_SUMMARY @SUMMARY@
#define FUNC_FENTRY @FENTRY@
/* metrics.listen: calls counted per function in either mode. */
#define FUNC_METRICS @METRICS@
/* 0: output none, metrics only: no summary rows, no events. */
#define FUNC_EVENTS @EVENTS@
#define FUNC_ROWS (FUNC_SUMMARY && FUNC_EVENTS)
/* Only the metric counts: nothing to time. */
#define FUNC_TIMED (FUNC_LATENCY && FUNC_EVENTS)

/* The event buffer: summary mode (and so metrics only) sends no events. */
#if !FUNC_SUMMARY
#include "output.h"
#endif
#if FUNC_ROWS
/* A hash, not an array, so the host can read and clear it with one drain. */
BPF_PERCPU_HASH(func_stats, u32, struct func_stats, FUNC_N);
BPF_PERCPU_ARRAY(func_zero, struct func_stats, 1);
#endif
#if FUNC_METRICS
/* Calls per function index: an array, never cleared. */
BPF_PERCPU_ARRAY(func_m_calls, u64, FUNC_N);
#endif
#if FUNC_TIMED
/* Entry time per (tid << 32 | function index). */
BPF_TABLE("lru_hash", u64, u64, func_starts, @MAX_INFLIGHT@);
#endif

/* The filters without building an event (summary mode, latency entries). */
static __always_inline int func_pass(void)
{
	if (ebpfmon_is_self())
		return 0;
	if (!ebpfmon_ids_match()) {
		ebpfmon_count_filtered(FUNC_MON_ID);
		return 0;
	}
#if EBPFMON_FILTER_COMM
	struct ebpfmon_comm_key k = {};

	bpf_get_current_comm(k.comm, sizeof(k.comm));
	if (!ebpfmon_filter_comm.lookup(&k)) {
		ebpfmon_count_filtered(FUNC_MON_ID);
		return 0;
	}
#endif
	return 1;
}

/* One call: counted (summary) or sent (events, filtered by ebpfmon_hdr_fill). */
static __always_inline void func_record(void *ctx, u32 idx, u64 dur, u32 flags)
{
#if FUNC_ROWS
	struct func_stats *st, *zero;
	u32 z = 0;

	/* A zeroed row to insert from: it is too large for the 512-byte stack. */
	zero = func_zero.lookup(&z);
	if (!zero)
		return;
	st = func_stats.lookup_or_try_init(&idx, zero);
	if (!st)
		return;
	st->count++;
#if FUNC_LATENCY
	st->total_ns += dur;
	st->hist[ebpfmon_hist_slot(dur)]++;
#endif
#elif !FUNC_SUMMARY && FUNC_EVENTS
	struct func_event ev = {};

	if (ebpfmon_hdr_fill(&ev.hdr, FUNC_MON_ID))
		return;
	ev.index = idx;
	ev.flags = flags;
	ev.duration_ns = dur;
	func_events_submit(ctx, &ev, sizeof(ev));
#endif
}

static __always_inline int func_enter(void *ctx, u32 idx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if FUNC_METRICS
	u64 *calls;

	/* Counted at entry: a call is a call before it returns. */
	if (!func_pass())
		return 0;
	calls = func_m_calls.lookup(&idx);
	if (calls)
		(*calls)++;
#endif
#if FUNC_TIMED
	u64 key = (bpf_get_current_pid_tgid() << 32) | idx;
	u64 ts;

	if (!FUNC_METRICS && !func_pass())
		return 0;
	ts = bpf_ktime_get_ns();
	func_starts.update(&key, &ts);
#elif !FUNC_LATENCY
	if (FUNC_SUMMARY && !FUNC_METRICS && !func_pass())
		return 0;
	func_record(ctx, idx, 0, 0);
#endif
	return 0;
}

#if FUNC_TIMED
static __always_inline int func_return(void *ctx, u32 idx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u64 key = (bpf_get_current_pid_tgid() << 32) | idx;
	u64 *ts = func_starts.lookup(&key);
	u64 dur;

	if (!ts)
		return 0;
	dur = bpf_ktime_get_ns() - *ts;
	func_starts.delete(&key);
	func_record(ctx, idx, dur, FUNC_F_DURATION);
	return 0;
}
#endif

/* One stub per function, expanded below from templates/func_entry.bpf.c. */
#if FUNC_FENTRY
#define FUNC_ENTRY(fn, idx) KFUNC_PROBE(fn) { return func_enter(ctx, idx); }
#define FUNC_RETURN(fn, idx) KRETFUNC_PROBE(fn) { return func_return(ctx, idx); }
#else
#define FUNC_ENTRY(fn, idx) \
	int func_entry_##idx(struct pt_regs *ctx) { return func_enter(ctx, idx); }
#define FUNC_RETURN(fn, idx) \
	int func_return_##idx(struct pt_regs *ctx) { return func_return(ctx, idx); }
#endif

@REPEAT(func_entry.bpf.c)@
