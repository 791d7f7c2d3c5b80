// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf/probe_set.h"
#include "core/monitor.h"
#include "core/session.h"
#include "core/summary.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"

static bool rows_mapped(const struct summary_rows *rows)
{
	return rows->cap * rows->row_size >= SUMMARY_ROWS_MAP_BYTES;
}

/*
 * Twice the room: on the heap while small, then in a mapping of its own
 * (mremap grows it without a copy), which reset and release unmap.
 */
static int rows_grow(struct summary_rows *rows)
{
	size_t cap = rows->cap ? 2 * rows->cap : 64, bytes = cap * rows->row_size;
	void *v;

	if (bytes < SUMMARY_ROWS_MAP_BYTES) {
		v = realloc(rows->v, bytes);
		if (!v)
			return -ENOMEM;
	} else if (rows_mapped(rows)) {
		v = mremap(rows->v, rows->cap * rows->row_size, bytes, MREMAP_MAYMOVE);
		if (v == MAP_FAILED)
			return -ENOMEM;
	} else {
		v = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (v == MAP_FAILED)
			return -ENOMEM;
		if (rows->n)
			memcpy(v, rows->v, rows->n * rows->row_size);
		free(rows->v);
	}
	rows->v = v;
	rows->cap = cap;
	return 0;
}

void *summary_rows__next(struct summary_rows *rows)
{
	void *row;

	if (rows->n == rows->cap && rows_grow(rows)) {
		rows->err = -ENOMEM;
		return NULL;
	}
	row = (char *)rows->v + rows->n * rows->row_size;
	return memset(row, 0, rows->row_size);
}

void summary_rows__keep(struct summary_rows *rows)
{
	rows->n++;
}

struct summary_read {
	struct summary_rows *rows;
	summary_fold_fn fold;
};

/* probe_set__drain's callback: the entry to the monitor's fold. */
static void summary_read_entry(void *ctx, const void *key, const void *values, int n_values,
			       size_t stride)
{
	struct summary_read *r = ctx;

	r->fold(r->rows, key, values, n_values, stride);
}

int summary_rows__read(struct summary_rows *rows, struct probe_set *ps, const char *table,
		       bool percpu, summary_fold_fn fold)
{
	struct summary_read r = { .rows = rows, .fold = fold };
	int n = probe_set__drain(ps, table, percpu, summary_read_entry, &r);

	if (n >= 0 && rows->err)
		n = rows->err;
	return n;
}

int summary_rows__emit(struct summary_rows *rows, int (*cmp)(const void *, const void *),
		       summary_emit_fn emit, struct monitor_inst *inst, double interval_s)
{
	int err = 0;

	/* qsort(NULL, 0, ...) is undefined: an interval with nothing to count. */
	if (cmp && rows->n)
		qsort(rows->v, rows->n, rows->row_size, cmp);
	for (size_t i = 0; i < rows->n && !err; i++)
		err = emit(inst, (const char *)rows->v + i * rows->row_size, interval_s);
	return err;
}

/* Rows spec->is_other says are (other) after the rest: the count of the rest. */
static size_t rows_others_last(struct summary_rows *rows, const struct summary_spec *spec)
{
	size_t n = rows->n, kept = 0;
	char *tmp = summary_rows__next(rows), *v = rows->v;

	if (!tmp)
		return n;
	for (size_t i = 0; i < n; i++) {
		char *row = v + i * rows->row_size, *to = v + kept * rows->row_size;

		if (spec->is_other(row))
			continue;
		if (to != row) {
			memcpy(tmp, to, rows->row_size);
			memcpy(to, row, rows->row_size);
			memcpy(row, tmp, rows->row_size);
		}
		kept++;
	}
	return kept;
}

int summary_rows__emit_top(struct summary_rows *rows, const struct summary_spec *spec,
			   unsigned top, struct monitor_inst *inst, double interval_s)
{
	size_t n = rows->n, real = n, shown;
	char *other;
	int err = 0;

	/* Cut to top: the (other) rows already there go into the one it makes. */
	if (top && spec->merge && spec->is_other)
		real = rows_others_last(rows, spec);
	shown = top && spec->merge && top < real ? top : real;
	if (spec->top_cmp && shown < real)
		qsort(rows->v, real, rows->row_size, spec->top_cmp);
	if (spec->cmp && shown)
		qsort(rows->v, shown < real && spec->top_cmp ? shown : real, rows->row_size,
		      spec->cmp);
	for (size_t i = 0; i < shown && !err; i++)
		err = spec->emit(inst, (const char *)rows->v + i * rows->row_size, interval_s);
	if (err || shown == n)
		return err;
	/* The row after the last, not kept: room for the (other) row. */
	other = summary_rows__next(rows);
	if (!other)
		return rows->err;
	for (size_t i = shown; i < n; i++)
		spec->merge(other, (const char *)rows->v + i * rows->row_size);
	spec->other(other);
	return spec->emit(inst, other, interval_s);
}

