// SPDX-License-Identifier: GPL-2.0
/*
 * schedule: run-queue latency, as bcc's runqlat and runqslower measure it.
 * A task goes on the run queue when it is woken (sched_wakeup,
 * sched_wakeup_new) or when it is switched out still runnable (preempted);
 * it leaves it when sched_switch puts it on a CPU (next). The woken task and
 * next are not current: their ids come from the task pointers of the raw
 * tracepoints, at offsets from BTF.
 *
 * The time a task went on the queue is kept per thread until it runs, or
 * dropped when it is switched out asleep (which also ends the entry of a
 * wakeup that found it still running, and of a task that exits). Summary
 * mode records every task, for the system-wide figures beside the filtered
 * tasks' rows; events mode only the tasks the filters let through.
 */
#include "schedule.h"

#define SCHEDULE_MON_ID @MON_ID@
/* Metrics only (EBPFMON_EVENTS 0): neither events nor summary rows. */
#define SCHEDULE_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define SCHEDULE_EVENTS (!@SUMMARY@ && EBPFMON_EVENTS)
#define SCHEDULE_MIN_NS @MIN_LATENCY_NS@ULL
/* metrics.comm_labels (0: off): the metrics by the task's name too. */
#define SCHEDULE_COMM_LABELS (EBPFMON_METRICS && @COMM_LABELS@)

#define SCHEDULE_OFF_PID @BTF_OFFSETOF(task_struct,pid)@
#define SCHEDULE_OFF_TGID @BTF_OFFSETOF(task_struct,tgid)@
#define SCHEDULE_OFF_COMM @BTF_OFFSETOF(task_struct,comm)@
#define SCHEDULE_OFF_REAL_CRED @BTF_OFFSETOF(task_struct,real_cred)@
#define SCHEDULE_OFF_CRED_UID @BTF_OFFSETOF(cred,uid)@
/* Without them no task can be told: no program at all (the host says why). */
#define SCHEDULE_OK (SCHEDULE_OFF_PID >= 0 && SCHEDULE_OFF_TGID >= 0 && SCHEDULE_OFF_COMM >= 0)
#define SCHEDULE_UID_OK (SCHEDULE_OFF_REAL_CRED >= 0 && SCHEDULE_OFF_CRED_UID >= 0)

#if SCHEDULE_OK
/* A task given by its pointer. */
struct schedule_task {
	u32 tgid;
	u32 tid;
	u32 uid;
	u32 pad;
	char comm[EBPFMON_COMM_LEN];
};

static __always_inline void schedule_task_read(char *task, struct schedule_task *t)
{
	bpf_probe_read_kernel(&t->tid, sizeof(t->tid), task + SCHEDULE_OFF_PID);
	bpf_probe_read_kernel(&t->tgid, sizeof(t->tgid), task + SCHEDULE_OFF_TGID);
	bpf_probe_read_kernel(t->comm, sizeof(t->comm), task + SCHEDULE_OFF_COMM);
#if SCHEDULE_UID_OK && EBPFMON_FILTER_UID
	{
		char *cred = NULL;

		bpf_probe_read_kernel(&cred, sizeof(cred), task + SCHEDULE_OFF_REAL_CRED);
		if (cred)
			bpf_probe_read_kernel(&t->uid, sizeof(t->uid), cred + SCHEDULE_OFF_CRED_UID);
	}
#endif
}

/*
 * When each thread went on the run queue (ns, the low bit set when it was
 * preempted rather than woken). An update that finds the table full
 * is counted (schedule_dropped): that wait is not measured.
 */
BPF_HASH(schedule_start, u32, u64, @MAX_ENTRIES@);
BPF_PERCPU_ARRAY(schedule_dropped, u64, 1);

