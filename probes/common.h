/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by every probe and by the host: the header each event starts with.
 * The host includes it after <linux/types.h>; the probe gets it through the
 * prologue, which defines EBPFMON_BPF.
 */
#ifndef EBPFMON_PROBE_COMMON_H
#define EBPFMON_PROBE_COMMON_H

#define EBPFMON_COMM_LEN 16
/* Monitor ids are registry places: the registry checks it has no more (registry.c). */
#define EBPFMON_MAX_MONITORS 32
/*
 * log2 histograms: slot k counts values in [2^(k-1), 2^k - 1]; slot 0 counts 0.
 * A power of two, so a mask bounds the index (see ebpfmon_hist_slot).
 */
#define EBPFMON_HIST_SLOTS 64
/*
 * metrics.comm_labels N: room for the counts by comm, several per labeled
 * name since the names beyond the first N still need a row to be summed as
 * "other" (a full table's misses go to an overflow counter, "other" too).
 */
#define EBPFMON_COMM_ROWS(n) ((n) * 4 > 1024 ? (n) * 4 : 1024)
/*
 * metrics.cgroup_labels G (and comm_labels C): rows for counts by cgroup,
 * comm and a monitor's number, as EBPFMON_COMM_ROWS; at most 65536.
 */
#define EBPFMON_LABEL_ROWS(c, g)						\
	(EBPFMON_COMM_ROWS(((c) + 1) * (g)) > 65536 ? 65536 : EBPFMON_COMM_ROWS(((c) + 1) * (g)))

/*
 * A count's labels with metrics.cgroup_labels: the cgroup v2 id, the comm
 * (zero without metrics.comm_labels) and the monitor's own number (0 when
 * it has none: a syscall's slot, ...).
 */
struct ebpfmon_label_key {
	__u64 cgroup_id;
	char comm[EBPFMON_COMM_LEN];
	__u32 nr;
	__u32 pad;
};

/*
 * A metric histogram (metrics.listen): log2 slots of durations in ns and
 * their sum, for the exposition's _sum. Per CPU, never cleared.
 */
struct ebpfmon_metric_hist {
	__u64 slots[EBPFMON_HIST_SLOTS];
	__u64 sum_ns;
};

/*
 * Metrics of results by errno: slot 0 counts successes, slot e (1 ..
 * EBPFMON_ERRNO_SLOTS - 2) errno e, the last slot every larger errno (the
 * highest errno name is EHWPOISON, 133; the kernel's own 512.. may leak).
 */
#define EBPFMON_ERRNO_SLOTS 256

/*
 * What a walk of probes/kpath.h (a path from the kernel) could not do; the
 * host names them with kpath_flags_error() (bpf/kernel.h).
 */
#define KPATH_F_TRUNCATED	0x1	/* longer or deeper than the bounds: cut, "..." first */
#define KPATH_F_UNREACHABLE	0x2	/* not under the task's root (a pipe, another namespace) */
#define KPATH_F_UNAVAILABLE	0x4	/* no BTF, or a pointer that could not be read */

/* ebpfmon_hdr.flags */
#define EBPFMON_HDR_PPID_VALID 0x1

struct ebpfmon_hdr {
	__u64 ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;		/* real parent's tgid, when EBPFMON_HDR_PPID_VALID */
	__u32 uid;
	__u32 cpu;
	__u32 flags;
	char comm[EBPFMON_COMM_LEN];
	/*
	 * bpf_get_current_cgroup_id(): the task's cgroup v2 (unified) id, the
	 * inode number of its directory under the cgroup2 mount. Last, so the
	 * header stays 8-byte aligned (56 bytes) and nothing before it moves.
	 */
	__u64 cgroup_id;
};

/* filters.cgroup: at most this many cgroups (slots of ebpfmon_filter_cgroup). */
#define EBPFMON_CGROUP_FILTER_SLOTS 8

/*
 * A monitor's control entry (the ebpfmon_control array, by monitor id): what
 * it records at run time, on top of the run's filters. Zero: inert.
 */
struct ebpfmon_control {
	__u8 active;		/* 0: inert, its programs return at once */
	__u8 retired;		/* a reload replaced it: never active again */
	__u8 targeted;		/* any target below is set; 0: one test passes all */
	__u8 pad;
	__u32 pid;		/* thread or process id, as --pid; 0: any */
	__u32 tgid;		/* process id, as --tgid; 0: any */
	__s32 cpu;		/* -1: any */
	char comm[EBPFMON_COMM_LEN];	/* "": any; all 16 bytes compared */
};

