// SPDX-License-Identifier: GPL-2.0
/*
 * interrupt: hard and soft interrupt handlers, timed from the irq
 * tracepoints' entry to their exit, and (optionally) task migrations.
 *
 * Entry and exit of one handler run on the same CPU and hardirq handlers do
 * not nest (they run with interrupts off), nor do softirqs on one CPU, so the
 * start time lives in a per-CPU slot: one for hardirqs, one per vector for
 * softirqs. No hash lookup, no lock.
 *
 * The task the filters see is the current one: the task the interrupt
 * happened to hit (or ksoftirqd). For migrations it is the task being moved,
 * taken from the tracepoint's own fields; the current task there is the
 * stopper thread or a waker.
 */
#include "interrupt.h"

#define INTERRUPT_MON_ID @MON_ID@
#define INTERRUPT_SUMMARY @SUMMARY@
/* metrics.listen: the metric maps below, filled in either mode. */
#define INTERRUPT_METRICS @METRICS@
/* 0: output none, metrics only: no summary rows, no events, no migrations. */
#define INTERRUPT_EVENTS @EVENTS@
#define INTERRUPT_ROWS (INTERRUPT_SUMMARY && INTERRUPT_EVENTS)
#define INTERRUPT_HARDIRQ @HARDIRQ@
#define INTERRUPT_SOFTIRQ @SOFTIRQ@
#define INTERRUPT_MIGRATIONS (@MIGRATIONS@ && @HAVE_SCHED_MIGRATE_TASK@ && INTERRUPT_EVENTS)
#define INTERRUPT_MIN_NS @MIN_NS@ull
/* sched_migrate_task's comm: __data_loc since 6.x, char[16] before. */
#define INTERRUPT_MIG_COMM_DATA_LOC @MIG_COMM_DATA_LOC@

struct interrupt_hard_start {
	u64 ts;			/* 0: no handler being timed */
	s32 irq;
	u32 pad;
	char name[INTERRUPT_NAME_LEN];
};

#if INTERRUPT_HARDIRQ
BPF_PERCPU_ARRAY(interrupt_hard_start, struct interrupt_hard_start, 1);
#endif
#if INTERRUPT_SOFTIRQ
BPF_PERCPU_ARRAY(interrupt_soft_start, u64, INTERRUPT_NR_VEC);
#endif
#if INTERRUPT_ROWS
/*
 * Drained every interval, so it only needs room for the interrupts of one
 * interval; per-CPU because the rows are per CPU (and no atomics needed).
 */
BPF_PERCPU_HASH(interrupt_sums, struct interrupt_key, struct interrupt_sum,
		INTERRUPT_SUM_ROWS);
/* An all-zero value to create entries from: too big for the stack. */
BPF_ARRAY(interrupt_zero, struct interrupt_sum, 1);
/*
 * Interrupts interrupt_sums had no row for: how many, and their sums
 * (cumulative: the host takes the growth, its (other) row).
 */
BPF_PERCPU_ARRAY(interrupt_overflow, u64, 1);
BPF_PERCPU_ARRAY(interrupt_over, struct interrupt_sum, 1);
#if INTERRUPT_MIGRATIONS
BPF_HASH(interrupt_migs, struct interrupt_mig_key, u64, 4096);
#endif
#endif
#if INTERRUPT_METRICS && INTERRUPT_HARDIRQ
/* Per handler name: a hash (names are not small numbers), full ones go to "other". */
BPF_PERCPU_HASH(interrupt_m_hard, struct interrupt_m_key, struct ebpfmon_metric_hist,
		INTERRUPT_M_NAMES);
BPF_PERCPU_ARRAY(interrupt_m_hard_other, struct ebpfmon_metric_hist, 1);
/* A zeroed value to insert from: 520 bytes are too many for the stack. */
BPF_ARRAY(interrupt_m_zero, struct ebpfmon_metric_hist, 1);
#endif
#if INTERRUPT_METRICS && INTERRUPT_SOFTIRQ
/* Per vector: its histogram; per CPU, its slots add up to ebpfmon_softirqs_total. */
BPF_PERCPU_ARRAY(interrupt_m_soft, struct ebpfmon_metric_hist, INTERRUPT_NR_VEC);
#endif
/* The event buffer: summary mode (and so metrics only) sends no events. */
#if !INTERRUPT_SUMMARY
#include "output.h"
#endif

/* pid, uid and comm filters on the current task, as in ebpfmon_hdr_fill(). */
static __always_inline int interrupt_filters_pass(void)
{
	return ebpfmon_pid_uid_match() && ebpfmon_comm_match();
}

