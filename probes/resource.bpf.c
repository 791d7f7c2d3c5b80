// SPDX-License-Identifier: GPL-2.0
/*
 * resource: what each task uses, accounted in the kernel. sched:sched_switch
 * adds the CPU time a task used since its last switch-out (the scheduler's
 * own se.sum_exec_runtime, through BTF: the figure /proc/PID/stat gives; the
 * span from switch-in to switch-out where it is missing) and counts the switch
 * as voluntary (blocked) or involuntary (runnable: preempted, yield); the
 * read/write calls' exits add the bytes they moved; kmem:rss_stat (and the
 * mm's own counters, read through BTF offsets at a switch-out) keep each
 * process's resident set. Rows are cumulative and the host takes their
 * growth every interval, with the span of the task still on each CPU at that
 * moment (resource_running), so a task that never leaves the CPU is counted
 * too. The same figures for every task but ebpfmon-bcc itself go to
 * resource_sys, unfiltered: the system's beside the task's.
 */
#include "resource.h"

#define RESOURCE_MON_ID @MON_ID@
#define RESOURCE_PAGE_SHIFT @PAGE_SHIFT@
/* The mm's counters through BTF: task_struct.mm, mm_struct.rss_stat[member].count. */
#define RESOURCE_RSS_BTF @RSS_BTF@
#define RESOURCE_OFF_TASK_MM @RSS_OFF_TASK_MM@
#define RESOURCE_OFF_MM_RSS @RSS_OFF_MM_RSS@
#define RESOURCE_OFF_COUNT @RSS_OFF_COUNT@
#define RESOURCE_RSS_STRIDE @RSS_STRIDE@
/* The mm's counters are read again at a switch-out at most this often. */
#define RESOURCE_RSS_READ_NS 100000000ull
#define RESOURCE_COMM_LABELS (EBPFMON_METRICS && @COMM_LABELS@)

/* sched_switch's prev_state (task->__state): TASK_DEAD, its last switch. */
#define RESOURCE_TASK_DEAD 0x80
#define RESOURCE_OFF_TASK_PID @BTF_OFFSETOF(task_struct,pid)@
#define RESOURCE_OFF_TASK_COMM @BTF_OFFSETOF(task_struct,comm)@
/* task_struct.se.sum_exec_runtime: -1 when BTF lacks either. */
#define RESOURCE_OFF_TASK_SE @BTF_OFFSETOF(task_struct,se)@
#define RESOURCE_OFF_SE_RUNTIME @BTF_OFFSETOF(sched_entity,sum_exec_runtime)@
#define RESOURCE_EXEC_BTF (RESOURCE_OFF_TASK_SE >= 0 && RESOURCE_OFF_SE_RUNTIME >= 0)

#if EBPFMON_EVENTS
BPF_HASH(resource_tasks, u32, struct resource_task, @MAX_ENTRIES@);
/* What tasks the table had no row for used (cumulative), and how many times. */
BPF_PERCPU_ARRAY(resource_over, struct resource_counts, 1);
BPF_PERCPU_ARRAY(resource_full, u64, 1);
/*
 * Threads past sched_process_exit, until sched_process_free: whatever they
 * still do (their last switch-out) must not make a row again once the host
 * removed theirs.
 */
BPF_TABLE("lru_hash", u32, u8, resource_dying, @MAX_ENTRIES@);
#endif
BPF_PERCPU_ARRAY(resource_running, struct resource_running, 1);
BPF_PERCPU_ARRAY(resource_sys, struct resource_counts, 1);
BPF_TABLE("lru_hash", u32, struct resource_rss, resource_rss, @MAX_ENTRIES@);
#if RESOURCE_EXEC_BTF
/*
 * Each counted task's sum_exec_runtime at its last switch-out: the next one's
 * growth is exactly the CPU time between them, even where a switch-in went
 * by without sched_switch (seen on this machine's kernel, a few times a
 * minute under load: a span from the switch-in would be lost whole).
 */
