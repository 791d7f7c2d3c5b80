// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/config/: the YAML tree, the getters and config__load. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"
#include "tap.h"
#include "testutil.h"

/* ---------------------------------------------------------------------------
 * Helpers: loading with stderr captured
 */

/*
 * Write text to a temporary file and config__load it with stderr captured.
 * *file gets the file name (for the expected messages), *err what was
 * printed; both malloc'd.
 */
static int load_text(const char *text, struct config *cfg, char **file, char **err)
{
	struct capture c;
	int ret;

	*file = write_temp(text);
	capture_begin(&c);
	ret = config__load(cfg, *file);
	*err = capture_end(&c);
	return ret;
}

/* Parse text as "t.yaml" with stderr captured into *err. */
static struct cfg_doc *parse_text(const char *text, char **err)
{
	struct cfg_doc *doc;
	struct capture c;
	int saved_errno;

	capture_begin(&c);
	doc = cfg_doc__parse_string("t.yaml", text, strlen(text));
	saved_errno = errno;
	*err = capture_end(&c);
	errno = saved_errno;
	return doc;
}

/* Free what load_text() gave and remove its file. */
static void load_done(struct config *cfg, char *file, char *err)
{
	config__free(cfg);
	unlink(file);
	free(file);
	free(err);
}

/*
 * config__load path expecting want_ret (checked as "NAME: RET_NAME") and
 * exactly the message lines in want_fmt, where "%1$s" stands for path.
 */
static void load_path_fails(const char *name, const char *path, int want_ret,
			    const char *ret_name, const char *want_fmt)
{
	struct config cfg;
	struct capture c;
	char *err, *want;
	int ret;

	capture_begin(&c);
	ret = config__load(&cfg, path);
	err = capture_end(&c);
	is_int(ret, want_ret, nm("%s: %s", name, ret_name));
	want = fmt(want_fmt, path);
	is_str(err, want, nm("%s: error message", name));
	config__free(&cfg);
	free(want);
	free(err);
}

/*
 * Load text expecting failure with exactly the message lines in want, where
 * "%1$s" stands for the temporary file's name.
 */
static void load_fails(const char *name, const char *text, const char *want_fmt)
{
	char *file = write_temp(text);

	load_path_fails(name, file, -EINVAL, "returns -EINVAL", want_fmt);
	unlink(file);
	free(file);
}

/* ---------------------------------------------------------------------------
 * The tree
 */

static void test_tree(void)
{
	static const char text[] =
		"a: 1\n"
		"b:\n"
		"  c: \"x\"\n"
		"  d: [1, ~, null, '']\n"
		"  e:\n"
		"    - k: v\n"
		"f:\n";
	struct cfg_node *b, *d, *e, *f;
	struct cfg_doc *doc;
	char *err;

	doc = parse_text(text, &err);
	ok(doc != NULL, "tree: parses");
	is_str(err, "", "tree: nothing printed");
	free(err);
	if (!doc)
		return;
	is_int(doc->root->kind, CFG_MAP, "tree: root is a mapping");
	is_int(doc->root->n_kids, 3, "tree: root has 3 keys");
	is_str(doc->file, "t.yaml", "tree: file name kept");

	is_str(doc->root->kids[0]->path, "a", "tree: path of a");
	is_str(doc->root->kids[0]->value, "1", "tree: value of a");
	is_int(doc->root->kids[0]->line, 1, "tree: a line");
	is_int(doc->root->kids[0]->col, 4, "tree: a col (1-based)");
	is_int(doc->root->kids[0]->key_line, 1, "tree: a key line");
	is_int(doc->root->kids[0]->key_col, 1, "tree: a key col");

	b = cfg_node__get(doc->root, "b");
	ok(b && b->kind == CFG_MAP && b->used, "tree: b is a used mapping");
	is_str(b->kids[0]->path, "b.c", "tree: nested path");
	ok(b->kids[0]->quoted, "tree: double-quoted scalar is quoted");
	is_int(b->kids[0]->key_line, 3, "tree: b.c key line");
	is_int(b->kids[0]->key_col, 3, "tree: b.c key col");
	is_int(b->kids[0]->col, 6, "tree: b.c value col");

	d = cfg_node__get(b, "d");
	ok(d && d->kind == CFG_SEQ && d->n_kids == 4, "tree: b.d is a list of 4");
	is_str(d->kids[1]->path, "b.d[1]", "tree: item path");
	ok(!d->kids[0]->null && !d->kids[0]->quoted, "tree: 1 is plain, not null");
	ok(d->kids[1]->null, "tree: ~ is null");
	ok(d->kids[2]->null, "tree: null is null");
	ok(d->kids[3]->quoted && !d->kids[3]->null, "tree: '' is quoted, not null");
	is_int(d->kids[3]->line, 4, "tree: item line");
	is_int(d->kids[3]->col, 19, "tree: item col");
	ok(d->kids[3]->key == NULL, "tree: items have no key");

	e = cfg_node__get(b, "e");
	ok(e && e->kind == CFG_SEQ && e->kids[0]->kind == CFG_MAP, "tree: list of mappings");
	is_str(e->kids[0]->kids[0]->path, "b.e[0].k", "tree: path through a list");

	f = cfg_node__get(doc->root, "f");
	ok(f && f->kind == CFG_SCALAR && f->null, "tree: empty value is null");
	ok(cfg_node__get(doc->root, "zz") == NULL, "tree: absent key is NULL");
	cfg_doc__free(doc);

}

static void parse_fails(const char *name, const char *text, const char *want)
{
	struct cfg_doc *doc;
	char *err;

	doc = parse_text(text, &err);
	ok(doc == NULL && errno == EINVAL, "%s: NULL, EINVAL", name);
	is_str(err, want, nm("%s: error message", name));
	cfg_doc__free(doc);
	free(err);
}

/* "a: [[[...]]]" with depth brackets: refused at the 65th level. */
static void nested_fails(const char *name, size_t depth)
{
	char *text = malloc(2 * depth + 4), want[400] = "t.yaml:1:68: a";

	if (!text) {
		perror("malloc");
		exit(2);
	}
	memcpy(text, "a: ", 3);
	memset(text + 3, '[', depth);
	memset(text + 3 + depth, ']', depth);
	text[3 + 2 * depth] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(want, "[0]");
	strcat(want, ": nested more than 64 levels deep\n");
	parse_fails(name, text, want);
	free(text);
}

