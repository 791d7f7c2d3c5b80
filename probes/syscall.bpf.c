// SPDX-License-Identifier: GPL-2.0
/*
 * syscall: every system call, timed from sys_enter to sys_exit (raw
 * tracepoints where the kernel has them: no trace record is built per hit).
 * These fire for every call of every process, so the enter side does only
 * what it must: the number filter, the pid/uid filters, the sampling
 * counter, then ts + nr in this CPU's slot. Everything else (duration,
 * failed_only, comm filter, the event or the summary update) happens at
 * exit, for the calls that were kept. Summary mode without latency counts
 * calls at sys_exit alone, unless a uid filter needs sys_enter.
 *
 * The pid and uid filters are decided at sys_enter, in both modes: a call
 * belongs to whoever made it, so a setreuid(65534) by root is root's call
 * (-u root keeps it, -u 65534 does not), as strace and bcc's tools see it.
 */
#include "syscall.h"

#define SYSCALL_MON_ID @MON_ID@
#define SYSCALL_SUMMARY @SUMMARY@
/* metrics.listen: the metric maps below, filled in either mode. */
#define SYSCALL_METRICS @METRICS@
/* 0: output none, metrics only: no summary rows, no events. */
#define SYSCALL_EVENTS @EVENTS@
/* metrics.comm_labels (0: off): calls by caller name and number too. */
#define SYSCALL_COMM_LABELS (SYSCALL_METRICS && @COMM_LABELS@ && !@CGROUP_LABELS@)
/* metrics.cgroup_labels (0: off): calls by cgroup (and caller name with comm_labels) and number. */
#define SYSCALL_CGROUP_LABELS (SYSCALL_METRICS && @CGROUP_LABELS@)
#define SYSCALL_ROWS (SYSCALL_SUMMARY && SYSCALL_EVENTS)
/* 0: summary rows count calls and errors only, and sys_exit is the one hook. */
#define SYSCALL_LATENCY @LATENCY@
/* include/exclude given: syscall_traced[nr] says which numbers are kept. */
#define SYSCALL_FILTER_NR @FILTER_NR@
/* Numbers outside syscall_traced: kept unless an include list was given. */
#define SYSCALL_OTHER_TRACED @OTHER_TRACED@
#define SYSCALL_MIN_NS @MIN_NS@ull
#define SYSCALL_SAMPLE_RATE @SAMPLE_RATE@
#define SYSCALL_FAILED_ONLY @FAILED_ONLY@
/* 1: RAW_TRACEPOINT_PROBE; 0: TRACEPOINT_PROBE (raw_syscalls, sched, ...). */
#define SYSCALL_RAW @RAW@
/* Calls that never return (no start is kept), and those that rename. */
#define SYSCALL_NR_EXIT @NR_EXIT@
#define SYSCALL_NR_EXIT_GROUP @NR_EXIT_GROUP@
#define SYSCALL_NR_EXECVE @NR_EXECVE@
#define SYSCALL_NR_EXECVEAT @NR_EXECVEAT@
/* The probe applies the comm filter itself: summary rows and metrics. */
#define SYSCALL_COMM_SELF (SYSCALL_SUMMARY || SYSCALL_METRICS)
/* The comm filter's answer is cached (see syscall_comm_ok). */
#define SYSCALL_COMM_CACHE (SYSCALL_COMM_SELF && SYSCALL_RAW && EBPFMON_FILTER_COMM)
/*
 * sys_enter is hooked: to time calls, or to decide a uid filter where the
 * call is made (a setuid call returns under another uid).
 */
#define SYSCALL_ENTER (SYSCALL_LATENCY || EBPFMON_FILTER_UID)

/*
 * This CPU's state. A thread runs on one CPU from its sys_enter until it is
 * switched out, and most calls return before that: their start lives here,
 * in a per-CPU array (no hashing, no locks). At sched_switch a start still
 * here moves to syscall_starts, where sys_exit looks when the slot is not
 * its thread's.
 */
