// SPDX-License-Identifier: GPL-2.0
/* open: every open, openat and openat2, successful or failed, with its path. */
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The kernel's O_* values for this architecture (glibc's <fcntl.h> has
 * O_LARGEFILE as 0 on 64-bit, and no __O_SYNC or __O_TMPFILE).
 */
#include <asm/fcntl.h>

#include "../probes/open.h"
#include "config.h"
#include "json_util.h"
#include "monitor.h"
#include "probe_set.h"

struct open_opts {
	long long max_path;
	long long max_inflight;
	bool show_failed;
	bool failed_only;
	char **prefixes;
	size_t n_prefixes;
	size_t prefix_words;		/* u64 words of the longest prefix */
};

static const struct monitor_tp open_tracepoints[] = {
	{ "syscalls", "sys_enter_openat", false },
	{ "syscalls", "sys_exit_openat", false },
	{ "syscalls", "sys_enter_open", true },
	{ "syscalls", "sys_exit_open", true },
	{ "syscalls", "sys_enter_openat2", true },
	{ "syscalls", "sys_exit_openat2", true },
	{ NULL },
};

static const char *const open_op_names[] = {
	[OPEN_OP_OPEN] = "open",
	[OPEN_OP_OPENAT] = "openat",
	[OPEN_OP_OPENAT2] = "openat2",
};

/*
 * Flag names in bit order. O_SYNC and O_TMPFILE include O_DSYNC and
 * O_DIRECTORY: those are named alone only when the wider flag is not set.
 */
static const struct {
	const char *name;
	unsigned long long mask;
	unsigned long long unless;
} open_flag_names[] = {
	{ "O_CREAT", O_CREAT, 0 },
	{ "O_EXCL", O_EXCL, 0 },
	{ "O_NOCTTY", O_NOCTTY, 0 },
	{ "O_TRUNC", O_TRUNC, 0 },
	{ "O_APPEND", O_APPEND, 0 },
	{ "O_NONBLOCK", O_NONBLOCK, 0 },
	{ "O_DSYNC", O_DSYNC, __O_SYNC },
	{ "O_ASYNC", FASYNC, 0 },
	{ "O_DIRECT", O_DIRECT, 0 },
	{ "O_LARGEFILE", O_LARGEFILE, 0 },
	{ "O_DIRECTORY", O_DIRECTORY, __O_TMPFILE },
	{ "O_NOFOLLOW", O_NOFOLLOW, 0 },
	{ "O_NOATIME", O_NOATIME, 0 },
	{ "O_CLOEXEC", O_CLOEXEC, 0 },
	{ "O_SYNC", O_SYNC, 0 },
	{ "O_PATH", O_PATH, 0 },
	{ "O_TMPFILE", O_TMPFILE, 0 },
};

/* <linux/openat2.h>; the values are the same on every architecture. */
static const struct {
	const char *name;
	unsigned long long mask;
} open_resolve_names[] = {
	{ "RESOLVE_NO_XDEV", 0x01 },
	{ "RESOLVE_NO_MAGICLINKS", 0x02 },
	{ "RESOLVE_NO_SYMLINKS", 0x04 },
	{ "RESOLVE_BENEATH", 0x08 },
	{ "RESOLVE_IN_ROOT", 0x10 },
	{ "RESOLVE_CACHED", 0x20 },
};

