// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for summary rows (src/core/summary.c): rows kept or not, their
 * order, the emit loop and where it stops, and the interval's rounding. The
 * kernel tables they are read from are the monitors' end-to-end tests'.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/monitor.h"
#include "core/summary.h"
#include "util/clock.h"
#include "tap.h"

struct row {
	uint32_t key;
	uint64_t count;
};

/* What the fake emit saw, and where it fails. */
static uint32_t emitted[16];
static size_t n_emitted;
static uint32_t fail_at = UINT32_MAX;

static int emit_row(struct monitor_inst *inst, const void *r, double interval_s)
{
	const struct row *row = r;

	(void)inst;
	(void)interval_s;
	if (row->key == fail_at)
		return -EIO;
	if (n_emitted < 16)
		emitted[n_emitted++] = row->key;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Fold as a monitor does: a row per entry, kept when it counted anything. */
static void add(struct summary_rows *rows, uint32_t key, uint64_t count)
{
	struct row *r = summary_rows__next(rows);

	if (!r)
		return;
	r->key = key;
	r->count = count;
	if (count)
		summary_rows__keep(rows);
}

static void test_rows(void)
{
	struct summary_rows rows = SUMMARY_ROWS_INIT(struct row);
	const struct row *v;

	add(&rows, 1, 5);
	add(&rows, 2, 0);
	add(&rows, 3, 9);
	add(&rows, 4, 5);
	is_int(rows.n, 3, "rows: one that counted nothing is not kept");
	v = rows.v;
	ok(v[0].key == 1 && v[1].key == 3 && v[2].key == 4, "rows: the kept ones, in order");
	for (uint32_t k = 10; k < 300; k++)
		add(&rows, k, 1);
	is_int(rows.n, 293, "rows: grow past the first allocation");
	is_int(rows.err, 0, "rows: no error");
	{
		const void *v0 = rows.v;
		size_t cap0 = rows.cap;

		summary_rows__reset(&rows);
		is_int(rows.n, 0, "reset: empty again");
		for (uint32_t k = 10; k < 300; k++)
			add(&rows, k, 1);
		ok(rows.v == v0 && rows.cap == cap0,
		   "reset: as many rows again allocate nothing (the array is kept)");
	}
	summary_rows__release(&rows);
	is_int(rows.n, 0, "release: empty again");
	ok(!rows.v && !rows.cap, "release: the array is freed");
	/* Past SUMMARY_ROWS_MAP_BYTES: mapped, and unmapped by reset. */
	for (uint32_t k = 0; k < 3 * SUMMARY_ROWS_MAP_BYTES / sizeof(struct row); k++)
		add(&rows, k, 1);
	ok(rows.n == 3 * SUMMARY_ROWS_MAP_BYTES / sizeof(struct row) &&
	   ((const struct row *)rows.v)[rows.n - 1].key == rows.n - 1 && !rows.err,
	   "rows: grown into a mapping, every row kept");
	summary_rows__reset(&rows);
	ok(!rows.v && !rows.cap && !rows.n, "reset: a mapped array is unmapped");

	add(&rows, 1, 5);
	add(&rows, 3, 9);
	add(&rows, 4, 5);
	add(&rows, 2, 7);
	n_emitted = 0;
	is_int(summary_rows__emit(&rows, row_cmp, emit_row, NULL, 1.0), 0, "emit: 0");
	ok(n_emitted == 4 && emitted[0] == 3 && emitted[1] == 2 && emitted[2] == 1 &&
	   emitted[3] == 4, "emit: sorted with cmp");
	n_emitted = 0;
	fail_at = 4;
	is_int(summary_rows__emit(&rows, NULL, emit_row, NULL, 1.0), -EIO,
	       "emit: the first failure is the result");
	ok(n_emitted == 3 && emitted[0] == 3 && emitted[1] == 2 && emitted[2] == 1,
	   "emit: without cmp, the order the rows have; up to the failing row");
	n_emitted = 0;
	fail_at = 2;
	summary_rows__emit(&rows, NULL, emit_row, NULL, 1.0);
	ok(n_emitted == 1 && emitted[0] == 3, "emit: nothing after the failing row");
	fail_at = UINT32_MAX;
	summary_rows__release(&rows);

	n_emitted = 0;
	is_int(summary_rows__emit(&rows, row_cmp, emit_row, NULL, 1.0), 0, "emit: no rows");
	is_int(n_emitted, 0, "emit: nothing emitted");
}

static void test_interval(void)
{
	double last = clock_mono_s() - 2.0004, was = last, interval, ms;

	interval = summary_interval_s(&last, 1000);
	ms = interval * 1000;
	ok(interval >= 2.0 && interval < 2.1 && fabs(ms - (double)(long long)(ms + 0.5)) < 1e-6,
	   "interval: seconds since the last, to the ms (%.6f)", interval);
	ok(last > was, "interval: the last collect becomes now");
	last -= 1.0000171350002347;
	interval = summary_interval_s(&last, 1e6);
	ok(interval >= 1.0 && interval < 1.1, "interval: to the us (%.9f)", interval);
}

int main(void)
{
	test_rows();
	test_interval();
	return done_testing();
}
