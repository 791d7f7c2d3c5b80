// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/sink_fmt.h"
#include "util/timefmt.h"
#include "util/utf8.h"

int csv_cell(struct strbuf *out, const char *s, size_t len, char delim)
{
	const unsigned char *p = (const unsigned char *)s;
	bool quote = false;
	size_t i = 0;
	char *w;

	for (size_t k = 0; k < len && !quote; k++)
		quote = p[k] == (unsigned char)delim || p[k] == '"' || p[k] == '\r' ||
			p[k] == '\n';
	/* Worst case: every byte a quote (2) or U+FFFD (3), and the quotes. */
	if (strbuf_grow(out, len * 3 + 2))
		return -ENOMEM;
	w = out->buf + out->len;
	if (quote)
		*w++ = '"';
	while (i < len) {
		if (p[i] == '"')
			*w++ = '"';
		i += utf8_copy_lossy(&w, p + i, len - i);
	}
	if (quote)
		*w++ = '"';
	out->len = w - out->buf;
	out->buf[out->len] = 0;
	return 0;
}

int text_clean(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	char *w;

	if (strbuf_grow(out, len * 3))
		return -ENOMEM;
	w = out->buf + out->len;
	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (c == '\n' || c == '\r' || c == '\t') {
			*w++ = '\\';
			*w++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			i++;
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			*w++ = '?';
			i += n;
		} else {
			i += utf8_put(&w, p + i, n);
		}
	}
	out->len = w - out->buf;
	out->buf[out->len] = 0;
	return 0;
}

int codepoint_width(uint32_t cp)
{
	/* Combining marks and zero-width characters. */
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
		{ 0x064b, 0x065f }, { 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f },
	};
	/* East Asian wide and fullwidth, emoji. */
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
		{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (cp >= zero[i][0] && cp <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

size_t text_cut(const char *s, size_t len, size_t max_cols, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, w = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		int cw;

		if (!n)
			n = 1;	/* not UTF-8: callers clean first; count it as one */
		cw = n == 1 ? 1 : codepoint_width(cp);
		if (w + cw > max_cols)
			break;
		w += cw;
		i += n;
	}
	if (cols)
		*cols = w;
	return i;
}

size_t text_width(const char *s, size_t len)
{
	size_t cols;

	text_cut(s, len, (size_t)-1, &cols);
	return cols;
}

/* "HH:MM:SS" local time ("??:??:??" when it has none). */
static const char *local_hms(time_t secs)
{
	static struct second_cache hms = SECOND_CACHE_INIT;
	const char *text;
	size_t len;

	text = second_cache__format(&hms, secs, "%H:%M:%S", true, &len);
	return len == 8 ? text : "??:??:??";
}

/*
 * One item of a list joined by spaces (argv), cleaned as a table cell is:
 * a list reads as one line in a csv cell too, for cut, awk and spreadsheets.
 */
static int join_item(struct strbuf *out, bool first, const char *s, size_t len)
{
	int err = first ? 0 : strbuf_addc(out, ' ');

	return err ? err : text_clean(out, s, len);
}

/* A list of strings joined by spaces (argv); false when it holds something else. */
static bool json_strings_join(json_t *arr, struct strbuf *out, int *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return false;
	json_array_foreach(arr, i, v)
		if (!*err)
			*err = join_item(out, !i, json_string_value(v), json_string_length(v));
	return true;
}

/* A pair object: exactly two members, a string then an integer ({"name":"read","count":3}). */
static bool json_is_pair(json_t *v, json_t **name, json_t **n)
{
	void *it = json_is_object(v) && json_object_size(v) == 2 ? json_object_iter(v) : NULL;

	if (!it)
		return false;
	*name = json_object_iter_value(it);
	*n = json_object_iter_value(json_object_iter_next(v, it));
	return json_is_string(*name) && json_is_integer(*n);
}

/* A list of pair objects as "name:n" words joined by spaces; false when it holds something else. */
static bool json_pairs_join(json_t *arr, struct strbuf *out, int *err)
{
	json_t *v, *name, *n;
	char num[24];
	size_t i;

	json_array_foreach(arr, i, v)
		if (!json_is_pair(v, &name, &n))
			return false;
	json_array_foreach(arr, i, v) {
		json_is_pair(v, &name, &n);
		snprintf(num, sizeof(num), ":%" JSON_INTEGER_FORMAT, json_integer_value(n));
		if (!*err)
			*err = join_item(out, !i, json_string_value(name), json_string_length(name));
		if (!*err)
			*err = strbuf_adds(out, num);
	}
	return true;
}

int field_text(const struct record *rec, const struct field *f, struct strbuf *out,
	       bool table)
{
	char ts[48];
	const char *str;
	size_t len;
	int err = 0;

	switch (f->kind) {
	case FIELD_NULL:
		return table ? strbuf_addc(out, '-') : 0;
	case FIELD_STR:
	case FIELD_ARENA_STR:
		str = record__field_str(rec, f, &len);
		return strbuf_add(out, str, len);
	case FIELD_STRV:
		for (size_t i = 0; i < f->v.a.len && !err; i++) {
			str = record__field_strv(rec, f, i);
			err = join_item(out, !i, str, strlen(str));
		}
		return err;
	case FIELD_TIME:
		if (table)
			return strbuf_add(out, local_hms(f->v.u / 1000000000ull), 8);
		format_rfc3339_ns(f->v.u, ts, sizeof(ts));
		return strbuf_adds(out, ts);
	case FIELD_JSON:
		if (json_is_array(f->v.json) && (json_strings_join(f->v.json, out, &err) ||
						 json_pairs_join(f->v.json, out, &err)))
			return err;
		break;
	default:
		break;
	}
	/* Numbers, bools, lists and nested values as their JSON text. */
	if (strbuf_grow(out, 24))
		return -ENOMEM;
	return record__encode_field_json(rec, f, out);
}

bool field_is_object(const struct field *f)
{
	const char *key;
	json_t *v;

	if (f->kind != FIELD_JSON || !json_is_object(f->v.json))
		return false;
	/* Objects of objects (sysseq's calls, keyed by name) vary from row to row. */
	json_object_foreach(f->v.json, key, v)
		if (json_is_object(v) || json_is_array(v))
			return false;
	return true;
}

json_t *record_member(const struct record *rec, const char *key)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct field *f = &rec->fields[i];
		size_t len = strlen(f->key);

		if (field_is_object(f) && !strncmp(key, f->key, len) && key[len] == '_')
			return json_object_get(f->v.json, key + len + 1);
	}
	return NULL;
}

int member_text(json_t *v, struct strbuf *out, bool table)
{
	char *text;
	int err;

	if (json_is_null(v))
		return table ? strbuf_addc(out, '-') : 0;
	if (json_is_string(v))
		return strbuf_add(out, json_string_value(v), json_string_length(v));
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	err = strbuf_adds(out, text);
	free(text);
	return err;
}