static void test_tree_errors(void)
{
	parse_fails("duplicate key", "a: 1\nb:\n  c: 1\n  c: 2\n",
		    "t.yaml:4:3: b.c: duplicate key\n");
	parse_fails("anchor", "a: &x 1\nb: *x\n", "t.yaml:1:4: a: anchors are not supported\n");
	parse_fails("alias", "a: [1]\nb: *x\n",
		    "t.yaml:2:4: b: aliases are not supported\n");
	parse_fails("two documents", "a: 1\n---\nb: 2\n",
		    "t.yaml:2:1: more than one yaml document in the file\n");
	parse_fails("list at the top", "- a\n",
		    "t.yaml:1:1: expected a mapping at the top level, got a list\n");
	parse_fails("scalar at the top", "hello\n",
		    "t.yaml:1:1: expected a mapping at the top level, got a scalar value\n");
	parse_fails("mapping key", "? [1]\n: 2\n", "t.yaml:1:3: keys must be scalars\n");
	parse_fails("empty document", "---\n", "t.yaml: empty configuration file\n");
	parse_fails("empty string", "", "t.yaml: empty configuration file\n");
	parse_fails("tab indent", "a:\n\tb: 1\n",
		    "t.yaml:2:1: yaml syntax error: found character that cannot start any "
		    "token (while scanning for the next token)\n");
	parse_fails("newline in a key stays on one line", "\"x\\ny\": {}\n\"x\\ny\": {}\n",
		    "t.yaml:2:1: x\\x0ay: duplicate key\n");
	/* "a" is depth 1, so the 65th "[" is one too many. */
	nested_fails("too deep", 70);
	parse_fails("unused anchor", "a: &x 1\n", "t.yaml:1:4: a: anchors are not supported\n");
	/* Tags were dropped (or made a string) without a word: refused where written. */
#define TAG_MSG "yaml tags (such as !!str) are not supported; quote a value to make it a string\n"
	parse_fails("!!str tag", "a: 1\nb: !!str 5\n", "t.yaml:2:4: b: " TAG_MSG);
	parse_fails("local tag", "a:\n  b: !foo x\n", "t.yaml:2:6: a.b: " TAG_MSG);
	parse_fails("tag on a mapping", "a: !!map {b: 1}\n", "t.yaml:1:4: a: " TAG_MSG);
	parse_fails("tag on a list item", "a: [1, !!int 2]\n", "t.yaml:1:8: a[1]: " TAG_MSG);
	parse_fails("tag on a key", "!!str a: 1\n", "t.yaml:1:1: " TAG_MSG);
	parse_fails("non-specific tag", "a: ! 1\n", "t.yaml:1:4: a: " TAG_MSG);
#undef TAG_MSG
	/* 2 MB: refused at the 65th level, before libyaml scans the rest. */
	nested_fails("far too deep", 1000000);
}

/* ---------------------------------------------------------------------------
 * Getters
 */

static void test_getters(void)
{
	static const char text[] =
		"b1: yes\n"
		"b2: OFF\n"
		"b3: \"true\"\n"
		"b4: maybe\n"
		"i1: 0x10\n"
		"i2: -5\n"
		"i3: 12abc\n"
		"i4: +5\n"
		"i5: 99999999999999999999\n"
		"i6: \"7\"\n"
		"i7: ~\n"
		"d1: .5\n"
		"d2: 2\n"
		"d3: 1e3\n"
		"d4: 0.001\n"
		"s1: plain text\n"
		"s2: 'quoted: yes'\n"
		"s3: {}\n"
		"e1: beta\n"
		"e2: delta\n"
		"v1: [a, \" b \"]\n"
		"v2: nginx, mysql ,redis\n"
		"v3: a,,b\n"
		"v4: {x: 1}\n"
		"v5: [a, [b]]\n"
		"v6: []\n"
		"m1: 5\n"
		"m2:\n"
		"unused1: 1\n"
		"unused2: 2\n";
	static const char *const choices[] = { "alpha", "beta", "gamma", NULL };
	struct cfg_node *m;
	struct cfg_doc *doc;
	struct capture c;
	long long i;
	double d;
	bool b;
	char *s, **v, *err;
	int e, ret;

	doc = parse_text(text, &err);
	ok(doc != NULL, "getters: parses");
	free(err);
	if (!doc)
		return;

	b = false;
	is_int(cfg_get_bool(doc->root, "b1", &b), 0, "bool: yes ok");
	ok(b == true, "bool: yes is true");
	is_int(cfg_get_bool(doc->root, "b2", &b), 0, "bool: OFF ok");
	ok(b == false, "bool: OFF is false");
	b = true;
	is_int(cfg_get_bool(doc->root, "absent", &b), 0, "bool: absent ok");
	ok(b == true, "bool: absent keeps the default");

	capture_begin(&c);
	ret = cfg_get_bool(doc->root, "b3", &b);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "bool: quoted \"true\" is refused");
	is_str(err, "t.yaml:3:5: b3: expected a boolean (true/false, yes/no, on/off), "
	       "got \"true\"\n", "bool: quoted message");
	free(err);
	capture_begin(&c);
	ret = cfg_get_bool(doc->root, "b4", &b);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "bool: maybe is refused");
	is_str(err, "t.yaml:4:5: b4: expected a boolean (true/false, yes/no, on/off), "
	       "got \"maybe\"\n", "bool: maybe message");
	ok(b == true, "bool: errors leave the value");
	free(err);

	i = 1;
	is_int(cfg_get_int(doc->root, "i1", 0, 100, &i), 0, "int: hex ok");
	is_int(i, 16, "int: 0x10 is 16");
	is_int(cfg_get_int(doc->root, "i2", -10, 10, &i), 0, "int: negative ok");
	is_int(i, -5, "int: -5");
	i = 3;
	is_int(cfg_get_int(doc->root, "i7", 0, 10, &i), 0, "int: null ok");
	is_int(i, 3, "int: null keeps the default");

	capture_begin(&c);
	ret = cfg_get_int(doc->root, "i3", 0, 100, &i);
	ret += cfg_get_int(doc->root, "i4", 0, 100, &i);
	ret += cfg_get_int(doc->root, "i5", LLONG_MIN, LLONG_MAX, &i);
	ret += cfg_get_int(doc->root, "i6", 0, 100, &i);
	ret += cfg_get_int(doc->root, "i2", 0, 100, &i);
	err = capture_end(&c);
	is_int(ret, -5 * EINVAL, "int: junk, '+', overflow, quoted, out of range refused");
	is_str(err,
	       "t.yaml:7:5: i3: expected an integer from 0 to 100, got \"12abc\"\n"
	       "t.yaml:8:5: i4: expected an integer from 0 to 100, got \"+5\"\n"
	       "t.yaml:9:5: i5: expected an integer from -9223372036854775808 to "
	       "9223372036854775807, got \"99999999999999999999\"\n"
	       "t.yaml:10:5: i6: expected an integer from 0 to 100, got \"7\"\n"
	       "t.yaml:6:5: i2: expected an integer from 0 to 100, got \"-5\"\n",
	       "int: messages");
	is_int(i, 3, "int: errors leave the value alone");
	free(err);

	d = 9;
	is_int(cfg_get_double(doc->root, "d1", 0, 10, &d), 0, "double: .5 ok");
	ok(d == 0.5, "double: .5 is 0.5");
	is_int(cfg_get_double(doc->root, "d2", 0, 10, &d), 0, "double: 2 ok");
	ok(d == 2.0, "double: 2 is 2.0");
	capture_begin(&c);
	ret = cfg_get_double(doc->root, "d3", 0, 10000, &d);
	ret += cfg_get_double(doc->root, "d4", 0.01, 3600, &d);
	err = capture_end(&c);
	is_int(ret, -2 * EINVAL, "double: exponent and too small refused");
	is_str(err,
	       "t.yaml:14:5: d3: expected a number of seconds from 0 to 10000 in decimal digits "
	       "such as 0.5 (no exponent or hex), got \"1e3\"\n"
	       "t.yaml:15:5: d4: expected a number of seconds from 0.01 to 3600, got \"0.001\"\n",
	       "double: messages");
	free(err);

	s = xstrdup("default");
	is_int(cfg_get_string(doc->root, "s1", &s), 0, "string: plain ok");
	is_str(s, "plain text", "string: plain value");
	is_int(cfg_get_string(doc->root, "s2", &s), 0, "string: quoted ok");
	is_str(s, "quoted: yes", "string: quoted value");
	is_int(cfg_get_string(doc->root, "m2", &s), 0, "string: null ok");
	is_str(s, "quoted: yes", "string: null keeps the value");
	capture_begin(&c);
	ret = cfg_get_string(doc->root, "s3", &s);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "string: mapping refused");
	is_str(err, "t.yaml:18:5: s3: expected a scalar value\n", "string: mapping message");
	free(err);
	free(s);

	e = -1;
	is_int(cfg_get_enum(doc->root, "e1", choices, &e), 0, "enum: ok");
	is_int(e, 1, "enum: beta is 1");
	capture_begin(&c);
	ret = cfg_get_enum(doc->root, "e2", choices, &e);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "enum: unknown choice refused");
	is_str(err, "t.yaml:20:5: e2: expected one of: alpha, beta, gamma; got \"delta\"\n",
	       "enum: message");
	is_int(e, 1, "enum: error leaves the value");
	free(err);

	v = NULL;
	is_int(cfg_get_strv(doc->root, "v1", &v), 0, "strv: list ok");
	is_int(strv_len(v), 2, "strv: list of 2");
	is_str(v[0], "a", "strv: item 0");
	is_str(v[1], "b", "strv: item 1 trimmed");
	ok(v[2] == NULL, "strv: NULL-terminated");
	is_int(cfg_get_strv(doc->root, "v2", &v), 0, "strv: comma list ok");
	is_int(strv_len(v), 3, "strv: comma list of 3");
	is_str(v[0], "nginx", "strv: comma item 0");
	is_str(v[1], "mysql", "strv: comma item 1 trimmed");
	is_str(v[2], "redis", "strv: comma item 2");
	is_int(cfg_get_strv(doc->root, "v6", &v), 0, "strv: empty list ok");
	is_int(strv_len(v), 0, "strv: empty list is empty");
	ok(v && !v[0], "strv: empty list is an empty vector");
	capture_begin(&c);
	ret = cfg_get_strv(doc->root, "v3", &v);
	ret += cfg_get_strv(doc->root, "v4", &v);
	ret += cfg_get_strv(doc->root, "v5", &v);
	err = capture_end(&c);
	is_int(ret, -3 * EINVAL, "strv: empty item, mapping, nested list refused");
	is_str(err,
	       "t.yaml:23:5: v3: empty item in list \"a,,b\"\n"
	       "t.yaml:24:5: v4: expected a list\n"
	       "t.yaml:25:9: v5[1]: expected a scalar value\n",
	       "strv: messages");
	free(err);
	ok(v && !v[0], "strv: errors leave the vector");
	strv_free(v);

	is_int(cfg_get_map(doc->root, "m2", &m), 0, "map: null ok");
	ok(m == NULL, "map: null is NULL");
	is_int(cfg_get_map(doc->root, "s3", &m), 0, "map: {} ok");
	ok(m && m->kind == CFG_MAP && m->n_kids == 0, "map: {} is an empty mapping");
	capture_begin(&c);
	ret = cfg_get_map(doc->root, "m1", &m);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "map: scalar refused");
	is_str(err, "t.yaml:27:5: m1: expected a mapping\n", "map: message");
	free(err);

	capture_begin(&c);
	ret = cfg_node__check_unused(doc->root);
	err = capture_end(&c);
	is_int(ret, -EINVAL, "check_unused: -EINVAL");
	is_str(err,
	       "t.yaml:29:1: unused1: unknown key\n"
	       "t.yaml:30:1: unused2: unknown key\n",
	       "check_unused: one line per unused key");
	free(err);
	ok(cfg_node__get(doc->root, "unused1") && cfg_node__get(doc->root, "unused2"),
	   "check_unused: mark them");
	capture_begin(&c);
	ret = cfg_node__check_unused(doc->root);
	err = capture_end(&c);
	is_int(ret, 0, "check_unused: 0 when all used");
	is_str(err, "", "check_unused: silent when all used");
	free(err);
	cfg_doc__free(doc);
}

