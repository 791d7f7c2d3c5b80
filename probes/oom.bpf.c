// SPDX-License-Identifier: GPL-2.0
/*
 * oom: every OOM kill, at oom:mark_victim. It runs in the killer's context
 * (current is whoever's allocation failed), so the victim comes from the raw
 * tracepoint's task argument (mark_victim(task, uid), 6.4+), read through BTF:
 * its memory counters as the tracepoint itself reads them, its v2 cgroup and
 * its memory cgroup. 6.1's mark_victim(int pid) gives the victim's pid alone:
 * the rest is read only when the victim is the killer itself (a task at its
 * memory cgroup's limit, killed by its own allocation: the common case).
 */
#include "oom.h"

#define OOM_MON_ID @MON_ID@
#define OOM_TASK @TASK@			/* the raw tracepoint's first argument is the task */
#define OOM_MEMCG_SUBSYS @MEMCG_SUBSYS@	/* memory_cgrp_id; -1: none in BTF */
/*
 * mm->rss_stat: an array of percpu_counter (6.2+), or before that a struct
 * mm_rss_stat of atomic_long_t: each counter's size, and where its count is.
 */
#define OOM_RSS_COUNTER_SIZE @RSS_COUNTER_SIZE@
#define OOM_RSS_COUNT_OFF @RSS_COUNT_OFF@
#define OOM_OFF_TASK_PID @BTF_OFFSETOF(task_struct,pid)@
#define OOM_OFF_TASK_TGID @BTF_OFFSETOF(task_struct,tgid)@
#define OOM_OFF_TASK_COMM @BTF_OFFSETOF(task_struct,comm)@
#define OOM_OFF_TASK_MM @BTF_OFFSETOF(task_struct,mm)@
#define OOM_OFF_TASK_SIGNAL @BTF_OFFSETOF(task_struct,signal)@
#define OOM_OFF_TASK_CGROUPS @BTF_OFFSETOF(task_struct,cgroups)@
#define OOM_OFF_SIGNAL_OOM_SCORE_ADJ @BTF_OFFSETOF(signal_struct,oom_score_adj)@
#define OOM_OFF_MM_TOTAL_VM @BTF_OFFSETOF(mm_struct,total_vm)@
#define OOM_OFF_MM_RSS_STAT @BTF_OFFSETOF(mm_struct,rss_stat)@
#define OOM_OFF_CSET_DFL_CGRP @BTF_OFFSETOF(css_set,dfl_cgrp)@
#define OOM_OFF_CSET_SUBSYS @BTF_OFFSETOF(css_set,subsys)@
#define OOM_OFF_CSS_CGROUP @BTF_OFFSETOF(cgroup_subsys_state,cgroup)@
#define OOM_OFF_CGROUP_KN @BTF_OFFSETOF(cgroup,kn)@
#define OOM_OFF_KN_ID @BTF_OFFSETOF(kernfs_node,id)@
/* The mm's counters (enum in include/linux/mm_types_task.h, unchanged since 2.6). */
#define OOM_MM_FILEPAGES 0
#define OOM_MM_ANONPAGES 1
#define OOM_MM_SHMEMPAGES 3
#define OOM_RSS (OOM_OFF_MM_RSS_STAT >= 0 && OOM_RSS_COUNT_OFF >= 0 && \
		 OOM_RSS_COUNTER_SIZE > 0)

#if EBPFMON_EVENTS
#include "output.h"
#endif

#if EBPFMON_METRICS
/* Kills by the victim's v2 cgroup id, cumulative; the ones with no room in oom_m_other. */
BPF_HASH(oom_m_kills, u64, u64, @MAX_CGROUPS@);
BPF_PERCPU_ARRAY(oom_m_other, u64, 1);
#endif

#define oom_read(dst, base, off) bpf_probe_read_kernel(&(dst), sizeof(dst), (char *)(base) + (off))

/* A cgroup's kernfs id (its directory's inode number); 0 when unreadable. */
static __always_inline u64 oom_cgroup_id(const void *cgrp)
{
	void *kn = NULL;
	u64 id = 0;

	if (!cgrp || OOM_OFF_CGROUP_KN < 0 || OOM_OFF_KN_ID < 0)
		return 0;
	oom_read(kn, cgrp, OOM_OFF_CGROUP_KN);
	if (kn)
		oom_read(id, kn, OOM_OFF_KN_ID);
	return id;
}