BPF_TABLE("lru_hash", u32, u64, resource_exec, @MAX_ENTRIES@);
#endif

#if EBPFMON_METRICS
/* The filtered tasks' figures, cumulative, never cleared (the exporter reads them). */
BPF_PERCPU_ARRAY(resource_m_total, struct resource_counts, 1);
#if RESOURCE_COMM_LABELS
BPF_F_TABLE("percpu_hash", struct resource_metric_key, struct resource_counts, resource_m_comms,
	    EBPFMON_COMM_ROWS(@COMM_LABELS@), BPF_F_NO_PREALLOC);
/* What the comms the table had no room for used: "other". */
BPF_PERCPU_ARRAY(resource_m_comm_other, struct resource_counts, 1);
#endif
#endif

static __always_inline void resource_counts_add(struct resource_counts *c,
						const struct resource_counts *d)
{
	c->oncpu_ns += d->oncpu_ns;
	c->read_bytes += d->read_bytes;
	c->write_bytes += d->write_bytes;
	c->voluntary += d->voluntary;
	c->involuntary += d->involuntary;
}

/*
 * The current task's row, made when missing unless EXISTING_ONLY or the task
 * is dying; NULL when there is none (the table is full: counted).
 */
#if EBPFMON_EVENTS
static __always_inline struct resource_task *resource_row(int existing_only)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, zero_key = 0;
	struct resource_task *t = resource_tasks.lookup(&tid), zero = {};
	u64 *n;

	if (t || existing_only || resource_dying.lookup(&tid))
		return t;
	zero.pid = id >> 32;
	bpf_get_current_comm(zero.comm, sizeof(zero.comm));
	resource_tasks.insert(&tid, &zero);
	t = resource_tasks.lookup(&tid);
	if (!t) {
		n = resource_full.lookup(&zero_key);
		if (n)
			(*n)++;
	}
	return t;
}
#endif

/*
 * Add d to the current task's figures (it passed the filters): its row, or
 * the overflow when the table is full; and its metrics.
 */
static __always_inline void resource_add(const struct resource_counts *d, int existing_only)
{
	struct resource_counts *c = NULL;
	u32 zero_key = 0;

#if EBPFMON_EVENTS
	struct resource_task *t = resource_row(existing_only);

	if (t) {
		c = &t->c;
		bpf_get_current_comm(t->comm, sizeof(t->comm));
	} else if (!existing_only) {
		c = resource_over.lookup(&zero_key);
	}
	if (c)
		resource_counts_add(c, d);
#endif
#if EBPFMON_METRICS
	c = resource_m_total.lookup(&zero_key);
	if (c)
		resource_counts_add(c, d);
#if RESOURCE_COMM_LABELS
	{
		struct resource_metric_key key = {};
		struct resource_counts zero = {};

		bpf_get_current_comm(key.comm, sizeof(key.comm));
		c = resource_m_comms.lookup_or_try_init(&key, &zero);
		if (!c)
			c = resource_m_comm_other.lookup(&zero_key);
		if (c)
			resource_counts_add(c, d);
	}
#endif
#endif
}

static __always_inline void resource_sys_add(const struct resource_counts *d)
{
	u32 zero_key = 0;
	struct resource_counts *c = resource_sys.lookup(&zero_key);

	if (c)
		resource_counts_add(c, d);
}

/* The current process's resident set entry, made when missing. */
static __always_inline struct resource_rss *resource_rss_get(u32 tgid)
{
	struct resource_rss *r = resource_rss.lookup(&tgid), zero = {};

	if (r)
		return r;
	resource_rss.insert(&tgid, &zero);
	return resource_rss.lookup(&tgid);
}

#if RESOURCE_RSS_BTF
/*
 * The current mm's counters, at most every RESOURCE_RSS_READ_NS: what
 * rss_stat did not tell yet (a process that faulted nothing since the start),
 * or changed by another task (reclaim), whose rss_stat is not current's.
 * The counters' shared part, as rss_stat and /proc read them.
 */
