// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the Prometheus text writer (src/output/metrics.c): escaping,
 * numbers, histogram cumulation and the order of families.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/metrics.h"
#include "tap.h"

/* The exposition of m, freed with m. */
static char *text_of(struct metrics *m)
{
	size_t len = 0;
	char *text = metrics__text(m, &len);

	ok(text && strlen(text) == len, "text: length matches");
	metrics__free(m);
	return text;
}

static void test_values(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 42, "42" },
		{ -7, "-7" },
		{ 9007199254740992.0, "9007199254740992" },	/* 2^53: exact */
		{ 18446744073709551615.0, "1.8446744073709552e+19" },
		{ 0.1, "0.1" },
		{ 1.5e-9, "1.5e-09" },
		{ 1.0 / 3, "0.3333333333333333" },	/* the shortest that reads back */
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
		{ NAN, "NaN" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "value: %s", cases[i].want);
		is_str(metric_value_format(buf, sizeof(buf), cases[i].v), cases[i].want, name);
		if (!isnan(cases[i].v))
			ok(strtod(buf, NULL) == cases[i].v || isinf(cases[i].v),
			   "value: %s reads back", cases[i].want);
	}
}

static void test_escaping(void)
{
	struct metrics *m = metrics__new();
	const char *labels[] = { "comm", "a\"b\\c\nd", "name", "plain", NULL };
	char *text;

	metrics__family(m, "t_total", METRIC_COUNTER, "Help with \\ and\nnewline \"quotes\".");
	metrics__sample(m, "t_total", labels, 3);
	metrics__sample(m, "t_total", NULL, 4);
	text = text_of(m);
	is_str(text,
	       "# HELP t_total Help with \\\\ and\\nnewline \"quotes\".\n"
	       "# TYPE t_total counter\n"
	       "t_total{comm=\"a\\\"b\\\\c\\nd\",name=\"plain\"} 3\n"
	       "t_total 4\n",
	       "escaping: label values escape \\ \" and newline; help escapes \\ and newline");
	free(text);
}

static void test_histogram(void)
{
	struct metrics *m = metrics__new();
	const char *labels[] = { "op", "read", NULL };
	/* Slot 0: value 0; slot 1: 1; slot 2: 2..3; slot 3: 4..7 (ns). */
	const uint64_t slots[] = { 1, 2, 0, 4 };
	char *text;

	metrics__family(m, "lat_seconds", METRIC_HISTOGRAM, "Latency.");
	metrics__log2_hist(m, "lat_seconds", labels, slots, 4, 2 + 0 + 22, 1e-9);
	metrics__log2_hist(m, "lat_seconds", NULL, slots, 1, 0, 1);
	text = text_of(m);
	is_str(text,
	       "# HELP lat_seconds Latency.\n"
	       "# TYPE lat_seconds histogram\n"
	       "lat_seconds_bucket{op=\"read\",le=\"1e-09\"} 1\n"
	       "lat_seconds_bucket{op=\"read\",le=\"2e-09\"} 3\n"
	       "lat_seconds_bucket{op=\"read\",le=\"4e-09\"} 3\n"
	       "lat_seconds_bucket{op=\"read\",le=\"8e-09\"} 7\n"
	       "lat_seconds_bucket{op=\"read\",le=\"+Inf\"} 7\n"
	       "lat_seconds_sum{op=\"read\"} 2.4000000000000003e-08\n"
	       "lat_seconds_count{op=\"read\"} 7\n"
	       "lat_seconds_bucket{le=\"1\"} 1\n"
	       "lat_seconds_bucket{le=\"+Inf\"} 1\n"
	       "lat_seconds_sum 0\n"
	       "lat_seconds_count 1\n",
	       "histogram: cumulative buckets, le = 2^k * scale, +Inf, _sum scaled, _count");
	free(text);
}

static void test_order(void)
{
	struct metrics *m = metrics__new();
	const char *a[] = { "k", "1", NULL }, *b[] = { "k", "2", NULL };
	char *text;

	metrics__family(m, "b_total", METRIC_COUNTER, "B.");
	metrics__sample(m, "b_total", a, 1);
	metrics__family(m, "a", METRIC_GAUGE, "A.");
	metrics__family(m, "b_total", METRIC_COUNTER, "B again: ignored.");
	metrics__sample(m, "b_total", b, 2);
	metrics__family(m, "c", METRIC_GAUGE, "C.");
	metrics__sample(m, "c", NULL, 5);
	text = text_of(m);
	is_str(text,
	       "# HELP b_total B.\n# TYPE b_total counter\n"
	       "b_total{k=\"1\"} 1\nb_total{k=\"2\"} 2\n"
	       "# HELP a A.\n# TYPE a gauge\n"
	       "# HELP c C.\n# TYPE c gauge\nc 5\n",
	       "order: families as first announced, once each, samples together, "
	       "empty families kept");
	free(text);
}

static void test_errors(void)
{
	struct metrics *m = metrics__new();
	size_t len = 1;
	char *text;

	metrics__sample(m, "orphan", NULL, 1);
	ok(!metrics__text(m, &len), "errors: a sample before any family fails the text");
	metrics__free(m);
	m = metrics__new();
	text = metrics__text(m, &len);
	ok(text && !*text && len == 0, "errors: no family is an empty text");
	free(text);
	metrics__free(m);
}

int main(void)
{
	test_values();
	test_escaping();
	test_histogram();
	test_order();
	test_errors();
	return done_testing();
}
