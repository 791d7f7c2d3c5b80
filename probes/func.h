/* SPDX-License-Identifier: GPL-2.0 */
/* The func monitor's event, shared by probes/func.bpf.c and src/monitors/func.c. */
#ifndef EBPFMON_PROBE_FUNC_H
#define EBPFMON_PROBE_FUNC_H

#include "common.h"

/* func_event.flags */
#define FUNC_F_DURATION 0x1	/* built at the function's return: duration_ns is set */

struct func_event {
	struct ebpfmon_hdr hdr;
	__u32 index;		/* the function's index: the host maps it to its name */
	__u32 flags;
	__u64 duration_ns;
};

/* mode: summary, one per function index and CPU. */
struct func_stats {
	__u64 count;
	__u64 total_ns;		/* latency: true */
	__u64 hist[EBPFMON_HIST_SLOTS];	/* latency: true; log2 of the duration in ns */
};

#endif
