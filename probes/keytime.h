/* SPDX-License-Identifier: GPL-2.0 */
/* The keytime monitor's event and rows, shared by probes/keytime.bpf.c and src/monitors/keytime.c. */
#ifndef EBPFMON_PROBE_KEYTIME_H
#define EBPFMON_PROBE_KEYTIME_H

#include "common.h"

/* keytime_event.kind: the moments, in the order the rows and metrics list them. */
#define KEYTIME_FORK	0
#define KEYTIME_VFORK	1
#define KEYTIME_THREAD	2
#define KEYTIME_EXEC	3
#define KEYTIME_EXIT	4
#define KEYTIME_ONCPU	5
#define KEYTIME_OFFCPU	6
#define KEYTIME_KINDS	7

/*
 * Why a task left the CPU (sched_switch's prev_state). The first four end
 * (the task comes back), so their off-CPU time is summed; a dead task never does.
 */
#define KEYTIME_PREEMPTED	0
#define KEYTIME_SLEEP		1
#define KEYTIME_IO		2
#define KEYTIME_STOPPED		3
#define KEYTIME_DEAD		4
#define KEYTIME_REASONS		5
#define KEYTIME_TIMED_REASONS	4

/* keytime_event.flags */
#define KEYTIME_F_DURATION	0x1	/* duration_ns is known */
#define KEYTIME_F_FLAGS		0x2	/* clone_flags is known */
#define KEYTIME_F_EXIT_CODE	0x4	/* exit_code is known (BTF) */
#define KEYTIME_F_GROUP		0x8	/* group_dead is known (BTF) */
#define KEYTIME_F_GROUP_DEAD	0x10	/* the last thread of its group: the process exited */

#define KEYTIME_FILENAME_LEN 256

struct keytime_event {
	struct ebpfmon_hdr hdr;
	/*
	 * oncpu: the off-CPU span it ends; offcpu: the on-CPU span it ends;
	 * exit: the task's lifetime (now - task->start_time).
	 */
	__u64 duration_ns;
	__u64 clone_flags;		/* fork, vfork, thread */
	__u32 kind;
	__u32 reason;			/* offcpu: why; oncpu: why the span it ends began */
	__u32 child_pid;		/* the new task's tgid */
	__u32 child_tid;
	__s32 exit_code;		/* task->exit_code as the kernel keeps it (wait status) */
	__u32 flags;
};

/* exec: the event and the file name the kernel ran (sched_process_exec's). */
struct keytime_exec_event {
	struct keytime_event ev;
	char filename[KEYTIME_FILENAME_LEN];
};

/* Summary mode: one row per thread and name (an exec starts a new row). */
struct keytime_key {
	__u32 pid;			/* tgid */
	__u32 tid;
	char comm[EBPFMON_COMM_LEN];
};

struct keytime_counts {
	__u64 n[KEYTIME_KINDS];
	__u64 oncpu_ns;
	__u64 offcpu_ns[KEYTIME_TIMED_REASONS];
};

/*
 * Metrics: slot 0..KEYTIME_KINDS-1 the moments; then on-CPU ns; then off-CPU
 * ns by timed reason. Per comm with metrics.comm_labels.
 */
#define KEYTIME_M_ONCPU		KEYTIME_KINDS
#define KEYTIME_M_OFFCPU	(KEYTIME_KINDS + 1)
#define KEYTIME_M_SLOTS		(KEYTIME_KINDS + 1 + KEYTIME_TIMED_REASONS)

struct keytime_m_key {
	char comm[EBPFMON_COMM_LEN];
	__u32 nr;
};

#endif
