/* SPDX-License-Identifier: GPL-2.0 */
/* The syscall monitor's records, shared by probes/syscall.bpf.c and src/monitors/syscall.c. */
#ifndef EBPFMON_PROBE_SYSCALL_H
#define EBPFMON_PROBE_SYSCALL_H

#include "common.h"

/* Syscall numbers the include/exclude lists can name: 0 .. SYSCALL_NR_MAX - 1. */
#define SYSCALL_NR_MAX 1024

/* mode: events -- one per call that passed the filters. */
struct syscall_event {
	struct ebpfmon_hdr hdr;
	__s64 ret;		/* the raw return value: >= 0, or -errno */
	__u64 duration_ns;	/* sys_enter to sys_exit */
	__s32 nr;		/* syscall number of this architecture */
	__u32 pad;
};

/* mode: summary -- per process and syscall. */
struct syscall_key {
	__u32 pid;		/* tgid */
	__s32 nr;
};

/* One per CPU (a per-CPU hash): no atomics; the host merges the CPUs. */
struct syscall_stats {
	__u64 count;
	__u64 errors;		/* calls that returned < 0 */
	__u64 total_ns;
	__u64 min_ns;		/* valid when count > 0 */
	__u64 max_ns;
	__u64 hist[EBPFMON_HIST_SLOTS];	/* log2 of duration_ns */
	/* The process name at its first call on this CPU in the interval. */
	char comm[EBPFMON_COMM_LEN];
	__u64 cgroup_id;	/* its cgroup then, as comm */
};

/*
 * mode: summary -- the calls syscall_stats had no row for, by number (the
 * last slot: numbers beyond SYSCALL_NR_MAX), cumulative: the host takes the
 * growth each interval, so no call is lost between a read and a clear.
 */
struct syscall_over {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 hist[EBPFMON_HIST_SLOTS];
};

#define SYSCALL_OVER_SLOTS (SYSCALL_NR_MAX + 1)

/*
 * Metrics (metrics.listen): cumulative since attach, never cleared. Per
 * number, the last slot taking numbers beyond SYSCALL_NR_MAX.
 */
#define SYSCALL_M_SLOTS (SYSCALL_NR_MAX + 1)
/* (syscall, errno) pairs counted apart; the rest count as error "other". */
#define SYSCALL_M_ERROR_PAIRS 2048
/* Latency histogram categories (src/monitors/syscall.c names them; 0 is "other"). */
#define SYSCALL_M_CATEGORIES 16

struct syscall_m_calls {
	__u64 calls;
	__u64 errors_other;	/* errors syscall_m_errors had no room for, or no errno */
};

/* metrics.comm_labels: calls by caller name and syscall_m_calls slot. */
struct syscall_m_comm_key {
	char comm[EBPFMON_COMM_LEN];
	__u32 nr;
};

struct syscall_m_error_key {
	__s32 nr;		/* SYSCALL_NR_MAX: beyond the table */
	__s32 error;		/* the errno, 1 .. 4095 */
};

#endif
