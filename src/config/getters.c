// SPDX-License-Identifier: GPL-2.0
/*
 * Typed getters on the YAML tree: each takes one key of a mapping, keeps the
 * caller's default when it is absent or null, and names file:line:col and
 * the key path when its value is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/getters.h"

const char *cfg_value_show(const char *value, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; value[i] && o + 8 < size; i++) {
		unsigned char c = (unsigned char)value[i];

		if (i >= CFG_SHOW_MAX && (c & 0xc0) != 0x80) {
			o += snprintf(buf + o, size - o, "...");
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

int cfg_get_scalar(struct cfg_node *map, const char *key, struct cfg_node **out)
{
	struct cfg_node *node = cfg_node__get(map, key);

	*out = NULL;
	if (!node)
		return 0;
	if (node->kind != CFG_SCALAR) {
		cfg_node__error(node, "expected a scalar value");
		return -EINVAL;
	}
	if (!node->null)
		*out = node;
	return 0;
}

int cfg_node__parse_bool(const struct cfg_node *node, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	if (node->kind != CFG_SCALAR || node->quoted)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(node->value, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(node->value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int cfg_get_bool(struct cfg_node *map, const char *key, bool *out)
{
	struct cfg_node *node;
	char buf[CFG_SHOW_SIZE];
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	if (cfg_node__parse_bool(node, out)) {
		cfg_node__error(node, "expected a boolean (true/false, yes/no, on/off), got \"%s\"",
				cfg_value_show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	return 0;
}

/*
 * Decimal or 0x hex, optional leading '-', nothing else; unquoted only.
 * -EDOM for a leading zero ("010"): YAML 1.1 reads that as octal 8, a
 * reader of the file may take it for ten, so it is neither.
 */
static int parse_ll(const struct cfg_node *node, long long *out)
{
	const char *s = node->value;
	unsigned long long mag;
	bool neg = false;
	int base = 10;
	char *end;

	if (node->kind != CFG_SCALAR || node->quoted)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (base == 16 ? !isxdigit((unsigned char)*p) : !isdigit((unsigned char)*p))
			return -EINVAL;
	if (base == 10 && s[0] == '0' && s[1])
		return -EDOM;
	errno = 0;
	mag = strtoull(s, &end, base);
	if (errno || *end)
		return -ERANGE;
	if (neg) {
		if (mag > (unsigned long long)LLONG_MAX + 1)
			return -ERANGE;
		*out = mag == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)mag;
	} else {
		if (mag > (unsigned long long)LLONG_MAX)
			return -ERANGE;
		*out = (long long)mag;
	}
	return 0;
}

/*
 * KEY's integer, within [min, max] and a power of two when POW2; else the
 * error names the range (and the power). Absent: 0, *out untouched.
 */
