// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the Prometheus text writer (src/output/metrics.c): escaping
 * and the repair of hostile label values, numbers, histogram cumulation and the order of families.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/metrics.h"
#include "util/strbuf.h"
#include "util/utf8.h"
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

/* S escaped as a label value (LABEL) or a help text: the bytes appended. */
static char *escaped(const char *s, size_t len, bool label)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_adds(&sb, "") || metric_text_escape(&sb, s, len, label))
		return NULL;
	return strbuf_detach(&sb);
}

/* Whether the text format reads S as one label value: UTF-8, every " \ escaped, no line feed. */
static bool label_value_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), n;

	for (size_t i = 0; i < len; i += n) {
		n = utf8_seq_len(p + i, len - i);
		if (!n || p[i] == '\n' || p[i] == '"')
			return false;
		if (p[i] == '\\') {
			if (i + 1 == len || !strchr("\\\"n", p[i + 1]))
				return false;
			n = 2;
		}
	}
	return true;
}

#define FFFD UTF8_REPLACEMENT

static void test_hostile(void)
{
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "\xff\xfe{a=\"b\"}", FFFD FFFD "{a=\\\"b\\\"}", "bytes of no UTF-8 and quotes" },
		{ "a\nb\\c\"", "a\\nb\\\\c\\\"", "line feed, backslash, quote" },
		{ "\\\"\n", "\\\\\\\"\\n", "only specials" },
		/* A 15-byte comm cut inside a character: each stray byte on its own. */
		{ "aaaaaaaaaaaaa\xe2\x82", "aaaaaaaaaaaaa" FFFD FFFD, "3-byte sequence cut at 15" },
		{ "aaaaaaaaaaaa\xf0\x9f\x98", "aaaaaaaaaaaa" FFFD FFFD FFFD, "4-byte sequence cut at 15" },
		{ "aaaaaaaaaaaaaa\xc3", "aaaaaaaaaaaaaa" FFFD, "2-byte sequence cut at 15" },
		{ "\xc0\xaf", FFFD FFFD, "overlong slash" },
		{ "\xed\xa0\x80", FFFD FFFD FFFD, "surrogate" },
		{ "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, "past U+10FFFF" },
		{ "\x80\"\xbf", FFFD "\\\"" FFFD, "continuation bytes around a quote" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "valid UTF-8 kept" },
		{ "tab\tcr\r", "tab\tcr\r", "other control characters are fine as they are" },
	};
	char name[96], in[3];
	char *got;
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = escaped(cases[i].in, strlen(cases[i].in), true);
		snprintf(name, sizeof(name), "hostile: %s", cases[i].name);
		is_str(got, cases[i].want, name);
		ok(got && label_value_ok(got), "hostile: %s: a valid label value", cases[i].name);
		free(got);
	}
	got = escaped("say \"hi\"\\\n\xff", 11, false);
	is_str(got, "say \"hi\"\\\\\\n" FFFD, "hostile: help text: quotes kept, \\ and newline escaped");
	free(got);
	/* Every pair of bytes but NUL, as a comm may hold them. */
	for (int a = 1; a < 256; a++) {
		for (int b = 1; b < 256; b++) {
			in[0] = a, in[1] = b, in[2] = 0;
			got = escaped(in, 2, true);
			bad += !got || !label_value_ok(got);
			free(got);
		}
	}
	is_int(bad, 0, "hostile: every two-byte name is a valid label value");
}

static void test_hostile_page(void)
{
	struct metrics *m = metrics__new();
	const char *labels[] = { "comm", "\xff\xfe{a=\"b\"}", NULL };
	const uint64_t slots[2] = { 1, 2 };
	char *text;

	metrics__family(m, "t_total", METRIC_COUNTER, "T.");
	metrics__sample(m, "t_total", labels, 1);
	metrics__family(m, "h_seconds", METRIC_HISTOGRAM, "H.");
	metrics__log2_hist(m, "h_seconds", labels, slots, 2, 2, 1);
	text = text_of(m);
	ok(text && strstr(text, "t_total{comm=\"" FFFD FFFD "{a=\\\"b\\\"}\"} 1\n"),
	     "hostile page: the sample's label repaired and escaped");
	ok(text && strstr(text, "h_seconds_bucket{comm=\"" FFFD FFFD "{a=\\\"b\\\"}\",le=\"1\"} 1\n"),
	     "hostile page: and in each histogram line");
	ok(!strstr(text, "\xff"), "hostile page: no stray byte left");
	free(text);
}

int main(void)
{
	test_values();
	test_escaping();
	test_histogram();
	test_order();
	test_errors();
	test_hostile();
	test_hostile_page();
	return done_testing();
}