static __always_inline void resource_rss_read(u64 now)
{
	char *task = (char *)bpf_get_current_task(), *mm = NULL;
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct resource_rss *r;
	s64 count;

	bpf_probe_read_kernel(&mm, sizeof(mm), task + RESOURCE_OFF_TASK_MM);
	if (!mm)
		return;
	r = resource_rss_get(tgid);
	if (!r || (r->have == RESOURCE_RSS_ALL && now - r->read_ns < RESOURCE_RSS_READ_NS))
		return;
	r->read_ns = now;
#pragma unroll
	for (int m = 0; m < RESOURCE_RSS_MEMBERS; m++) {
		if (bpf_probe_read_kernel(&count, sizeof(count), mm + RESOURCE_OFF_MM_RSS +
					  m * RESOURCE_RSS_STRIDE + RESOURCE_OFF_COUNT))
			continue;
		r->bytes[m] = (count > 0 ? count : 0) << RESOURCE_PAGE_SHIFT;
		r->have |= 1 << m;
	}
	bpf_get_current_comm(r->comm, sizeof(r->comm));
}
#endif

/*
 * The CPU time of the task switched out (current) since its last switch-out:
 * the growth of its sum_exec_runtime (up to date here: the scheduler put it
 * before the tracepoint), or SPAN the first time it is seen.
 */
static __always_inline u64 resource_exec_ns(u32 prev, u64 span)
{
#if RESOURCE_EXEC_BTF
	char *task = (char *)bpf_get_current_task();
	u64 runtime = 0, *last;

	if (bpf_probe_read_kernel(&runtime, sizeof(runtime),
				  task + RESOURCE_OFF_TASK_SE + RESOURCE_OFF_SE_RUNTIME))
		return span;
	last = resource_exec.lookup(&prev);
	if (!last) {
		resource_exec.update(&prev, &runtime);
		return span;
	}
	span = runtime > *last ? runtime - *last : 0;
	*last = runtime;
#endif
	return span;
}

/*
 * A switch on this CPU: the span of the task switched out (current) ends,
 * the span of NEXT (its tid, and whether its comm passes the comm filter)
 * starts. VOLUNTARY: it blocked; DEAD: its last switch.
 */
static __always_inline void resource_switch(u32 prev, u32 next, int comm_match, int voluntary,
					    int dead)
{
	u64 now = bpf_ktime_get_ns(), span = 0;
	u32 zero_key = 0;
	struct resource_running *run = resource_running.lookup(&zero_key);
	struct resource_counts d = {};
	int match;

	if (!run)
		return;
	/* The span of the task switched out: on this CPU since its switch-in. */
	if (run->tid == prev && run->since && now > run->since)
		span = now - run->since;
	/* The next task's span starts: since_check first, since last (see resource.h). */
	run->since_check = now;
	asm volatile("" ::: "memory");
	/* ebpfmon-bcc's own next task is told by its tid at the host. */
	run->tid = next;
	run->comm_match = comm_match;
	asm volatile("" ::: "memory");
	run->since = now;
	if (!prev || (bpf_get_current_pid_tgid() >> 32) == EBPFMON_SELF_PID || ebpfmon_retired())
		return;
	if (voluntary)
		d.voluntary = 1;
	else
		d.involuntary = 1;
	/*
	 * The counted tasks' time is exact; the others' (the system's figure
	 * only) the span, which saves a table per task of the machine.
	 */
	match = ebpfmon_task_match();
	d.oncpu_ns = match ? resource_exec_ns(prev, span) : span;
	resource_sys_add(&d);
	if (!match)
		return;
	/* A dead task's last switch-out: only into a row that is still there. */
	resource_add(&d, dead);
#if RESOURCE_RSS_BTF
	if (!dead)
		resource_rss_read(now);
#endif
}