static int get_ll(struct cfg_node *map, const char *key, long long min, long long max,
		  bool pow2, long long *out)
{
	struct cfg_node *node;
	char buf[CFG_SHOW_SIZE];
	long long v;
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	err = parse_ll(node, &v);
	if (err || v < min || v > max || (pow2 && (v & (v - 1)))) {
		cfg_node__error(node, "expected %s from %lld to %lld%s, got \"%s\"",
				pow2 ? "a power of two" : "an integer", min, max,
				err == -EDOM ? " without a leading zero (YAML 1.1 reads 010 as octal)" : "",
				cfg_value_show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cfg_get_int(struct cfg_node *map, const char *key, long long min, long long max,
		long long *out)
{
	return get_ll(map, key, min, max, false, out);
}

/* A power of two from 1 to max (buffer sizes in pages). */
int cfg_get_pow2(struct cfg_node *map, const char *key, long long max, long long *out)
{
	return get_ll(map, key, 1, max, true, out);
}

int cfg_seconds_parse(const char *text, double *out)
{
	unsigned long long whole = 0, ns = 0;
	int frac = 0;
	bool dot = false, any = false, below_ns = false;

	for (const char *p = text; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		any = true;
		if (!dot) {
			/* Past 10^9 s no setting takes it: keep it too big, not wrapped. */
			if (whole < 1000000000ull)
				whole = whole * 10 + (unsigned long long)(*p - '0');
		} else if (frac < 9) {
			ns = ns * 10 + (unsigned long long)(*p - '0');
			frac++;
		} else if (*p != '0') {
			below_ns = true;
		}
	}
	if (!any)
		return -EINVAL;
	if (text[0] == '0' && isdigit((unsigned char)text[1]))
		return -EDOM;
	while (frac++ < 9)
		ns *= 10;
	if (!whole && !ns && below_ns)
		return -ERANGE;
	/* One division of the exact count of nanoseconds: "0.1" is 0.1. */
	*out = (double)(whole * 1000000000ull + ns) / 1e9;
	return 0;
}

/* "3600", "0.01": whole numbers without a fraction or exponent. */
static const char *show_double(double v, char *buf, size_t size)
{
	if (v == (double)(long long)v)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "%g", v);
	return buf;
}

const char *cfg_seconds_hint(const char *value, int err)
{
	if (err == -EDOM)
		return " without a leading zero";
	if (err == -EINVAL && strpbrk(value, "eExX") && strpbrk(value, "0123456789"))
		return " in decimal digits such as 0.5 (no exponent or hex)";
	return "";
}

int cfg_get_double(struct cfg_node *map, const char *key, double min, double max,
		   double *out)
{
	struct cfg_node *node;
	char buf[CFG_SHOW_SIZE], lo[32], hi[32];
	double v = 0;
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	err = node->quoted ? -EINVAL : cfg_seconds_parse(node->value, &v);
	if (!err && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	show_double(min, lo, sizeof(lo));
	show_double(max, hi, sizeof(hi));
	cfg_value_show(node->value, buf, sizeof(buf));
	if (err == -ERANGE && min <= 0)
		cfg_node__error(node, "expected 0 or a number of seconds from 0.000000001 (1 ns) "
				"to %s, got \"%s\"", hi, buf);
	else
		cfg_node__error(node, "expected a number of seconds from %s to %s%s, got \"%s\"",
				lo, hi, cfg_seconds_hint(node->value, err), buf);
	return -EINVAL;
}

int cfg_get_string(struct cfg_node *map, const char *key, char **out)
{
	struct cfg_node *node;
	char *copy;
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	copy = strdup(node->value);
	if (!copy) {
		cfg_node__error(node, "out of memory");
		return -ENOMEM;
	}
	free(*out);
	*out = copy;
	return 0;
}

int cfg_get_enum(struct cfg_node *map, const char *key, const char *const *choices,
		 int *out)
{
	struct cfg_node *node;
	char list[512], buf[CFG_SHOW_SIZE];
	size_t o = 0;
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(node->value, choices[i])) {
			*out = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (int i = 0; choices[i] && o < sizeof(list); i++)
		o += snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", choices[i]);
	cfg_node__error(node, "expected one of: %s; got \"%s\"", list,
			cfg_value_show(node->value, buf, sizeof(buf)));
	return -EINVAL;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	if (v)
		while (v[n])
			n++;
	return n;
}

/* Append a copy of s[0..len) with blanks trimmed; an empty item is an error. */
static int strv_add_trimmed(char **v, size_t *n, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	v[*n] = strndup(s, len);
	if (!v[*n])
		return -ENOMEM;
	++*n;
	return 0;
}

int cfg_get_strv(struct cfg_node *map, const char *key, char ***out)
{
	struct cfg_node *node = cfg_node__get(map, key);
	char buf[CFG_SHOW_SIZE];
	char **v = NULL;
	size_t n = 0, max;
	int err = 0;

	if (!node || (node->kind == CFG_SCALAR && node->null))
		goto cleanup;
	if (node->kind == CFG_MAP) {
		cfg_node__error(node, "expected a list");
		err = -EINVAL;
		goto cleanup;
	}

	if (node->kind == CFG_SEQ) {
		max = node->n_kids;
	} else {
		max = 1;
		for (const char *p = node->value; *p; p++)
			max += *p == ',';
	}
	v = calloc(max + 1, sizeof(*v));
	if (!v) {
		cfg_node__error(node, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}

	if (node->kind == CFG_SEQ) {
		for (size_t i = 0; i < node->n_kids; i++) {
			struct cfg_node *item = node->kids[i];

			item->used = true;
			if (item->kind != CFG_SCALAR) {
				cfg_node__error(item, "expected a scalar value");
				err = -EINVAL;
				goto cleanup;
			}
			err = item->null ? -EINVAL :
			      strv_add_trimmed(v, &n, item->value, strlen(item->value));
			if (err) {
				cfg_node__error(item, err == -ENOMEM ? "out of memory" :
						"empty list item");
				goto cleanup;
			}
		}
	} else {
		const char *s = node->value;

		for (;;) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);

			err = strv_add_trimmed(v, &n, s, len);
			if (err == -ENOMEM) {
				cfg_node__error(node, "out of memory");
				goto cleanup;
			}
			if (err) {
				cfg_node__error(node, "empty item in list \"%s\"",
						cfg_value_show(node->value, buf, sizeof(buf)));
				goto cleanup;
			}
			if (!comma)
				break;
			s = comma + 1;
		}
	}

	strv_free(*out);
	*out = v;
	v = NULL;
cleanup:
	strv_free(v);
	return err;
}

int cfg_get_map(struct cfg_node *map, const char *key, struct cfg_node **out)
{
	struct cfg_node *node = cfg_node__get(map, key);

	*out = NULL;
	if (!node || (node->kind == CFG_SCALAR && node->null))
		return 0;
	if (node->kind != CFG_MAP) {
		cfg_node__error(node, "expected a mapping");
		return -EINVAL;
	}
	*out = node;
	return 0;
}