/* The rows' room, given back; the counters seen stay. */
static void rows_free(struct summary_rows *rows)
{
	if (rows_mapped(rows))
		munmap(rows->v, rows->cap * rows->row_size);
	else
		free(rows->v);
	rows->v = NULL;
	rows->n = rows->cap = 0;
	rows->err = 0;
}

void summary_rows__reset(struct summary_rows *rows)
{
	if (rows_mapped(rows))
		rows_free(rows);
	rows->n = 0;
	rows->err = 0;
}

void summary_rows__release(struct summary_rows *rows)
{
	rows_free(rows);
	free(rows->over_seen);
	rows->over_seen = NULL;
	rows->full_seen = 0;
}

int summary_rows__over(struct summary_rows *rows, struct probe_set *ps,
		       const struct summary_spec *spec)
{
	/* The fold's key: zeroed, as long as any monitor's. */
	static const uint64_t zero_key[16];
	size_t words = spec->over_size / sizeof(uint64_t), n = rows->n;
	uint64_t *delta = calloc(words, sizeof(*delta));
	bool grown = false;
	int err = -ENOMEM;

	if (!rows->over_seen)
		rows->over_seen = calloc(words, sizeof(uint64_t));
	if (!delta || !rows->over_seen)
		goto cleanup;
	err = summary_counters_delta(ps, spec->over, rows->over_seen, delta, words);
	for (size_t i = 0; !err && i < words; i++)
		grown |= delta[i] != 0;
	if (grown) {
		spec->fold(rows, zero_key, delta, 1, spec->over_size);
		if (rows->n > n)
			spec->other((char *)rows->v + n * rows->row_size);
		err = rows->err;
	}
cleanup:
	free(delta);
	return err;
}

int summary_collect(struct monitor_inst *inst, struct probe_set *ps,
		    const struct summary_spec *spec, double *last_collect, long long max_entries)
{
	struct summary_rows *rows = &inst->rows;
	double interval = summary_interval_s(last_collect, spec->per_s);
	int err;

	rows->row_size = spec->row_size;
	err = summary_rows__read(rows, ps, spec->table, true, spec->fold);
	if (err >= 0 && spec->over)
		err = summary_rows__over(rows, ps, spec);
	if (spec->full)
		summary_table_full(inst, summary_uncounted(ps, spec->full, &rows->full_seen),
				   spec->what, max_entries);
	if (err >= 0)
		err = summary_rows__emit_top(rows, spec, inst->top, inst, interval);
	summary_rows__reset(rows);
	return err < 0 ? err : 0;
}

uint64_t summary_uncounted(struct probe_set *ps, const char *counter, uint64_t *seen)
{
	uint64_t total, grown = 0;

	if (!probe_set__percpu_sum(ps, counter, 0, &total) && total > *seen) {
		grown = total - *seen;
		*seen = total;
	}
	return grown;
}

void summary_table_full(struct monitor_inst *inst, uint64_t n, const char *what,
			long long max_entries)
{
	struct record *rec;

	if (!n)
		return;
	inst->table_full += n;
	rec = inst->record(inst, "lost");
	record__str(rec, "reason", "table_full");
	record__uint(rec, "count", n);
	record__uint(rec, "total", inst->table_full);
	record__int(rec, "max_entries", max_entries);
	session__emit(inst->emit_ctx, rec);
	/* A table allocated as rows appear also refuses a row the kernel has no memory for. */
	pr_warn("%s: %llu %s found no row in the summary table (max_entries: %lld, or no "
		"kernel memory for a new row at once): counted in (other) rows",
		inst->mon->name, (unsigned long long)n, what, max_entries);
}

int summary_counters_delta(struct probe_set *ps, const char *table, uint64_t *prev,
			   uint64_t *delta, size_t n)
{
	int err = probe_set__percpu_array_sums(ps, table, delta, n);

	for (size_t i = 0; !err && i < n; i++) {
		uint64_t now = delta[i];

		delta[i] = now - prev[i];
		prev[i] = now;
	}
	return err;
}

long long summary_default_entries(void)
{
	long long pid_max = 0, cpus = sysconf(_SC_NPROCESSORS_CONF), n;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (!f || fscanf(f, "%lld", &pid_max) != 1)
		pid_max = 32768;
	if (f)
		fclose(f);
	n = pid_max < 65536 ? pid_max : 65536;
	while (cpus > 0 && n > 10240 && n * cpus > (1 << 18))
		n /= 2;
	return n < 10240 ? 10240 : n;
}

double summary_interval_s(double *last_collect, double per_s)
{
	double now = clock_mono_s(), interval = now - *last_collect;

	*last_collect = now;
	return (double)(long long)(interval * per_s + 0.5) / per_s;
}