static unsigned long roundup_pow2(unsigned long v)
{
	unsigned long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* The item node of a list, for errors (a comma-separated scalar has none). */
static struct cfg_node *open_item_node(struct cfg_node *list, size_t i)
{
	return list->kind == CFG_SEQ && i < list->n_kids ? list->kids[i] : list;
}

static int open_parse_prefixes(struct open_opts *o, struct cfg_node *node)
{
	struct cfg_node *list;
	size_t longest = 0;

	if (cfg_get_strv(node, "path_prefixes", &o->prefixes))
		return -EINVAL;
	o->n_prefixes = o->prefixes ? strv_len(o->prefixes) : 0;
	if (!o->n_prefixes)
		return 0;
	list = cfg_node__get(node, "path_prefixes");
	if (o->n_prefixes > OPEN_PREFIXES_MAX) {
		cfg_node__error(list, "at most %d prefixes, got %zu", OPEN_PREFIXES_MAX,
				o->n_prefixes);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_prefixes; i++) {
		size_t len = strlen(o->prefixes[i]);

		if (len > OPEN_PREFIX_LEN_MAX) {
			cfg_node__error(open_item_node(list, i),
					"a prefix is at most %d bytes, got %zu",
					OPEN_PREFIX_LEN_MAX, len);
			return -EINVAL;
		}
		if (len > longest)
			longest = len;
	}
	o->prefix_words = (longest + 7) / 8;
	return 0;
}

static int open_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	static const char *const modes[] = { "events", NULL };
	struct open_opts *o = calloc(1, sizeof(*o));
	unsigned long path_read;
	int err = 0, mode = 0;

	if (!o)
		return -ENOMEM;
	o->max_path = 256;
	o->max_inflight = 10240;
	o->show_failed = true;
	inst->priv = o;
	if (node) {
		/* The key every monitor shares; open has only events. */
		err |= cfg_get_enum(node, "mode", modes, &mode);
		err |= cfg_get_int(node, "max_path", 16, 4096, &o->max_path);
		err |= cfg_get_int(node, "max_inflight", 64, 1048576, &o->max_inflight);
		err |= cfg_get_bool(node, "show_failed", &o->show_failed);
		err |= cfg_get_bool(node, "failed_only", &o->failed_only);
		err |= open_parse_prefixes(o, node);
		if (!err && o->failed_only && !o->show_failed) {
			cfg_node__error(cfg_node__get(node, "failed_only"),
					"cannot be true when show_failed is false");
			err = -EINVAL;
		}
		if (err)
			return -EINVAL;
	}
	/* A prefix longer than max_path is still compared whole. */
	path_read = o->max_path;
	if (path_read < o->prefix_words * 8)
		path_read = o->prefix_words * 8;
	path_read += 2;
	err |= render_vars__set(&inst->vars, "PATH_READ", "%lu", path_read);
	err |= render_vars__set(&inst->vars, "PATH_BUF", "%lu", roundup_pow2(path_read));
	err |= render_vars__set(&inst->vars, "MAX_INFLIGHT", "%lld", o->max_inflight);
	err |= render_vars__set(&inst->vars, "SHOW_FAILED", "%d", o->show_failed);
	err |= render_vars__set(&inst->vars, "FAILED_ONLY", "%d", o->failed_only);
	err |= render_vars__set(&inst->vars, "N_PREFIXES", "%zu", o->n_prefixes);
	err |= render_vars__set(&inst->vars, "PREFIX_WORDS", "%zu", o->prefix_words);
	return err ? -ENOMEM : 0;
}

/* The prefixes as the probe's struct open_prefix_set: words, then masks. */
static int open_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	const struct open_opts *o = inst->priv;
	size_t row = o->prefix_words * 8, half = o->n_prefixes * row;
	unsigned char *set;
	__u32 zero = 0;
	int err;

	if (o->n_prefixes) {
		set = calloc(2, half);
		if (!set)
			return -ENOMEM;
		for (size_t i = 0; i < o->n_prefixes; i++) {
			size_t len = strlen(o->prefixes[i]);

			memcpy(set + i * row, o->prefixes[i], len);
			memset(set + half + i * row, 0xff, len);
		}
		err = probe_set__update(ps, "open_prefixes", &zero, set);
		free(set);
		if (err)
			return err;
	}
	return monitor_attach_tracepoints(inst, ps);
}

