/* SPDX-License-Identifier: GPL-2.0 */
/* The page_fault monitor's event, shared by probes/page_fault.bpf.c and src/monitors/page_fault.c. */
#ifndef EBPFMON_PROBE_PAGE_FAULT_H
#define EBPFMON_PROBE_PAGE_FAULT_H

#include "common.h"

/* page_fault_event.flags */
#define PAGE_FAULT_F_KERNEL	0x1	/* taken in kernel mode (exceptions:page_fault_kernel) */
#define PAGE_FAULT_F_ACCOUNTED	0x2	/* the kernel accounted it as minor or major */
#define PAGE_FAULT_F_MAJOR	0x4	/* ... as major */

/* x86 page fault error code bits */
#define PAGE_FAULT_EC_PRESENT	0x1	/* protection violation, not a missing page */
#define PAGE_FAULT_EC_WRITE	0x2
#define PAGE_FAULT_EC_USER	0x4
#define PAGE_FAULT_EC_INSTR	0x10	/* instruction fetch */

struct page_fault_event {
	struct ebpfmon_hdr hdr;		/* ts_ns: when the fault was taken */
	__u64 address;
	__u64 ip;
	__u64 error_code;
	__u64 duration_ns;		/* fault taken -> accounted, when PAGE_FAULT_F_ACCOUNTED */
	__u32 flags;
	__u32 pad;
};

/* Metrics: accounted faults by space and type, one counter each. */
#define PAGE_FAULT_METRIC_SLOTS 4
#define PAGE_FAULT_METRIC_SLOT(kernel, major) ((kernel) << 1 | (major))

/*
 * Summary mode: counters per process and name (a process that execs gets a
 * row for each name), a per-CPU hash.
 */
struct page_fault_key {
	__u32 pid;
	char comm[EBPFMON_COMM_LEN];
};

struct page_fault_counts {
	__u64 minor;
	__u64 major;
	__u64 user;
	__u64 kernel;
	__u64 cgroup_id;	/* the process's cgroup at the row's first fault on a CPU */
};

#endif
