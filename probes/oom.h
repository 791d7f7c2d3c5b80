/* SPDX-License-Identifier: GPL-2.0 */
/* The oom monitor's event, shared by probes/oom.bpf.c and src/monitors/oom.c. */
#ifndef EBPFMON_PROBE_OOM_H
#define EBPFMON_PROBE_OOM_H

#include "common.h"

/* oom_event.flags */
#define OOM_F_TASK	0x1	/* the victim's task was read: all but pid are set */
#define OOM_F_MEMCG	0x2	/* memcg_id is the victim's memory cgroup (v1 hierarchy) */

/* The header is the task that ran the OOM killer; these, its victim. */
struct oom_event {
	struct ebpfmon_hdr hdr;
	__u32 victim_pid;	/* tgid; only this without OOM_F_TASK (6.1's mark_victim) */
	__u32 victim_tid;
	__u32 victim_uid;
	__s32 oom_score_adj;
	__u64 total_vm;		/* pages */
	__u64 anon_rss;		/* pages, the kernel's counters as the tracepoint reads them */
	__u64 file_rss;
	__u64 shmem_rss;
	__u64 cgroup_id;	/* the victim's cgroup v2 (kernfs id = inode under the mount) */
	__u64 memcg_id;		/* its memory cgroup's, in the v1 memory hierarchy */
	__u32 flags;
	__u32 pad;
	char victim_comm[EBPFMON_COMM_LEN];
};

#endif
