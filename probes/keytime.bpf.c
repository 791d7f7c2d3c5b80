// SPDX-License-Identifier: GPL-2.0
/*
 * keytime: the key moments of a task's life. Creation at task:task_newtask,
 * which runs in the parent once copy_process succeeded and carries the
 * kernel's own clone flags (whatever the syscall: fork, vfork, clone,
 * clone3, or none, for a kernel or io_uring thread); exec at
 * sched:sched_process_exec; exit at sched:sched_process_exit, in the exiting
 * task, with its exit code, start time and signal->live read through BTF
 * offsets; and, when asked, every switch on and off a CPU at sched:sched_switch.
 *
 * Program names are keytime_* (attached through the descriptor's prog):
 * other monitors take the same tracepoints in the one compiled text.
 */
#include "keytime.h"

#define KEYTIME_MON_ID @MON_ID@
#define KEYTIME_SUMMARY @SUMMARY@
/* oncpu_offcpu: 0 false, 1 true, 2 auto (on with a pid, tgid or comm filter). */
#define KEYTIME_ONCPU_OFFCPU @ONCPU_OFFCPU@
#define KEYTIME_SWITCH (KEYTIME_ONCPU_OFFCPU == 1 || (KEYTIME_ONCPU_OFFCPU == 2 && \
			(EBPFMON_FILTER_PID || EBPFMON_FILTER_COMM || EBPFMON_FILTER_TGID)))
#define KEYTIME_MAX_TASKS @MAX_TASKS@
#define KEYTIME_COMM_LABELS (EBPFMON_METRICS && @COMM_LABELS@)
/* -1 without BTF: the fields they give are then null. */
#define KEYTIME_OFF_EXIT_CODE @BTF_OFFSETOF(task_struct,exit_code)@
#define KEYTIME_OFF_START_TIME @BTF_OFFSETOF(task_struct,start_time)@
#define KEYTIME_OFF_SIGNAL @BTF_OFFSETOF(task_struct,signal)@
#define KEYTIME_OFF_LIVE @BTF_OFFSETOF(signal_struct,live)@
#define KEYTIME_OFF_PID @BTF_OFFSETOF(task_struct,pid)@
#define KEYTIME_OFF_BPRM_FILENAME @BTF_OFFSETOF(linux_binprm,filename)@
/* task_struct.se.sum_exec_runtime: -1 when BTF lacks either. */
#define KEYTIME_OFF_TASK_SE @BTF_OFFSETOF(task_struct,se)@
#define KEYTIME_OFF_SE_RUNTIME @BTF_OFFSETOF(sched_entity,sum_exec_runtime)@
#define KEYTIME_EXEC_BTF (KEYTIME_OFF_TASK_SE >= 0 && KEYTIME_OFF_SE_RUNTIME >= 0)

/* uapi <linux/sched.h>, spelled out: the probe includes no kernel header. */
#define KEYTIME_CLONE_VFORK	0x00004000
#define KEYTIME_CLONE_THREAD	0x00010000
/*
 * sched_switch's prev_state is __trace_sched_switch_state(): one bit of
 * TASK_REPORT (S 0x1, D 0x2, T 0x4, t 0x8, X 0x10, Z 0x20, P 0x40, I 0x80),
 * 0 for a runnable task, or TASK_REPORT_MAX (0x100 since 4.14, the
 * format's "+") when it was preempted.
 */
#define KEYTIME_TASK_REPORT_MAX	0x100

static __always_inline u32 keytime_reason(long state)
{
	if (!state || state & KEYTIME_TASK_REPORT_MAX)
		return KEYTIME_PREEMPTED;
	if (state & 0x1)
		return KEYTIME_SLEEP;
	if (state & 0x2)
		return KEYTIME_IO;
	if (state & 0xc)
		return KEYTIME_STOPPED;
	if (state & 0x30)
		return KEYTIME_DEAD;
	/* Parked and idle kernel threads: waiting, not in I/O. */
	return KEYTIME_SLEEP;
}

#if KEYTIME_SUMMARY && EBPFMON_EVENTS
BPF_TABLE("percpu_hash", struct keytime_key, struct keytime_counts, keytime_counts,
	  @MAX_ENTRIES@);
/* Moments the table had no row for: how many, and their counts (cumulative). */
BPF_PERCPU_ARRAY(keytime_full, u64, 1);
BPF_PERCPU_ARRAY(keytime_over, struct keytime_counts, 1);
#elif EBPFMON_EVENTS
#include "output.h"
#endif

#if EBPFMON_METRICS
#if KEYTIME_COMM_LABELS
/*
 * Preallocated: most rows are made in sched_switch, under the run queue's
 * lock, where a map that allocates on insert fails now and then (the
 * 200 ms sleep of t/e2e/keytime.t went to "other" that way).
 */
