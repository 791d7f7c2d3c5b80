// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file: a YAML document read with libyaml's event API into
 * a cfg_node tree that remembers file:line:col and the dotted key path of
 * every node, typed getters on that tree, and the global sections (app,
 * logging, output, kernel, filters). monitors.* is left to the monitors.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <yaml.h>

#include "config/config.h"
#include "util/log.h"
#include "util/strbuf.h"

/* Deeper nesting than this is not a configuration file; it bounds recursion. */
#define CFG_MAX_DEPTH		64
/* Nobody writes a 16 MiB configuration file; this stops reading /dev/zero. */
#define CFG_MAX_FILE_SIZE	(16u << 20)
/* Values quoted in error messages are cut after this many bytes. */
#define CFG_SHOW_MAX		80

/* ---------------------------------------------------------------------------
 * Error lines
 */

/*
 * Print "file:line:col: path: message" (parts left out when absent) as one
 * line; control characters from the file (in keys, say) are escaped so the
 * message stays on its line.
 */
static void report_v(const char *file, int line, int col, const char *path,
		     const char *fmt, va_list ap)
{
	char msg[1024], where[512], out[4096];
	const unsigned char *s;
	size_t o = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d:%d: %s%s", file ? file : "config",
			 line, col, path && *path ? path : "", path && *path ? ": " : "");
	else
		snprintf(where, sizeof(where), "%s: %s%s", file ? file : "config",
			 path && *path ? path : "", path && *path ? ": " : "");

	for (int part = 0; part < 2; part++) {
		for (s = (const unsigned char *)(part ? msg : where); *s; s++) {
			if (o + 5 >= sizeof(out))
				break;
			if (*s < 0x20 || *s == 0x7f)
				o += snprintf(out + o, sizeof(out) - o, "\\x%02x", *s);
			else
				out[o++] = (char)*s;
		}
	}
	out[o] = '\0';
	pr_err("%s", out);
}

static void report(const char *file, int line, int col, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(const char *file, int line, int col, const char *path,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(file, line, col, path, fmt, ap);
	va_end(ap);
}

void cfg_node__error(const struct cfg_node *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(node->file, node->line, node->col, node->path, fmt, ap);
	va_end(ap);
}

void cfg_node__key_error(const struct cfg_node *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(node->file, node->key ? node->key_line : node->line,
		 node->key ? node->key_col : node->col, node->path, fmt, ap);
	va_end(ap);
}

/*
 * A scalar's value for "got \"%s\"": backslashes and quotes escaped, cut
 * (on a UTF-8 character boundary) after CFG_SHOW_MAX bytes.
 */
static const char *show(const char *value, char *buf, size_t size)
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

#define SHOW_SIZE (CFG_SHOW_MAX * 4 + 16)

/* ---------------------------------------------------------------------------
 * The tree
 */

static void node_free(struct cfg_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n_kids; i++)
		node_free(node->kids[i]);
	free(node->kids);
	free(node->path);
	free(node->key);
	free(node->value);
	free(node);
}

void cfg_doc__free(struct cfg_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

static int node_append(struct cfg_node *parent, struct cfg_node *kid)
{
	size_t n = parent->n_kids;

	/* Capacity is implicit: grow to the next power of two (at least 4). */
	if (n < 4 ? n == 0 : !(n & (n - 1))) {
		size_t cap = n < 4 ? 4 : n * 2;
		struct cfg_node **kids = realloc(parent->kids, cap * sizeof(*kids));

		if (!kids)
			return -ENOMEM;
		parent->kids = kids;
	}
	parent->kids[parent->n_kids++] = kid;
	return 0;
}

static char *path_join_key(const char *parent, const char *key)
{
	size_t size;
	char *path;

	if (!parent || !*parent)
		return strdup(key);
	size = strlen(parent) + strlen(key) + 2;
	path = malloc(size);
	if (path)
		snprintf(path, size, "%s.%s", parent, key);
	return path;
}

static char *path_join_index(const char *parent, size_t index)
{
	size_t size = (parent ? strlen(parent) : 0) + 24;
	char *path = malloc(size);

	if (path)
		snprintf(path, size, "%s[%zu]", parent ? parent : "", index);
	return path;
}

/* ---------------------------------------------------------------------------
 * The YAML reader
 */

struct parse_ctx {
	yaml_parser_t parser;
	const char *file;	/* the document's copy */
	const char *text;
	size_t len;
};

static void report_mark(const struct parse_ctx *ctx, const yaml_mark_t *mark,
			const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report_mark(const struct parse_ctx *ctx, const yaml_mark_t *mark,
			const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(ctx->file, (int)mark->line + 1, (int)mark->column + 1, path, fmt, ap);
	va_end(ap);
}

/* Reader errors (bad UTF-8, control characters) only have a byte offset. */
static void offset_to_line_col(const struct parse_ctx *ctx, size_t offset,
			       int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < ctx->len; i++) {
		unsigned char c = (unsigned char)ctx->text[i];

		if (c == '\n') {
			++*line;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			++*col;
		}
	}
}

static int report_parser_error(struct parse_ctx *ctx)
{
	const yaml_parser_t *p = &ctx->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		report(ctx->file, 0, 0, NULL, "out of memory");
		return -ENOMEM;
	case YAML_READER_ERROR:
		offset_to_line_col(ctx, p->problem_offset, &line, &col);
		break;
	default:
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
		break;
	}
	if (p->context)
		report(ctx->file, line, col, NULL, "yaml syntax error: %s (%s)",
		       problem, p->context);
	else
		report(ctx->file, line, col, NULL, "yaml syntax error: %s", problem);
	return -EINVAL;
}