/* Whether a comm passes the comm filter. */
static __always_inline int resource_comm_match(const char *comm)
{
#if EBPFMON_FILTER_COMM
	struct ebpfmon_comm_key key = {};

	bpf_probe_read_kernel(key.comm, sizeof(key.comm), comm);
	return ebpfmon_filter_comm.lookup(&key) != NULL;
#else
	return 1;
#endif
}

/* Whether the current task's comm passes the comm filter (no copy when there is none). */
static __always_inline int resource_current_comm_match(void)
{
#if EBPFMON_FILTER_COMM
	struct ebpfmon_comm_key key = {};

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	return ebpfmon_filter_comm.lookup(&key) != NULL;
#else
	return 1;
#endif
}

/*
 * Raw tracepoints, and programs named for this monitor (all monitors share
 * one compile): the kernel skips a tracepoint's program while another BPF
 * program runs on the CPU (a syscall exit's, preempted), which would lose a
 * whole span; a raw tracepoint's only while the same program runs.
 * sched_switch: TP_PROTO(bool preempt, struct task_struct *prev, struct
 * task_struct *next, unsigned int prev_state), prev_state being
 * prev->__state (5.18+).
 */
int resource_sched_switch(struct bpf_raw_tracepoint_args *ctx)
{
	/*
	 * Runs when inert too: per-CPU switch-in bookkeeping, so an activation
	 * does not start from a stale switch-in; resource_switch records nothing
	 * when inert.
	 */
	char *next = (char *)ctx->args[2];
	u32 preempt = ctx->args[0], state = ctx->args[3], next_pid = 0;

	bpf_probe_read_kernel(&next_pid, sizeof(next_pid), next + RESOURCE_OFF_TASK_PID);
	resource_switch((u32)bpf_get_current_pid_tgid(), next_pid,
			resource_comm_match(next + RESOURCE_OFF_TASK_COMM),
			!preempt && state, (state & RESOURCE_TASK_DEAD) != 0);
	return 0;
}

/*
 * The task on this CPU now is current: when the last sched_switch put another
 * there, the CPU's running span starts again from current. This machine's
 * kernel takes some tasks off a CPU without sched_switch (measured: 4.3% of
 * 99 Hz samples found a CPU idle, 0.2% another task, after a switch-in of
 * its agent's threads): the span would be the gone task's, and the task that
 * really runs (a burner that never switches out) would show no CPU time
 * until it left. Called where the CPU goes idle (exact) and from a CPU-clock
 * sample (any other task, within a period); a counted task's switch-out
 * still adds its exact sum_exec_runtime growth. Runs when inert too, as the
 * switch's bookkeeping.
 */
static __always_inline void resource_running_repair(void)
{
	u32 zero_key = 0, tid = (u32)bpf_get_current_pid_tgid();
	struct resource_running *run = resource_running.lookup(&zero_key);
	u64 now;

	if (!run || run->tid == tid)
		return;
	now = bpf_ktime_get_ns();
	run->since_check = now;
	asm volatile("" ::: "memory");
	run->tid = tid;
	run->comm_match = resource_current_comm_match();
	asm volatile("" ::: "memory");
	run->since = now;
}

/* power:cpu_idle(unsigned int state, unsigned int cpu_id): current is the idle task. */
int resource_cpu_idle(struct bpf_raw_tracepoint_args *ctx)
{
	resource_running_repair();
	return 0;
}

/* The CPU-clock software event, every RESOURCE_REPAIR_NS (resource.h). */
int resource_repair(void *ctx)
{
	resource_running_repair();
	return 0;
}

/*
 * Every call's exit (raw_syscalls:sys_exit: sys_exit(struct pt_regs *regs,
 * long ret)); the number from the registers (x86_64, where pt_regs is user
 * ABI and orig_ax holds it for the whole call). sendfile and
 * copy_file_range read and write (they count in both, as /proc/PID/io's
 * rchar and wchar); splice and tee move pipe pages, which would count one
 * copy twice in a splice pipeline: not counted.
 */