BPF_TABLE("percpu_hash", struct keytime_m_key, u64, keytime_m_comms,
	  EBPFMON_COMM_ROWS(4 * @COMM_LABELS@));
#endif
/* Without comm labels: the totals; with them: what keytime_m_comms had no room for. */
BPF_PERCPU_ARRAY(keytime_m_other, u64, KEYTIME_M_SLOTS);

static __always_inline void keytime_metric_add(const char *comm, u32 slot, u64 v)
{
	u64 *n = NULL;
#if KEYTIME_COMM_LABELS
	struct keytime_m_key key = { .nr = slot };
	u64 zero = 0;

	__builtin_memcpy(key.comm, comm, sizeof(key.comm));
	n = keytime_m_comms.lookup_or_try_init(&key, &zero);
#endif
	if (!n)
		n = keytime_m_other.lookup(&slot);
	if (n)
		*n += v;
}
#endif

/*
 * One moment of task (pid, tid, comm) into the summary row and the
 * metrics: its count, and for oncpu the off-CPU span it ended (OFF_NS, for
 * REASON), for offcpu the on-CPU span it ended (ON_NS).
 */
static __always_inline void keytime_account(u32 pid, u32 tid, const char *comm, u32 kind,
					    u32 reason, u64 on_ns, u64 off_ns)
{
#if KEYTIME_SUMMARY && EBPFMON_EVENTS
	struct keytime_key key = { .pid = pid, .tid = tid };
	struct keytime_counts *c, zero = {};

	__builtin_memcpy(key.comm, comm, sizeof(key.comm));
	c = keytime_counts.lookup(&key);
	if (!c) {
		/* Another CPU may insert it first: then look it up. */
		keytime_counts.insert(&key, &zero);
		c = keytime_counts.lookup(&key);
	}
	if (!c) {
		u32 zero_key = 0;
		u64 *n = keytime_full.lookup(&zero_key);

		if (n)
			(*n)++;
		c = keytime_over.lookup(&zero_key);
	}
	if (c && kind < KEYTIME_KINDS) {
		c->n[kind]++;
		c->oncpu_ns += on_ns;
		if (reason < KEYTIME_TIMED_REASONS)
			c->offcpu_ns[reason] += off_ns;
	}
#endif
#if EBPFMON_METRICS
	if (kind < KEYTIME_KINDS)
		keytime_metric_add(comm, kind, 1);
	if (on_ns)
		keytime_metric_add(comm, KEYTIME_M_ONCPU, on_ns);
	if (off_ns && reason < KEYTIME_TIMED_REASONS)
		keytime_metric_add(comm, KEYTIME_M_OFFCPU + reason, off_ns);
#endif
}

#if EBPFMON_EVENTS && !KEYTIME_SUMMARY
#define keytime_emit(ctx, ev, size) keytime_events_submit(ctx, ev, size)
#else
#define keytime_emit(ctx, ev, size) do { } while (0)
#endif

#if KEYTIME_SWITCH
/*
 * Tasks seen going off a CPU while the filters took them, by tid: when,
 * why, and since when they ran. The next task of a sched_switch is not
 * current: its ids for the filters come from here. An entry goes at the
 * task's last switch (dead); a full table is counted as lost.
 */
struct keytime_task {
	u64 off_ts;		/* 0: on a CPU, or new */
	u64 on_ts;		/* 0: not seen coming on */
	u64 exec_ns;		/* its sum_exec_runtime at its last switch-out; 0: unknown */
	u32 tgid;
	u32 uid;
	u32 reason;
	u32 pad;
};

BPF_HASH(keytime_tasks, u32, struct keytime_task, KEYTIME_MAX_TASKS);

static __always_inline void keytime_task_new(u32 tid, u32 tgid, u32 uid)
{
	struct keytime_task t = { .tgid = tgid, .uid = uid };

	if (keytime_tasks.insert(&tid, &t))
		ebpfmon_count_lost(KEYTIME_MON_ID);
}

/* The current task's sum_exec_runtime (the scheduler put it before sched_switch); 0 unknown. */
static __always_inline u64 keytime_exec_ns(void)
{
	u64 runtime = 0;
#if KEYTIME_EXEC_BTF
	char *task = (char *)bpf_get_current_task();

	bpf_probe_read_kernel(&runtime, sizeof(runtime),
			      task + KEYTIME_OFF_TASK_SE + KEYTIME_OFF_SE_RUNTIME);
#endif
	return runtime;
}