/*
 * At entry, so a filtered interrupt costs no more. Events mode skips
 * ebpfmon-bcc's own process (each event wakes it: it would feed on itself);
 * summary mode writes nothing per interrupt and counts it like any other,
 * but not once a reload has replaced this monitor.
 */
static __always_inline int interrupt_task_match(void)
{
	if (INTERRUPT_SUMMARY ? ebpfmon_retired() : ebpfmon_is_self())
		return 0;
	if (!interrupt_filters_pass()) {
		ebpfmon_count_filtered(INTERRUPT_MON_ID);
		return 0;
	}
	return 1;
}

#if INTERRUPT_METRICS && INTERRUPT_HARDIRQ
static __always_inline void interrupt_metrics_hard(struct interrupt_hard_start *st, u64 delta)
{
	struct ebpfmon_metric_hist *h, *zero;
	u32 z = 0;

	zero = interrupt_m_zero.lookup(&z);
	if (!zero)
		return;
	h = interrupt_m_hard.lookup_or_try_init((struct interrupt_m_key *)st->name, zero);
	if (!h)
		h = interrupt_m_hard_other.lookup(&z);
	if (h)
		ebpfmon_metric_hist_add(h, delta);
}
#endif

#if INTERRUPT_ROWS
static __always_inline void interrupt_account(u32 kind, s32 num, u64 delta,
					      const char *name)
{
	struct interrupt_key key = { .kind = kind, .num = num };
	struct interrupt_sum *s, *zero;
	u32 z = 0, slot;

	zero = interrupt_zero.lookup(&z);
	if (!zero)
		return;
	s = interrupt_sums.lookup_or_try_init(&key, zero);
	if (!s) {
		u64 *n = interrupt_overflow.lookup(&z);

		if (n)
			(*n)++;
		s = interrupt_over.lookup(&z);
		if (!s)
			return;
	}
	/* This CPU's first one: other CPUs' values start zeroed, name too. */
	if (!s->count && name)
		__builtin_memcpy(s->name, name, sizeof(s->name));
	s->count++;
	s->total_ns += delta;
	if (delta > s->max_ns)
		s->max_ns = delta;
	slot = ebpfmon_hist_slot(delta);
	if (slot < EBPFMON_HIST_SLOTS)
		s->slots[slot]++;
}
#endif

#if INTERRUPT_HARDIRQ
TRACEPOINT_PROBE(irq, irq_handler_entry)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct interrupt_hard_start *st;
	u32 zero = 0;

	st = interrupt_hard_start.lookup(&zero);
	if (!st)
		return 0;
	st->ts = 0;
	if (!interrupt_task_match())
		return 0;
	st->irq = args->irq;
#if INTERRUPT_METRICS
	/* The name is a hash key: no bytes of a longer earlier name after its NUL. */
	__builtin_memset(st->name, 0, sizeof(st->name));
#endif
	TP_DATA_LOC_READ_STR(st->name, name, sizeof(st->name));
	st->ts = bpf_ktime_get_ns();
	return 0;
}

TRACEPOINT_PROBE(irq, irq_handler_exit)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct interrupt_hard_start *st;
	u32 zero = 0;
	u64 delta;

	st = interrupt_hard_start.lookup(&zero);
	/* Not timed: filtered, or attached while the handler ran. */
	if (!st || !st->ts || st->irq != args->irq)
		return 0;
	delta = bpf_ktime_get_ns() - st->ts;
	st->ts = 0;
#if INTERRUPT_METRICS
	/* Every run: min_duration_us chooses rows and events only. */
	interrupt_metrics_hard(st, delta);
#endif
	if (delta < INTERRUPT_MIN_NS)
		return 0;
#if INTERRUPT_ROWS
	interrupt_account(INTERRUPT_KIND_HARDIRQ, args->irq, delta, st->name);
#elif !INTERRUPT_SUMMARY && INTERRUPT_EVENTS
	{
		struct interrupt_event ev = {};

		if (ebpfmon_hdr_fill(&ev.hdr, INTERRUPT_MON_ID))
			return 0;
		ev.kind = INTERRUPT_KIND_HARDIRQ;
		ev.num = args->irq;
		ev.ret = args->ret;
		ev.duration_ns = delta;
		__builtin_memcpy(ev.name, st->name, sizeof(ev.name));
		interrupt_events_submit(args, &ev, sizeof(ev));
	}
#endif
	return 0;
}
#endif /* INTERRUPT_HARDIRQ */