#ifdef EBPFMON_BPF
/* Filters, filled by the host before any probe is attached. */
struct ebpfmon_comm_key {
	char comm[EBPFMON_COMM_LEN];
};
/* --pid: thread or process ids; --tgid: process (thread group) ids. */
BPF_HASH(ebpfmon_filter_pid, u32, u8, EBPFMON_FILTER_MAX);
BPF_HASH(ebpfmon_filter_tgid, u32, u8, EBPFMON_FILTER_MAX);
BPF_HASH(ebpfmon_filter_uid, u32, u8, EBPFMON_FILTER_MAX);
BPF_HASH(ebpfmon_filter_comm, struct ebpfmon_comm_key, u8, EBPFMON_FILTER_MAX);
#if EBPFMON_FILTER_CGROUP
/*
 * filters.cgroup: the cgroup2 directories (fds, set by the host), one slot
 * each; a task passes when it is in one of them or below.
 */
BPF_CGROUP_ARRAY(ebpfmon_filter_cgroup, EBPFMON_FILTER_CGROUP);
#endif
/* Events dropped by the filters, per monitor. */
BPF_PERCPU_ARRAY(ebpfmon_filtered, u64, EBPFMON_MAX_MONITORS);
/*
 * Events the perf or ring buffer had no room for, per monitor. Counted here
 * because the kernel's own PERF_RECORD_LOST only reaches the reader with the
 * next event that fits, which may never come, and a ring buffer has none.
 */
BPF_PERCPU_ARRAY(ebpfmon_lost, u64, EBPFMON_MAX_MONITORS);

static __always_inline void ebpfmon_count_filtered(u32 mon_id)
{
	u64 *n = ebpfmon_filtered.lookup(&mon_id);

	if (n)
		(*n)++;
}

static __always_inline void ebpfmon_count_lost(u32 mon_id)
{
	u64 *n = ebpfmon_lost.lookup(&mon_id);

	if (n)
		(*n)++;
}

/*
 * Each monitor's control entry (struct ebpfmon_control, by monitor id),
 * written by the host (src/core/activity.c) before its programs are attached
 * and whenever it is activated, retargeted, deactivated or retired. Every
 * program starts with EBPFMON_ACTIVE_OR_RETURN: one lookup of it.
 */
BPF_ARRAY(ebpfmon_control, struct ebpfmon_control, EBPFMON_MAX_MONITORS);

static __always_inline struct ebpfmon_control *ebpfmon_control_get(u32 mon_id)
{
	return ebpfmon_control.lookup(&mon_id);
}

/* Recording: active and not retired (a reload's old programs record nothing). */
static __always_inline int ebpfmon_control_on(const struct ebpfmon_control *c)
{
	return c && c->active && !c->retired;
}

/*
 * The first statement of every program: an inert or retired monitor returns
 * RET before doing anything else, on this one lookup.
 */
#define EBPFMON_ACTIVE_OR_RETURN(ret)						\
	do {									\
		if (!ebpfmon_control_on(ebpfmon_control_get(EBPFMON_MON_ID)))	\
			return ret;						\
	} while (0)

/*
 * The entry's targets on a task (thread group TGID, thread TID) on the
 * current CPU: --pid's thread or process id, --tgid's process id, the CPU.
 * Active with no target: one test. Comm: ebpfmon_control_comm.
 */
static __always_inline int ebpfmon_control_pass(const struct ebpfmon_control *c,
						u32 tgid, u32 tid)
{
	if (!ebpfmon_control_on(c))
		return 0;
	if (!c->targeted)
		return 1;
	if (c->pid && c->pid != tgid && c->pid != tid)
		return 0;
	if (c->tgid && c->tgid != tgid)
		return 0;
	if (c->cpu >= 0 && (u32)c->cpu != bpf_get_smp_processor_id())
		return 0;
	return 1;
}

/* The entry's comm target on COMM (16 bytes, zero-padded, as the comm filter). */
static __always_inline int ebpfmon_control_comm(const struct ebpfmon_control *c,
						const char *comm)
{
	if (!c || !c->targeted || !c->comm[0])
		return 1;
#pragma unroll
	for (int i = 0; i < EBPFMON_COMM_LEN; i++)
		if (c->comm[i] != comm[i])
			return 0;
	return 1;
}

/* Inert or retired: the monitor records nothing (its state may still be cleaned up). */
static __always_inline int ebpfmon_mon_retired(u32 mon_id)
{
	return !ebpfmon_control_on(ebpfmon_control_get(mon_id));
}

/*
 * ebpfmon-bcc itself: what it does to write events (write, poll, ...) must
 * not become events, or a syscall monitor would feed on its own output. Nor
 * does an inert or retired monitor record anything, nor one whose targets the
 * current task (pid, tgid, cpu) misses.
 */
static __always_inline int ebpfmon_is_self_or_retired(u32 mon_id)
{
	u64 id = bpf_get_current_pid_tgid();

	return (id >> 32) == EBPFMON_SELF_PID ||
	       !ebpfmon_control_pass(ebpfmon_control_get(mon_id), id >> 32, (u32)id);
}