int resource_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct resource_counts d = {};
	long ret = (long)ctx->args[1], nr = -1;

	if (ret <= 0 || ebpfmon_is_self())
		return 0;
	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (char *)ctx->args[0] + offsetof(struct pt_regs, orig_ax));
	if (nr == @NR_READ@ || nr == @NR_READV@ || nr == @NR_PREAD64@ || nr == @NR_PREADV@ ||
	    nr == @NR_PREADV2@)
		d.read_bytes = ret;
	else if (nr == @NR_WRITE@ || nr == @NR_WRITEV@ || nr == @NR_PWRITE64@ ||
		 nr == @NR_PWRITEV@ || nr == @NR_PWRITEV2@)
		d.write_bytes = ret;
	else if (nr == @NR_SENDFILE@ || nr == @NR_COPY_FILE_RANGE@)
		d.read_bytes = d.write_bytes = ret;
	else
		return 0;
	resource_sys_add(&d);
	if (ebpfmon_task_match())
		resource_add(&d, 0);
	return 0;
}

#if RESOURCE_RSS_BTF
/*
 * A change of an mm's counter: rss_stat(struct mm_struct *mm, int member).
 * Only the current task's mm is known to be a process's; the others (an mm
 * being copied, reaped or reclaimed) show at the owner's next switch-out.
 * The counter's value as the tracepoint's size would be.
 */
int resource_rss_stat(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	char *mm = (char *)ctx->args[0], *cur = NULL;
	char *task = (char *)bpf_get_current_task();
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u32 m = (u32)ctx->args[1];
	struct resource_rss *r;
	s64 count = 0;

	if (m >= RESOURCE_RSS_MEMBERS)
		return 0;
	bpf_probe_read_kernel(&cur, sizeof(cur), task + RESOURCE_OFF_TASK_MM);
	if (cur != mm || !ebpfmon_task_match())
		return 0;
	/* The mask kept (clang would drop it after the check): the verifier's bound. */
	asm volatile("" : "+r"(m));
	m &= RESOURCE_RSS_MEMBERS - 1;
	if (bpf_probe_read_kernel(&count, sizeof(count), mm + RESOURCE_OFF_MM_RSS +
				  m * RESOURCE_RSS_STRIDE + RESOURCE_OFF_COUNT))
		return 0;
	r = resource_rss_get(tgid);
	if (!r)
		return 0;
	r->bytes[m] = (count > 0 ? count : 0) << RESOURCE_PAGE_SHIFT;
	r->have |= 1 << m;
	if (!r->comm[0])
		bpf_get_current_comm(r->comm, sizeof(r->comm));
	return 0;
}
#endif

#if EBPFMON_EVENTS
/* The row is emitted once more with exited: true, and removed. */
static __always_inline void resource_exit(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct resource_task *t;
	u8 one = 1;

	if (ebpfmon_is_self())
		return;
	resource_dying.update(&tid, &one);
	t = resource_tasks.lookup(&tid);
	if (t)
		t->flags |= RESOURCE_F_EXITED;
}
#endif

/*
 * The task is gone: its tid may come back as another task's. A thread
 * group's entry goes with its leader (the tgid is the leader's tid; no other
 * task's tid is a live tgid).
 */
static __always_inline void resource_free(u32 tid)
{
#if EBPFMON_EVENTS
	resource_dying.delete(&tid);
#endif
	resource_rss.delete(&tid);
#if RESOURCE_EXEC_BTF
	resource_exec.delete(&tid);
#endif
}

#if EBPFMON_EVENTS
/* sched_process_exit(struct task_struct *p, bool group_dead): p is current. */
int resource_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	resource_exit();
	return 0;
}
#endif

/* sched_process_free(struct task_struct *p) */
int resource_process_free(struct bpf_raw_tracepoint_args *ctx)
{
	/* Runs when inert too (cleanup): a freed task's row goes, or its tid would inherit it. */
	u32 tid = 0;

	bpf_probe_read_kernel(&tid, sizeof(tid), (char *)ctx->args[0] + RESOURCE_OFF_TASK_PID);
	resource_free(tid);
	return 0;
}
