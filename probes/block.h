/* SPDX-License-Identifier: GPL-2.0 */
/* The block monitor's event and rows, shared by probes/block.bpf.c and src/monitors/block.c. */
#ifndef EBPFMON_PROBE_BLOCK_H
#define EBPFMON_PROBE_BLOCK_H

#include "common.h"

/* A request's operation, from the tracepoints' rwbs string. */
#define BLOCK_OP_READ		0
#define BLOCK_OP_WRITE		1
#define BLOCK_OP_FLUSH		2
#define BLOCK_OP_DISCARD	3	/* discard and secure erase */
#define BLOCK_OP_OTHER		4	/* write zeroes, zone ops, driver-private ("N") */
#define BLOCK_NR_OPS		5

/* The rwbs string as the tracepoints print it (RWBS_LEN: 8 on 6.1, 10 since). */
#define BLOCK_RWBS_LEN 8

/* block_event.flags */
#define BLOCK_F_QUEUED		0x1	/* block_rq_insert was seen: queue_ns holds */
#define BLOCK_F_REQUEUED	0x2	/* the driver requeued it at least once */

/*
 * Events mode: one completed request. hdr is the task that queued it
 * (block_rq_insert) or, without an insert, issued it (block_rq_issue);
 * hdr.ts_ns is the completion's time.
 */
struct block_event {
	struct ebpfmon_hdr hdr;
	__u64 sector;
	__u64 queue_ns;		/* insert to issue, with BLOCK_F_QUEUED */
	__u64 service_ns;	/* issue to complete */
	__u32 dev;		/* the kernel's dev_t: major << 20 | minor */
	__u32 bytes;		/* the request's, at issue */
	__s32 error;		/* -errno, 0 */
	__u8 op;
	__u8 flags;
	__u16 pad;
	char rwbs[BLOCK_RWBS_LEN];
};

/* Summary rows and metrics: per device and operation. */
struct block_key {
	__u32 dev;
	__u32 op;
};

/* Summary mode: a row's per-CPU figures. */
struct block_stats {
	__u64 count;
	__u64 bytes;
	__u64 errors;
	__u64 total_ns;			/* the latency's sum (latency: service or total) */
	__u64 max_ns;
	__u64 queued;			/* requests with an insert seen: queue_hist's count */
	__u64 queue_total_ns;
	__u64 hist[EBPFMON_HIST_SLOTS];		/* log2 slots of the latency in ns */
	__u64 queue_hist[EBPFMON_HIST_SLOTS];	/* log2 slots of queue_ns */
};

/* Metrics: a device and operation's latency histogram and bytes. */
struct block_m_val {
	struct ebpfmon_metric_hist h;	/* first: metric_hist_add_cpus reads it at each stride */
	__u64 bytes;
};

/* Rows and metric rows: devices x operations; the rest are (other). */
#define BLOCK_ROWS 4096
/* The devices: filter's most entries. */
#define BLOCK_MAX_DEVICES 64

#endif
