/* SPDX-License-Identifier: GPL-2.0 */
/* The schedule monitor's event and rows, shared by probes/schedule.bpf.c and src/monitors/schedule.c. */
#ifndef EBPFMON_PROBE_SCHEDULE_H
#define EBPFMON_PROBE_SCHEDULE_H

#include "common.h"

/* schedule_event.flags: what put the task on the run queue. */
#define SCHEDULE_F_PREEMPTED	0x1	/* switched out while runnable, not woken */

/*
 * Events mode: a run-queue wait longer than min_latency_us. hdr is the task
 * that waited (not current: ppid is not known), hdr.ts_ns when it got the CPU.
 */
struct schedule_event {
	struct ebpfmon_hdr hdr;
	__u64 latency_ns;
	__u32 prev_pid;			/* the task on that CPU before it (tid) */
	__u32 flags;
	char prev_comm[EBPFMON_COMM_LEN];
};

/* Summary mode: a row per thread and name, a per-CPU hash. */
struct schedule_key {
	__u32 pid;			/* tgid */
	__u32 tid;
	char comm[EBPFMON_COMM_LEN];
};

struct schedule_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;			/* max and min: 0 none yet (a wait of 0 ns */
	__u64 min_ns;			/* is counted as 1 in them) */
	__u64 hist[EBPFMON_HIST_SLOTS];	/* log2 slots of ns */
};

#endif
