// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file as a YAML tree: libyaml's events -> cfg_node, each
 * node with its file:line:col and dotted key path, and the error lines that
 * name them.
 *
 * Read with the event API, not yaml_parser_load(): the document that loads
 * keeps no anchors (an unused "&x" would pass), hides which tags were
 * written (plain scalars get !!str, so "!!str 5" would be a number), drops the key path of an
 * undefined alias, and is only built once libyaml has scanned all of a
 * deeply nested file, in time quadratic in the depth, where the events stop
 * at the first level too deep.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config/yaml_tree.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/trust.h"

/* Deeper nesting than this is not a configuration file; it bounds recursion. */
#define CFG_MAX_DEPTH		64
/* Nobody writes a 16 MiB configuration file; this stops reading /dev/zero. */
#define CFG_MAX_FILE_SIZE	(16u << 20)
/* Error lines printed for one document; the rest are counted (cfg_errors_flush). */
#define CFG_MAX_ERRORS		20

/* ---------------------------------------------------------------------------
 * Error lines
 */

/*
 * A file of 200,000 unknown keys must not print 200,000 lines: after
 * CFG_MAX_ERRORS the lines are only counted. One config is read at a time
 * (the start, or a reload on the event loop's thread), so one count will do.
 */
static unsigned long errors_shown, errors_hidden;

void cfg_errors_flush(void)
{
	if (errors_hidden)
		pr_err("config: %lu more error%s not shown", errors_hidden,
		       errors_hidden == 1 ? "" : "s");
	errors_shown = errors_hidden = 0;
}

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

	if (errors_shown >= CFG_MAX_ERRORS) {
		errors_hidden++;
		return;
	}
	errors_shown++;
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

/* ---------------------------------------------------------------------------
 * The tree
 */

void cfg_node__free(struct cfg_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n_kids; i++)
		cfg_node__free(node->kids[i]);
	free(node->kids);
	free(node->path);
	free(node->key);
	free(node->value);
	free(node);
}