#if OOM_RSS
static __always_inline u64 oom_mm_counter(const void *mm, int member)
{
	s64 n = 0;

	oom_read(n, mm, OOM_OFF_MM_RSS_STAT + member * OOM_RSS_COUNTER_SIZE + OOM_RSS_COUNT_OFF);
	return n > 0 ? n : 0;	/* as get_mm_counter() reads it */
}
#endif

static __always_inline void oom_victim(struct oom_event *e, const void *task)
{
	void *mm = NULL, *signal = NULL, *cset = NULL, *cgrp = NULL, *css = NULL;
	short adj = 0;

	e->flags = OOM_F_TASK;
	oom_read(e->victim_tid, task, OOM_OFF_TASK_PID);
	oom_read(e->victim_pid, task, OOM_OFF_TASK_TGID);
	bpf_probe_read_kernel_str(e->victim_comm, sizeof(e->victim_comm),
				  (char *)task + OOM_OFF_TASK_COMM);
	oom_read(signal, task, OOM_OFF_TASK_SIGNAL);
	if (signal)
		oom_read(adj, signal, OOM_OFF_SIGNAL_OOM_SCORE_ADJ);
	e->oom_score_adj = adj;
	oom_read(mm, task, OOM_OFF_TASK_MM);
	if (mm) {
		oom_read(e->total_vm, mm, OOM_OFF_MM_TOTAL_VM);
#if OOM_RSS
		e->anon_rss = oom_mm_counter(mm, OOM_MM_ANONPAGES);
		e->file_rss = oom_mm_counter(mm, OOM_MM_FILEPAGES);
		e->shmem_rss = oom_mm_counter(mm, OOM_MM_SHMEMPAGES);
#endif
	}
	if (OOM_OFF_TASK_CGROUPS < 0)
		return;
	oom_read(cset, task, OOM_OFF_TASK_CGROUPS);
	if (!cset)
		return;
	oom_read(cgrp, cset, OOM_OFF_CSET_DFL_CGRP);
	e->cgroup_id = oom_cgroup_id(cgrp);
#if OOM_MEMCG_SUBSYS >= 0
	oom_read(css, cset, OOM_OFF_CSET_SUBSYS + OOM_MEMCG_SUBSYS * sizeof(void *));
	cgrp = NULL;
	if (css)
		oom_read(cgrp, css, OOM_OFF_CSS_CGROUP);
	e->memcg_id = oom_cgroup_id(cgrp);
	if (e->memcg_id)
		e->flags |= OOM_F_MEMCG;
#endif
}

RAW_TRACEPOINT_PROBE(mark_victim)
{
	struct oom_event e = {};
	u64 arg0 = ctx->args[0];

	EBPFMON_ACTIVE_OR_RETURN(0);
	/* The killer's identity in the header; the filters apply to it. */
	if (ebpfmon_hdr_fill(&e.hdr, OOM_MON_ID))
		return 0;
#if OOM_TASK
	oom_victim(&e, (const void *)arg0);
	e.victim_uid = (u32)ctx->args[1];
#else
	if ((u32)arg0 == e.hdr.tid) {
		oom_victim(&e, (const void *)bpf_get_current_task());
		e.victim_uid = e.hdr.uid;
	} else {
		e.victim_pid = (u32)arg0;	/* a thread id: the process's is not known */
		e.victim_tid = (u32)arg0;
	}
#endif
#if EBPFMON_METRICS
	{
		u64 one = 1, *n = oom_m_kills.lookup(&e.cgroup_id);
		u32 zero = 0;

		if (n)
			__sync_fetch_and_add(n, 1);
		else if (oom_m_kills.update(&e.cgroup_id, &one) && (n = oom_m_other.lookup(&zero)))
			(*n)++;
	}
#endif
#if EBPFMON_EVENTS
	oom_events_submit(ctx, &e, sizeof(e));
#endif
	return 0;
}
