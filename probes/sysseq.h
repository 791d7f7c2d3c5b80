/* SPDX-License-Identifier: GPL-2.0 */
/* The sysseq monitor's maps, shared by probes/sysseq.bpf.c and src/monitors/sysseq.c. */
#ifndef EBPFMON_PROBE_SYSSEQ_H
#define EBPFMON_PROBE_SYSSEQ_H

#include "common.h"

/*
 * Syscall numbers kept apart: 0 .. SYSSEQ_NR_MAX - 1; a larger one (none on
 * x86_64) is SYSSEQ_NR_OTHER in the sequence and in the system figures.
 */
#define SYSSEQ_NR_MAX		1024
#define SYSSEQ_NR_OTHER		SYSSEQ_NR_MAX
#define SYSSEQ_SYS_SLOTS	(SYSSEQ_NR_MAX + 1)
/* seq_len's bound: the task value stays under 2.5 kB. */
#define SYSSEQ_SEQ_MAX		1024
#define SYSSEQ_SEEN_WORDS	(SYSSEQ_SYS_SLOTS / 64 + 1)

/*
 * One tracked task (a thread), keyed by tid: this, then the ring of seq_len
 * __u16 numbers (SYSSEQ_NR_OTHER for a larger one), whose size is the
 * probe's. Its header is the event sent at its exit (the value itself is
 * submitted, then deleted), so the final record has the sequence whatever
 * the host read before.
 */
struct sysseq_task_head {
	struct ebpfmon_hdr hdr;	/* ts_ns: exit time in the event */
	__u64 calls;		/* calls entered since tracked: ring[calls % seq_len] is next */
	/* Numbers this task has had a sysseq_lat entry for (the host's lookups at exit). */
	__u64 seen[SYSSEQ_SEEN_WORDS];
};

/* Latency of one task's calls of one number, since the host last read it. */
struct sysseq_lat_key {
	__u32 tid;
	__u32 nr;
};

struct sysseq_lat {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 min_ns;		/* valid when count > 0 */
};

/*
 * Metrics (metrics.listen): calls of tracked tasks by comm and number,
 * cumulative; nr SYSSEQ_M_NS holds the time spent in calls (ns).
 */
#define SYSSEQ_M_NS		(SYSSEQ_SYS_SLOTS)
struct sysseq_m_key {
	char comm[EBPFMON_COMM_LEN];
	__u32 nr;
};
/* What sysseq_m_comms had no room for: [0] calls, [1] ns. */
#define SYSSEQ_M_OTHER_SLOTS	2

#endif