static json_t *open_flags_names(unsigned long long flags)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	unsigned long long rest = flags & ~(unsigned long long)O_ACCMODE;
	json_t *names = json_array();
	char hex[32];

	if ((flags & O_ACCMODE) < 3)
		json_array_append_new(names, json_string(acc[flags & O_ACCMODE]));
	else
		rest |= O_ACCMODE;	/* no name: shown with the unknown bits */
	for (size_t i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
		if ((flags & open_flag_names[i].mask) != open_flag_names[i].mask ||
		    (flags & open_flag_names[i].unless))
			continue;
		json_array_append_new(names, json_string(open_flag_names[i].name));
		rest &= ~open_flag_names[i].mask;
	}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%llx", rest);
		json_array_append_new(names, json_string(hex));
	}
	return names;
}

static json_t *open_resolve_json(unsigned long long resolve)
{
	json_t *names = json_array();
	char hex[32];

	for (size_t i = 0; i < sizeof(open_resolve_names) / sizeof(open_resolve_names[0]); i++) {
		if (!(resolve & open_resolve_names[i].mask))
			continue;
		json_array_append_new(names, json_string(open_resolve_names[i].name));
		resolve &= ~open_resolve_names[i].mask;
	}
	if (resolve) {
		snprintf(hex, sizeof(hex), "0x%llx", resolve);
		json_array_append_new(names, json_string(hex));
	}
	return names;
}

static int open_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 json_t *rec)
{
	const struct open_opts *o = inst->priv;
	const struct open_event *e = data;
	bool how = false, path_ok;
	const char *err;
	size_t len;
	char mode[32];

	if (size < sizeof(*e) || e->path_len > size - sizeof(*e) || e->op > OPEN_OP_OPENAT2)
		return -EINVAL;
	path_ok = !(e->info & OPEN_I_PATH_UNAVAILABLE);
	len = strnlen(e->path, e->path_len);
	if (e->op == OPEN_OP_OPENAT2)
		how = !(e->info & OPEN_I_HOW_UNAVAILABLE);
	json_set(rec, "op", json_string(open_op_names[e->op]));
	json_set(rec, "dirfd", e->op == OPEN_OP_OPEN ? json_null() : json_integer(e->dirfd));
	json_set(rec, "path", path_ok ? json_string_lossy(e->path, len < (size_t)o->max_path ?
							  len : (size_t)o->max_path) :
		 json_null());
	json_set(rec, "path_truncated", json_boolean(path_ok && len > (size_t)o->max_path));
	if (e->op == OPEN_OP_OPENAT2 && !how) {
		json_set(rec, "flags", json_null());
		json_set(rec, "flags_names", json_null());
		json_set(rec, "mode", json_null());
	} else {
		json_set(rec, "flags", json_integer((json_int_t)e->flags));
		json_set(rec, "flags_names", open_flags_names(e->flags));
		/* The mode means something only to O_CREAT and O_TMPFILE. */
		if (e->flags & (O_CREAT | __O_TMPFILE)) {
			snprintf(mode, sizeof(mode), "%04llo", (unsigned long long)e->mode);
			json_set(rec, "mode", json_string(mode));
		} else {
			json_set(rec, "mode", json_null());
		}
	}
	json_set(rec, "resolve", how ? json_integer((json_int_t)e->resolve) : json_null());
	json_set(rec, "resolve_names", how ? open_resolve_json(e->resolve) : json_null());
	/* Syscalls return -4095..-1 for errors (MAX_ERRNO); anything else is no errno. */
	err = e->ret < 0 && e->ret >= -4095 ? errno_name((int)-e->ret) : NULL;
	json_set(rec, "ret", json_integer(e->ret));
	json_set(rec, "error", err ? json_string(err) : json_null());
	return 0;
}

static void open_detach(struct monitor_inst *inst)
{
	struct open_opts *o = inst->priv;

	if (o)
		strv_free(o->prefixes);
	free(o);
	inst->priv = NULL;
}

const struct monitor mon_open = {
	.name = "open",
	.desc = "file opens (open, openat, openat2): path, flags, mode, result",
	.probe = "open.bpf.c",
	.tracepoints = open_tracepoints,
	.events_table = "open_events",
	.configure = open_configure,
	.attach = open_attach,
	.on_event = open_on_event,
	.detach = open_detach,
};