#if INTERRUPT_SOFTIRQ
TRACEPOINT_PROBE(irq, softirq_entry)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u32 vec = args->vec;
	u64 *ts;

	if (vec >= INTERRUPT_NR_VEC)
		return 0;
	ts = interrupt_soft_start.lookup(&vec);
	if (ts)
		*ts = interrupt_task_match() ? bpf_ktime_get_ns() : 0;
	return 0;
}

TRACEPOINT_PROBE(irq, softirq_exit)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u32 vec = args->vec;
	u64 *ts, delta;

	if (vec >= INTERRUPT_NR_VEC)
		return 0;
	ts = interrupt_soft_start.lookup(&vec);
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
#if INTERRUPT_METRICS
	{
		struct ebpfmon_metric_hist *h = interrupt_m_soft.lookup(&vec);

		if (h)
			ebpfmon_metric_hist_add(h, delta);
	}
#endif
	if (delta < INTERRUPT_MIN_NS)
		return 0;
#if INTERRUPT_ROWS
	interrupt_account(INTERRUPT_KIND_SOFTIRQ, vec, delta, NULL);
#elif !INTERRUPT_SUMMARY && INTERRUPT_EVENTS
	{
		struct interrupt_event ev = {};

		if (ebpfmon_hdr_fill(&ev.hdr, INTERRUPT_MON_ID))
			return 0;
		ev.kind = INTERRUPT_KIND_SOFTIRQ;
		ev.num = vec;
		ev.duration_ns = delta;
		interrupt_events_submit(args, &ev, sizeof(ev));
	}
#endif
	return 0;
}
#endif /* INTERRUPT_SOFTIRQ */

#if INTERRUPT_MIGRATIONS
/*
 * The filters, on the moved task as far as the tracepoint describes it: its
 * thread id stands for its process id too (right for a process's main
 * thread: --pid or --tgid with a process id miss its other threads), and its
 * uid is not known, so a user filter lets no migration through.
 */
static __always_inline int interrupt_mig_match(u32 tid, const char *comm)
{
	if (tid == EBPFMON_SELF_PID)
		return 0;
#if EBPFMON_FILTER_PID
	if (!ebpfmon_filter_pid.lookup(&tid))
		goto filtered;
#endif
#if EBPFMON_FILTER_TGID
	if (!ebpfmon_filter_tgid.lookup(&tid))
		goto filtered;
#endif
#if EBPFMON_FILTER_UID || EBPFMON_FILTER_CGROUP
	/* The moved task's uid and cgroup are not in the tracepoint. */
	goto filtered;
#endif
#if EBPFMON_FILTER_COMM
	if (!ebpfmon_filter_comm.lookup((struct ebpfmon_comm_key *)comm))
		goto filtered;
#endif
	return 1;
#if EBPFMON_FILTER_PID || EBPFMON_FILTER_TGID || EBPFMON_FILTER_UID || EBPFMON_FILTER_COMM || \
	EBPFMON_FILTER_CGROUP
filtered:
	ebpfmon_count_filtered(INTERRUPT_MON_ID);
	return 0;
#endif
}

TRACEPOINT_PROBE(sched, sched_migrate_task)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct ebpfmon_comm_key comm = {};
	u32 tid = args->pid;

#if INTERRUPT_MIG_COMM_DATA_LOC
	TP_DATA_LOC_READ_STR(comm.comm, comm, sizeof(comm.comm));
#else
	bpf_probe_read_kernel(comm.comm, sizeof(comm.comm), args->comm);
#endif
	if (!interrupt_mig_match(tid, comm.comm))
		return 0;
#if INTERRUPT_SUMMARY
	{
		struct interrupt_mig_key key = {
			.orig_cpu = args->orig_cpu,
			.dest_cpu = args->dest_cpu,
		};

		interrupt_migs.atomic_increment(key);
	}
#else
	{
		struct interrupt_event ev = {};

		ev.hdr.ts_ns = bpf_ktime_get_ns();
		ev.hdr.pid = tid;
		ev.hdr.tid = tid;
		ev.hdr.cpu = bpf_get_smp_processor_id();
		__builtin_memcpy(ev.hdr.comm, comm.comm, sizeof(ev.hdr.comm));
		ev.kind = INTERRUPT_KIND_MIGRATION;
		ev.orig_cpu = args->orig_cpu;
		ev.dest_cpu = args->dest_cpu;
		interrupt_events_submit(args, &ev, sizeof(ev));
	}
#endif
	return 0;
}
#endif /* INTERRUPT_MIGRATIONS */
