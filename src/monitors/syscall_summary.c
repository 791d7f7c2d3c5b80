// SPDX-License-Identifier: GPL-2.0
/*
 * syscall's summary rows. The kernel counts per (pid, syscall) in
 * syscall_stats and, for the calls that find it full, per syscall in
 * syscall_over; every interval both become rows, which group_by sums per
 * syscall over the system (syscount) or per process (syscount -P), and top
 * cuts to the busiest, the rest summed in an (other) row: every call counted
 * is in exactly one row of each kind.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/monitor.h"
#include "output/sink.h"
#include "monitors/syscall_summary.h"

#define SYSCALL_OVER_WORDS (sizeof(struct syscall_over) / sizeof(uint64_t))

struct syscall_sum {
	int group_by;
	uint64_t dropped;		/* syscall_dropped seen so far */
	uint64_t *over_seen;		/* syscall_over seen so far, word by word */
	uint64_t *over;			/* its growth in this interval */
	struct syscall_row *by_nr;	/* the system rows being summed, by slot */
	struct summary_rows sys;	/* the system rows of an interval */
};

static const char *const syscall_groups[] = { "pid_syscall", "syscall", "process", NULL };

/* group_by syscall's (syscount -L) and process's (syscount -P) table columns. */
static const struct table_column by_syscall_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "SYSCALL", "name", 16, COLUMN_LEFT },
	SYSCALL_SUM_COLUMNS,
	{ "TOTAL(ns)", "total_ns", 12, COLUMN_RIGHT },
	{ NULL },
};
static const struct table_column by_process_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	SYSCALL_SUM_COLUMNS,
	{ "TOTAL(ns)", "total_ns", 12, COLUMN_RIGHT },
	{ NULL },
};

int syscall_sum__configure(struct monitor_inst *inst, struct cfg_node *node, int def,
			   struct syscall_sum **sump)
{
	struct syscall_sum *sum = calloc(1, sizeof(*sum));
	int err = 0;

	*sump = sum;
	if (!sum)
		return -ENOMEM;
	sum->group_by = def;
	sum->sys.row_size = sizeof(struct syscall_row);
	if (node)
		err |= cfg_get_enum(node, "group_by", syscall_groups, &sum->group_by);
	err |= monitor_parse_top(inst, node, 20);
	if (err)
		return -EINVAL;
	inst->summary_columns = sum->group_by == SYSCALL_GROUP_SYSCALL ? by_syscall_columns :
				sum->group_by == SYSCALL_GROUP_PROCESS ? by_process_columns : NULL;
	if (!inst->summary)
		return 0;
	sum->over_seen = calloc(SYSCALL_OVER_SLOTS * SYSCALL_OVER_WORDS, sizeof(uint64_t));
	sum->over = calloc(SYSCALL_OVER_SLOTS * SYSCALL_OVER_WORDS, sizeof(uint64_t));
	sum->by_nr = calloc(SYSCALL_OVER_SLOTS, sizeof(*sum->by_nr));
	return sum->over_seen && sum->over && sum->by_nr ? 0 : -ENOMEM;
}

void syscall_sum__free(struct syscall_sum *sum)
{
	if (!sum)
		return;
	free(sum->over_seen);
	free(sum->over);
	free(sum->by_nr);
	summary_rows__release(&sum->sys);
	free(sum);
}

/*
 * Add s into d. A row of calls the kernel table had no room for has no
 * minimum or maximum (min_ns UINT64_MAX, max_ns 0): they take none.
 */
static void syscall_stats_add(struct syscall_stats *d, const struct syscall_stats *s)
{
	if (!s->count)
		return;
	if (!d->count || s->min_ns < d->min_ns)
		d->min_ns = s->min_ns;
	if (!d->count) {
		memcpy(d->comm, s->comm, sizeof(d->comm));
		d->cgroup_id = s->cgroup_id;
	}
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	d->count += s->count;
	d->errors += s->errors;
	d->total_ns += s->total_ns;
	summary_hist_add(d->hist, s->hist);
}

/* A summary_fold_fn: merge one key's per-CPU values into a row. */
static void syscall_row_add(struct summary_rows *rows, const void *key, const void *values,
			    int n_values, size_t value_size)
{
	struct syscall_row *r = summary_rows__next(rows);

	if (!r)
		return;
	memcpy(&r->key, key, sizeof(r->key));
	r->by_nr = true;
	for (int cpu = 0; cpu < n_values; cpu++) {
		struct syscall_stats s;

		memcpy(&s, (const char *)values + cpu * value_size, sizeof(s));
		syscall_stats_add(&r->st, &s);
	}
	if (r->st.count)
		summary_rows__keep(rows);
}

/* Busiest first; then by pid and number, so equal counts keep one order. */
static int syscall_row_cmp(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;

	if (x->st.count != y->st.count)
		return x->st.count > y->st.count ? -1 : 1;
	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	return x->key.nr < y->key.nr ? -1 : x->key.nr > y->key.nr;
}

static int syscall_row_pid_cmp(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;

	return x->key.pid < y->key.pid ? -1 : x->key.pid > y->key.pid;
}

static void syscall_row_merge(void *dst, const void *src)
{
	struct syscall_row *d = dst;
	const struct syscall_row *s = src;

	if (!d->st.count) {
		d->key = s->key;
		d->scope = s->scope;
	}
	syscall_stats_add(&d->st, &s->st);
}

