/* SPDX-License-Identifier: GPL-2.0 */
/* The resource monitor's tables, shared by probes/resource.bpf.c and src/monitors/resource.c. */
#ifndef EBPFMON_PROBE_RESOURCE_H
#define EBPFMON_PROBE_RESOURCE_H

#include "common.h"

/* resource_task.flags */
/* resource_repair's cpu-clock period: 50 Hz per CPU. */
#define RESOURCE_REPAIR_NS	20000000ull

#define RESOURCE_F_EXITED	0x1	/* sched_process_exit seen: emitted once, then removed */

/*
 * What a task (or the system, or the tasks a full table had no row for)
 * used, cumulative since the row was made; the host takes the growth every
 * interval. Only u64 counters (resource_over is summed word by word).
 */
struct resource_counts {
	__u64 oncpu_ns;		/* switched-in to switched-out spans */
	__u64 read_bytes;	/* read-type calls' results > 0 */
	__u64 write_bytes;	/* write-type calls' results > 0 */
	__u64 voluntary;	/* switched out not runnable (blocked) */
	__u64 involuntary;	/* switched out runnable (preempted, yield) */
};

#define RESOURCE_COUNT_WORDS (sizeof(struct resource_counts) / sizeof(__u64))

/*
 * One row per thread (key: tid), in a hash that only the task itself
 * updates (its own switch-out, syscall exits and exit), so plain adds do.
 */
struct resource_task {
	struct resource_counts c;
	__u32 pid;		/* tgid */
	__u32 flags;
	char comm[EBPFMON_COMM_LEN];
};

/*
 * Per CPU: the task switched in last (tid 0: idle) and when. since is
 * written last and since_check first, so a reader that sees both equal
 * read a whole entry (x86 keeps stores in order; the host reads in
 * address order).
 */
struct resource_running {
	__u64 since;
	__u32 tid;		/* 0: idle */
	__u32 comm_match;	/* its comm passes the comm filter (a row's task may exec) */
	__u64 since_check;
};

/*
 * Resident set of a process (key: tgid): bytes per mm counter (MM_FILEPAGES,
 * MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES), from kmem:rss_stat and, where
 * BTF allows, the mm's counters read at a switch-out.
 */
#define RESOURCE_RSS_MEMBERS 4
#define RESOURCE_RSS_ALL 0xb	/* file, anon, shmem: what VmRSS sums */

struct resource_rss {
	__s64 bytes[RESOURCE_RSS_MEMBERS];
	__u64 read_ns;		/* the last read of the mm's counters */
	__u32 have;		/* members known, bit per member */
	__u32 pad;
	char comm[EBPFMON_COMM_LEN];
};

/* Metrics by comm (metrics.comm_labels), cumulative; the rss gauge comes from resource_rss. */
struct resource_metric_key {
	char comm[EBPFMON_COMM_LEN];
};

#endif