/* The host defines EBPFMON_MON_ID before each monitor's part of the text. */
#define ebpfmon_retired() ebpfmon_mon_retired(EBPFMON_MON_ID)
#define ebpfmon_is_self() ebpfmon_is_self_or_retired(EBPFMON_MON_ID)

/*
 * The pid, tgid and uid filters on a task: --pid lists thread ids and process
 * ids (a process id selects every thread of it, as bcc's -p; a thread id that
 * thread alone), --tgid process ids only. All given must pass.
 */
static __always_inline int ebpfmon_ids_pass(u32 tgid, u32 tid, u32 uid)
{
#if EBPFMON_FILTER_PID
	if (!ebpfmon_filter_pid.lookup(&tgid) &&
	    (tid == tgid || !ebpfmon_filter_pid.lookup(&tid)))
		return 0;
#endif
#if EBPFMON_FILTER_TGID
	if (!ebpfmon_filter_tgid.lookup(&tgid))
		return 0;
#endif
#if EBPFMON_FILTER_UID
	if (!ebpfmon_filter_uid.lookup(&uid))
		return 0;
#endif
	return 1;
}

/*
 * filters.cgroup on the current task: in one of the cgroups or a descendant
 * (bpf_current_task_under_cgroup, the v2 hierarchy). Only the current task:
 * no helper tests another task's, so ebpfmon_task_ids_match does not apply it.
 */
static __always_inline int ebpfmon_cgroup_pass(void)
{
#if EBPFMON_FILTER_CGROUP
#pragma unroll
	for (int i = 0; i < EBPFMON_FILTER_CGROUP; i++)
		if (ebpfmon_filter_cgroup.check_current_task(i) == 1)
			return 1;
	return 0;
#else
	return 1;
#endif
}

/* The pid, tgid, uid and cgroup filters on the current task. */
static __always_inline int ebpfmon_pid_uid_match(void)
{
#if EBPFMON_FILTER_PID || EBPFMON_FILTER_TGID || EBPFMON_FILTER_UID
	u64 id = bpf_get_current_pid_tgid();

	if (!ebpfmon_ids_pass(id >> 32, (u32)id, (u32)bpf_get_current_uid_gid()))
		return 0;
#endif
	return ebpfmon_cgroup_pass();
}

/*
 * The comm filter and the monitor's comm target on the current task (all 16
 * bytes are compared). A macro for the EBPFMON_MON_ID where it is used.
 */
static __always_inline int ebpfmon_comm_match_mon(u32 mon_id)
{
	struct ebpfmon_control *c = ebpfmon_control_get(mon_id);
	struct ebpfmon_comm_key key = {};

	if (!EBPFMON_FILTER_COMM && (!c || !c->targeted || !c->comm[0]))
		return 1;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
#if EBPFMON_FILTER_COMM
	if (!ebpfmon_filter_comm.lookup(&key))
		return 0;
#endif
	return ebpfmon_control_comm(c, key.comm);
}

#define ebpfmon_comm_match() ebpfmon_comm_match_mon(EBPFMON_MON_ID)

/*
 * The filters and the monitor's targets on a task that may not be current
 * (the next task of a sched_switch, the woken task of a sched_wakeup): its
 * thread group id, thread id, uid and comm (16 bytes, zero-padded; NULL: not
 * compared). Never ebpfmon-bcc itself, nor in an inert or retired monitor.
 * Counts nothing. A macro for the EBPFMON_MON_ID where it is used.
 */
static __always_inline int ebpfmon_task_ids_match_mon(u32 mon_id, u32 tgid, u32 tid, u32 uid,
						      const char *comm)
{
	struct ebpfmon_control *c = ebpfmon_control_get(mon_id);

	if (tgid == EBPFMON_SELF_PID || !ebpfmon_control_pass(c, tgid, tid) ||
	    !ebpfmon_ids_pass(tgid, tid, uid))
		return 0;
	if (comm && !ebpfmon_control_comm(c, comm))
		return 0;
#if EBPFMON_FILTER_COMM
	if (comm && !ebpfmon_filter_comm.lookup((struct ebpfmon_comm_key *)comm))
		return 0;
#endif
	return 1;
}

#define ebpfmon_task_ids_match(tgid, tid, uid, comm)				\
	ebpfmon_task_ids_match_mon(EBPFMON_MON_ID, tgid, tid, uid, comm)

/*
 * The pid, tgid and uid filters and targets, and never ebpfmon-bcc itself;
 * they do not change across an exec (comm does; only a thread's exec takes
 * the process id), so a probe may check them early, before it keeps any
 * state. A macro for the EBPFMON_MON_ID where it is used.
 */
#define ebpfmon_ids_match() (!ebpfmon_is_self() && ebpfmon_pid_uid_match())