/* ---------------------------------------------------------------------------
 * config__load
 */

static void test_full(void)
{
	static const struct config zero;
	static const char text[] =
		"# ebpfmon test configuration\n"
		"app:\n"
		"  duration: 90.5\n"
		"  stats_interval: 10\n"
		"logging:\n"
		"  level: debug\n"
		"  target: file\n"
		"  file: /var/log/ebpfmon.log\n"
		"daemon:\n"
		"  pid_file: /run/other.pid\n"
		"  stop_timeout: 2.5\n"
		"output:\n"
		"  format: json\n"
		"  file: /var/log/ebpfmon.json\n"
		"  buffer_size: 1024\n"
		"  flush_interval: 0.25\n"
		"  transport: perf\n"
		"  perf_pages: 128\n"
		"  ringbuf_pages: 1024\n"
		"  wakeup_events: 16\n"
		"kernel:\n"
		"  headers: /usr/src/linux-headers-6.1\n"
		"  btf: off\n"
		"filters:\n"
		"  comm: [nginx, \"mysqld\"]\n"
		"  user:\n"
		"    - root\n"
		"    - 1000\n"
		"  pid: 42\n"
		"  tgid: [7, 4194304]\n"
		"monitors:\n"
		"  exec:\n"
		"    enabled: true\n"
		"    max_args: 20\n";
	struct cfg_node *exec;
	struct config cfg;
	char *file, *err;
	long long max_args = 0;
	int ret;

	ret = load_text(text, &cfg, &file, &err);
	is_int(ret, 0, "full: loads");
	is_str(err, "", "full: nothing printed");
	ok(cfg.duration == 90.5, "full: app.duration");
	ok(cfg.stats_interval == 10, "full: app.stats_interval");
	is_int(cfg.log_level, LOG_LEVEL_DEBUG, "full: logging.level");
	is_int(log_get_level(), LOG_LEVEL_INFO, "full: the log level is not applied");
	is_int(cfg.log_target, LOG_TARGET_FILE, "full: logging.target");
	is_str(cfg.log_file, "/var/log/ebpfmon.log", "full: logging.file");
	is_str(cfg.pid_file, "/run/other.pid", "full: daemon.pid_file");
	ok(cfg.stop_timeout == 2.5, "full: daemon.stop_timeout");
	is_int(cfg.format, OUTPUT_JSON, "full: output.format");
	is_str(cfg.output_file, "/var/log/ebpfmon.json", "full: output.file");
	is_int(cfg.buffer_size, 1024, "full: output.buffer_size");
	ok(cfg.flush_interval == 0.25, "full: output.flush_interval");
	is_int(cfg.transport, TRANSPORT_PERF, "full: output.transport");
	is_int(cfg.perf_pages, 128, "full: output.perf_pages");
	is_int(cfg.ringbuf_pages, 1024, "full: output.ringbuf_pages");
	is_int(cfg.wakeup_events, 16, "full: output.wakeup_events");
	is_str(cfg.headers, "/usr/src/linux-headers-6.1", "full: kernel.headers");
	ok(cfg.btf == false, "full: kernel.btf off");
	is_int(strv_len(cfg.comms), 2, "full: filters.comm has 2");
	is_str(cfg.comms[0], "nginx", "full: filters.comm[0]");
	is_str(cfg.comms[1], "mysqld", "full: filters.comm[1]");
	is_int(strv_len(cfg.users), 2, "full: filters.user has 2");
	is_str(cfg.users[0], "root", "full: filters.user[0]");
	is_str(cfg.users[1], "1000", "full: filters.user[1]");
	is_int(strv_len(cfg.pids), 1, "full: filters.pid has 1");
	is_str(cfg.pids[0], "42", "full: filters.pid[0]");
	is_int(strv_len(cfg.tgids), 2, "full: filters.tgid has 2");
	is_str(cfg.tgids[1], "4194304", "full: filters.tgid[1]");
	ok(cfg.monitors && cfg.monitors->n_kids == 1, "full: monitors kept");
	exec = cfg_node__get(cfg.monitors, "exec");
	ok(exec && !exec->kids[0]->used && !exec->kids[1]->used,
	   "full: monitors.* left to the monitors");
	is_int(cfg_get_int(exec, "max_args", 1, 128, &max_args), 0, "full: monitor getter");
	is_int(max_args, 20, "full: monitors.exec.max_args");
	is_str(exec->kids[1]->path, "monitors.exec.max_args", "full: monitor path");
	config__free(&cfg);
	ok(!memcmp(&cfg, &zero, sizeof(cfg)), "full: config__free leaves no pointer to free again");
	load_done(&cfg, file, err);	/* config__free again */
	ok(!memcmp(&cfg, &zero, sizeof(cfg)), "full: config__free twice is harmless");
}

