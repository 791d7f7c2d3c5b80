/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syscall monitor's summary rows (src/monitors/syscall_summary.c): the
 * kernel's rows and its (other) rows, grouped (group_by) and cut to top.
 */
#ifndef EBPFMON_SYSCALL_SUMMARY_H
#define EBPFMON_SYSCALL_SUMMARY_H

#include <stdbool.h>

#include "probes/syscall.h"
#include "core/summary.h"

struct cfg_node;
struct monitor_inst;
struct probe_set;

/* What a row sums: "scope" in its record. */
enum syscall_scope {
	SYSCALL_SCOPE_PROCESS,		/* one process (and one syscall with pid_syscall) */
	SYSCALL_SCOPE_SYSTEM,		/* every process: one syscall */
};

/* One summary row: a key and its values summed over the CPUs. */
struct syscall_row {
	struct syscall_key key;
	struct syscall_stats st;
	enum syscall_scope scope;
	bool by_nr;			/* key.nr is the row's (not with group_by process) */
	bool other;			/* the rows past top, or the kernel table's overflow */
};

struct syscall_sum;

/*
 * Summary rows as syscount -L shows them: what the rows are keyed by, then
 * these (and TOTAL where it still fits 80 columns).
 */
#define SYSCALL_SUM_COLUMNS \
	{ "COUNT", "count", 8, COLUMN_RIGHT }, \
	{ "ERRORS", "errors", 6, COLUMN_RIGHT }, \
	{ "AVG(ns)", "avg_ns", 10, COLUMN_RIGHT }, \
	{ "MAX(ns)", "max_ns", 10, COLUMN_RIGHT }

/*
 * group_by (pid_syscall | syscall | process, default DEF) and top (default
 * 20). 0 or -errno (a config error is said at its key).
 */
int syscall_sum__configure(struct monitor_inst *inst, struct cfg_node *node, int def,
			   struct syscall_sum **sum);
/*
 * One interval's rows, each through emit; what did not fit syscall_stats
 * (max_entries rows) told as lost. 0 or -errno.
 */
int syscall_sum__collect(struct syscall_sum *sum, struct monitor_inst *inst,
			 struct probe_set *ps, summary_emit_fn emit, double interval,
			 long long max_entries);
void syscall_sum__free(struct syscall_sum *sum);

enum { SYSCALL_GROUP_PID_SYSCALL, SYSCALL_GROUP_SYSCALL, SYSCALL_GROUP_PROCESS };

#endif