struct syscall_cpu {
	u64 ts;			/* start of tid's call; 0: not traced */
	s64 nr;
	u32 tid;		/* 0: no thread's (the idle task makes no calls) */
	u32 comm_tid;		/* the comm filter's answer for this thread ... */
	u64 comm_gen;		/* ... while syscall_comm_gen is this minus 1 ... */
	u64 comm_ok;		/* ... is this */
	u64 sample;		/* calls seen, for sample_rate */
};
BPF_PERCPU_ARRAY(syscall_cpu, struct syscall_cpu, 1);

#if SYSCALL_ENTER
struct syscall_start {
	u64 ts;
	s64 nr;
};

/*
 * Per thread: the start of a call whose thread was switched out before it
 * returned (ts 0: none). LRU, so the entries of threads that have exited
 * age out.
 */
BPF_TABLE("lru_hash", u32, struct syscall_start, syscall_starts, @MAX_INFLIGHT@);
#endif

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

#if SYSCALL_ROWS
/*
 * Allocated as rows appear (and freed when the host drains them), not
 * max_entries x CPUs up front.
 */
BPF_F_TABLE("percpu_hash", struct syscall_key, struct syscall_stats, syscall_stats,
	    @MAX_ENTRIES@, BPF_F_NO_PREALLOC);
/* A zeroed value to insert from: 376 bytes are too many for the stack. */
BPF_PERCPU_ARRAY(syscall_zero, struct syscall_stats, 1);
/* Calls syscall_stats had no row for: their count, and their (other) rows. */
BPF_PERCPU_ARRAY(syscall_dropped, u64, 1);
BPF_PERCPU_ARRAY(syscall_over, struct syscall_over, SYSCALL_OVER_SLOTS);
#elif !SYSCALL_SUMMARY
#include "output.h"
#endif

#if SYSCALL_METRICS
/*
 * Arrays indexed by number and category: a call costs two or three inlined
 * lookups, not a hash. Errors by errno go to a hash, but only errors.
 */
BPF_PERCPU_ARRAY(syscall_m_calls, struct syscall_m_calls, SYSCALL_M_SLOTS);
BPF_PERCPU_HASH(syscall_m_errors, struct syscall_m_error_key, u64, SYSCALL_M_ERROR_PAIRS);
#if SYSCALL_LATENCY
/* Filled by the host at attach: the category index of each number. */
BPF_ARRAY(syscall_m_category, u32, SYSCALL_M_SLOTS);
BPF_PERCPU_ARRAY(syscall_m_latency, struct ebpfmon_metric_hist, SYSCALL_M_CATEGORIES);
#endif
#if SYSCALL_COMM_LABELS
/*
 * Calls by comm and number, cumulative: a name making a dozen kinds of call
 * takes a dozen rows, hence 16 per labeled name. The host labels the first
 * names it sees and sums the rest as "other", with the calls the table had no
 * room for (syscall_m_comm_other, by number).
 */