static void check_defaults(const char *name, const struct config *cfg)
{
	ok(cfg->duration == 0, "%s: app.duration 0", name);
	ok(cfg->stats_interval == 0, "%s: app.stats_interval 0", name);
	is_int(cfg->log_level, LOG_LEVEL_INFO, nm("%s: logging.level info", name));
	is_int(cfg->log_target, LOG_TARGET_AUTO, nm("%s: logging.target auto", name));
	ok(!cfg->log_file, nm("%s: no logging.file", name));
	is_str(cfg->pid_file, "/run/ebpfmon-bcc.pid", nm("%s: daemon.pid_file", name));
	ok(cfg->stop_timeout == 10, nm("%s: daemon.stop_timeout 10", name));
	is_int(cfg->format, OUTPUT_AUTO, nm("%s: output.format unset (auto)", name));
	is_str(cfg->output_dir, "output", nm("%s: output.dir output", name));
	ok(cfg->include_header, "%s: output.include_header true", name);
	is_int(cfg->csv_delimiter, ',', nm("%s: output.csv_delimiter ,", name));
	is_int(cfg->n_sinks, 0, nm("%s: no output.sinks", name));
	ok(cfg->output_file == NULL, "%s: output.file stdout", name);
	is_int(cfg->buffer_size, 256, nm("%s: output.buffer_size 256", name));
	ok(cfg->flush_interval == 1, "%s: output.flush_interval 1", name);
	is_int(cfg->transport, TRANSPORT_AUTO, nm("%s: output.transport auto", name));
	is_int(cfg->perf_pages, 64, nm("%s: output.perf_pages 64", name));
	is_int(cfg->ringbuf_pages, 128, nm("%s: output.ringbuf_pages 128", name));
	is_int(cfg->wakeup_events, 1, nm("%s: output.wakeup_events 1", name));
	is_str(cfg->headers, "auto", nm("%s: kernel.headers auto", name));
	ok(cfg->btf == true, "%s: kernel.btf auto", name);
	ok(!cfg->comms && !cfg->users && !cfg->pids, "%s: no filters", name);
}

static void test_defaults(void)
{
	struct config cfg;
	char *file, *err;
	int ret;

	config__init_defaults(&cfg);
	check_defaults("init_defaults", &cfg);
	ok(cfg.monitors == NULL && cfg.doc == NULL, "init_defaults: no document");
	config__free(&cfg);

	ret = load_text("app:\nlogging:\noutput: {}\nkernel: ~\nfilters:\n", &cfg, &file, &err);
	is_int(ret, 0, "defaults: empty sections load");
	is_str(err, "", "defaults: nothing printed");
	check_defaults("defaults", &cfg);
	ok(cfg.monitors == NULL, "defaults: no monitors");
	load_done(&cfg, file, err);

	ret = load_text("monitors:\n  exec: {enabled: false}\n", &cfg, &file, &err);
	is_int(ret, 0, "absent sections: loads");
	is_str(err, "", "absent sections: nothing printed");
	check_defaults("absent sections", &cfg);
	ok(cfg.monitors && cfg.monitors->n_kids == 1, "absent sections: monitors kept");
	load_done(&cfg, file, err);
}

static void test_values(void)
{
	struct config cfg;
	char *file, *err;
	int ret;

	ret = load_text("output:\n  file: \"-\"\nkernel:\n  btf: true\n"
			"filters:\n  comm: nginx, mysql\n  pid: 1, 4194304\n  user: root\n",
			&cfg, &file, &err);
	is_int(ret, 0, "values: loads");
	is_str(err, "", "values: nothing printed");
	ok(cfg.output_file == NULL, "values: output.file - is stdout");
	ok(cfg.btf == true, "values: kernel.btf true is auto");
	is_int(strv_len(cfg.comms), 2, "values: comma-split comm has 2");
	is_str(cfg.comms[0], "nginx", "values: comm[0]");
	is_str(cfg.comms[1], "mysql", "values: comm[1] trimmed");
	is_int(strv_len(cfg.pids), 2, "values: comma-split pid has 2");
	is_str(cfg.pids[1], "4194304", "values: pid[1]");
	is_int(strv_len(cfg.users), 1, "values: one user");
	is_str(cfg.users[0], "root", "values: user[0]");
	load_done(&cfg, file, err);

	ret = load_text("kernel:\n  btf: auto\n  headers: auto\n", &cfg, &file, &err);
	is_int(ret, 0, "btf auto: loads");
	ok(cfg.btf == true, "btf auto: true");
	is_str(cfg.headers, "auto", "headers auto: auto");
	load_done(&cfg, file, err);
}

