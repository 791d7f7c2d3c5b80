/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SUMMARY_H
#define EBPFMON_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "probes/common.h"	/* EBPFMON_HIST_SLOTS */

struct monitor_inst;
struct probe_set;

/*
 * Summary mode's collect, shared by the monitors that have one: every
 * interval, read and clear the probe's summary tables (per-CPU hashes), fold
 * their entries into rows of the monitor's own struct, sort them and emit a
 * "summary" record per row. The monitor writes the fold, the order and the
 * record; this keeps the rows, the reading, the sorting and the loop.
 */
struct summary_rows {
	void *v;		/* n rows of row_size bytes */
	size_t row_size;
	size_t n, cap;
	int err;		/* the first error of a fold (-ENOMEM, -EINVAL) */
	/* summary_collect's: the spec's over and full counters seen so far. */
	uint64_t *over_seen;
	uint64_t full_seen;
};

#define SUMMARY_ROWS_INIT(type) { .row_size = sizeof(type) }
#define SUMMARY_ROWS_MAP_BYTES (128 * 1024)

/*
 * Fold one entry of a table into rows (summary_rows__next, __keep): values
 * holds n_values values stride bytes apart, one per possible CPU of a
 * per-CPU table, else one.
 */
typedef void (*summary_fold_fn)(struct summary_rows *rows, const void *key,
				const void *values, int n_values, size_t stride);
/*
 * Build and emit the record of one row. A nonzero return stops the rows and
 * is summary_rows__emit's result.
 */
typedef int (*summary_emit_fn)(struct monitor_inst *inst, const void *row, double interval_s);

/*
 * The row after the last, zeroed; it counts once summary_rows__keep is
 * called (a row that folded to nothing is just not kept). NULL, with
 * rows->err set, when the rows cannot grow.
 */
void *summary_rows__next(struct summary_rows *rows);
void summary_rows__keep(struct summary_rows *rows);

/*
 * Read and clear TABLE, every entry through fold: the entries read, or
 * -errno (the table's, or the first a fold set in rows->err).
 */
int summary_rows__read(struct summary_rows *rows, struct probe_set *ps, const char *table,
		       bool percpu, summary_fold_fn fold);

/*
 * Sort the rows with cmp (NULL: in the order read), then emit each; 0, or the
 * first nonzero emit's value.
 */
int summary_rows__emit(struct summary_rows *rows, int (*cmp)(const void *, const void *),
		       summary_emit_fn emit, struct monitor_inst *inst, double interval_s);
/*
 * Empty for the next collect. Rows under SUMMARY_ROWS_MAP_BYTES stay: a
 * collect of as many rows as the last allocates nothing. More are in a
 * mapping of their own, unmapped here: a table of max_entries rows of 1 kB
 * each interval would otherwise land on free heap pages (its realloc growth
 * from the heap's free chunks, whatever the mmap threshold), and they stayed
 * resident after the free (bench/soak; t/e2e/memory.t).
 */
void summary_rows__reset(struct summary_rows *rows);
void summary_rows__release(struct summary_rows *rows);

/* A monitor whose summary rows come from one per-CPU table. */
struct summary_spec {
	const char *table;	/* read and cleared every interval */
	size_t row_size;
	summary_fold_fn fold;
	int (*cmp)(const void *, const void *);	/* the rows' order; NULL: as read */
	summary_emit_fn emit;
	double per_s;		/* interval_s rounded to 1/per_s seconds */
	/*
	 * top (inst->top): the rows past the first top, in cmp's order, are
	 * added into one row (merge: dst += src) that other() then marks as the
	 * (other) row (pid 0, comm "(other)"), so the totals stay exact. NULL
	 * merge: every row.
	 */
	void (*merge)(void *dst, const void *src);
	void (*other)(void *row);
	/* An (other) row already (the overflow's): past top whatever its count. */
	bool (*is_other)(const void *row);
	/* The order that picks the top rows, then shown in cmp's (NULL: cmp). */
	int (*top_cmp)(const void *, const void *);
	/*
	 * The kernel table's overflow: full, a per-CPU u64 (key 0) of the counts
	 * it had no room for; over, a per-CPU array (key 0) of its value type
	 * (over_size bytes, u64 counters only) where the probe counts them
	 * instead, cumulative. Its growth is folded as a row of a zeroed key
	 * that other() then marks. what: the things counted ("calls").
	 */
	const char *full;
	const char *over;
	size_t over_size;
	const char *what;
};

/*
 * Sort the rows with spec->cmp and emit the first top of them (0: all), then
 * the (other) row of the rest as spec says; 0 or the first nonzero emit's
 * value.
 */
int summary_rows__emit_top(struct summary_rows *rows, const struct summary_spec *spec,
			   unsigned top, struct monitor_inst *inst, double interval_s);

/*
 * What the kernel table had no room for in this interval (spec->over's
 * growth): one row, folded and marked (other). 0 or -errno.
 */
int summary_rows__over(struct summary_rows *rows, struct probe_set *ps,
		       const struct summary_spec *spec);

/*
 * One collect of such a monitor: the interval since *last_collect, the table
 * read into rows with its overflow row, sorted and emitted, top of them
 * (nothing when it cannot be read whole); the overflow told as lost
 * (max_entries: the table's). 0 or -errno.
 */
int summary_collect(struct monitor_inst *inst, struct probe_set *ps,
		    const struct summary_spec *spec, double *last_collect, long long max_entries);

/*
 * How much the per-CPU counter COUNTER (key 0: what the probe could not count
 * in its full summary table) grew since *seen, which follows it; 0 when it
 * did not or cannot be read. The monitor says so in its own words.
 */
/* Add log2 histogram SRC into DST, slot by slot (rows merged into an (other) row). */
static inline void summary_hist_add(__u64 *dst, const __u64 *src)
{
	for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
		dst[k] += src[k];
}

uint64_t summary_uncounted(struct probe_set *ps, const char *counter, uint64_t *seen);

/*
 * N counts that found no row in the kernel's summary table (max_entries
 * reached, or no memory for a row of a table allocated as rows appear): a
 * {"type":"lost","reason":"table_full"} record, a warning, and the exit
 * line's "lost". WHAT names the counted things ("calls").
 */
void summary_table_full(struct monitor_inst *inst, uint64_t n, const char *what,
			long long max_entries);

/*
 * What a per-CPU array of u64 counters (TABLE, n words over all its keys,
 * summed over the CPUs) grew by since *prev (n words, updated): into delta.
 * Overflow arrays are never cleared, so nothing counted between a read and
 * a clear can be lost. 0 or -errno.
 */
int summary_counters_delta(struct probe_set *ps, const char *table, uint64_t *prev,
			   uint64_t *delta, size_t n);

/*
 * max_entries of a summary table the config does not size: the machine's
 * pid_max (a row for every process that can exist), at least 10240, and at
 * most 65536 rows while rows x CPUs stay under 2^18 (kernel memory).
 */
long long summary_default_entries(void);

/* The (other) row's comm. */
#define SUMMARY_OTHER_COMM "(other)"

/*
 * The seconds since *last_collect (CLOCK_MONOTONIC seconds), rounded to
 * 1/per_s (1000: milliseconds; finer is the timer's noise); *last_collect
 * becomes now.
 */
double summary_interval_s(double *last_collect, double per_s);

#endif