void cfg_doc__free(struct cfg_doc *doc)
{
	/* Its errors are all out: say how many were not shown. */
	cfg_errors_flush();
	if (!doc)
		return;
	cfg_node__free(doc->root);
	for (size_t i = 0; i < doc->n_labels; i++)
		free(doc->labels[i]);
	free(doc->labels);
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

/*
 * "!!str 5", "!foo x": a tag would change what a value means ("!!str" a
 * string, "!!int" a number) where the getters decide that from the value
 * alone, so none is taken rather than some silently ignored.
 */
static void report_tag(struct parse_ctx *ctx, const yaml_event_t *ev, const char *path)
{
	report_mark(ctx, &ev->start_mark, path,
		    "yaml tags (such as !!str) are not supported; quote a value to make it a string");
}

/*
 * The keys of the mapping being read, for the duplicate check: a linear
 * scan per key made 80,000 keys take 46 s. Open addressing; a slot holds
 * the index of a kid plus one (0: empty). Only lives while the mapping is read.
 */
struct key_set {
	size_t *slots;
	size_t cap;		/* a power of two, at least twice the keys */
};

static size_t key_hash(const char *key)
{
	size_t h = 14695981039346656037ull;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

/* The slot of KEY in set: its kid's, or the empty one where it would go. */
static size_t *key_set_slot(const struct key_set *set, const struct cfg_node *map,
			    const char *key)
{
	size_t i = key_hash(key) & (set->cap - 1);

	while (set->slots[i] && strcmp(map->kids[set->slots[i] - 1]->key, key))
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

/* Room for one more key of MAP (which has n_kids): 0 or -ENOMEM. */
static int key_set_reserve(struct key_set *set, const struct cfg_node *map)
{
	struct key_set grown;

	if (set->cap >= 2 * (map->n_kids + 1))
		return 0;
	grown.cap = set->cap ? set->cap * 2 : 16;
	grown.slots = calloc(grown.cap, sizeof(*grown.slots));
	if (!grown.slots)
		return -ENOMEM;
	for (size_t k = 0; k < map->n_kids; k++)
		*key_set_slot(&grown, map, map->kids[k]->key) = k + 1;
	free(set->slots);
	*set = grown;
	return 0;
}

/* One "key: value" of the mapping node; kev is the key's event. */
static int parse_map_entry(struct parse_ctx *ctx, struct cfg_node *map,
			   struct key_set *keys, const yaml_event_t *kev, int depth)
{
	size_t *slot;
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
	if (kev->data.scalar.tag) {
		report_tag(ctx, kev, map->path);
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
	if (key_set_reserve(keys, map)) {
		report_mark(ctx, &kev->start_mark, path, "out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	if (*key_set_slot(keys, map, key)) {
		report_mark(ctx, &kev->start_mark, path, "duplicate key");
		err = -EINVAL;
		goto cleanup;
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
	slot = key_set_slot(keys, map, kid->key);
	err = node_append(map, kid);
	if (err) {
		report_mark(ctx, &kev->start_mark, kid->path, "out of memory");
		goto cleanup;
	}
	*slot = map->n_kids;
	kid = NULL;
cleanup:
	cfg_node__free(kid);
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
	cfg_node__free(kid);
	return err;
}

/*
 * Build the node that starts with event ev (still the caller's to delete),
 * reading the events of its children. Takes ownership of path.
 */
/*
 * The kind of node EV starts, and the event that ends it (none for a
 * scalar); aliases, anchors and too deep nesting refused, reported.
 */
static int node_kind(struct parse_ctx *ctx, const yaml_event_t *ev, const char *path,
		     int depth, enum cfg_kind *kind, yaml_event_type_t *end_type)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		report_mark(ctx, &ev->start_mark, path, "aliases are not supported");
		return -EINVAL;
	case YAML_SCALAR_EVENT:
		*kind = CFG_SCALAR;
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		*end_type = YAML_NO_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		*kind = CFG_MAP;
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		*end_type = YAML_MAPPING_END_EVENT;
		break;
	case YAML_SEQUENCE_START_EVENT:
		*kind = CFG_SEQ;
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		*end_type = YAML_SEQUENCE_END_EVENT;
		break;
	default:
		report_mark(ctx, &ev->start_mark, path, "unexpected yaml event %d",
			    (int)ev->type);
		return -EINVAL;
	}
	if (anchor) {
		report_mark(ctx, &ev->start_mark, path, "anchors are not supported");
		return -EINVAL;
	}
	if (tag) {
		report_tag(ctx, ev, path);
		return -EINVAL;
	}
	if (depth > CFG_MAX_DEPTH) {
		report_mark(ctx, &ev->start_mark, path,
			    "nested more than %d levels deep", CFG_MAX_DEPTH);
		return -EINVAL;
	}
	return 0;
}

static int scalar_fill(struct parse_ctx *ctx, const yaml_event_t *ev, struct cfg_node *node)
{
	yaml_scalar_style_t style = ev->data.scalar.style;
	int err;

	err = scalar_dup(ctx, ev, node->path, &node->value);
	if (err)
		return err;
	/*
	 * Only plain scalars are resolved to numbers, booleans and null;
	 * quoted and block (| >) scalars are strings.
	 */
	node->quoted = style != YAML_PLAIN_SCALAR_STYLE;
	node->null = !node->quoted && plain_is_null(node->value, ev->data.scalar.length);
	return 0;
}

/* A mapping's entries or a sequence's items, up to END_TYPE. */
static int collection_fill(struct parse_ctx *ctx, struct cfg_node *node,
			   yaml_event_type_t end_type, int depth)
{
	struct key_set keys = { 0 };
	int err;

	for (;;) {
		yaml_event_t kev;

		err = next_event(ctx, &kev);
		if (err)
			break;
		if (kev.type == end_type) {
			yaml_event_delete(&kev);
			break;
		}
		if (node->kind == CFG_MAP)
			err = parse_map_entry(ctx, node, &keys, &kev, depth);
		else
			err = parse_seq_item(ctx, node, &kev, depth);
		yaml_event_delete(&kev);
		if (err)
			break;
	}
	free(keys.slots);
	return err;
}

static int parse_node(struct parse_ctx *ctx, const yaml_event_t *ev, char *path,
		      int depth, struct cfg_node **out)
{
	struct cfg_node *node = NULL;
	yaml_event_type_t end_type;
	enum cfg_kind kind;
	int err;

	*out = NULL;
	err = node_kind(ctx, ev, path, depth, &kind, &end_type);
	if (err)
		goto cleanup;
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
	if (kind == CFG_SCALAR)
		err = scalar_fill(ctx, ev, node);
	else
		err = collection_fill(ctx, node, end_type, depth);
cleanup:
	free(path);
	if (err) {
		cfg_node__free(node);
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

/*
 * The stream's one document into *ROOT (NULL for a stream of whitespace and
 * comments): 0 or -errno, reported.
 */
static int parse_stream(struct parse_ctx *ctx, struct cfg_node **root)
{
	yaml_event_t ev;
	char *path;
	int err;

	err = expect_event(ctx, YAML_STREAM_START_EVENT);
	if (!err)
		err = next_event(ctx, &ev);
	if (err)
		return err;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		report_mark(ctx, &ev.start_mark, NULL, "unexpected yaml event %d", (int)ev.type);
		yaml_event_delete(&ev);
		return -EINVAL;
	}
	yaml_event_delete(&ev);
	err = next_event(ctx, &ev);
	if (err)
		return err;
	path = strdup("");
	if (!path) {
		yaml_event_delete(&ev);
		report(ctx->file, 0, 0, NULL, "out of memory");
		return -ENOMEM;
	}
	err = parse_node(ctx, &ev, path, 0, root);
	yaml_event_delete(&ev);
	if (!err)
		err = expect_event(ctx, YAML_DOCUMENT_END_EVENT);
	if (!err)
		err = next_event(ctx, &ev);
	if (err)
		return err;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		report_mark(ctx, &ev.start_mark, NULL, "more than one yaml document in the file");
		err = -EINVAL;
	}
	yaml_event_delete(&ev);
	return err;
}

/* A configuration is a mapping: 0 or -EINVAL, reported. */
static int root_check(const char *file, const struct cfg_node *root)
{
	if (!root || (root->kind == CFG_SCALAR && root->null)) {
		report(file, 0, 0, NULL, "empty configuration file");
		return -EINVAL;
	}
	if (root->kind != CFG_MAP) {
		report(file, root->line, root->col, NULL,
		       "expected a mapping at the top level, got a %s",
		       root->kind == CFG_SEQ ? "list" : "scalar value");
		return -EINVAL;
	}
	return 0;
}

int cfg_node__parse(const char *file, const char *text, size_t len, struct cfg_node **out)
{
	struct parse_ctx ctx = { .file = file, .text = text, .len = len };
	int err;

	*out = NULL;
	if (!yaml_parser_initialize(&ctx.parser)) {
		report(file, 0, 0, NULL, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, len);
	err = parse_stream(&ctx, out);
	yaml_parser_delete(&ctx.parser);
	if (err) {
		cfg_node__free(*out);
		*out = NULL;
	}
	return err;
}

struct cfg_doc *cfg_doc__parse_string(const char *name, const char *text, size_t len)
{
	struct cfg_doc *doc = NULL;
	struct cfg_node *root = NULL;
	int err;

	doc = calloc(1, sizeof(*doc));
	if (doc)
		doc->file = strdup(name ? name : "config");
	if (!doc || !doc->file) {
		pr_err("config: %s: out of memory", name ? name : "config");
		err = -ENOMEM;
		goto cleanup;
	}
	err = cfg_node__parse(doc->file, text, len, &root);
	if (!err)
		err = root_check(doc->file, root);
	if (err)
		goto cleanup;
	doc->root = root;
	root = NULL;
cleanup:
	cfg_node__free(root);
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
	FILE *f = NULL;
	int fd, err = 0;

	/* Refused: a FIFO (it would block), a file or directory others can write. */
	fd = trust_open(file, "config", true);
	err = fd < 0 ? fd : 0;
	if (fd >= 0 && !(f = fdopen(fd, "r"))) {
		err = -errno;
		close(fd);
	}
	if (err) {
		if (err == -EISDIR)
			pr_err("config: cannot read %s: %s", file, strerror(-err));
		else if (err != -EINVAL && err != -EPERM)
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
 * Using the tree: lookups, unknown keys, comparison
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