/* control.socket: a path, "" for none, absent the default (NULL). */
static void test_control_socket(void)
{
	char long_path[160], text[256];
	struct config cfg;
	char *file, *err;
	int ret;

	ret = load_text("control:\n  socket: /run/x.sock\n", &cfg, &file, &err);
	is_int(ret, 0, "control.socket: loads");
	is_str(cfg.control_socket, "/run/x.sock", "control.socket: the path");
	load_done(&cfg, file, err);
	ret = load_text("control:\n  socket: \"\"\n", &cfg, &file, &err);
	is_int(ret, 0, "control.socket \"\": loads");
	is_str(cfg.control_socket, "", "control.socket \"\": none");
	load_done(&cfg, file, err);
	ret = load_text("control: {}\n", &cfg, &file, &err);
	ok(!ret && !cfg.control_socket, "control.socket absent: the default");
	load_done(&cfg, file, err);
	memset(long_path, 'a', 108);
	long_path[0] = '/';
	long_path[108] = '\0';
	snprintf(text, sizeof(text), "control:\n  socket: %s\n", long_path);
	load_fails("control.socket too long", text,
		   "%1$s:2:11: control.socket: a socket path is at most 107 bytes\n");
	load_fails("control: unknown key", "control:\n  sock: /x\n",
		   "%1$s:2:3: control.sock: unknown key\n");
}

static void test_load_errors(void)
{
	load_fails("unknown top-level key", "app:\n  duration: 5\nbogus: 1\n",
		   "%1$s:3:1: bogus: unknown key\n");
	load_fails("unknown nested key", "output:\n  format: json\n  fromat: json\n",
		   "%1$s:3:3: output.fromat: unknown key\n");
	load_fails("string for int", "output:\n  buffer_size: abc\n",
		   "%1$s:2:16: output.buffer_size: expected an integer from 1 to 65536, "
		   "got \"abc\"\n");
	load_fails("map for scalar", "app:\n  duration:\n    hours: 1\n",
		   "%1$s:3:5: app.duration: expected a scalar value\n");
	load_fails("scalar for section", "output: json\n",
		   "%1$s:1:9: output: expected a mapping\n");
	load_fails("list for monitors", "monitors: [exec]\n",
		   "%1$s:1:11: monitors: expected a mapping\n");
	load_fails("out of range int", "output:\n  wakeup_events: 10001\n",
		   "%1$s:2:18: output.wakeup_events: expected an integer from 1 to 10000, "
		   "got \"10001\"\n");
	load_fails("out of range seconds", "app:\n  duration: 31536001\n",
		   "%1$s:2:13: app.duration: expected a number of seconds from 0 to 31536000, "
		   "got \"31536001\"\n");
	load_fails("perf_pages not a power of two", "output:\n  perf_pages: 100\n",
		   "%1$s:2:15: output.perf_pages: expected a power of two from 1 to 4096, "
		   "got \"100\"\n");
	load_fails("perf_pages too large", "output:\n  perf_pages: 8192\n",
		   "%1$s:2:15: output.perf_pages: expected a power of two from 1 to 4096, "
		   "got \"8192\"\n");
	load_fails("ringbuf_pages not a power of two", "output:\n  ringbuf_pages: 3\n",
		   "%1$s:2:18: output.ringbuf_pages: expected a power of two from 1 to 65536, "
		   "got \"3\"\n");
	load_fails("ringbuf_pages too large", "output:\n  ringbuf_pages: 131072\n",
		   "%1$s:2:18: output.ringbuf_pages: expected a power of two from 1 to 65536, "
		   "got \"131072\"\n");
	load_fails("transport", "output:\n  transport: ringbuffer\n",
		   "%1$s:2:14: output.transport: expected one of: auto, perf, ringbuf; "
		   "got \"ringbuffer\"\n");
	load_fails("log level", "logging:\n  level: loud\n",
		   "%1$s:2:10: logging.level: expected one of: error, warn, info, debug; "
		   "got \"loud\"\n");
	load_fails("log target", "logging:\n  target: journal\n",
		   "%1$s:2:11: logging.target: expected one of: auto, stderr, syslog, file; "
		   "got \"journal\"\n");
	load_fails("log target file without a file", "logging:\n  target: file\n",
		   "%1$s:2:11: logging.target: \"file\" needs logging.file\n");
	load_fails("log file without target file", "logging:\n  target: syslog\n  file: x.log\n",
		   "%1$s:3:9: logging.file: only used with logging.target: file\n");
	load_fails("empty log file", "logging:\n  target: file\n  file: \"\"\n",
		   "%1$s:3:9: logging.file: expected a file name, got \"\"\n");
	load_fails("empty pid file", "daemon:\n  pid_file: ''\n",
		   "%1$s:2:13: daemon.pid_file: expected a file name, got \"\"\n");
	load_fails("stop timeout", "daemon:\n  stop_timeout: 0\n",
		   "%1$s:2:17: daemon.stop_timeout: expected a number of seconds from 0.1 to 3600, got \"0\"\n");
	load_fails("daemon unknown key", "daemon:\n  pidfile: /run/x.pid\n",
		   "%1$s:2:3: daemon.pidfile: unknown key\n");
	load_fails("output format", "output:\n  format: xml\n",
		   "%1$s:2:11: output.format: expected one of: json, csv, table, none; got \"xml\"\n");
	load_fails("output.dir with ..", "output:\n  dir: ../x\n",
		   "%1$s:2:8: output.dir: expected a directory without a \"..\" component, "
		   "got \"../x\"\n");
	load_fails("output.dir with .. inside", "output:\n  dir: a/../../b\n",
		   "%1$s:2:8: output.dir: expected a directory without a \"..\" component, "
		   "got \"a/../../b\"\n");
	load_fails("csv_delimiter quote", "output:\n  csv_delimiter: '\"'\n",
		   "%1$s:2:18: output.csv_delimiter: expected one ASCII character other than "
		   "'\"', CR or LF, got \"\\\"\"\n");
	load_fails("csv_delimiter two bytes", "output:\n  csv_delimiter: ';;'\n",
		   "%1$s:2:18: output.csv_delimiter: expected one ASCII character other than "
		   "'\"', CR or LF, got \";;\"\n");
	load_fails("two sinks on stdout", "output:\n  sinks:\n    - { format: json }\n"
		   "    - { format: table }\n",
		   "%1$s:4:7: output.sinks[1]: sink 2 writes to the same stdout as sink 1\n");
	load_fails("two sinks on one file", "output:\n  sinks:\n"
		   "    - { format: json, file: /tmp/a }\n    - { format: table, file: /tmp/a }\n",
		   "%1$s:4:30: output.sinks[1].file: sink 2 writes to the same file as sink 1\n");
	load_fails("sink dir with ..", "output:\n  sinks:\n    - { format: csv, dir: x/.. }\n",
		   "%1$s:3:27: output.sinks[0].dir: expected a directory without a \"..\" "
		   "component, got \"x/..\"\n");
	load_fails("csv key on a json sink", "output:\n  sinks:\n"
		   "    - { format: json, csv_delimiter: ';' }\n",
		   "%1$s:3:23: output.sinks[0].csv_delimiter: only a csv sink takes this key\n");
	load_fails("sink not a mapping", "output:\n  sinks: [json]\n",
		   "%1$s:2:11: output.sinks[0]: expected a mapping such as "
		   "{ format: json, file: FILE }\n");
	load_fails("btf", "kernel:\n  btf: maybe\n",
		   "%1$s:2:8: kernel.btf: expected one of: auto, off; got \"maybe\"\n");
	load_fails("yaml syntax error", "output:\n  format: json\n  file: [a\n",
		   "%1$s:4:1: yaml syntax error: did not find expected ',' or ']' "
		   "(while parsing a flow sequence)\n");
	load_fails("yaml syntax error, no context", "app:\n  duration: 1: 2\n",
		   "%1$s:2:14: yaml syntax error: mapping values are not allowed in this "
		   "context\n");
	load_fails("duplicate key", "output:\n  format: json\n  format: json\n",
		   "%1$s:3:3: output.format: duplicate key\n");
	load_fails("empty file", "", "%1$s: empty configuration file\n");
	load_fails("comments only", "# nothing\n\n   # here\n",
		   "%1$s: empty configuration file\n");
	load_fails("comm too long", "filters:\n  comm: [nginx, averyveryverylongname]\n",
		   "%1$s:2:17: filters.comm[1]: process names are at most 15 characters "
		   "(the kernel's comm), got \"averyveryverylongname\"\n");
	load_fails("comm too long, comma list", "filters:\n  comm: sshd,averyveryverylongname\n",
		   "%1$s:2:9: filters.comm: process names are at most 15 characters "
		   "(the kernel's comm), got \"averyveryverylongname\"\n");
	load_fails("comma list with an empty item", "filters:\n  user: root,,daemon\n",
		   "%1$s:2:9: filters.user: empty item in list \"root,,daemon\"\n");
	load_fails("bad pid", "filters:\n  pid: [12, 0, x]\n",
		   "%1$s:2:13: filters.pid[1]: expected a thread or process id (a positive integer), "
		   "got \"0\"\n"
		   "%1$s:2:16: filters.pid[2]: expected a thread or process id (a positive integer), "
		   "got \"x\"\n");
	load_fails("bad tgid", "filters:\n  tgid: [12, -3, 2147483648]\n",
		   "%1$s:2:14: filters.tgid[1]: expected a process id (a positive integer), "
		   "got \"-3\"\n"
		   "%1$s:2:18: filters.tgid[2]: expected a process id (a positive integer), "
		   "got \"2147483648\"\n");
	load_fails("errors are collected",
		   "output:\n  buffer_size: 0\n  perf_pages: 3\n  colour: red\n"
		   "kernel:\n  headers: \"\"\nextra: 1\n",
		   "%1$s:2:16: output.buffer_size: expected an integer from 1 to 65536, "
		   "got \"0\"\n"
		   "%1$s:3:15: output.perf_pages: expected a power of two from 1 to 4096, "
		   "got \"3\"\n"
		   "%1$s:4:3: output.colour: unknown key\n"
		   "%1$s:6:12: kernel.headers: expected \"auto\" or a directory, got \"\"\n"
		   "%1$s:7:1: extra: unknown key\n");
}

