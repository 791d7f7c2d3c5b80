/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_RECORD_H
#define EBPFMON_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "util/strbuf.h"

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
	unsigned short klen;
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
	/*
	 * Counted in its monitor's events (an event or a summary row, not a lost
	 * record): a sink that does not write it counts it in unwritten[mon_id].
	 */
	bool counted;
	unsigned mon_id;
	uint64_t tells;		/* a lost record with reason write: the total it tells */
};

void record__reset(struct record *rec);
void record__release(struct record *rec);

/* The next field; NULL (and rec->err set) when it cannot grow. */
struct field *record__field_grow(struct record *rec, const char *key, enum field_kind kind);

/*
 * The setters are inline so that a literal key's length is known when the
 * program is compiled: they run a dozen times per event.
 */
static inline struct field *record__field(struct record *rec, const char *key,
					  enum field_kind kind)
{
	struct field *f;

	if (rec->n == rec->cap)
		return record__field_grow(rec, key, kind);
	f = &rec->fields[rec->n++];
	f->key = key;
	f->klen = __builtin_strlen(key);
	f->kind = kind;
	return f;
}

static inline void record__null(struct record *rec, const char *key)
{
	record__field(rec, key, FIELD_NULL);
}

static inline void record__int(struct record *rec, const char *key, int64_t v)
{
	struct field *f = record__field(rec, key, FIELD_INT);

	if (f)
		f->v.i = v;
}

static inline void record__uint(struct record *rec, const char *key, uint64_t v)
{
	struct field *f = record__field(rec, key, FIELD_UINT);

	if (f)
		f->v.u = v;
}

static inline void record__bool(struct record *rec, const char *key, bool v)
{
	struct field *f = record__field(rec, key, FIELD_BOOL);

	if (f)
		f->v.b = v;
}

/* At most maxlen bytes, fewer at a NUL; NULL is null. */
static inline void record__strn(struct record *rec, const char *key, const char *s,
				size_t maxlen)
{
	struct field *f = record__field(rec, key, s ? FIELD_STR : FIELD_NULL);

	if (f && s) {
		f->v.s.p = s;
		f->v.s.len = strnlen(s, maxlen);
	}
}

/* NUL-terminated; NULL is null. */
static inline void record__str(struct record *rec, const char *key, const char *s)
{
	struct field *f = record__field(rec, key, s ? FIELD_STR : FIELD_NULL);

	if (f && s) {
		f->v.s.p = s;
		f->v.s.len = strlen(s);
	}
}

/* Make a field already in the record null (a common field that does not apply). */
void record__nullify(struct record *rec, const char *key);
void record__real(struct record *rec, const char *key, double v);	/* not finite: null */
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

/*
 * One field's value as JSON text (csv and table write nested values so).
 * The caller makes room for 24 bytes first: numbers are written in place.
 */
int record__encode_field_json(const struct record *rec, const struct field *f,
			      struct strbuf *out);

/* A JSON string for bytes (lossy UTF-8, escaped, quoted) into out. */
int json_encode_bytes(struct strbuf *out, const char *s, size_t len);

#endif