/* prev (current) leaves the CPU. */
static __always_inline void keytime_switch_out(void *ctx, u64 now, long state)
{
	struct keytime_event ev = {};
	struct keytime_task *st;
	u64 exec_ns;
	u32 tid;

	ev.reason = keytime_reason(state);
	if (ebpfmon_hdr_fill(&ev.hdr, KEYTIME_MON_ID)) {
		/*
		 * Its last switch, out of the filters now (it exec'd another
		 * name since it was followed, say): forget it all the same.
		 */
		if (ev.reason == KEYTIME_DEAD) {
			tid = (u32)bpf_get_current_pid_tgid();
			keytime_tasks.delete(&tid);
		}
		return;
	}
	tid = ev.hdr.tid;
	ev.hdr.ts_ns = now;
	ev.kind = KEYTIME_OFFCPU;
	st = keytime_tasks.lookup(&tid);
	exec_ns = keytime_exec_ns();
	if (st && st->on_ts) {
		ev.duration_ns = now - st->on_ts;
		ev.flags |= KEYTIME_F_DURATION;
	} else if (st && st->exec_ns && exec_ns > st->exec_ns) {
		/*
		 * It came on a CPU without a sched_switch (this project's test
		 * machine's kernel does it now and then): the CPU time it used
		 * since its last switch-out is the span's length.
		 */
		ev.duration_ns = exec_ns - st->exec_ns;
		ev.flags |= KEYTIME_F_DURATION;
	}
	if (ev.reason == KEYTIME_DEAD) {
		/* Its last switch: nothing comes back. */
		if (st)
			keytime_tasks.delete(&tid);
	} else if (st) {
		st->off_ts = now;
		st->on_ts = 0;
		st->exec_ns = exec_ns;
		st->reason = ev.reason;
	} else {
		struct keytime_task t = { .off_ts = now, .tgid = ev.hdr.pid, .uid = ev.hdr.uid,
					  .reason = ev.reason, .exec_ns = exec_ns };

		if (keytime_tasks.insert(&tid, &t))
			ebpfmon_count_lost(KEYTIME_MON_ID);
	}
	keytime_account(ev.hdr.pid, tid, ev.hdr.comm, KEYTIME_OFFCPU, ev.reason,
			ev.duration_ns, 0);
	keytime_emit(ctx, &ev, sizeof(ev));
}

/* next comes on the CPU (it is not current: its ids are the table's). */
static __always_inline void keytime_switch_in(void *ctx, u64 now, u32 tid, const char *comm)
{
	struct keytime_task *st = keytime_tasks.lookup(&tid);
	struct keytime_event ev = {};

	if (!st)
		return;
	if (ebpfmon_retired() || !ebpfmon_task_ids_match(st->tgid, tid, st->uid, comm)) {
		/* Renamed out of the filter, say: forget it. */
		keytime_tasks.delete(&tid);
		return;
	}
	st->on_ts = now;
	if (!st->off_ts)
		return;		/* its first run: it ends no off-CPU span seen */
	ev.duration_ns = now - st->off_ts;
	ev.reason = st->reason;
	st->off_ts = 0;
	ev.hdr.ts_ns = now;
	ev.hdr.pid = st->tgid;
	ev.hdr.tid = tid;
	ev.hdr.uid = st->uid;
	ev.hdr.cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(ev.hdr.comm, comm, sizeof(ev.hdr.comm));
	ev.kind = KEYTIME_ONCPU;
	ev.flags = KEYTIME_F_DURATION;
	keytime_account(ev.hdr.pid, tid, ev.hdr.comm, KEYTIME_ONCPU, ev.reason, 0,
			ev.duration_ns);
	keytime_emit(ctx, &ev, sizeof(ev));
}

int keytime_sched_switch(struct tracepoint__sched__sched_switch *args)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct ebpfmon_comm_key next = {};
	u64 now = bpf_ktime_get_ns();
	u32 next_tid = args->next_pid;

	__builtin_memcpy(next.comm, args->next_comm, sizeof(next.comm));
	if (args->prev_pid)
		keytime_switch_out(args, now, args->prev_state);
	if (next_tid)
		keytime_switch_in(args, now, next_tid, next.comm);
	return 0;
}
#endif /* KEYTIME_SWITCH */

/*
 * Runs in the parent, once the child exists. Raw (see keytime_tracepoints):
 * task_newtask(struct task_struct *task, unsigned long clone_flags).
 */
int keytime_task_newtask(struct bpf_raw_tracepoint_args *args)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct keytime_event ev = {};
	u64 flags = args->args[1];

	if (ebpfmon_hdr_fill(&ev.hdr, KEYTIME_MON_ID))
		return 0;
#if KEYTIME_OFF_PID >= 0
	bpf_probe_read_kernel(&ev.child_tid, sizeof(ev.child_tid),
			      (char *)args->args[0] + KEYTIME_OFF_PID);
