// SPDX-License-Identifier: GPL-2.0
/*
 * sysseq: per task, its most recent system calls in order and the latency
 * of each kind of call, with the system's latencies of the same calls
 * beside them (raw tracepoints sys_enter, sys_exit, sched_process_exit).
 *
 * Costs, per call of any task: the start in sysseq_starts (written in
 * place, an LRU hash: no entry outlives its thread for long) and the
 * system's figures in a per-CPU array slot. Per call of a tracked task: one
 * more lookup for its ring and one for its (tid, number) latency. A task is
 * tracked from its first call that passes the filters, and stays tracked
 * across an exec (which renames it) until it exits; untracked tasks pay the
 * filters at each call, as every monitor does.
 *
 * The programs are raw_tracepoint__sysseq_*, not raw_tracepoint__<event>:
 * other monitors hook the same tracepoints in the same compile.
 */
#include "sysseq.h"

#define SYSSEQ_MON_ID @MON_ID@
#define SYSSEQ_SEQ_LEN @SEQ_LEN@
/* Calls that never return (no start is kept), and those that rename. */
#define SYSSEQ_NR_EXIT @NR_EXIT@
#define SYSSEQ_NR_EXIT_GROUP @NR_EXIT_GROUP@
#define SYSSEQ_NR_EXECVE @NR_EXECVE@
#define SYSSEQ_NR_EXECVEAT @NR_EXECVEAT@
/* metrics.listen, and metrics.comm_labels (0: one row per number). */
#define SYSSEQ_METRICS @METRICS@
#define SYSSEQ_COMM_LABELS (SYSSEQ_METRICS && @COMM_LABELS@)

struct sysseq_task {
	struct sysseq_task_head h;
	u16 ring[SYSSEQ_SEQ_LEN];
};

/* Allocated as tasks appear: a ring each, max_tasks of them at most. */
BPF_F_TABLE("hash", u32, struct sysseq_task, sysseq_tasks, @MAX_TASKS@, BPF_F_NO_PREALLOC);
/* Never written: a zeroed task to insert from (too big for the stack). */
BPF_PERCPU_ARRAY(sysseq_zero, struct sysseq_task, 1);
BPF_F_TABLE("hash", struct sysseq_lat_key, struct sysseq_lat, sysseq_lat, @MAX_CALLS@,
	    BPF_F_NO_PREALLOC);
/* The system's calls by number, every task's (but ebpfmon-bcc's own). */
BPF_PERCPU_ARRAY(sysseq_sys, struct sysseq_lat, SYSSEQ_SYS_SLOTS);
/* Calls sysseq_tasks (no sequence) or sysseq_lat (no latency) had no room for. */
BPF_PERCPU_ARRAY(sysseq_task_full, u64, 1);
BPF_PERCPU_ARRAY(sysseq_lat_full, u64, 1);

struct sysseq_start {
	u64 ts;			/* 0: no call in flight */
	u64 slot;
};
/* Per thread, the call in flight; deleted at the thread's exit. */
BPF_TABLE("lru_hash", u32, struct sysseq_start, sysseq_starts, @MAX_INFLIGHT@);

#if SYSSEQ_METRICS
BPF_F_TABLE("percpu_hash", struct sysseq_m_key, u64, sysseq_m_comms,
	    EBPFMON_COMM_ROWS(64 * (@COMM_LABELS@ + 1)), BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(sysseq_m_other, u64, SYSSEQ_M_OTHER_SLOTS);
#endif

#if EBPFMON_EVENTS
#include "output.h"
#endif

static __always_inline void sysseq_count(void *table_lookup_result)
{
	u64 *n = table_lookup_result;

	if (n)
		(*n)++;
}

static __always_inline void sysseq_lat_add(struct sysseq_lat *l, u64 dur)
{
	if (!l)
		return;
	if (!l->count || dur < l->min_ns)
		l->min_ns = dur;
	if (dur > l->max_ns)
		l->max_ns = dur;
	l->count++;
	l->total_ns += dur;
}

/* The current thread's entry, made when it passes the filters; NULL: untracked. */
static __always_inline struct sysseq_task *sysseq_track(u32 tid)
{
	struct sysseq_task *t = sysseq_tasks.lookup(&tid), *z;
	struct ebpfmon_hdr h;
	u32 zero = 0;

	if (t)
		return t;
	if (ebpfmon_hdr_fill(&h, SYSSEQ_MON_ID))
		return NULL;
	z = sysseq_zero.lookup(&zero);
	if (!z)
		return NULL;
	if (sysseq_tasks.insert(&tid, z)) {
		sysseq_count(sysseq_task_full.lookup(&zero));
		return NULL;
	}
	t = sysseq_tasks.lookup(&tid);
	if (t)
		t->h.hdr = h;
	return t;
}

int raw_tracepoint__sysseq_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, slot;
	s64 nr = (s64)ctx->args[1];
	struct sysseq_start *st;
	struct sysseq_task *t;

	if (ebpfmon_is_self())
		return 0;
	slot = nr >= 0 && nr < SYSSEQ_NR_MAX ? nr : SYSSEQ_NR_OTHER;
	if (nr != SYSSEQ_NR_EXIT && nr != SYSSEQ_NR_EXIT_GROUP) {
		/* In place when the thread has an entry: an LRU update allocates. */
		st = sysseq_starts.lookup(&tid);
		if (st) {
			st->ts = bpf_ktime_get_ns();
			st->slot = slot;
		} else {
			struct sysseq_start new = { .ts = bpf_ktime_get_ns(), .slot = slot };

			sysseq_starts.update(&tid, &new);
		}
	}
	t = sysseq_track(tid);
	if (t) {
		u32 i = t->h.calls % SYSSEQ_SEQ_LEN;

		/*
		 * The verifier needs the bound; clang drops a check it can prove
		 * (a seq_len not a power of two is a division, not a mask).
		 */
		asm volatile("" : "+r"(i));
		if (i < SYSSEQ_SEQ_LEN)
			t->ring[i] = slot;
		t->h.calls++;
	}
	return 0;
}

