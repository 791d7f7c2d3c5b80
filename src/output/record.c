// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/record.h"
#include "util/errnames.h"
#include "util/timefmt.h"
#include "util/utf8.h"

void record__reset(struct record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		if (rec->fields[i].kind == FIELD_JSON)
			json_decref(rec->fields[i].v.json);
	rec->n = 0;
	rec->n_ptrs = 0;
	rec->err = 0;
	rec->counted = false;
	rec->tells = 0;
	strbuf_reset(&rec->arena);
}

void record__release(struct record *rec)
{
	record__reset(rec);
	free(rec->fields);
	free(rec->ptrs);
	strbuf_release(&rec->arena);
	memset(rec, 0, sizeof(*rec));
}

struct field *record__field_grow(struct record *rec, const char *key, enum field_kind kind)
{
	if (ARRAY_GROW(rec->fields, rec->cap, rec->n)) {
		rec->err = -ENOMEM;
		return NULL;
	}
	return record__field(rec, key, kind);
}

void record__nullify(struct record *rec, const char *key)
{
	for (size_t i = 0; i < rec->n; i++) {
		struct field *f = &rec->fields[i];

		if (strcmp(f->key, key))
			continue;
		if (f->kind == FIELD_JSON)
			json_decref(f->v.json);
		f->kind = FIELD_NULL;
		return;
	}
	record__null(rec, key);
}

void record__real(struct record *rec, const char *key, double v)
{
	struct field *f = record__field(rec, key, isfinite(v) ? FIELD_REAL : FIELD_NULL);

	if (f)
		f->v.d = v;
}

void record__strcpy(struct record *rec, const char *key, const char *s, size_t maxlen)
{
	struct field *f;
	size_t off = rec->arena.len, len;

	if (!s) {
		record__null(rec, key);
		return;
	}
	len = strnlen(s, maxlen);
	if (strbuf_add(&rec->arena, s, len)) {
		rec->err = -ENOMEM;
		return;
	}
	f = record__field(rec, key, FIELD_ARENA_STR);
	if (f) {
		f->v.a.off = off;
		f->v.a.len = len;
	}
}

void record__strf(struct record *rec, const char *key, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small)) {
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
	}
	if (n < 0) {
		rec->err = -ENOMEM;
		return;
	}
	record__strcpy(rec, key, big ? big : small, (size_t)n);
	free(big);
}

void record__strv(struct record *rec, const char *key, const char *const *v, size_t n)
{
	size_t off = rec->n_ptrs;
	struct field *f;

	for (size_t i = 0; i < n; i++) {
		if (ARRAY_GROW(rec->ptrs, rec->cap_ptrs, rec->n_ptrs)) {
			rec->err = -ENOMEM;
			return;
		}
		rec->ptrs[rec->n_ptrs++] = v[i];
	}
	f = record__field(rec, key, FIELD_STRV);
	if (f) {
		f->v.a.off = off;
		f->v.a.len = n;
	}
}

void record__time(struct record *rec, const char *key, uint64_t realtime_ns)
{
	struct field *f = record__field(rec, key, FIELD_TIME);

	if (f)
		f->v.u = realtime_ns;
}

void record__errno(struct record *rec, const char *key, long long ret)
{
	record__str(rec, key, ret < 0 && ret >= -4095 ? errno_name((int)-ret) : NULL);
}

void record__json(struct record *rec, const char *key, json_t *v)
{
	struct field *f = record__field(rec, key, v ? FIELD_JSON : FIELD_NULL);

	if (f && v)
		f->v.json = v;
	else if (v)
		json_decref(v);
}

const char *record__field_str(const struct record *rec, const struct field *f, size_t *len)
{
	if (f->kind == FIELD_ARENA_STR) {
		*len = f->v.a.len;
		return rec->arena.buf + f->v.a.off;
	}
	*len = f->v.s.len;
	return f->v.s.p;
}

const char *record__field_strv(const struct record *rec, const struct field *f, size_t i)
{
	return rec->ptrs[f->v.a.off + i];
}

/* Characters a JSON string cannot hold as they are, and bytes to check as UTF-8. */
static inline bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