static int next_event(struct parse_ctx *ctx, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ctx->parser, ev))
		return report_parser_error(ctx);
	return 0;
}

static bool plain_is_null(const char *s, size_t len)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };

	if (len == 0)
		return true;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (len == strlen(nulls[i]) && !memcmp(s, nulls[i], len))
			return true;
	return false;
}

/* A scalar's text as a C string; NUL inside (from "\0") cannot be one. */
static int scalar_dup(struct parse_ctx *ctx, const yaml_event_t *ev,
		      const char *path, char **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	*out = NULL;
	if (memchr(s, '\0', len)) {
		report_mark(ctx, &ev->start_mark, path, "nul characters are not allowed");
		return -EINVAL;
	}
	*out = strndup(s, len);
	if (!*out) {
		report_mark(ctx, &ev->start_mark, path, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int parse_node(struct parse_ctx *ctx, const yaml_event_t *ev, char *path,
		      int depth, struct cfg_node **out);

/* One "key: value" of the mapping node; kev is the key's event. */
static int parse_map_entry(struct parse_ctx *ctx, struct cfg_node *map,
			   const yaml_event_t *kev, int depth)
{
	struct cfg_node *kid = NULL;
	yaml_event_t vev;
	char *key = NULL, *path = NULL;
	int err;

	if (kev->type == YAML_ALIAS_EVENT) {
		report_mark(ctx, &kev->start_mark, map->path, "aliases are not supported");
		err = -EINVAL;
		goto cleanup;
	}
	if (kev->type != YAML_SCALAR_EVENT) {
		report_mark(ctx, &kev->start_mark, map->path, "keys must be scalars");
		err = -EINVAL;
		goto cleanup;
	}
	if (kev->data.scalar.anchor) {
		report_mark(ctx, &kev->start_mark, map->path, "anchors are not supported");
		err = -EINVAL;
		goto cleanup;
	}
	err = scalar_dup(ctx, kev, map->path, &key);
	if (err)
		goto cleanup;
	if (!*key) {
		report_mark(ctx, &kev->start_mark, map->path, "empty key");
		err = -EINVAL;
		goto cleanup;
	}
	path = path_join_key(map->path, key);
	if (!path) {
		report_mark(ctx, &kev->start_mark, map->path, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < map->n_kids; i++) {
		if (!strcmp(map->kids[i]->key, key)) {
			report_mark(ctx, &kev->start_mark, path, "duplicate key");
			err = -EINVAL;
			goto cleanup;
		}
	}

	err = next_event(ctx, &vev);
	if (err)
		goto cleanup;
	err = parse_node(ctx, &vev, path, depth + 1, &kid);
	path = NULL;	/* parse_node owns it, whatever happened */
	yaml_event_delete(&vev);
	if (err)
		goto cleanup;

	kid->key = key;
	key = NULL;
	kid->key_line = (int)kev->start_mark.line + 1;
	kid->key_col = (int)kev->start_mark.column + 1;
	err = node_append(map, kid);
	if (err) {
		report_mark(ctx, &kev->start_mark, kid->path, "out of memory");
		goto cleanup;
	}
	kid = NULL;
cleanup:
	node_free(kid);
	free(path);
	free(key);
	return err;
}

static int parse_seq_item(struct parse_ctx *ctx, struct cfg_node *seq,
			  const yaml_event_t *ev, int depth)
{
	struct cfg_node *kid = NULL;
	char *path;
	int err;

	path = path_join_index(seq->path, seq->n_kids);
	if (!path) {
		report_mark(ctx, &ev->start_mark, seq->path, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	err = parse_node(ctx, ev, path, depth + 1, &kid);
	if (err)
		goto cleanup;
	err = node_append(seq, kid);
	if (err) {
		report_mark(ctx, &ev->start_mark, kid->path, "out of memory");
		goto cleanup;
	}
	kid = NULL;
cleanup:
	node_free(kid);
	return err;
}

/*
 * Build the node that starts with event ev (still the caller's to delete),
 * reading the events of its children. Takes ownership of path.
 */
static int parse_node(struct parse_ctx *ctx, const yaml_event_t *ev, char *path,
		      int depth, struct cfg_node **out)
{
	struct cfg_node *node = NULL;
	const yaml_char_t *anchor = NULL;
	yaml_event_type_t end_type;
	enum cfg_kind kind;
	int err = 0;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		report_mark(ctx, &ev->start_mark, path, "aliases are not supported");
		err = -EINVAL;
		goto cleanup;
	case YAML_SCALAR_EVENT:
		kind = CFG_SCALAR;
		anchor = ev->data.scalar.anchor;
		end_type = YAML_NO_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		kind = CFG_MAP;
		anchor = ev->data.mapping_start.anchor;
		end_type = YAML_MAPPING_END_EVENT;
		break;
	case YAML_SEQUENCE_START_EVENT:
		kind = CFG_SEQ;
		anchor = ev->data.sequence_start.anchor;
		end_type = YAML_SEQUENCE_END_EVENT;
		break;
	default:
		report_mark(ctx, &ev->start_mark, path, "unexpected yaml event %d",
			    (int)ev->type);
		err = -EINVAL;
		goto cleanup;
	}
	if (anchor) {
		report_mark(ctx, &ev->start_mark, path, "anchors are not supported");
		err = -EINVAL;
		goto cleanup;
	}
	if (depth > CFG_MAX_DEPTH) {
		report_mark(ctx, &ev->start_mark, path,
			    "nested more than %d levels deep", CFG_MAX_DEPTH);
		err = -EINVAL;
		goto cleanup;
	}

	node = calloc(1, sizeof(*node));
	if (!node) {
		report_mark(ctx, &ev->start_mark, path, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	node->kind = kind;
	node->file = ctx->file;
	node->path = path;
	path = NULL;
	node->line = (int)ev->start_mark.line + 1;
	node->col = (int)ev->start_mark.column + 1;

	if (kind == CFG_SCALAR) {
		yaml_scalar_style_t style = ev->data.scalar.style;
		const char *tag = (const char *)ev->data.scalar.tag;

		err = scalar_dup(ctx, ev, node->path, &node->value);
		if (err)
			goto cleanup;
		/*
		 * Only plain scalars are resolved to numbers, booleans and null;
		 * quoted and block (| >) scalars, and "!!str x", are strings.
		 */
		node->quoted = style != YAML_PLAIN_SCALAR_STYLE ||
			       (tag && !strcmp(tag, YAML_STR_TAG));
		node->null = !node->quoted &&
			     plain_is_null(node->value, ev->data.scalar.length);
		goto cleanup;
	}

	for (;;) {
		yaml_event_t kev;

		err = next_event(ctx, &kev);
		if (err)
			goto cleanup;
		if (kev.type == end_type) {
			yaml_event_delete(&kev);
			break;
		}
		if (kind == CFG_MAP)
			err = parse_map_entry(ctx, node, &kev, depth);
		else
			err = parse_seq_item(ctx, node, &kev, depth);
		yaml_event_delete(&kev);
		if (err)
			goto cleanup;
	}
cleanup:
	free(path);
	if (err) {
		node_free(node);
		node = NULL;
	}
	*out = node;
	return err;
}

/* Expect an event of type want (anything else is libyaml misbehaving). */
static int expect_event(struct parse_ctx *ctx, yaml_event_type_t want)
{
	yaml_event_t ev;
	int err;

	err = next_event(ctx, &ev);
	if (err)
		return err;
	if (ev.type != want) {
		report_mark(ctx, &ev.start_mark, NULL, "unexpected yaml event %d",
			    (int)ev.type);
		err = -EINVAL;
	}
	yaml_event_delete(&ev);
	return err;
}

struct cfg_doc *cfg_doc__parse_string(const char *name, const char *text, size_t len)
{
	struct parse_ctx ctx = { .text = text, .len = len };
	struct cfg_doc *doc = NULL;
	struct cfg_node *root = NULL;
	bool parser_ready = false;
	yaml_event_t ev;
	char *path;
	int err;

	doc = calloc(1, sizeof(*doc));
	if (doc)
		doc->file = strdup(name ? name : "config");
	if (!doc || !doc->file) {
		pr_err("config: %s: out of memory", name ? name : "config");
		err = -ENOMEM;
		goto cleanup;
	}
	ctx.file = doc->file;
	if (!yaml_parser_initialize(&ctx.parser)) {
		report(ctx.file, 0, 0, NULL, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	parser_ready = true;
	yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, len);

	err = expect_event(&ctx, YAML_STREAM_START_EVENT);
	if (err)
		goto cleanup;
	err = next_event(&ctx, &ev);
	if (err)
		goto cleanup;
	if (ev.type == YAML_STREAM_END_EVENT) {
		/* Nothing but whitespace and comments. */
		yaml_event_delete(&ev);
		goto check_root;
	}
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		report_mark(&ctx, &ev.start_mark, NULL, "unexpected yaml event %d",
			    (int)ev.type);
		yaml_event_delete(&ev);
		err = -EINVAL;
		goto cleanup;
	}
	yaml_event_delete(&ev);

	err = next_event(&ctx, &ev);
	if (err)
		goto cleanup;
	path = strdup("");
	if (!path) {
		yaml_event_delete(&ev);
		report(ctx.file, 0, 0, NULL, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	err = parse_node(&ctx, &ev, path, 0, &root);
	yaml_event_delete(&ev);
	if (err)
		goto cleanup;
	err = expect_event(&ctx, YAML_DOCUMENT_END_EVENT);
	if (err)
		goto cleanup;

	err = next_event(&ctx, &ev);
	if (err)
		goto cleanup;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		report_mark(&ctx, &ev.start_mark, NULL,
			    "more than one yaml document in the file");
		err = -EINVAL;
	}
	yaml_event_delete(&ev);
	if (err)
		goto cleanup;

check_root:
	if (!root || (root->kind == CFG_SCALAR && root->null)) {
		report(ctx.file, 0, 0, NULL, "empty configuration file");
		err = -EINVAL;
		goto cleanup;
	}
	if (root->kind != CFG_MAP) {
		report(ctx.file, root->line, root->col, NULL,
		       "expected a mapping at the top level, got a %s",
		       root->kind == CFG_SEQ ? "list" : "scalar value");
		err = -EINVAL;
		goto cleanup;
	}
	doc->root = root;
	root = NULL;
cleanup:
	if (parser_ready)
		yaml_parser_delete(&ctx.parser);
	node_free(root);
	if (err) {
		cfg_doc__free(doc);
		doc = NULL;
		errno = -err;
	}
	return doc;
}

struct cfg_doc *cfg_doc__load(const char *file)
{
	struct cfg_doc *doc = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int err = 0;

	f = fopen(file, "r");
	if (!f) {
		err = -errno;
		pr_err("config: cannot open %s: %s", file, strerror(-err));
		goto cleanup;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			size_t new_cap = cap ? cap * 2 : 4096;
			char *p;

			if (cap >= CFG_MAX_FILE_SIZE) {
				pr_err("config: %s: larger than %u bytes", file,
				       CFG_MAX_FILE_SIZE);
				err = -EFBIG;
				goto cleanup;
			}
			p = realloc(text, new_cap);
			if (!p) {
				pr_err("config: %s: out of memory", file);
				err = -ENOMEM;
				goto cleanup;
			}
			text = p;
			cap = new_cap;
		}
		errno = 0;
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				err = errno ? -errno : -EIO;
				pr_err("config: cannot read %s: %s", file, strerror(-err));
				goto cleanup;
			}
			break;
		}
	}

	doc = cfg_doc__parse_string(file, text ? text : "", len);
	if (!doc)
		err = -errno;
cleanup:
	if (f)
		fclose(f);
	free(text);
	if (err)
		errno = -err;
	return doc;
}

/* ---------------------------------------------------------------------------
 * Getters
 */

struct cfg_node *cfg_node__get(struct cfg_node *map, const char *key)
{
	if (!map || map->kind != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_kids; i++) {
		if (!strcmp(map->kids[i]->key, key)) {
			map->kids[i]->used = true;
			return map->kids[i];
		}
	}
	return NULL;
}

/*
 * The scalar at map.key for a getter: *out is NULL when absent or null (keep
 * the default), an error when it is a mapping or a list.
 */
static int get_scalar(struct cfg_node *map, const char *key, struct cfg_node **out)
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

static int parse_bool(const struct cfg_node *node, bool *out)
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
	char buf[SHOW_SIZE];
	int err;

	err = get_scalar(map, key, &node);
	if (err || !node)
		return err;
	if (parse_bool(node, out)) {
		cfg_node__error(node, "expected a boolean (true/false, yes/no, on/off), got \"%s\"",
				show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	return 0;
}

/* Decimal or 0x hex, optional leading '-', nothing else; unquoted only. */
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

int cfg_get_int(struct cfg_node *map, const char *key, long long min, long long max,
		long long *out)
{
	struct cfg_node *node;
	char buf[SHOW_SIZE];
	long long v;
	int err;

	err = get_scalar(map, key, &node);
	if (err || !node)
		return err;
	if (parse_ll(node, &v) || v < min || v > max) {
		cfg_node__error(node, "expected an integer from %lld to %lld, got \"%s\"",
				min, max, show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Non-negative decimal: digits, optionally one '.' and more digits ("2",
 * "0.5", ".5", "5."). Parsed by hand, not by strtod, so that the locale's
 * decimal point does not matter and "inf", "1e3" or " 1" are refused.
 */
static int parse_seconds(const struct cfg_node *node, double *out)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
		1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
	};
	unsigned long long mant = 0;
	int digits = 0, frac = 0;
	bool dot = false, any = false;

	if (node->kind != CFG_SCALAR || node->quoted)
		return -EINVAL;
	for (const char *p = node->value; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		any = true;
		if (dot)
			frac++;
		if (!mant && *p == '0') {
			/* Leading zeros are not significant digits. */
			if (dot && frac > 18)
				return -ERANGE;
			continue;
		}
		if (++digits > 18 || frac > 18)
			return -ERANGE;
		mant = mant * 10 + (unsigned long long)(*p - '0');
	}
	if (!any)
		return -EINVAL;
	*out = (double)mant / pow10[frac];
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

int cfg_get_double(struct cfg_node *map, const char *key, double min, double max,
		   double *out)
{
	struct cfg_node *node;
	char buf[SHOW_SIZE], lo[32], hi[32];
	double v;
	int err;

	err = get_scalar(map, key, &node);
	if (err || !node)
		return err;
	if (parse_seconds(node, &v) || v < min || v > max) {
		cfg_node__error(node, "expected a number of seconds from %s to %s, got \"%s\"",
				show_double(min, lo, sizeof(lo)),
				show_double(max, hi, sizeof(hi)),
				show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cfg_get_string(struct cfg_node *map, const char *key, char **out)
{
	struct cfg_node *node;
	char *copy;
	int err;

	err = get_scalar(map, key, &node);
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
	char list[512], buf[SHOW_SIZE];
	size_t o = 0;
	int err;

	err = get_scalar(map, key, &node);
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
			show(node->value, buf, sizeof(buf)));
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
	char buf[SHOW_SIZE];
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
						show(node->value, buf, sizeof(buf)));
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

int cfg_node__check_unused(const struct cfg_node *map)
{
	int err = 0;

	if (!map || map->kind != CFG_MAP)
		return 0;
	for (size_t i = 0; i < map->n_kids; i++) {
		const struct cfg_node *kid = map->kids[i];

		if (kid->used)
			continue;
		report(kid->file, kid->key_line, kid->key_col, kid->path, "unknown key");
		err = -EINVAL;
	}
	return err;
}

/* ---------------------------------------------------------------------------
 * The global sections
 */

void config__init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->duration = 0;
	cfg->stats_interval = 0;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->log_target = LOG_TARGET_AUTO;
	cfg->pid_file = strdup(DAEMON_PID_FILE);
	cfg->stop_timeout = 10;
	cfg->format = OUTPUT_AUTO;
	cfg->output_file = NULL;
	cfg->output_dir = strdup("output");	/* NULL only when out of memory */
	cfg->include_header = true;
	cfg->csv_delimiter = ',';
	cfg->buffer_size = 256;
	cfg->flush_interval = 1;
	cfg->transport = TRANSPORT_AUTO;
	cfg->perf_pages = 64;
	cfg->ringbuf_pages = 128;
	cfg->wakeup_events = 1;
	cfg->headers = strdup("auto");	/* NULL (with pid_file) only when out of memory */
	cfg->btf = true;
}

static void sinks_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		free(cfg->sinks[i].file);
		free(cfg->sinks[i].dir);
	}
	free(cfg->sinks);
	cfg->sinks = NULL;
	cfg->n_sinks = 0;
}

void config__free(struct config *cfg)
{
	cfg_doc__free(cfg->doc);
	free(cfg->output_file);
	free(cfg->output_dir);
	sinks_free(cfg);
	free(cfg->log_file);
	free(cfg->pid_file);
	free(cfg->headers);
	free(cfg->metrics_listen);
	strv_free(cfg->comms);
	strv_free(cfg->users);
	strv_free(cfg->pids);
	/* Harmless to free twice, and nothing dangles into the freed tree. */
	memset(cfg, 0, sizeof(*cfg));
}

/* Keep the first error, except that running out of memory trumps it. */
static void merge_err(int *err, int ret)
{
	if (ret && (!*err || ret == -ENOMEM))
		*err = ret;
}

static int load_app(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "app", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_double(sec, "duration", 0, 31536000, &cfg->duration));
	merge_err(&err, cfg_get_double(sec, "stats_interval", 0, 86400,
				       &cfg->stats_interval));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

/* A string key that, when given, must not be empty (a path). */
static int get_path(struct cfg_node *map, const char *key, const char *what, char **out)
{
	int err = cfg_get_string(map, key, out);

	if (!err && *out && !**out) {
		cfg_node__error(cfg_node__get(map, key), "expected %s, got \"\"", what);
		err = -EINVAL;
	}
	return err;
}

static int load_logging(struct config *cfg, struct cfg_node *root)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	static const char *const targets[] = {
		[LOG_TARGET_AUTO] = "auto",
		[LOG_TARGET_STDERR] = "stderr",
		[LOG_TARGET_SYSLOG] = "syslog",
		[LOG_TARGET_FILE] = "file",
		NULL,
	};
	struct cfg_node *sec;
	enum log_level level;
	int err, ret, idx = -1;

	err = cfg_get_map(root, "logging", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_enum(sec, "level", levels, &idx));
	if (idx >= 0 && !log_level_parse(levels[idx], &level))
		cfg->log_level = (int)level;
	ret = cfg_get_enum(sec, "target", targets, &cfg->log_target);
	merge_err(&err, ret);
	merge_err(&err, get_path(sec, "file", "a file name", &cfg->log_file));
	if (!ret && cfg->log_target == LOG_TARGET_FILE && !cfg->log_file) {
		cfg_node__error(cfg_node__get(sec, "target"), "\"file\" needs logging.file");
		merge_err(&err, -EINVAL);
	} else if (!ret && cfg->log_target != LOG_TARGET_FILE && cfg->log_file) {
		cfg_node__error(cfg_node__get(sec, "file"),
				"only used with logging.target: file");
		merge_err(&err, -EINVAL);
	}
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

static int load_daemon(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "daemon", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, get_path(sec, "pid_file", "a file name", &cfg->pid_file));
	merge_err(&err, cfg_get_double(sec, "stop_timeout", 0.1, 3600, &cfg->stop_timeout));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

/* A power of two from 1 to max (buffer sizes in pages). */
static int get_pow2(struct cfg_node *map, const char *key, long long max, long long *out)
{
	struct cfg_node *node;
	char buf[SHOW_SIZE];
	long long v;
	int err;

	err = get_scalar(map, key, &node);
	if (err || !node)
		return err;
	if (parse_ll(node, &v) || v < 1 || v > max || (v & (v - 1))) {
		cfg_node__error(node, "expected a power of two from 1 to %lld, got \"%s\"", max,
				show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static const char *const output_formats[] = {
	[OUTPUT_JSON] = "json",
	[OUTPUT_CSV] = "csv",
	[OUTPUT_TABLE] = "table",
	[OUTPUT_NONE] = "none",
	NULL,
};

/* output.file or a sink's file: "-" is stdout (NULL). */
static int get_file(struct cfg_node *map, const char *key, char **out)
{
	int err = cfg_get_string(map, key, out);

	if (!err && *out && !strcmp(*out, "-")) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* A directory for csv files: no ".." component, so nothing lands outside it. */
static int get_dir(struct cfg_node *map, const char *key, char **out)
{
	struct cfg_node *node = cfg_node__get(map, key);
	char buf[SHOW_SIZE];
	int err;

	err = cfg_get_string(map, key, out);
	if (err || !node || node->kind != CFG_SCALAR || node->null)
		return err;
	if (!**out || !output_dir_safe(*out)) {
		cfg_node__error(node, "expected a directory without a \"..\" component, got \"%s\"",
				show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	return 0;
}

bool output_dir_safe(const char *dir)
{
	const char *p = dir;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += *p == '/';
	}
	return true;
}

/* One byte that cannot be confused with quoting or a line end (or start UTF-8). */
static int get_delimiter(struct cfg_node *map, const char *key, char *out)
{
	struct cfg_node *node;
	char buf[SHOW_SIZE];
	const char *v;
	int err;

	err = get_scalar(map, key, &node);
	if (err || !node)
		return err;
	v = node->value;
	if (strlen(v) != 1 || *v == '"' || *v == '\r' || *v == '\n' || (unsigned char)*v >= 0x80) {
		cfg_node__error(node, "expected one ASCII character other than '\"', CR or LF, got \"%s\"",
				show(v, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = *v;
	return 0;
}

/* Keys that only one format takes, refused on a sink of another format. */
static int sink_key_check(struct cfg_node *item, int format)
{
	static const char *const csv_only[] = { "dir", "include_header", "csv_delimiter", NULL };
	int err = 0;

	for (size_t i = 0; csv_only[i]; i++) {
		struct cfg_node *node = cfg_node__get(item, csv_only[i]);

		if (node && format != OUTPUT_CSV) {
			cfg_node__key_error(node, "only a csv sink takes this key");
			err = -EINVAL;
		}
	}
	if (cfg_node__get(item, "file") && format == OUTPUT_CSV) {
		cfg_node__key_error(cfg_node__get(item, "file"),
				    "a csv sink writes files in its dir, it takes no file");
		err = -EINVAL;
	}
	return err;
}

/* Two sinks writing to one place would interleave: the second is an error. */
static int sink_clash_check(const struct config *cfg, const struct sink_config *sc,
			    struct cfg_node *item)
{
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		const struct sink_config *o = &cfg->sinks[i];
		struct cfg_node *where;

		if ((sc->format == OUTPUT_CSV) != (o->format == OUTPUT_CSV))
			continue;
		if (sc->format == OUTPUT_CSV ? strcmp(sc->dir, o->dir) :
		    (sc->file || o->file) && (!sc->file || !o->file || strcmp(sc->file, o->file)))
			continue;
		where = cfg_node__get(item, sc->format == OUTPUT_CSV ? "dir" : "file");
		cfg_node__error(where ? where : item, "sink %zu writes to the same %s as sink %zu",
				cfg->n_sinks + 1,
				sc->format == OUTPUT_CSV ? "directory" : sc->file ? "file" : "stdout",
				i + 1);
		return -EINVAL;
	}
	return 0;
}

static int load_sink(struct config *cfg, struct cfg_node *item, struct sink_config *sc)
{
	int err = 0;

	*sc = (struct sink_config){
		.format = OUTPUT_AUTO,
		.include_header = cfg->include_header,
		.csv_delimiter = cfg->csv_delimiter,
		.buffer_size = cfg->buffer_size,
		.flush_interval = cfg->flush_interval,
	};
	sc->dir = strdup(cfg->output_dir);
	if (!sc->dir)
		return -ENOMEM;
	if (item->kind != CFG_MAP) {
		cfg_node__error(item, "expected a mapping such as { format: json, file: FILE }");
		return -EINVAL;
	}
	merge_err(&err, cfg_get_enum(item, "format", output_formats, &sc->format));
	if (!err && sc->format == OUTPUT_NONE) {
		cfg_node__error(cfg_node__get(item, "format"),
				"none is only for output.format (no sinks at all)");
		err = -EINVAL;
	}
	if (err)
		return err;
	merge_err(&err, sink_key_check(item, sc->format));
	merge_err(&err, get_file(item, "file", &sc->file));
	merge_err(&err, get_dir(item, "dir", &sc->dir));
	merge_err(&err, cfg_get_bool(item, "include_header", &sc->include_header));
	merge_err(&err, get_delimiter(item, "csv_delimiter", &sc->csv_delimiter));
	merge_err(&err, cfg_get_int(item, "buffer_size", 1, 65536, &sc->buffer_size));
	merge_err(&err, cfg_get_double(item, "flush_interval", 0.01, 3600, &sc->flush_interval));
	merge_err(&err, cfg_node__check_unused(item));
	if (!err)
		err = sink_clash_check(cfg, sc, item);
	return err;
}

/* output.sinks: after the output keys, whose values are the sinks' defaults. */
static int load_sinks(struct config *cfg, struct cfg_node *sec)
{
	struct cfg_node *seq = cfg_node__get(sec, "sinks");
	int err = 0;

	if (!seq || (seq->kind == CFG_SCALAR && seq->null))
		return 0;
	if (seq->kind != CFG_SEQ || !seq->n_kids) {
		cfg_node__error(seq, "expected a list of sinks such as [{ format: json }]");
		return -EINVAL;
	}
	cfg->sinks = calloc(seq->n_kids, sizeof(*cfg->sinks));
	if (!cfg->sinks)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n_kids; i++) {
		struct sink_config *sc = &cfg->sinks[cfg->n_sinks];
		int ret = load_sink(cfg, seq->kids[i], sc);

		cfg->n_sinks++;
		merge_err(&err, ret);
		/* The event loop flushes as often as the most eager sink wants. */
		if (!ret && sc->flush_interval < cfg->flush_interval)
			cfg->flush_interval = sc->flush_interval;
	}
	return err;
}

static int load_output(struct config *cfg, struct cfg_node *root)
{
	static const char *const transports[] = {
		[TRANSPORT_AUTO] = "auto",
		[TRANSPORT_PERF] = "perf",
		[TRANSPORT_RINGBUF] = "ringbuf",
		NULL,
	};
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "output", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_enum(sec, "format", output_formats, &cfg->format));
	merge_err(&err, get_file(sec, "file", &cfg->output_file));
	merge_err(&err, get_dir(sec, "dir", &cfg->output_dir));
	merge_err(&err, cfg_get_bool(sec, "include_header", &cfg->include_header));
	merge_err(&err, get_delimiter(sec, "csv_delimiter", &cfg->csv_delimiter));
	merge_err(&err, cfg_get_int(sec, "buffer_size", 1, 65536, &cfg->buffer_size));
	merge_err(&err, cfg_get_double(sec, "flush_interval", 0.01, 3600,
				       &cfg->flush_interval));
	merge_err(&err, cfg_get_enum(sec, "transport", transports, &cfg->transport));
	merge_err(&err, get_pow2(sec, "perf_pages", 4096, &cfg->perf_pages));
	merge_err(&err, get_pow2(sec, "ringbuf_pages", 65536, &cfg->ringbuf_pages));
	merge_err(&err, cfg_get_int(sec, "wakeup_events", 1, 10000, &cfg->wakeup_events));
	merge_err(&err, cfg_get_double(sec, "reorder_window", 0, 10, &cfg->reorder_window));
	if (!err)
		err = load_sinks(cfg, sec);
	if (!err && cfg->format == OUTPUT_NONE && cfg->n_sinks) {
		cfg_node__error(cfg_node__get(sec, "format"),
				"none writes no output, yet output.sinks names some");
		err = -EINVAL;
	}
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

int config__set_output(struct config *cfg, const char *format, const char *output)
{
	int fmt = cfg->format;
	char *copy = NULL;

	if (!format && !output)
		return 0;
	if (format) {
		for (fmt = 0; output_formats[fmt] && strcmp(output_formats[fmt], format); fmt++)
			;
		if (!output_formats[fmt]) {
			pr_err("--format: expected json, csv, table or none, got '%s'", format);
			return -EINVAL;
		}
	}
	if (output && fmt == OUTPUT_NONE) {
		pr_err("--output: none writes no output, got '%s'", output);
		return -EINVAL;
	}
	if (output && fmt == OUTPUT_CSV && !output_dir_safe(output)) {
		pr_err("--output: expected a directory without a \"..\" component, got '%s'", output);
		return -EINVAL;
	}
	if (output && strcmp(output, "-") && !(copy = strdup(output)))
		return -ENOMEM;
	cfg->format = fmt;
	if (output && fmt == OUTPUT_CSV) {
		free(cfg->output_dir);
		cfg->output_dir = copy ? copy : strdup(".");
	} else if (output) {
		free(cfg->output_file);
		cfg->output_file = copy;
	}
	sinks_free(cfg);
	return 0;
}

size_t config__sinks(const struct config *cfg, struct sink_config *one,
		     const struct sink_config **sinks)
{
	if (cfg->n_sinks) {
		*sinks = cfg->sinks;
		return cfg->n_sinks;
	}
	*one = (struct sink_config){
		.format = cfg->format,
		.file = cfg->output_file,
		.dir = cfg->output_dir,
		.include_header = cfg->include_header,
		.csv_delimiter = cfg->csv_delimiter,
		.buffer_size = cfg->buffer_size,
		.flush_interval = cfg->flush_interval,
	};
	*sinks = one;
	return 1;
}

int metrics_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			 const char **why)
{
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	const char *colon = strrchr(text, ':'), *port_text;
	char host[INET6_ADDRSTRLEN + 2];
	size_t host_len;
	char *end;
	long port;

	memset(addr, 0, sizeof(*addr));
	*why = "expected HOST:PORT such as 127.0.0.1:9435 or [::1]:9435";
	if (!colon || (text[0] == '[' && colon[-1] != ']'))
		return -EINVAL;
	host_len = colon - text;
	port_text = colon + 1;
	if (host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, host_len);
	host[host_len] = 0;
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!isdigit((unsigned char)*port_text) || *end || errno || port > 65535) {
		*why = "expected a port from 0 to 65535 after the last ':'";
		return -EINVAL;
	}
	*why = "expected an IPv4 address, [IPv6 address] or localhost before the port";
	if (host[0] == '[') {
		host[host_len - 1] = 0;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	*len = sizeof(*in);
	if (!host[0]) {
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (!strcmp(host, "localhost")) {
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

static int load_metrics(struct config *cfg, struct cfg_node *root)
{
	struct sockaddr_storage addr;
	struct cfg_node *sec;
	char buf[SHOW_SIZE];
	const char *why;
	socklen_t len;
	int err, ret;

	err = cfg_get_map(root, "metrics", &sec);
	if (err || !sec)
		return err;
	ret = cfg_get_string(sec, "listen", &cfg->metrics_listen);
	merge_err(&err, ret);
	if (!ret && cfg->metrics_listen &&
	    metrics_listen_parse(cfg->metrics_listen, &addr, &len, &why)) {
		cfg_node__error(cfg_node__get(sec, "listen"), "%s, got \"%s\"", why,
				show(cfg->metrics_listen, buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}
	merge_err(&err, cfg_get_int(sec, "comm_labels", 0, 1000, &cfg->metrics_comm_labels));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

int config__check_metrics(struct config *cfg, bool format_flag)
{
	struct cfg_node *node;

	if (cfg->format != OUTPUT_NONE || cfg->metrics_listen)
		return 0;
	node = format_flag || !cfg->doc ? NULL :
	       cfg_node__get(cfg_node__get(cfg->doc->root, "output"), "format");
	if (node)
		cfg_node__error(node, "none writes nothing without metrics.listen "
				"(or --metrics-listen)");
	else
		pr_err("-f none: nothing would come out without metrics.listen or "
		       "--metrics-listen");
	return -EINVAL;
}

static int load_kernel(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec, *node;
	char buf[SHOW_SIZE];
	int err, ret;

	err = cfg_get_map(root, "kernel", &sec);
	if (err || !sec)
		return err;

	ret = cfg_get_string(sec, "headers", &cfg->headers);
	merge_err(&err, ret);
	if (!ret && cfg->headers && !*cfg->headers) {
		node = cfg_node__get(sec, "headers");
		cfg_node__error(node, "expected \"auto\" or a directory, got \"\"");
		merge_err(&err, -EINVAL);
	}

	ret = get_scalar(sec, "btf", &node);
	merge_err(&err, ret);
	if (!ret && node) {
		bool on;

		if (!parse_bool(node, &on)) {
			cfg->btf = on;
		} else if (!strcmp(node->value, "auto")) {
			cfg->btf = true;
		} else if (!strcmp(node->value, "off")) {
			cfg->btf = false;
		} else {
			cfg_node__error(node, "expected one of: auto, off; got \"%s\"",
					show(node->value, buf, sizeof(buf)));
			merge_err(&err, -EINVAL);
		}
	}

	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

/* The node that item i of a strv came from: a list item, or the one scalar. */
static struct cfg_node *strv_item_node(struct cfg_node *node, size_t i)
{
	return node->kind == CFG_SEQ && i < node->n_kids ? node->kids[i] : node;
}

static int load_filters(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec, *node;
	char buf[SHOW_SIZE];
	int err, ret;

	err = cfg_get_map(root, "filters", &sec);
	if (err || !sec)
		return err;

	ret = cfg_get_strv(sec, "comm", &cfg->comms);
	merge_err(&err, ret);
	node = cfg_node__get(sec, "comm");
	for (size_t i = 0; !ret && node && cfg->comms && cfg->comms[i]; i++) {
		if (strlen(cfg->comms[i]) <= 15)
			continue;
		cfg_node__error(strv_item_node(node, i),
				"process names are at most 15 characters (the kernel's comm), "
				"got \"%s\"",
				show(cfg->comms[i], buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}

	merge_err(&err, cfg_get_strv(sec, "user", &cfg->users));

	ret = cfg_get_strv(sec, "pid", &cfg->pids);
	merge_err(&err, ret);
	node = cfg_node__get(sec, "pid");
	for (size_t i = 0; !ret && node && cfg->pids && cfg->pids[i]; i++) {
		const char *s = cfg->pids[i];
		unsigned long long pid = 0;
		bool good = *s && *s != '0';

		for (const char *p = s; good && *p; p++) {
			good = isdigit((unsigned char)*p);
			pid = pid * 10 + (unsigned long long)(*p - '0');
			good = good && pid <= INT_MAX;
		}
		if (good)
			continue;
		cfg_node__error(strv_item_node(node, i),
				"expected a process id (a positive integer), got \"%s\"",
				show(s, buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}

	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

static int node_dump(const struct cfg_node *node, struct strbuf *sb)
{
	int err = 0;

	if (node->key)
		err |= strbuf_addf(sb, "%s:", node->key);
	if (node->kind == CFG_SCALAR)
		/* The length first: no value can pass for two. */
		return err | strbuf_addf(sb, "%c%zu=%s;", node->null ? 'n' : node->quoted ? 'q' : 's',
					 strlen(node->value ? node->value : ""),
					 node->value ? node->value : "");
	err |= strbuf_addc(sb, node->kind == CFG_MAP ? '{' : '[');
	for (size_t i = 0; i < node->n_kids; i++)
		err |= node_dump(node->kids[i], sb);
	return err | strbuf_addc(sb, node->kind == CFG_MAP ? '}' : ']');
}

char *cfg_node__dump(const struct cfg_node *node)
{
	struct strbuf sb = STRBUF_INIT;

	if ((node && node_dump(node, &sb)) || strbuf_addc(&sb, '.')) {
		strbuf_release(&sb);
		errno = ENOMEM;
		return NULL;
	}
	return strbuf_detach(&sb);
}

int config__load(struct config *cfg, const char *file)
{
	struct cfg_node *root;
	int err = 0;

	config__init_defaults(cfg);
	if (!cfg->headers || !cfg->pid_file) {
		pr_err("config: out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	cfg->doc = cfg_doc__load(file);
	if (!cfg->doc) {
		err = -errno;
		goto cleanup;
	}
	root = cfg->doc->root;

	merge_err(&err, load_app(cfg, root));
	merge_err(&err, load_logging(cfg, root));
	merge_err(&err, load_daemon(cfg, root));
	merge_err(&err, load_output(cfg, root));
	merge_err(&err, load_metrics(cfg, root));
	merge_err(&err, load_kernel(cfg, root));
	merge_err(&err, load_filters(cfg, root));
	merge_err(&err, cfg_get_map(root, "monitors", &cfg->monitors));
	merge_err(&err, cfg_node__check_unused(root));
cleanup:
	return err;
}