/*
 * Every filter and target, counting nothing: whether a metric counts the
 * current task (never in an inert monitor, nor one a reload retired). A
 * macro, as ebpfmon_ids_match.
 */
#define ebpfmon_task_match() (ebpfmon_ids_match() && ebpfmon_comm_match())

/* The current task's real parent (a task_struct); NULL without trusted offsets. */
static __always_inline char *ebpfmon_current_parent(void)
{
	char *parent = NULL;
#if EBPFMON_OFFSETS_TRUSTED
	char *task = (char *)bpf_get_current_task();

	bpf_probe_read_kernel(&parent, sizeof(parent),
			      task + EBPFMON_OFF_TASK_REAL_PARENT);
#endif
	return parent;
}

static __always_inline u32 ebpfmon_current_ppid(void)
{
	char *parent = ebpfmon_current_parent();
	u32 ppid = 0;

	if (parent)
		bpf_probe_read_kernel(&ppid, sizeof(ppid), parent + EBPFMON_OFF_TASK_TGID);
	return ppid;
}

/*
 * The histogram slot of v (the last slot takes everything larger). The mask
 * after the clamp is what older verifiers (6.1) need to bound the index; the
 * asm keeps clang from folding it away.
 */
static __always_inline u32 ebpfmon_hist_slot(u64 v)
{
	u32 slot = bpf_log2l(v);

	if (slot > EBPFMON_HIST_SLOTS - 1)
		slot = EBPFMON_HIST_SLOTS - 1;
	asm volatile("" : "+r"(slot));
	return slot & (EBPFMON_HIST_SLOTS - 1);
}

/* One duration into a metric histogram. */
static __always_inline void ebpfmon_metric_hist_add(struct ebpfmon_metric_hist *h, u64 ns)
{
	h->slots[ebpfmon_hist_slot(ns)]++;
	h->sum_ns += ns;
}

/* The errno slot of a syscall's result (see EBPFMON_ERRNO_SLOTS). */
static __always_inline u32 ebpfmon_errno_slot(s64 ret)
{
	u64 err = ret < 0 ? -ret : 0;

	if (err > EBPFMON_ERRNO_SLOTS - 1)
		err = EBPFMON_ERRNO_SLOTS - 1;
	return err;
}

/*
 * Fill the common header from the current task. Returns 0 when the event
 * passes the filters, -1 (counted as filtered) when it does not. IDS_KEPT:
 * the pid, tgid and uid filters were decided already, where the event began
 * (a syscall's sys_enter: the uid may change before it returns).
 */
static __always_inline int ebpfmon_hdr_fill_ids(struct ebpfmon_hdr *h, u32 mon_id, int ids_kept)
{
	u64 id = bpf_get_current_pid_tgid();
	struct ebpfmon_control *c = ebpfmon_control_get(mon_id);

	/* Not counted as filtered: ebpfmon-bcc itself, inert, or off target. */
	if ((id >> 32) == EBPFMON_SELF_PID || !ebpfmon_control_pass(c, id >> 32, (u32)id))
		return -1;
	if (!ids_kept && !ebpfmon_pid_uid_match()) {
		ebpfmon_count_filtered(mon_id);
		return -1;
	}
	/*
	 * Some kernels (6.1) copy comm without zeroing the rest of the buffer,
	 * and the filter compares all 16 bytes.
	 */
	__builtin_memset(h->comm, 0, sizeof(h->comm));
	bpf_get_current_comm(h->comm, sizeof(h->comm));
#if EBPFMON_FILTER_COMM
	if (!ebpfmon_filter_comm.lookup((struct ebpfmon_comm_key *)h->comm)) {
		ebpfmon_count_filtered(mon_id);
		return -1;
	}
#endif
	if (!ebpfmon_control_comm(c, h->comm))
		return -1;
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (u32)id;
	h->uid = (u32)bpf_get_current_uid_gid();
	h->cpu = bpf_get_smp_processor_id();
	h->ppid = ebpfmon_current_ppid();
	h->flags = EBPFMON_OFFSETS_TRUSTED ? EBPFMON_HDR_PPID_VALID : 0;
	h->cgroup_id = bpf_get_current_cgroup_id();
	return 0;
}

#define ebpfmon_hdr_fill(h, mon_id) ebpfmon_hdr_fill_ids(h, mon_id, 0)

/*
 * The labels of a count for the current task (metrics.cgroup_labels): its
 * cgroup, its comm when WITH_COMM, and NR. The probe counts it in its table
 * itself: bcc allows no map call inside a macro.
 */
static __always_inline void ebpfmon_label_key_fill(struct ebpfmon_label_key *k, int with_comm,
						   u32 nr)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->cgroup_id = bpf_get_current_cgroup_id();
	if (with_comm)
		bpf_get_current_comm(k->comm, sizeof(k->comm));
	k->nr = nr;
}
#endif /* EBPFMON_BPF */

#endif