/*
 * Numbers a reader could take two ways, or that the range message would not
 * explain: leading zeros (YAML 1.1 octal), exponents, below a nanosecond.
 */
static void test_numbers(void)
{
	static const char text[] =
		"d1: 1e-31\n"
		"d2: 0.0000000001\n"
		"d3: 010\n"
		"d4: 1.0000000000000000000\n"
		"d5: 0.000000001\n"
		"d6: 0x10\n"
		"d7: 0.0000000000000000000000000000001\n"
		"d8: 00.5\n"
		"d9: 0\n"
		"d10: 0.5000000009\n"
		"i1: 010\n"
		"i2: -007\n"
		"i3: 0\n"
		"i4: 0x0010\n"
		"i5: -0\n";
	struct cfg_doc *doc;
	struct capture c;
	long long i;
	double d;
	char *err;
	int ret;

	doc = parse_text(text, &err);
	free(err);
	if (!doc) {
		printf("Bail out! numbers: the document does not parse\n");
		exit(1);
	}

	capture_begin(&c);
	ret = cfg_get_double(doc->root, "d1", 0, 1, &d);
	ret += cfg_get_double(doc->root, "d2", 0, 1, &d);
	ret += cfg_get_double(doc->root, "d3", 0, 100, &d);
	ret += cfg_get_double(doc->root, "d6", 0, 100, &d);
	ret += cfg_get_double(doc->root, "d7", 0, 1, &d);
	ret += cfg_get_double(doc->root, "d8", 0, 1, &d);
	ret += cfg_get_double(doc->root, "d2", 0.01, 1, &d);
	err = capture_end(&c);
	is_int(ret, -7 * EINVAL, "seconds: exponent, below 1 ns, leading zero, hex refused");
	is_str(err,
	       "t.yaml:1:5: d1: expected a number of seconds from 0 to 1 in decimal digits "
	       "such as 0.5 (no exponent or hex), got \"1e-31\"\n"
	       "t.yaml:2:5: d2: expected 0 or a number of seconds from 0.000000001 (1 ns) to 1, "
	       "got \"0.0000000001\"\n"
	       "t.yaml:3:5: d3: expected a number of seconds from 0 to 100 without a leading zero, "
	       "got \"010\"\n"
	       "t.yaml:6:5: d6: expected a number of seconds from 0 to 100 in decimal digits "
	       "such as 0.5 (no exponent or hex), got \"0x10\"\n"
	       "t.yaml:7:5: d7: expected 0 or a number of seconds from 0.000000001 (1 ns) to 1, "
	       "got \"0.0000000000000000000000000000001\"\n"
	       "t.yaml:8:5: d8: expected a number of seconds from 0 to 1 without a leading zero, "
	       "got \"00.5\"\n"
	       "t.yaml:2:5: d2: expected a number of seconds from 0.01 to 1, "
	       "got \"0.0000000001\"\n",
	       "seconds: each message says what is wrong");
	free(err);

	d = 7;
	is_int(cfg_get_double(doc->root, "d4", 0, 10, &d), 0, "seconds: 19 decimals ok");
	ok(d == 1.0, "seconds: 1.0000000000000000000 is 1");
	is_int(cfg_get_double(doc->root, "d5", 0, 10, &d), 0, "seconds: 1 ns ok");
	ok(d == 1e-9, "seconds: 0.000000001 is 1e-9");
	is_int(cfg_get_double(doc->root, "d9", 0, 10, &d), 0, "seconds: 0 ok");
	ok(d == 0, "seconds: 0 is 0");
	is_int(cfg_get_double(doc->root, "d10", 0, 10, &d), 0, "seconds: past 1 ns ok");
	ok(d == 0.5, "seconds: digits past the nanosecond are dropped");
	ok(cfg_seconds_parse("99999999999999999999999", &d) == 0 && d > 31536000,
	   "seconds: a huge number stays above every maximum");
	ok(cfg_seconds_parse("nan", &d) == -EINVAL && cfg_seconds_parse("inf", &d) == -EINVAL &&
	   cfg_seconds_parse(".", &d) == -EINVAL && cfg_seconds_parse("", &d) == -EINVAL &&
	   cfg_seconds_parse(" 1", &d) == -EINVAL && cfg_seconds_parse("1.2.3", &d) == -EINVAL,
	   "seconds: nan, inf, \".\", \"\", blanks, two dots refused");

	capture_begin(&c);
	ret = cfg_get_int(doc->root, "i1", 0, 100, &i);
	ret += cfg_get_int(doc->root, "i2", -100, 100, &i);
	err = capture_end(&c);
	is_int(ret, -2 * EINVAL, "int: leading zeros refused");
	is_str(err,
	       "t.yaml:11:5: i1: expected an integer from 0 to 100 without a leading zero "
	       "(YAML 1.1 reads 010 as octal), got \"010\"\n"
	       "t.yaml:12:5: i2: expected an integer from -100 to 100 without a leading zero "
	       "(YAML 1.1 reads 010 as octal), got \"-007\"\n",
	       "int: leading zero message");
	free(err);
	i = 5;
	is_int(cfg_get_int(doc->root, "i3", 0, 100, &i), 0, "int: 0 ok");
	is_int(i, 0, "int: 0 is 0");
	is_int(cfg_get_int(doc->root, "i4", 0, 100, &i), 0, "int: 0x0010 ok (hex is unambiguous)");
	is_int(i, 16, "int: 0x0010 is 16");
	is_int(cfg_get_int(doc->root, "i5", -1, 1, &i), 0, "int: -0 ok");
	is_int(i, 0, "int: -0 is 0");
	cfg_doc__free(doc);
}