int json_encode_bytes(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	char *w;

	/* Worst case: every byte becomes U+FFFD (3 bytes) or \u00XX (6). */
	if (strbuf_grow(out, len * 6 + 2))
		return -ENOMEM;
	w = out->buf + out->len;
	*w++ = '"';
	while (i < len) {
		unsigned char c = p[i];

		if (json_plain(c)) {
			*w++ = c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			i += utf8_copy_lossy(&w, p + i, len - i);
			continue;
		}
		*w++ = '\\';
		switch (c) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '\n': *w++ = 'n'; break;
		case '\t': *w++ = 't'; break;
		case '\r': *w++ = 'r'; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		default:
			*w++ = 'u';
			*w++ = '0';
			*w++ = '0';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
		i++;
	}
	*w++ = '"';
	out->len = w - out->buf;
	out->buf[out->len] = 0;
	return 0;
}

/* Digits of v at w (room for 21 bytes); returns the end. */
static char *put_u64(char *w, uint64_t v, bool neg)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		*w++ = '-';
	while (n)
		*w++ = tmp[--n];
	return w;
}

static int encode_real(struct strbuf *out, double d)
{
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%.15g", d);

	/* Keep it a JSON real, as jansson writes it: 3 -> 3.0. */
	if (!strpbrk(tmp, ".eE"))
		n += snprintf(tmp + n, sizeof(tmp) - n, ".0");
	return strbuf_add(out, tmp, n);
}

static int encode_json_value(struct strbuf *out, json_t *v)
{
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
	size_t room, need;

	if (strbuf_grow(out, 256))
		return -ENOMEM;
	room = out->cap - out->len - 1;
	need = json_dumpb(v, out->buf + out->len, room, flags);
	if (!need)
		return -EINVAL;
	if (need > room) {
		if (strbuf_grow(out, need + 1))
			return -ENOMEM;
		if (json_dumpb(v, out->buf + out->len, need, flags) != need)
			return -EINVAL;
	}
	out->len += need;
	out->buf[out->len] = 0;
	return 0;
}

int record__encode_field_json(const struct record *rec, const struct field *f,
			       struct strbuf *out)
{
	char ts[48];
	const char *s;
	size_t len;
	int err = 0;

	switch (f->kind) {
	case FIELD_NULL:
		return strbuf_add(out, "null", 4);
	case FIELD_INT:
	case FIELD_UINT:
		/* The caller made room for any number. */
		out->len = put_u64(out->buf + out->len,
				   f->kind == FIELD_UINT || f->v.i >= 0 ? f->v.u : -(uint64_t)f->v.i,
				   f->kind == FIELD_INT && f->v.i < 0) - out->buf;
		out->buf[out->len] = 0;
		return 0;
	case FIELD_REAL:
		return encode_real(out, f->v.d);
	case FIELD_BOOL:
		return f->v.b ? strbuf_add(out, "true", 4) : strbuf_add(out, "false", 5);
	case FIELD_STR:
	case FIELD_ARENA_STR:
		s = record__field_str(rec, f, &len);
		return json_encode_bytes(out, s, len);
	case FIELD_STRV:
		err = strbuf_addc(out, '[');
		for (size_t i = 0; i < f->v.a.len && !err; i++) {
			s = record__field_strv(rec, f, i);
			if (i)
				err = strbuf_addc(out, ',');
			if (!err)
				err = json_encode_bytes(out, s, strlen(s));
		}
		return err ? err : strbuf_addc(out, ']');
	case FIELD_TIME:
		format_rfc3339_ns(f->v.u, ts, sizeof(ts));
		return json_encode_bytes(out, ts, strlen(ts));
	case FIELD_JSON:
		return encode_json_value(out, f->v.json);
	}
	return -EINVAL;
}

int record__encode_json(const struct record *rec, struct strbuf *out)
{
	size_t start = out->len;
	int err = rec->err;

	if (!err)
		err = strbuf_addc(out, '{');
	for (size_t i = 0; i < rec->n && !err; i++) {
		const struct field *f = &rec->fields[i];
		char *w;

		/* Keys are literals of plain ASCII: no escaping. Room for a number too. */
		err = strbuf_grow(out, f->klen + 4 + 24);
		if (err)
			break;
		w = out->buf + out->len;
		if (i)
			*w++ = ',';
		*w++ = '"';
		memcpy(w, f->key, f->klen);
		w += f->klen;
		*w++ = '"';
		*w++ = ':';
		out->len = w - out->buf;
		err = record__encode_field_json(rec, f, out);
	}
	if (!err)
		err = strbuf_addc(out, '}');
	if (err) {
		/* Never leave half a record behind. */
		out->len = start;
		if (out->buf)
			out->buf[start] = 0;
	}
	return err;
}