BPF_F_TABLE("percpu_hash", struct syscall_m_comm_key, u64, syscall_m_comms,
	    EBPFMON_COMM_ROWS(4 * @COMM_LABELS@), BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(syscall_m_comm_other, u64, SYSCALL_M_SLOTS);
#endif
#if SYSCALL_CGROUP_LABELS
/* The same by cgroup (and comm with comm_labels) and number: 16 rows per label too. */
BPF_F_TABLE("percpu_hash", struct ebpfmon_label_key, u64, syscall_m_labels,
	    EBPFMON_LABEL_ROWS(@COMM_LABELS@, 4 * @CGROUP_LABELS@), BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(syscall_m_label_other, u64, SYSCALL_M_SLOTS);
#endif

static __always_inline void syscall_metrics(s64 nr, s64 ret, u64 dur)
{
	u32 idx = nr >= 0 && nr < SYSCALL_NR_MAX ? nr : SYSCALL_NR_MAX;
	struct syscall_m_calls *m = syscall_m_calls.lookup(&idx);

	if (!m)
		return;
	m->calls++;
	if (ret < 0) {
		struct syscall_m_error_key key = { .nr = idx, .error = -ret };
		u64 zero = 0, *n = NULL;

		if (ret >= -4095)
			n = syscall_m_errors.lookup_or_try_init(&key, &zero);
		if (n)
			(*n)++;
		else
			m->errors_other++;
	}
#if SYSCALL_LATENCY
	{
		u32 *cat = syscall_m_category.lookup(&idx);
		u32 c = cat ? *cat : 0;
		struct ebpfmon_metric_hist *h = syscall_m_latency.lookup(&c);

		if (h)
			ebpfmon_metric_hist_add(h, dur);
	}
#endif
#if SYSCALL_COMM_LABELS
	{
		struct syscall_m_comm_key key = { .nr = idx };
		u64 zero = 0, *n;

		bpf_get_current_comm(key.comm, sizeof(key.comm));
		n = syscall_m_comms.lookup_or_try_init(&key, &zero);
		if (!n)
			n = syscall_m_comm_other.lookup(&idx);
		if (n)
			(*n)++;
	}
#endif
#if SYSCALL_CGROUP_LABELS
	{
		struct ebpfmon_label_key key;
		u64 zero = 0, *n;

		ebpfmon_label_key_fill(&key, @COMM_LABELS@, idx);
		n = syscall_m_labels.lookup_or_try_init(&key, &zero);
		if (!n)
			n = syscall_m_label_other.lookup(&idx);
		if (n)
			(*n)++;
	}
#endif
}
#endif

#if SYSCALL_COMM_CACHE
/* Bumped at every rename (exec, prctl, /proc/PID/comm) of any task. */
BPF_ARRAY(syscall_comm_gen, u64, 1);

/* A raw tracepoint only: TRACEPOINT_PROBE(task, task_rename) is io's. */
RAW_TRACEPOINT_PROBE(task_rename)
{
	/* Runs when inert too (cache invalidation): a comm cached before must not outlive a rename. */
	u32 zero = 0;
	u64 *gen = syscall_comm_gen.lookup(&zero);

	if (gen)
		__sync_fetch_and_add(gen, 1);
	return 0;
}

/* The cached answer for tid: 1 or 0, or -1 when there is none. */
static __always_inline int syscall_comm_cached(struct syscall_cpu *c, u32 tid, u64 *gen)
{
	if (gen && c->comm_tid == tid && c->comm_gen == *gen + 1)
		return c->comm_ok;
	return -1;
}
#endif

/*
 * The comm filter (summary mode and metrics; events are filtered as they are
 * built). A
 * thread's name changes only by a rename, so the answer is kept in the CPU's
 * slot until the next rename anywhere: a thread making call after call pays
 * for its name and the hash lookup once.
 */
static __always_inline int syscall_comm_ok(struct syscall_cpu *c, u32 tid)
{
	int ok = 1;
#if SYSCALL_COMM_CACHE
	u32 zero = 0;
	u64 *gen = syscall_comm_gen.lookup(&zero);

	ok = syscall_comm_cached(c, tid, gen);
	if (ok >= 0)
		return ok;
	ok = ebpfmon_comm_match();
	if (gen) {
		c->comm_tid = tid;
		c->comm_gen = *gen + 1;
		c->comm_ok = ok;
	}
#elif SYSCALL_COMM_SELF && EBPFMON_FILTER_COMM
	ok = ebpfmon_comm_match();
#endif
	if (!ok)
		ebpfmon_count_filtered(SYSCALL_MON_ID);
	return ok;
}

/* The filters a call meets where it is first seen (sys_enter, or sys_exit alone). */
static __always_inline int syscall_kept(struct syscall_cpu *c, s64 nr)
{
	if (!syscall_nr_traced(nr) || !ebpfmon_ids_match())
		return 0;
#if SYSCALL_SAMPLE_RATE > 1
	/* Per CPU, so no atomics: every Nth kept call on each CPU. */
	if (c->sample++ % SYSCALL_SAMPLE_RATE)
		return 0;
#endif
	return 1;
}

#if SYSCALL_ENTER
static __always_inline int syscall_enter(s64 nr)
{
	u32 zero = 0, tid = (u32)bpf_get_current_pid_tgid();
	struct syscall_cpu *c = syscall_cpu.lookup(&zero);

	if (!c)
		return 0;
	/* Ours until sys_exit or a switch; ts 0 tells sys_exit "not traced". */
	c->tid = tid;
	c->ts = 0;
	if (nr == SYSCALL_NR_EXIT || nr == SYSCALL_NR_EXIT_GROUP || !syscall_kept(c, nr))
		return 0;
#if SYSCALL_COMM_CACHE
	/*
	 * A thread the comm filter already turned down is not timed. Not for an
	 * exec, which returns under the new name.
	 */
	if (nr != SYSCALL_NR_EXECVE && nr != SYSCALL_NR_EXECVEAT) {
		u64 *gen = syscall_comm_gen.lookup(&zero);

		if (!syscall_comm_cached(c, tid, gen)) {
			ebpfmon_count_filtered(SYSCALL_MON_ID);
			return 0;
		}
	}
#endif
	c->nr = nr;
	/* Without latency, any ts but 0 says "kept". */
	c->ts = SYSCALL_LATENCY ? bpf_ktime_get_ns() : 1;
	return 0;
}

/* The thread leaves this CPU: a start still in the slot goes to syscall_starts. */
static __always_inline int syscall_switch(void)
{
	u32 zero = 0, tid = (u32)bpf_get_current_pid_tgid();
	struct syscall_cpu *c = syscall_cpu.lookup(&zero);
	struct syscall_start *st;

	if (!c || c->tid != tid)
		return 0;
	c->tid = 0;
	if (!c->ts)
		return 0;
	/* Written in place when the thread has an entry: no update, no lock. */
	st = syscall_starts.lookup(&tid);
	if (st) {
		st->ts = c->ts;
		st->nr = c->nr;
	} else {
		struct syscall_start new = { .ts = c->ts, .nr = c->nr };

		syscall_starts.update(&tid, &new);
	}
	return 0;
}
#endif

#if SYSCALL_ROWS
static __always_inline void syscall_account(u64 id, s64 nr, s64 ret, u64 dur)
{
	struct syscall_key key = { .pid = id >> 32, .nr = nr };
	struct syscall_stats *v;
	u32 zero = 0;

	v = syscall_stats.lookup(&key);
	if (!v) {
		struct syscall_stats *z = syscall_zero.lookup(&zero);

		if (z)
			syscall_stats.insert(&key, z);
		v = syscall_stats.lookup(&key);
		if (!v) {
			u32 slot = nr >= 0 && nr < SYSCALL_NR_MAX ? nr : SYSCALL_NR_MAX;
			struct syscall_over *o = syscall_over.lookup(&slot);
			u64 *d = syscall_dropped.lookup(&zero);

			if (d)
				(*d)++;
			if (!o)
				return;
			o->count++;
			if (ret < 0)
				o->errors++;
#if SYSCALL_LATENCY
			o->total_ns += dur;
			o->hist[ebpfmon_hist_slot(dur)]++;
#endif
			return;
		}
	}
	/* The name once per row and CPU, not per call: it costs as much as the rest. */
	if (!v->count) {
		bpf_get_current_comm(v->comm, sizeof(v->comm));
		v->cgroup_id = bpf_get_current_cgroup_id();
	}
	v->count++;
	if (ret < 0)
		v->errors++;
#if SYSCALL_LATENCY
	v->total_ns += dur;
	if (v->count == 1 || dur < v->min_ns)
		v->min_ns = dur;
	if (dur > v->max_ns)
		v->max_ns = dur;
	v->hist[ebpfmon_hist_slot(dur)]++;
#endif
}
#elif !SYSCALL_SUMMARY
static __always_inline void syscall_emit(void *ctx, s64 nr, s64 ret, u64 dur)
{
	struct syscall_event ev;

	/* pid and uid: decided at sys_enter (SYSCALL_ENTER, always so in events mode). */
	if (ebpfmon_hdr_fill_ids(&ev.hdr, SYSCALL_MON_ID, SYSCALL_ENTER))
		return;
	ev.ret = ret;
	ev.duration_ns = dur;
	ev.nr = nr;
	ev.pad = 0;
	syscall_events_submit(ctx, &ev, sizeof(ev));
}
#endif

/* nr: the call's number where sys_exit has it (without latency), else unused. */
/* failed_only and min_duration_us: the calls that become rows or events. */
static __always_inline int syscall_chosen(s64 ret, u64 dur)
{
	if (SYSCALL_FAILED_ONLY && ret >= 0)
		return 0;
#if SYSCALL_MIN_NS
	if (dur < SYSCALL_MIN_NS)
		return 0;
#endif
	return 1;
}

static __always_inline int syscall_exit(void *ctx, s64 nr, s64 ret)
{
	u64 id = bpf_get_current_pid_tgid(), dur = 0;
	u32 zero = 0, tid = (u32)id;
	struct syscall_cpu *c = syscall_cpu.lookup(&zero);

	if (!c)
		return 0;
#if SYSCALL_ENTER
	u64 ts;

	if (c->tid == tid) {
		/* Not switched out since sys_enter: the slot is this call's. */
		ts = c->ts;
		nr = c->nr;
		c->ts = 0;
	} else {
		struct syscall_start *st = syscall_starts.lookup(&tid);

		/* None: not traced, or a new thread's first return from clone. */
		if (!st)
			return 0;
		ts = st->ts;
		nr = st->nr;
		st->ts = 0;	/* taken: a sys_exit without its sys_enter finds 0 */
	}
	if (!ts)
		return 0;
	if (SYSCALL_LATENCY)
		dur = bpf_ktime_get_ns() - ts;
#else
	if (!syscall_kept(c, nr))
		return 0;
#endif
	/* The cheap tests first, unless the metrics count what they would drop. */
	if (!SYSCALL_METRICS && !syscall_chosen(ret, dur))
		return 0;
#if SYSCALL_COMM_SELF
	if (!syscall_comm_ok(c, tid))
		return 0;
#endif
#if SYSCALL_METRICS
	/* Every call in scope: failed_only and min_duration_us choose rows and events only. */
	syscall_metrics(nr, ret, dur);
	if (!syscall_chosen(ret, dur))
		return 0;
#endif
#if SYSCALL_ROWS
	syscall_account(id, nr, ret, dur);
#elif !SYSCALL_SUMMARY && SYSCALL_EVENTS
	syscall_emit(ctx, nr, ret, dur);
#endif
	return 0;
}

/* Programs of raw tracepoints are named raw_tracepoint__<event>. */
#if SYSCALL_RAW && SYSCALL_ENTER
/* sys_enter(struct pt_regs *regs, long id), sys_exit(struct pt_regs *regs, long ret) */
RAW_TRACEPOINT_PROBE(sys_enter)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_enter((s64)ctx->args[1]);
}

RAW_TRACEPOINT_PROBE(sys_exit)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_exit(ctx, 0, (s64)ctx->args[1]);
}

/* Runs in the outgoing thread (prev is current). */
RAW_TRACEPOINT_PROBE(sched_switch)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_switch();
}
#elif SYSCALL_RAW
/*
 * The number from the registers (x86_64 only, where pt_regs is user ABI
 * and orig_ax holds the number for the whole call).
 */
RAW_TRACEPOINT_PROBE(sys_exit)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	s64 nr = -1;

	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (char *)ctx->args[0] + offsetof(struct pt_regs, orig_ax));
	return syscall_exit(ctx, nr, (s64)ctx->args[1]);
}
#else
#if SYSCALL_ENTER
TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_enter(args->id);
}

TRACEPOINT_PROBE(sched, sched_switch)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_switch();
}
#endif

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return syscall_exit(args, args->id, args->ret);
}
#endif