#endif
	ev.child_pid = flags & KEYTIME_CLONE_THREAD ? ev.hdr.pid : ev.child_tid;
	ev.kind = flags & KEYTIME_CLONE_THREAD ? KEYTIME_THREAD :
		  flags & KEYTIME_CLONE_VFORK ? KEYTIME_VFORK : KEYTIME_FORK;
	ev.clone_flags = flags;
	ev.flags = KEYTIME_F_FLAGS;
#if KEYTIME_SWITCH
	/* The child inherits the ids the filters took: its first on-CPU span counts. */
	keytime_task_new(ev.child_tid, ev.child_pid, ev.hdr.uid);
#endif
	keytime_account(ev.hdr.pid, ev.hdr.tid, ev.hdr.comm, ev.kind, KEYTIME_REASONS, 0, 0);
	keytime_emit(args, &ev, sizeof(ev));
	return 0;
}

#if EBPFMON_EVENTS && !KEYTIME_SUMMARY
BPF_PERCPU_ARRAY(keytime_exec_scratch, struct keytime_exec_event, 1);
#endif

/*
 * Runs in the task after the exec: its comm is the new program's. Raw:
 * sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
 */
int keytime_sched_process_exec(struct bpf_raw_tracepoint_args *args)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if EBPFMON_EVENTS && !KEYTIME_SUMMARY
	u32 zero = 0;
	struct keytime_exec_event *x = keytime_exec_scratch.lookup(&zero);

	if (!x)
		return 0;
	__builtin_memset(&x->ev, 0, sizeof(x->ev));
	if (ebpfmon_hdr_fill(&x->ev.hdr, KEYTIME_MON_ID))
		return 0;
	x->ev.kind = KEYTIME_EXEC;
#if KEYTIME_OFF_BPRM_FILENAME >= 0
	{
		const char *filename = NULL;

		bpf_probe_read_kernel(&filename, sizeof(filename),
				      (char *)args->args[2] + KEYTIME_OFF_BPRM_FILENAME);
		if (filename)
			bpf_probe_read_kernel_str(x->filename, sizeof(x->filename), filename);
	}
#endif
	keytime_account(x->ev.hdr.pid, x->ev.hdr.tid, x->ev.hdr.comm, KEYTIME_EXEC,
			KEYTIME_REASONS, 0, 0);
	keytime_emit(args, x, sizeof(*x));
#else
	struct ebpfmon_hdr h;

	if (ebpfmon_hdr_fill(&h, KEYTIME_MON_ID))
		return 0;
	keytime_account(h.pid, h.tid, h.comm, KEYTIME_EXEC, KEYTIME_REASONS, 0, 0);
#endif
	return 0;
}

/* Runs in the exiting task, after do_exit set its exit_code and signal->live (raw). */
int keytime_sched_process_exit(struct bpf_raw_tracepoint_args *args)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct keytime_event ev = {};
	char *task = (char *)bpf_get_current_task();

	(void)task;	/* unused without BTF */
	if (ebpfmon_hdr_fill(&ev.hdr, KEYTIME_MON_ID))
		return 0;
	ev.kind = KEYTIME_EXIT;
#if KEYTIME_OFF_EXIT_CODE >= 0
	if (!bpf_probe_read_kernel(&ev.exit_code, sizeof(ev.exit_code),
				   task + KEYTIME_OFF_EXIT_CODE))
		ev.flags |= KEYTIME_F_EXIT_CODE;
#endif
#if KEYTIME_OFF_START_TIME >= 0
	{
		u64 start = 0;

		if (!bpf_probe_read_kernel(&start, sizeof(start), task + KEYTIME_OFF_START_TIME) &&
		    start && start <= ev.hdr.ts_ns) {
			ev.duration_ns = ev.hdr.ts_ns - start;
			ev.flags |= KEYTIME_F_DURATION;
		}
	}
#endif
#if KEYTIME_OFF_SIGNAL >= 0 && KEYTIME_OFF_LIVE >= 0
	{
		/* do_exit() took this thread off signal->live just before: 0, the group is gone. */
		char *sig = NULL;
		int live = -1;

		if (!bpf_probe_read_kernel(&sig, sizeof(sig), task + KEYTIME_OFF_SIGNAL) && sig &&
		    !bpf_probe_read_kernel(&live, sizeof(live), sig + KEYTIME_OFF_LIVE))
			ev.flags |= KEYTIME_F_GROUP | (live ? 0 : KEYTIME_F_GROUP_DEAD);
	}
#endif
	keytime_account(ev.hdr.pid, ev.hdr.tid, ev.hdr.comm, KEYTIME_EXIT, KEYTIME_REASONS, 0, 0);
	keytime_emit(args, &ev, sizeof(ev));
	return 0;
}
