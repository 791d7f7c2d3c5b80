/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_RECORD_H
#define EBPFMON_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strbuf.h"

/*
 * One output record: an ordered list of typed fields, built without an
 * allocation per field (one record is reused for every event) and encoded
 * by each sink its own way. Building a jansson object per event cost about
 * 2 us of the 2.3 us the reader spent per event; this is the hot path.
 *
 * Keys are string literals (never escaped). Strings are borrowed: they must
 * outlive the record's emission (the sample being decoded, static tables,
 * the monitor's own state), or be copied into the record with record__strf
 * or record__strcpy. Every string is written as valid UTF-8: it stops at the
 * first NUL or at its length, and bytes that are not UTF-8 become U+FFFD.
 */
enum field_kind {
	FIELD_NULL,
	FIELD_INT,
	FIELD_UINT,
	FIELD_REAL,
	FIELD_BOOL,
	FIELD_STR,		/* borrowed bytes */
	FIELD_ARENA_STR,	/* bytes copied into the record */
	FIELD_STRV,		/* borrowed strings, the pointer array copied */
	FIELD_TIME,		/* CLOCK_REALTIME ns, written as RFC 3339 */
	FIELD_JSON,		/* a jansson value the record owns (summaries, nested data) */
};

struct field {
	const char *key;
	enum field_kind kind;
	union {
		int64_t i;
		uint64_t u;
		double d;
		bool b;
		struct {
			const char *p;
			size_t len;
		} s;
		struct {
			size_t off;	/* into arena (ARENA_STR) or ptrs (STRV) */
			size_t len;	/* bytes or strings */
		} a;
		json_t *json;
	} v;
};

struct record {
	struct field *fields;
	size_t n, cap;
	struct strbuf arena;
	const char **ptrs;
	size_t n_ptrs, cap_ptrs;
	int err;		/* first allocation failure: the record is not written */
};

void record__reset(struct record *rec);
void record__release(struct record *rec);

void record__null(struct record *rec, const char *key);
/* Make a field already in the record null (a common field that does not apply). */
void record__nullify(struct record *rec, const char *key);
void record__int(struct record *rec, const char *key, int64_t v);
void record__uint(struct record *rec, const char *key, uint64_t v);
void record__real(struct record *rec, const char *key, double v);	/* not finite: null */
void record__bool(struct record *rec, const char *key, bool v);
/* NUL-terminated; NULL is null. */
void record__str(struct record *rec, const char *key, const char *s);
/* At most maxlen bytes, fewer at a NUL; NULL is null. */
void record__strn(struct record *rec, const char *key, const char *s, size_t maxlen);
/* Copied into the record. */
void record__strcpy(struct record *rec, const char *key, const char *s, size_t maxlen);
void record__strf(struct record *rec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* n borrowed NUL-terminated strings. */
void record__strv(struct record *rec, const char *key, const char *const *v, size_t n);
void record__time(struct record *rec, const char *key, uint64_t realtime_ns);
/* A syscall-style result's errno name ("ENOENT" for -2); null when ret >= 0 or unknown. */
void record__errno(struct record *rec, const char *key, long long ret);
/* Takes the reference; NULL is null. */
void record__json(struct record *rec, const char *key, json_t *v);

/* A FIELD_ARENA_STR's or FIELD_STR's bytes. */
const char *record__field_str(const struct record *rec, const struct field *f, size_t *len);
/* A FIELD_STRV's i-th string. */
const char *record__field_strv(const struct record *rec, const struct field *f, size_t i);

/* Append the record as one compact JSON object (no newline): 0 or -errno. */
int record__encode_json(const struct record *rec, struct strbuf *out);

/* A JSON string for bytes (lossy UTF-8, escaped, quoted) into out. */
int json_encode_bytes(struct strbuf *out, const char *s, size_t len);

#endif
