/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONFIG_YAML_TREE_H
#define EBPFMON_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The YAML document as a tree that remembers where every node came from, so
 * every error can name file:line:col and the dotted key path.
 */
enum cfg_kind {
	CFG_SCALAR,
	CFG_MAP,
	CFG_SEQ,
};

struct cfg_node {
	enum cfg_kind kind;
	const char *file;	/* owned by the document */
	char *path;		/* dotted key path, "monitors.exec.max_args"; "[2]" for items */
	char *key;		/* key in the parent mapping, NULL otherwise */
	char *value;		/* CFG_SCALAR only */
	bool quoted;		/* scalar was quoted: a string, never a number or bool */
	bool null;		/* plain scalar "", "~" or "null" */
	bool used;		/* looked up by a parser; unused keys are errors */
	int line, col;		/* 1-based, of the value (of the key for mapping entries' key) */
	int key_line, key_col;
	struct cfg_node **kids;	/* CFG_MAP: values in order; CFG_SEQ: items */
	size_t n_kids;
};

struct cfg_doc {
	char *file;		/* the file's name, or "the built-in defaults" */
	struct cfg_node *root;	/* always a CFG_MAP */
	char **labels;		/* what --set nodes name instead of a file */
	size_t n_labels;
};

/*
 * Load and parse a YAML file. Returns NULL with errno set after printing one
 * line such as "ebpfmon.yaml:3:1: yaml syntax error: ..." or
 * "ebpfmon.yaml: empty configuration file". Missing file: ENOENT with
 * "config: cannot open FILE: No such file or directory".
 */
struct cfg_doc *cfg_doc__load(const char *file);
struct cfg_doc *cfg_doc__parse_string(const char *name, const char *text, size_t len);
/* Also cfg_errors_flush(): the document's errors are over. */
void cfg_doc__free(struct cfg_doc *doc);
/*
 * TEXT as one node of any kind (NULL for none: only blanks or comments),
 * whose nodes name FILE (kept by the caller as long as they live): 0 or
 * -errno, reported.
 */
int cfg_node__parse(const char *file, const char *text, size_t len, struct cfg_node **out);
void cfg_node__free(struct cfg_node *node);

/* A document of no file: an empty mapping, named "the built-in defaults". */
struct cfg_doc *cfg_doc__new(void);
/*
 * --set KEY=VALUE: VALUE, read as YAML ("10", "true", "[a, b]", "" for
 * null), put at the dotted KEY of the tree, over what the file says there,
 * the mappings on the way made if missing. Its nodes name "--set
 * KEY=VALUE" in errors, so the getters' checks name the flag. 0, or
 * -EINVAL (-ENOMEM) after one error line.
 */
int cfg_doc__set(struct cfg_doc *doc, const char *assignment);
/* "config: N more errors not shown" when error lines were held back; resets the count. */
void cfg_errors_flush(void);

/*
 * Print "file:line:col: path: message" as one pr_err line. After 20 such
 * lines (of any node, until cfg_errors_flush) the rest are only counted.
 */
void cfg_node__error(const struct cfg_node *node, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same, at the position of the node's key (for "unknown ..." errors). */
void cfg_node__key_error(const struct cfg_node *node, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Child of a mapping by key (marks it used); NULL when absent. */
struct cfg_node *cfg_node__get(struct cfg_node *map, const char *key);

/*
 * The subtree as one string (keys, kinds, values; no places), to tell
 * whether two configs say the same; malloc'd, NULL with errno set.
 */
char *cfg_node__dump(const struct cfg_node *node);

/* Every key of map not looked up is "unknown key": one line each; -EINVAL. */
int cfg_node__check_unused(const struct cfg_node *map);

#endif