/* The rows past top: one row of no process and no syscall. */
static void syscall_row_other(void *row)
{
	struct syscall_row *r = row;

	r->key.pid = 0;
	r->key.nr = -1;
	r->by_nr = false;
	r->other = true;
	r->st.cgroup_id = 0;		/* many processes: no cgroup */
	memset(r->st.comm, 0, sizeof(r->st.comm));
	memcpy(r->st.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

static bool syscall_row_is_other(const void *row)
{
	return ((const struct syscall_row *)row)->other;
}

/* The calls syscall_stats had no row for in this interval: a row per syscall. */
static int syscall_over_rows(struct syscall_sum *sum, struct probe_set *ps,
			     struct summary_rows *rows)
{
	int err = summary_counters_delta(ps, "syscall_over", sum->over_seen, sum->over,
					 SYSCALL_OVER_SLOTS * SYSCALL_OVER_WORDS);

	for (__u32 slot = 0; !err && slot < SYSCALL_OVER_SLOTS; slot++) {
		struct syscall_over o;
		struct syscall_row *r;

		memcpy(&o, sum->over + slot * SYSCALL_OVER_WORDS, sizeof(o));
		if (!o.count)
			continue;
		r = summary_rows__next(rows);
		if (!r)
			return rows->err;
		syscall_row_other(r);
		r->key.nr = slot;
		r->by_nr = true;
		r->st.count = o.count;
		r->st.errors = o.errors;
		r->st.total_ns = o.total_ns;
		r->st.min_ns = UINT64_MAX;
		memcpy(r->st.hist, o.hist, sizeof(r->st.hist));
		summary_rows__keep(rows);
	}
	return err;
}

/* Every row summed per syscall into sum->sys. */
static int syscall_system_rows(struct syscall_sum *sum, const struct summary_rows *rows)
{
	memset(sum->by_nr, 0, SYSCALL_OVER_SLOTS * sizeof(*sum->by_nr));
	for (size_t i = 0; i < rows->n; i++) {
		const struct syscall_row *r = (const struct syscall_row *)rows->v + i;
		__u32 slot = r->key.nr >= 0 && r->key.nr < SYSCALL_NR_MAX ? r->key.nr :
			     SYSCALL_NR_MAX;
		struct syscall_row *s = &sum->by_nr[slot];

		if (!s->st.count) {
			s->key.nr = r->key.nr;
			s->scope = SYSCALL_SCOPE_SYSTEM;
			s->by_nr = true;
		}
		syscall_stats_add(&s->st, &r->st);
	}
	for (__u32 slot = 0; slot < SYSCALL_OVER_SLOTS; slot++) {
		struct syscall_row *s;

		if (!sum->by_nr[slot].st.count)
			continue;
		s = summary_rows__next(&sum->sys);
		if (!s)
			return sum->sys.err;
		*s = sum->by_nr[slot];
		summary_rows__keep(&sum->sys);
	}
	return 0;
}

/* The rows summed per process, in place. */
static void syscall_process_rows(struct summary_rows *rows)
{
	struct syscall_row *v = rows->v;
	size_t n = 0;

	if (rows->n)
		qsort(v, rows->n, sizeof(*v), syscall_row_pid_cmp);
	for (size_t i = 0; i < rows->n; i++) {
		if (n && v[n - 1].key.pid == v[i].key.pid) {
			syscall_stats_add(&v[n - 1].st, &v[i].st);
			v[n - 1].other |= v[i].other;
			continue;
		}
		v[n] = v[i];
		v[n++].by_nr = false;
	}
	rows->n = n;
}

int syscall_sum__collect(struct syscall_sum *sum, struct monitor_inst *inst,
			 struct probe_set *ps, summary_emit_fn emit, double interval,
			 long long max_entries)
{
	struct summary_rows *rows = &inst->rows;
	struct summary_spec spec = {
		.row_size = sizeof(struct syscall_row), .cmp = syscall_row_cmp, .emit = emit,
		.merge = syscall_row_merge, .other = syscall_row_other,
		.is_other = syscall_row_is_other,
	};
	int err;

	rows->row_size = sizeof(struct syscall_row);
	err = summary_rows__read(rows, ps, "syscall_stats", true, syscall_row_add);
	if (err >= 0)
		err = syscall_over_rows(sum, ps, rows);
	summary_table_full(inst, summary_uncounted(ps, "syscall_dropped", &sum->dropped),
			   "calls", max_entries);
	if (err >= 0 && sum->group_by != SYSCALL_GROUP_PROCESS)
		err = syscall_system_rows(sum, rows);
	if (err >= 0 && sum->group_by == SYSCALL_GROUP_PROCESS)
		syscall_process_rows(rows);
	if (err >= 0 && sum->group_by != SYSCALL_GROUP_SYSCALL)
		err = summary_rows__emit_top(rows, &spec, inst->top, inst, interval);
	if (err >= 0 && sum->group_by != SYSCALL_GROUP_PROCESS)
		err = summary_rows__emit_top(&sum->sys, &spec, inst->top, inst, interval);
	summary_rows__reset(rows);
	summary_rows__reset(&sum->sys);
	return err < 0 ? err : 0;
}