/*
 * N keys "kNNN: 1" in one mapping, and, when DUP, the first key once more.
 * malloc'd.
 */
static char *many_keys(size_t n, bool dup)
{
	size_t size = n * 16 + 32, o = 0;
	char *text = malloc(size);

	if (!text) {
		perror("many_keys");
		exit(2);
	}
	for (size_t k = 0; k < n; k++)
		o += snprintf(text + o, size - o, "k%zu: 1\n", k);
	if (dup)
		snprintf(text + o, size - o, "k0: 2\n");
	return text;
}

/*
 * 200,000 keys (2.8 MB): read in one pass (each key's duplicate check was a
 * scan of those before it: 46 s for 80,000), and 20 "unknown key" lines then
 * one count, not 200,000 lines. Its time is bench/config's to measure.
 */
static void test_many_keys(void)
{
	struct config cfg;
	struct capture c;
	char *text, *file, *err, *want, *last;
	size_t lines = 0;
	struct cfg_doc *doc;
	int ret;

	text = many_keys(200000, false);
	file = write_temp(text);
	capture_begin(&c);
	ret = config__load(&cfg, file);
	config__free(&cfg);	/* the count comes with the document's end */
	err = capture_end(&c);
	is_int(ret, -EINVAL, "200,000 unknown keys: -EINVAL");
	for (const char *p = err; *p; p++)
		lines += *p == '\n';
	is_int((long long)lines, 21, "200,000 unknown keys: 20 error lines and a count");
	want = fmt("%s:1:1: k0: unknown key\n%s:2:1: k1: unknown key\n", file, file);
	ok(!strncmp(err, want, strlen(want)), "200,000 unknown keys: the first lines name them");
	last = strrchr(err, '\n');
	while (last && last > err && last[-1] != '\n')
		last--;
	is_str(last, "config: 199980 more errors not shown\n",
	       "200,000 unknown keys: the last line counts the others");
	free(want);
	free(err);
	unlink(file);
	free(file);
	free(text);

	/* The duplicate check still finds the first key again, past 100,000 others. */
	text = many_keys(100000, true);
	doc = parse_text(text, &err);
	ok(doc == NULL && errno == EINVAL, "duplicate after 100,000 keys: refused");
	is_str(err, "t.yaml:100001:1: k0: duplicate key\n",
	       "duplicate after 100,000 keys: its line");
	free(err);
	free(text);

	/* And the count starts again with the next document. */
	load_fails("errors counted afresh", "bogus: 1\n", "%1$s:1:1: bogus: unknown key\n");
}

static void test_file_errors(void)
{
	struct capture c;
	char *file;

	file = fmt("%s/test_config.does-not-exist.yaml", tmpdir);
	load_path_fails("missing file", file, -ENOENT, "-ENOENT",
			"config: cannot open %1$s: No such file or directory\n");

	capture_begin(&c);
	errno = 0;
	ok(cfg_doc__load(file) == NULL && errno == ENOENT, "missing file: cfg_doc__load ENOENT");
	free(capture_end(&c));
	free(file);

	load_path_fails("directory", tmpdir, -EISDIR, "-EISDIR",
			"config: cannot read %1$s: Is a directory\n");
}

/* ---------------------------------------------------------------------------
 * --set: config__load_set
 */

/*
 * Load TEXT (NULL: no file) with SETS, stderr captured into *err; the
 * file's name in *file (NULL without one).
 */
static int load_set(const char *text, char *const *sets, struct config *cfg, char **file,
		    char **err)
{
	struct capture c;
	int ret;

	*file = text ? write_temp(text) : NULL;
	capture_begin(&c);
	ret = config__load_set(cfg, *file, sets);
	*err = capture_end(&c);
	return ret;
}

static void set_done(struct config *cfg, char *file, char *err)
{
	config__free(cfg);
	if (file)
		unlink(file);
	free(file);
	free(err);
}

/* SET alone (over TEXT, or no file) fails with exactly WANT ("%1$s": the file). */
static void set_fails(const char *name, const char *text, const char *set, const char *want_fmt)
{
	char *const sets[] = { (char *)set, NULL };
	struct config cfg;
	char *file, *err, *want;
	int ret;

	ret = load_set(text, sets, &cfg, &file, &err);
	is_int(ret, -EINVAL, nm("%s: returns -EINVAL", name));
	want = fmt(want_fmt, file ? file : "");
	is_str(err, want, nm("%s: the error line", name));
	free(want);
	set_done(&cfg, file, err);
}

