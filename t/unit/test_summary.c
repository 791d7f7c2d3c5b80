// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for summary rows (src/core/summary.c): rows kept or not, their
 * order, the emit loop and where it stops, and the interval's rounding. The
 * kernel tables they are read from are the monitors' end-to-end tests'.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

/* top: what the emit saw, (key, count) pairs. */
static struct row seen[16];
static size_t n_seen;

static int emit_seen(struct monitor_inst *inst, const void *r, double interval_s)
{
	(void)inst;
	(void)interval_s;
	if (n_seen < 16)
		memcpy(&seen[n_seen++], r, sizeof(struct row));
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void row_merge(void *dst, const void *src)
{
	((struct row *)dst)->count += ((const struct row *)src)->count;
}

/* Keys from 100 on are (other) rows already, as an overflow row is. */
static bool row_is_other(const void *r)
{
	return ((const struct row *)r)->key >= 100;
}

static void row_other(void *r)
{
	((struct row *)r)->key = 99;
}

/* The rows of a collect: 95 in all, key 100 the kernel table's overflow. */
static void top_rows(struct summary_rows *rows)
{
	summary_rows__reset(rows);
	add(rows, 1, 5);
	add(rows, 2, 50);
	add(rows, 3, 1);
	add(rows, 100, 7);
	add(rows, 4, 30);
	add(rows, 6, 2);
	n_seen = 0;
}

static char *seen_str(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n_seen && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%u:%llu", i ? " " : "", seen[i].key,
				(unsigned long long)seen[i].count);
	return buf;
}

static void test_top(void)
{
	struct summary_rows rows = SUMMARY_ROWS_INIT(struct row);
	struct summary_spec spec = {
		.row_size = sizeof(struct row), .cmp = row_cmp, .emit = emit_seen,
		.merge = row_merge, .other = row_other, .is_other = row_is_other,
	};
	char buf[256];

	top_rows(&rows);
	is_int(summary_rows__emit_top(&rows, &spec, 2, NULL, 1.0), 0, "top 2: 0");
	is_str(seen_str(buf, sizeof(buf)), "2:50 4:30 99:15",
	       "top 2: the busiest two, then one (other) row of the rest and the overflow");
	top_rows(&rows);
	summary_rows__emit_top(&rows, &spec, 0, NULL, 1.0);
	is_str(seen_str(buf, sizeof(buf)), "2:50 4:30 100:7 1:5 6:2 3:1",
	       "top 0: every row, the overflow's in its place");
	top_rows(&rows);
	summary_rows__emit_top(&rows, &spec, 10, NULL, 1.0);
	is_str(seen_str(buf, sizeof(buf)), "2:50 4:30 1:5 6:2 3:1 99:7",
	       "top above the rows: all of them, the overflow as the (other) row");
	top_rows(&rows);
	spec.cmp = key_cmp;
	spec.top_cmp = row_cmp;
	summary_rows__emit_top(&rows, &spec, 3, NULL, 1.0);
	is_str(seen_str(buf, sizeof(buf)), "1:5 2:50 4:30 99:10",
	       "top_cmp picks the busiest three, cmp orders them");
	top_rows(&rows);
	spec.merge = NULL;
	summary_rows__emit_top(&rows, &spec, 2, NULL, 1.0);
	is_int(n_seen, 6, "top without merge: every row");
	summary_rows__release(&rows);
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
	test_top();
	test_interval();
	return done_testing();
}
