// SPDX-License-Identifier: GPL-2.0
/*
 * --set KEY=VALUE: a value put into the YAML tree before the sections are
 * read, so that every check of the file applies to it too, and its errors
 * name the flag ("--set monitors.syscall.top=x: monitors.syscall.top: ...").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_tree.h"
#include "util/log.h"

struct cfg_doc *cfg_doc__new(void)
{
	struct cfg_doc *doc = calloc(1, sizeof(*doc));

	if (doc) {
		/* What a reload says it reads again. */
		doc->file = strdup("the built-in defaults");
		doc->root = calloc(1, sizeof(*doc->root));
	}
	if (doc && doc->root) {
		doc->root->kind = CFG_MAP;
		doc->root->file = doc->file;
		doc->root->path = strdup("");
	}
	if (!doc || !doc->file || !doc->root || !doc->root->path) {
		cfg_doc__free(doc);
		errno = ENOMEM;
		return NULL;
	}
	return doc;
}

/* The label every node of one --set names, owned by the document. */
static char *label_add(struct cfg_doc *doc, const char *assignment)
{
	char **grown = realloc(doc->labels, (doc->n_labels + 1) * sizeof(*grown));
	char *label = NULL;

	if (!grown)
		return NULL;
	doc->labels = grown;
	if (asprintf(&label, "--set %s", assignment) < 0)
		return NULL;
	doc->labels[doc->n_labels++] = label;
	return label;
}

/*
 * NODE as if written at PATH by --set: its path and its kids' made from
 * PATH, no line or column (a message names the flag instead).
 */
static int node_place(struct cfg_node *node, const char *path)
{
	free(node->path);
	node->path = strdup(path);
	if (!node->path)
		return -ENOMEM;
	node->line = node->col = node->key_line = node->key_col = 0;
	for (size_t i = 0; i < node->n_kids; i++) {
		struct cfg_node *kid = node->kids[i];
		char *kid_path = NULL;
		int err;

		if ((kid->key ? asprintf(&kid_path, "%s%s%s", path, *path ? "." : "", kid->key) :
				asprintf(&kid_path, "%s[%zu]", path, i)) < 0)
			return -ENOMEM;
		err = node_place(kid, kid_path);
		free(kid_path);
		if (err)
			return err;
	}
	return 0;
}

/* The entry KEY of MAP, without marking it used: nothing has read it yet. */
static struct cfg_node **map_slot(struct cfg_node *map, const char *key)
{
	for (size_t i = 0; i < map->n_kids; i++)
		if (!strcmp(map->kids[i]->key, key))
			return &map->kids[i];
	return NULL;
}

/* KID (path and place already set) as MAP's entry KEY: a new one, or over the old. */
static int map_put(struct cfg_node *map, const char *key, struct cfg_node *kid)
{
	struct cfg_node **slot = map_slot(map, key), **kids;

	kid->key = strdup(key);
	if (!kid->key)
		return -ENOMEM;
	if (slot) {
		cfg_node__free(*slot);
		*slot = kid;
		return 0;
	}
	kids = realloc(map->kids, (map->n_kids + 1) * sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	map->kids = kids;
	map->kids[map->n_kids++] = kid;
	return 0;
}

/* An empty node of KIND at PATH, naming LABEL. */
static struct cfg_node *node_new(enum cfg_kind kind, const char *label, const char *path)
{
	struct cfg_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->kind = kind;
	node->file = label;
	node->path = strdup(path);
	if (kind == CFG_SCALAR) {
		node->value = strdup("");
		node->null = true;
	}
	if (!node->path || (kind == CFG_SCALAR && !node->value)) {
		cfg_node__free(node);
		return NULL;
	}
	return node;
}

/* A key of dotted names, none empty ("a..b", ".a" and "a." are not). */
static bool key_valid(const char *key)
{
	size_t n = strlen(key);

	return n && key[0] != '.' && key[n - 1] != '.' && !strstr(key, "..");
}

/*
 * The mapping at the dotted KEY's parent in ROOT (made where missing, or
 * where the file left it null), with *LAST pointing at KEY's last name
 * (inside KEY, which is cut at the dots). NULL after an error line.
 */
static struct cfg_node *parent_map(struct cfg_node *root, const char *label, char *key,
				   char **last, int *err)
{
	struct cfg_node *map = root;
	char *name = key, *dot;

	*err = -ENOMEM;
	while ((dot = strchr(name, '.'))) {
		struct cfg_node **slot, *kid;

		*dot = '\0';
		slot = map_slot(map, name);
		kid = slot ? *slot : NULL;
		if (kid && kid->kind != CFG_MAP && !(kid->kind == CFG_SCALAR && kid->null)) {
			/* Only mappings have keys; a list is set whole. */
			pr_err("%s: %s is a %s, not a mapping with key %s", label, key,
			       kid->kind == CFG_SEQ ? "list" : "value", dot + 1);
			*err = -EINVAL;
			return NULL;
		}
		if (!kid || kid->kind != CFG_MAP) {
			kid = node_new(CFG_MAP, label, key);
			if (!kid || map_put(map, name, kid)) {
				cfg_node__free(kid);
				return NULL;
			}
		}
		map = kid;
		*dot = '.';
		name = dot + 1;
	}
	*last = name;
	*err = 0;
	return map;
}

int cfg_doc__set(struct cfg_doc *doc, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	struct cfg_node *map, *value = NULL;
	char *label, *key = NULL, *last;
	int err;

	if (eq && !(key = strndup(assignment, eq - assignment))) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (!eq || !key_valid(key)) {
		pr_err("--set: expected KEY=VALUE with a dotted KEY such as "
		       "monitors.syscall.mode=events, got '%s'", assignment);
		err = -EINVAL;
		goto cleanup;
	}
	err = -ENOMEM;
	label = label_add(doc, assignment);
	if (!label)
		goto cleanup;
	/* "KEY=" is null: the key's default, as "key:" in the file. */
	if (!eq[1])
		value = node_new(CFG_SCALAR, label, key);
	else if (!(err = cfg_node__parse(label, eq + 1, strlen(eq + 1), &value)) && !value) {
		pr_err("%s: no value (a '#' starts a YAML comment: quote it)", label);
		err = -EINVAL;
	}
	if (!value)
		goto cleanup;
	err = node_place(value, key);
	if (!err) {
		map = parent_map(doc->root, label, key, &last, &err);
		if (map)
			err = map_put(map, last, value);
	}
	if (!err)
		value = NULL;
cleanup:
	if (err == -ENOMEM)
		pr_err("--set %s: out of memory", assignment);
	cfg_node__free(value);
	free(key);
	return err;
}