/* TASK went on the run queue now; PREEMPTED: by a sched_switch. */
static __always_inline void schedule_enqueue(char *task, u64 preempted)
{
	struct schedule_task t = {};
	u64 now;

	schedule_task_read(task, &t);
	if (!t.tid || t.tgid == EBPFMON_SELF_PID)
		return;
	/* Summary mode keeps every task, for the system's figures. */
	if (!SCHEDULE_SUMMARY && !ebpfmon_task_ids_match(t.tgid, t.tid, t.uid, t.comm))
		return;
	now = (bpf_ktime_get_ns() & ~1ULL) | preempted;
	if (schedule_start.update(&t.tid, &now)) {
		u32 zero = 0;
		u64 *n = schedule_dropped.lookup(&zero);

		if (n)
			(*n)++;
	}
}

/*
 * Zeroed values for new rows: they are too large for the stack. Never
 * written.
 */
BPF_ARRAY(schedule_zero, struct schedule_stats, 1);

static __always_inline void schedule_stats_add(struct schedule_stats *s, u64 lat)
{
	/* max and min are 0 only without a wait (the host's null). */
	u64 lo = lat ? lat : 1;

	s->count++;
	s->total_ns += lat;
	if (lo > s->max_ns)
		s->max_ns = lo;
	if (!s->min_ns || lo < s->min_ns)
		s->min_ns = lo;
	s->hist[ebpfmon_hist_slot(lat)]++;
}

#if EBPFMON_METRICS
/*
 * Every wait of a task the filters let through: by comm with
 * metrics.comm_labels (the host labels the first names, busiest first; the
 * rest and what the table had no room for go to "other"), else one.
 * Cumulative, never cleared.
 */
BPF_PERCPU_ARRAY(schedule_m_other, struct ebpfmon_metric_hist, 1);
#if SCHEDULE_COMM_LABELS
BPF_F_TABLE("percpu_hash", struct ebpfmon_comm_key, struct ebpfmon_metric_hist,
	    schedule_m_comms, EBPFMON_COMM_ROWS(@COMM_LABELS@), 0);
#endif

static __always_inline void schedule_metric(const struct schedule_task *t, u64 lat)
{
	struct ebpfmon_metric_hist *h = NULL;
	u32 zero = 0;
#if SCHEDULE_COMM_LABELS
	/* struct ebpfmon_metric_hist is a prefix of the zeroed struct schedule_stats. */
	struct ebpfmon_metric_hist *empty = (void *)schedule_zero.lookup(&zero);

	if (empty)
		h = schedule_m_comms.lookup_or_try_init((struct ebpfmon_comm_key *)t->comm, empty);
#endif
	if (!h)
		h = schedule_m_other.lookup(&zero);
	if (h)
		ebpfmon_metric_hist_add(h, lat);
}
#endif

#if SCHEDULE_SUMMARY
BPF_TABLE("percpu_hash", struct schedule_key, struct schedule_stats, schedule_stats,
	  @MAX_ENTRIES@);
/*
 * The system's waits (every task but ebpfmon-bcc's), one row (a zeroed key);
 * the host reads it after the tasks' rows and this adds to it first, so a
 * task's wait is never in a later interval than the system's.
 */
BPF_TABLE("percpu_hash", struct schedule_key, struct schedule_stats, schedule_system, 1);
/*
 * Waits the table had no row for: how many, and their count, total and
 * histogram (cumulative; max and min stay 0: the host takes the growth).
 */
BPF_PERCPU_ARRAY(schedule_full, u64, 1);
BPF_PERCPU_ARRAY(schedule_over, struct schedule_stats, 1);

