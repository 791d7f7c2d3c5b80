/* SPDX-License-Identifier: GPL-2.0 */
/* The lock monitor's event and tables, shared by probes/lock.bpf.c and src/monitors/lock.c. */
#ifndef EBPFMON_PROBE_LOCK_H
#define EBPFMON_PROBE_LOCK_H

#include "common.h"

/* What was locked: lock_event.kind, the summary key's and the metrics' kind. */
#define LOCK_KIND_MUTEX		0
#define LOCK_KIND_RWLOCK_READ	1
#define LOCK_KIND_RWLOCK_WRITE	2
#define LOCK_KIND_SPIN		3
#define LOCK_KINDS		4

/* lock_event.flags */
#define LOCK_F_ACQUIRED	0x1	/* the call took the lock: hold_ns is valid */
#define LOCK_F_TRY	0x2	/* a trylock call */
#define LOCK_F_CROSS	0x4	/* released by another thread (unlock_tid) than took it */
#define LOCK_F_COND	0x8	/* taken again by a pthread_cond_wait's return: wait_ns 0 */

/*
 * One acquisition: sent when the lock is released (or, failed, when the
 * lock call returned). hdr.tid is the thread that took it (and waited for
 * it), unlock_tid the one that released it; hdr.ts_ns the release.
 */
struct lock_event {
	struct ebpfmon_hdr hdr;
	__u64 addr;		/* the lock's address in the process */
	__u64 wait_ns;		/* lock call -> its return */
	__u64 hold_ns;		/* the lock call's return -> unlock call, when LOCK_F_ACQUIRED */
	__s32 ret;		/* the lock call's result: 0, or an errno (EBUSY, EDEADLK, ...) */
	__u32 kind;		/* LOCK_KIND_* */
	__u32 unlock_tid;	/* when LOCK_F_ACQUIRED */
	__u32 flags;		/* LOCK_F_* */
};

/* Summary mode: one row per (lock, thread, kind), a per-CPU hash cleared every interval. */
struct lock_key {
	__u64 addr;
	__u32 pid;		/* tgid */
	__u32 tid;		/* the thread that took it */
	__u32 kind;
	__u32 pad;
};

struct lock_stats {
	__u64 count;		/* acquisitions released */
	__u64 failed;		/* lock calls that did not take the lock */
	__u64 wait_total_ns;
	__u64 wait_max_ns;
	__u64 hold_total_ns;
	__u64 hold_max_ns;
	__u64 wait_hist[EBPFMON_HIST_SLOTS];	/* log2 slots of ns */
	__u64 hold_hist[EBPFMON_HIST_SLOTS];
	char comm[EBPFMON_COMM_LEN];
};

/* Metrics: per (comm, kind), comm zeroed unless metrics.comm_labels; cumulative. */
struct lock_m_key {
	char comm[EBPFMON_COMM_LEN];
	__u32 kind;
};

struct lock_m_value {
	__u64 acquisitions;
	struct ebpfmon_metric_hist wait;
	struct ebpfmon_metric_hist hold;
};

/*
 * lock_counts (per-CPU array): what the probe could not follow, cumulative.
 * LOCK_C_STALE: an acquisition found the lock still marked held by another
 * thread whose release was never seen (a pthread_cond_wait's internal
 * release, or a lock taken before the probes were attached): the old mark
 * is dropped, no event made of it.
 */
#define LOCK_C_STALE	0
#define LOCK_C_SLOTS	1

#endif
