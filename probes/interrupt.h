/* SPDX-License-Identifier: GPL-2.0 */
/* The interrupt monitor's event, shared by probes/interrupt.bpf.c and src/monitors/interrupt.c. */
#ifndef EBPFMON_PROBE_INTERRUPT_H
#define EBPFMON_PROBE_INTERRUPT_H

#include "common.h"

#define INTERRUPT_NAME_LEN 32
/* Summary mode: distinct interrupts (irq numbers, vectors) per interval. */
#define INTERRUPT_SUM_ROWS 1024
/* Softirq vectors with a start slot; the kernel has 10 (NR_SOFTIRQS). */
#define INTERRUPT_NR_VEC 16

/* interrupt_event.kind, interrupt_key.kind */
#define INTERRUPT_KIND_HARDIRQ	0
#define INTERRUPT_KIND_SOFTIRQ	1
#define INTERRUPT_KIND_MIGRATION 2

struct interrupt_event {
	struct ebpfmon_hdr hdr;	/* migration: pid, tid and comm are the moved task's */
	__u64 duration_ns;	/* hardirq, softirq: entry to exit */
	__u32 kind;
	__s32 num;		/* hardirq: irq; softirq: vec */
	__s32 ret;		/* hardirq: the handler's irqreturn_t (0: not handled) */
	__s32 orig_cpu;		/* migration */
	__s32 dest_cpu;		/* migration */
	__u32 pad;
	char name[INTERRUPT_NAME_LEN];	/* hardirq: the handler's name */
};

/* Summary mode: per-CPU sums per interrupt. */
struct interrupt_key {
	__u32 kind;		/* INTERRUPT_KIND_HARDIRQ or _SOFTIRQ */
	__s32 num;		/* irq or vec */
};

struct interrupt_sum {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 slots[EBPFMON_HIST_SLOTS];	/* log2 histogram of durations */
	char name[INTERRUPT_NAME_LEN];		/* hardirq: the first handler's name */
};

/* Metrics: hardirq handler names with a histogram of their own; the rest are "other". */
#define INTERRUPT_M_NAMES 512

/* Metrics: a hardirq handler's name, zero-padded (a hash key). */
struct interrupt_m_key {
	char name[INTERRUPT_NAME_LEN];
};

/* Summary mode: migrations counted per (orig_cpu, dest_cpu). */
struct interrupt_mig_key {
	__s32 orig_cpu;
	__s32 dest_cpu;
};

#endif