static void test_set(void)
{
	char *const none[] = { NULL };
	char *const sets[] = {
		"output.on_error=drop", "output.buffer_size=1024", "app.duration=2.5",
		"filters.comm=[nginx, mysqld]", "output.file=/tmp/x.json", "output.file=",
		"monitors.exec.max_args=3", "kernel.btf=false", NULL,
	};
	char *const over[] = {
		"output.buffer_size=1024", "monitors.exec.max_args=3", "monitors.open.max_path=64",
		"output.sinks=[{format: json, file: /tmp/a.json}, {format: table}]", NULL,
	};
	static const char *const malformed[] = { "output.on_error", "=1", "output..file=x", "output.=x" };
	struct cfg_node *exec, *node;
	long long v = 0;
	struct config cfg;
	char *file, *err;
	int ret;

	/* No file: the built-in defaults, an empty tree. */
	ret = load_set(NULL, none, &cfg, &file, &err);
	is_int(ret, 0, "no file: loads");
	is_str(err, "", "no file: nothing printed");
	check_defaults("no file", &cfg);
	ok(cfg.doc && cfg.doc->root && cfg.doc->root->kind == CFG_MAP && !cfg.doc->root->n_kids,
	   "no file: an empty tree");
	is_str(cfg.doc ? cfg.doc->file : NULL, "the built-in defaults", "no file: the document's name");
	ok(cfg.monitors == NULL, "no file: no monitors section");
	set_done(&cfg, file, err);

	/* No file, with --set: each key as if the file said it; the last one wins. */
	ret = load_set(NULL, sets, &cfg, &file, &err);
	is_int(ret, 0, "--set without a file: loads");
	is_str(err, "", "--set without a file: nothing printed");
	is_int(cfg.on_error, ON_ERROR_DROP, "--set output.on_error=drop");
	is_int(cfg.buffer_size, 1024, "--set output.buffer_size=1024: a number");
	ok(cfg.duration == 2.5, "--set app.duration=2.5: seconds");
	is_int(strv_len(cfg.comms), 2, "--set filters.comm=[nginx, mysqld]: a flow list");
	is_str(cfg.comms ? cfg.comms[1] : NULL, "mysqld", "--set filters.comm: its second item");
	ok(cfg.output_file == NULL, "--set output.file= after output.file=FILE: null, the default");
	ok(cfg.btf == false, "--set kernel.btf=false: a boolean");
	exec = cfg_node__get(cfg.monitors, "exec");
	node = cfg_node__get(exec, "max_args");
	ok(exec && exec->kind == CFG_MAP && node, "--set monitors.exec.max_args: the mappings made");
	is_str(node ? node->path : NULL, "monitors.exec.max_args", "--set: the node's dotted path");
	is_str(node ? node->file : NULL, "--set monitors.exec.max_args=3",
	       "--set: the node names the flag");
	ok(node && !node->line && !node->key_line, "--set: no line or column");
	is_int(cfg_get_int(exec, "max_args", 1, 1024, &v), 0, "--set: the monitor's getter");
	is_int(v, 3, "--set monitors.exec.max_args=3");
	set_done(&cfg, file, err);

	/* Over a file: its other keys stay, null sections become mappings. */
	ret = load_set("output:\n  buffer_size: 64\n  flush_interval: 0.5\n"
		       "monitors:\n  exec:\n    max_args: 9\n    arg_size: 64\n  open:\n",
		       over, &cfg, &file, &err);
	is_int(ret, 0, "--set over a file: loads");
	is_str(err, "", "--set over a file: nothing printed");
	is_int(cfg.buffer_size, 1024, "--set over a file: its value replaced");
	ok(cfg.flush_interval == 0.5, "--set over a file: the file's other keys stay");
	exec = cfg_node__get(cfg.monitors, "exec");
	ok(exec && exec->n_kids == 2, "--set over a file: a key replaced in place");
	is_int(cfg_get_int(exec, "max_args", 1, 1024, &v), 0, "--set over a file: exec's getter");
	is_int(v, 3, "--set over a file: monitors.exec.max_args");
	node = cfg_node__get(exec, "arg_size");
	is_str(node ? node->value : NULL, "64", "--set over a file: exec's other key stays");
	node = cfg_node__get(cfg_node__get(cfg.monitors, "open"), "max_path");
	is_str(node ? node->value : NULL, "64", "--set over a null section (open:)");
	is_int(cfg.n_sinks, 2, "--set output.sinks=[...]: a flow list of mappings");
	is_int(cfg.n_sinks == 2 ? cfg.sinks[1].format : -1, OUTPUT_TABLE,
	       "--set output.sinks: the second sink");
	is_str(cfg.n_sinks == 2 ? cfg.sinks[0].file : NULL, "/tmp/a.json",
	       "--set output.sinks: the first sink's file");
	set_done(&cfg, file, err);

	/* Errors: one line naming the flag, from the same checks as the file's. */
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		char *want = fmt("--set: expected KEY=VALUE with a dotted KEY such as "
				 "monitors.syscall.mode=events, got '%s'\n", malformed[i]);

		set_fails(nm("malformed '%s'", malformed[i]), NULL, malformed[i], want);
		free(want);
	}
	set_fails("unknown section", NULL, "outptu.format=json",
		  "--set outptu.format=json: outptu: unknown key\n");
	set_fails("unknown key", "output:\n  format: json\n", "output.fromat=json",
		  "--set output.fromat=json: output.fromat: unknown key\n");
	set_fails("bad number", NULL, "output.buffer_size=abc",
		  "--set output.buffer_size=abc: output.buffer_size: expected an integer from 1 "
		  "to 65536, got \"abc\"\n");
	set_fails("bad choice", "output:\n  on_error: exit\n", "output.on_error=later",
		  "--set output.on_error=later: output.on_error: expected one of: exit, drop; "
		  "got \"later\"\n");
	set_fails("a quoted number is a string", NULL, "output.buffer_size='8'",
		  "--set output.buffer_size='8': output.buffer_size: expected an integer from 1 "
		  "to 65536, got \"8\"\n");
	set_fails("a key inside a value", "output:\n  file: out.json\n", "output.file.x=1",
		  "--set output.file.x=1: output.file is a value, not a mapping with key x\n");
	set_fails("a key inside a list", "output:\n  sinks: [{format: json}]\n",
		  "output.sinks.0.file=x",
		  "--set output.sinks.0.file=x: output.sinks is a list, not a mapping with key 0.file\n");
	set_fails("a mapping where a value belongs", NULL, "output.buffer_size={a: 1}",
		  "--set output.buffer_size={a: 1}: output.buffer_size: expected a scalar value\n");
	set_fails("a list item's error", NULL, "output.sinks=[{format: jsn}]",
		  "--set output.sinks=[{format: jsn}]: output.sinks[0].format: expected one of: "
		  "json, csv, table, none; got \"jsn\"\n");
	set_fails("yaml syntax error", NULL, "filters.comm=[a",
		  "--set filters.comm=[a:2:1: yaml syntax error: did not find expected ',' or ']' "
		  "(while parsing a flow sequence)\n");
	set_fails("a comment for a value", NULL, "output.csv_delimiter=#",
		  "--set output.csv_delimiter=#: no value (a '#' starts a YAML comment: quote it)\n");
	set_fails("a tag", NULL, "output.format=!!str json",
		  "--set output.format=!!str json:1:1: yaml tags (such as !!str) are "
		  "not supported; quote a value to make it a string\n");
	set_fails("a bad file first", "output:\n  fromat: json\n", "output.format=json",
		  "%1$s:2:3: output.fromat: unknown key\n");
}

int main(void)
{
	tmpdir_setup("test_config");

	test_tree();
	test_tree_errors();
	test_getters();
	test_full();
	test_defaults();
	test_values();
	test_control_socket();
	test_load_errors();
	test_file_errors();
	test_numbers();
	test_many_keys();
	test_set();

	rmdir(tmpdir);
	return done_testing();
}