#if SYSSEQ_METRICS
static __always_inline void sysseq_metric(struct sysseq_task *t, u32 slot, u64 dur)
{
	struct sysseq_m_key key = { .nr = slot };
	u64 zero = 0, *n;
	u32 i = 0;

#if SYSSEQ_COMM_LABELS
	__builtin_memcpy(key.comm, t->h.hdr.comm, sizeof(key.comm));
#endif
	n = sysseq_m_comms.lookup_or_try_init(&key, &zero);
	if (n)
		(*n)++;
	else
		sysseq_count(sysseq_m_other.lookup(&i));
	key.nr = SYSSEQ_M_NS;
	n = sysseq_m_comms.lookup_or_try_init(&key, &zero);
	i = 1;
	if (!n)
		n = sysseq_m_other.lookup(&i);
	if (n)
		*n += dur;
}
#endif

/*
 * In a metrics-only run (EVENTS 0) nothing reads the rows: only the metric
 * maps are filled, and the tasks are tracked for their names.
 */
int raw_tracepoint__sysseq_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u32 tid = (u32)bpf_get_current_pid_tgid(), slot, word, zero = 0;
	struct sysseq_start *st = sysseq_starts.lookup(&tid);
	struct sysseq_lat_key key;
	struct sysseq_lat *l;
	struct sysseq_task *t;
	u64 dur;

	if (!st || !st->ts)
		return 0;
	dur = bpf_ktime_get_ns() - st->ts;
	slot = st->slot;
	st->ts = 0;
	if (slot > SYSSEQ_NR_OTHER)
		return 0;
#if EBPFMON_EVENTS
	sysseq_lat_add(sysseq_sys.lookup(&slot), dur);
#endif
	t = sysseq_tasks.lookup(&tid);
	if (!t)
		return 0;
	/* An exec returns under its new name. */
	if ((slot == SYSSEQ_NR_EXECVE || slot == SYSSEQ_NR_EXECVEAT) && !ctx->args[1]) {
		__builtin_memset(t->h.hdr.comm, 0, sizeof(t->h.hdr.comm));
		bpf_get_current_comm(t->h.hdr.comm, sizeof(t->h.hdr.comm));
	}
#if SYSSEQ_METRICS
	sysseq_metric(t, slot, dur);
#endif
#if EBPFMON_EVENTS
	key.tid = tid;
	key.nr = slot;
	l = sysseq_lat.lookup(&key);
	if (!l) {
		struct sysseq_lat z = {};

		if (sysseq_lat.insert(&key, &z)) {
			sysseq_count(sysseq_lat_full.lookup(&zero));
			return 0;
		}
		word = slot >> 6;
		if (word < SYSSEQ_SEEN_WORDS)
			t->h.seen[word] |= 1ull << (slot & 63);
		l = sysseq_lat.lookup(&key);
	}
	sysseq_lat_add(l, dur);
#endif
	return 0;
}

/*
 * The thread exits (it is current): its entry goes out as the event of its
 * final record, then it is deleted; its latencies wait for the host, which
 * reads and deletes them with the event. No start survives it (exit and
 * exit_group never return).
 */
int raw_tracepoint__sysseq_exit(struct bpf_raw_tracepoint_args *ctx)
{
	/* Runs when inert too: cleanup: the task's rows go; it submits nothing when inert. */
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct sysseq_task *t;

	sysseq_starts.delete(&tid);
	t = sysseq_tasks.lookup(&tid);
	if (!t)
		return 0;
#if EBPFMON_EVENTS
	if (!ebpfmon_retired()) {
		t->h.hdr.ts_ns = bpf_ktime_get_ns();
		t->h.hdr.cpu = bpf_get_smp_processor_id();
		@EVENTS_TABLE@_submit(ctx, t, sizeof(*t));
	}
#endif
	sysseq_tasks.delete(&tid);
	return 0;
}
