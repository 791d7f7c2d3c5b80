/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_METRICS_H
#define EBPFMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/*
 * One Prometheus text exposition (format 0.0.4), written at scrape time by
 * the exporter's thread. Monitors fill it from their kernel metric maps in
 * their .metrics hook (src/core/monitor.h).
 */
struct metrics;

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/*
 * Start a family: its # HELP and # TYPE lines. Announce every family a
 * monitor owns on every scrape, even with no samples, so dashboards and
 * alerts see the name.
 */
void metrics__family(struct metrics *m, const char *name, enum metric_type type,
		     const char *help);

/*
 * One sample of the current family. NAME is the sample's full name (the
 * family name, or "<family>_total" style names of counters as the family
 * was declared). LABELS is NULL or a NULL-terminated list of key, value
 * pairs; values are escaped here.
 */
void metrics__sample(struct metrics *m, const char *name, const char *const *labels,
		     double value);

/*
 * A histogram of the current family from a kernel log2 histogram: slot 0
 * counts value 0, slot k (k >= 1) values in [2^(k-1), 2^k - 1] units. SCALE
 * turns units into the exposed unit (1e-9 for ns -> seconds). Writes the
 * cumulative NAME_bucket{...,le} lines (with le="+Inf"), NAME_sum (SUM units
 * times SCALE) and NAME_count.
 */
void metrics__log2_hist(struct metrics *m, const char *name, const char *const *labels,
			const uint64_t *slots, int n_slots, double sum, double scale);

/* The same from N buckets of upper bounds LES (ascending) and their own (not cumulative) COUNTS. */
void metrics__hist(struct metrics *m, const char *name, const char *const *labels,
		   const double *les, const uint64_t *counts, int n, double sum);

/*
 * The writer (the exporter's): families come out in the order they were
 * first announced, each with its samples together, even when a family is
 * announced again later (its samples are appended to it).
 */
struct metrics *metrics__new(void);
void metrics__free(struct metrics *m);
/* The exposition text (malloc'd, *len bytes); NULL with errno set. */
char *metrics__text(struct metrics *m, size_t *len);

/*
 * V as the text format wants it: integers exactly (up to 2^53), others the
 * shortest text that reads back as V, "+Inf", "-Inf", "NaN". Returns buf.
 */
const char *metric_value_format(char *buf, size_t size, double v);

/*
 * S (LEN bytes, from the kernel or a process: anything) appended to SB as
 * the text format wants a LABEL value (backslash, double quote and line feed
 * escaped) or else a # HELP text (backslash and line feed): valid UTF-8,
 * every byte of no well-formed sequence (a name cut inside a character, a
 * hostile prctl(PR_SET_NAME)) becoming U+FFFD as in JSON lines, since one
 * bad byte makes Prometheus reject the whole page. 0 or -ENOMEM.
 */
int metric_text_escape(struct strbuf *sb, const char *s, size_t len, bool label);

#endif