static __always_inline void schedule_summary_add(const struct schedule_task *t, u64 lat)
{
	struct schedule_key key = {};
	struct schedule_stats *s, *zero;
	u32 zero_key = 0;

	zero = schedule_zero.lookup(&zero_key);
	if (!zero)
		return;
	s = schedule_system.lookup_or_try_init(&key, zero);
	if (s)
		schedule_stats_add(s, lat);
	if (!ebpfmon_task_ids_match(t->tgid, t->tid, t->uid, t->comm)) {
		ebpfmon_count_filtered(SCHEDULE_MON_ID);
		return;
	}
	key.pid = t->tgid;
	key.tid = t->tid;
	__builtin_memcpy(key.comm, t->comm, sizeof(key.comm));
	s = schedule_stats.lookup_or_try_init(&key, zero);
	if (s) {
		schedule_stats_add(s, lat);
		return;
	}
	u64 *n = schedule_full.lookup(&zero_key);

	if (n)
		(*n)++;
	s = schedule_over.lookup(&zero_key);
	if (s) {
		s->count++;
		s->total_ns += lat;
		s->hist[ebpfmon_hist_slot(lat)]++;
	}
}
#endif

#if SCHEDULE_EVENTS
#include "output.h"

static __always_inline void schedule_emit(void *ctx, const struct schedule_task *t, u64 now,
					  u64 lat, u32 preempted)
{
	struct schedule_event ev = {};
	u64 prev = bpf_get_current_pid_tgid();

	ev.hdr.ts_ns = now;
	ev.hdr.pid = t->tgid;
	ev.hdr.tid = t->tid;
	ev.hdr.uid = t->uid;
	ev.hdr.cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(ev.hdr.comm, t->comm, sizeof(ev.hdr.comm));
	ev.latency_ns = lat;
	ev.flags = preempted ? SCHEDULE_F_PREEMPTED : 0;
	ev.prev_pid = (u32)prev;
	bpf_get_current_comm(ev.prev_comm, sizeof(ev.prev_comm));
	schedule_events_submit(ctx, &ev, sizeof(ev));
}
#endif

/*
 * Raw tracepoint programs named for this monitor (RAW_TRACEPOINT_PROBE's
 * names would clash with other monitors' programs on the same tracepoints in
 * one compile); the host attaches them.
 *
 * sched_wakeup(struct task_struct *p), sched_wakeup_new(struct task_struct *p)
 */
int schedule_wakeup(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	schedule_enqueue((char *)ctx->args[0], 0);
	return 0;
}

int schedule_switch(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	char *prev = (char *)ctx->args[1], *next = (char *)ctx->args[2];
	struct schedule_task t = {};
	u64 now, lat, *ts, queued;

	if (ctx->args[0] || !(u32)ctx->args[3]) {
		schedule_enqueue(prev, 1);
	} else {
		u32 prev_tid = (u32)bpf_get_current_pid_tgid();

		schedule_start.delete(&prev_tid);
	}
	bpf_probe_read_kernel(&t.tid, sizeof(t.tid), next + SCHEDULE_OFF_PID);
	if (!t.tid)
		return 0;
	ts = schedule_start.lookup(&t.tid);
	if (!ts)
		return 0;
	now = bpf_ktime_get_ns();
	queued = *ts;
	lat = now - (queued & ~1ULL);
	schedule_start.delete(&t.tid);
	/* A clock read on another CPU may be a little ahead. */
	if ((s64)lat < 0)
		lat = 0;
#if SCHEDULE_EVENTS
	if (lat < SCHEDULE_MIN_NS && !EBPFMON_METRICS)
		return 0;
#endif
	schedule_task_read(next, &t);
#if EBPFMON_METRICS
	if (ebpfmon_task_ids_match(t.tgid, t.tid, t.uid, t.comm))
		schedule_metric(&t, lat);
#endif
#if SCHEDULE_SUMMARY
	schedule_summary_add(&t, lat);
#elif SCHEDULE_EVENTS
	/* The filters were applied at the enqueue; the name may have changed. */
	if (lat >= SCHEDULE_MIN_NS && ebpfmon_task_ids_match(t.tgid, t.tid, t.uid, t.comm))
		schedule_emit(ctx, &t, now, lat, queued & 1);
#endif
	return 0;
}
#endif /* SCHEDULE_OK */
