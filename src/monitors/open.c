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

#include "probes/open.h"
#include "config/config.h"
#include "util/json_util.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "output/sink.h"
#include "bpf/probe_set.h"
#include "bpf/kernel.h"

struct open_opts {
	long long max_path;
	long long max_inflight;
	bool show_failed;
	bool failed_only;
	bool full_path;			/* relative paths resolved in the kernel */
	const char *full_path_why;	/* why it cannot be: full_path is null */
	char **prefixes;
	size_t n_prefixes;
	size_t prefix_words;		/* u64 words of the longest prefix */
};

static const struct monitor_tp open_tracepoints[] = {
	{ "syscalls", "sys_enter_openat", false },
	{ "syscalls", "sys_exit_openat", false },
	/* One exit program for the three (their layout is one): verified once. */
	{ "syscalls", "sys_enter_open", true },
	{ "syscalls", "sys_exit_open", true, "tracepoint__syscalls__sys_exit_openat" },
	{ "syscalls", "sys_enter_openat2", true },
	{ "syscalls", "sys_exit_openat2", true, "tracepoint__syscalls__sys_exit_openat" },
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

/* As opensnoop; with full_path (opensnoop -F), the kernel's full path. */
#define OPEN_COLUMNS(path_key) {					\
	{ "TIME", "ts", 8, COLUMN_LEFT },				\
	{ "PID", "pid", 7, COLUMN_RIGHT },				\
	{ "COMM", "comm", 16, COLUMN_LEFT },				\
	{ "FD", "ret", 4, COLUMN_RIGHT },				\
	{ "ERR", "error", 7, COLUMN_LEFT },				\
	{ "OP", "op", 7, COLUMN_LEFT },					\
	{ "PATH", path_key, 0, COLUMN_LEFT },				\
	{ NULL },							\
}
static const struct table_column open_columns[] = OPEN_COLUMNS("path");
static const struct table_column open_columns_full[] = OPEN_COLUMNS("full_path");

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
	o->full_path = true;
	inst->priv = o;
	if (node) {
		/* The key every monitor shares; open has only events. */
		err |= cfg_get_enum(node, "mode", modes, &mode);
		err |= cfg_get_int(node, "max_path", 16, 4096, &o->max_path);
		err |= cfg_get_int(node, "max_inflight", 64, 1048576, &o->max_inflight);
		err |= cfg_get_bool(node, "show_failed", &o->show_failed);
		err |= cfg_get_bool(node, "failed_only", &o->failed_only);
		err |= cfg_get_bool(node, "full_path", &o->full_path);
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
	if (o->full_path) {
		o->full_path_why = kernel_info__kpath_why(inst->ki);
		/* full_path null, with --check's kernel_paths saying why: opensnoop's view stays whole. */
		if (!o->full_path_why)
			inst->columns = open_columns_full;
	}
	err |= render_vars__set(&inst->vars, "FULL_PATH", "%d",
				o->full_path && !o->full_path_why);
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

	/* Metrics only: the probe has no events, so no prefixes to match. */
	if (o->n_prefixes && !inst->metrics_only) {
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

#define OPEN_NAMES_MAX (sizeof(open_flag_names) / sizeof(open_flag_names[0]) + 2)

/*
 * Names for the set bits, and the unknown rest in hex. The hex lives in a
 * static buffer per field: a record is written before the next event.
 */
static void open_flags_field(struct record *rec, unsigned long long flags)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	static char hex[32];
	unsigned long long rest = flags & ~(unsigned long long)O_ACCMODE;
	const char *names[OPEN_NAMES_MAX];
	size_t n = 0;

	if ((flags & O_ACCMODE) < 3)
		names[n++] = acc[flags & O_ACCMODE];
	else
		rest |= O_ACCMODE;	/* no name: shown with the unknown bits */
	for (size_t i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
		if ((flags & open_flag_names[i].mask) != open_flag_names[i].mask ||
		    (flags & open_flag_names[i].unless))
			continue;
		names[n++] = open_flag_names[i].name;
		rest &= ~open_flag_names[i].mask;
	}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%llx", rest);
		names[n++] = hex;
	}
	record__strv(rec, "flags_names", names, n);
}

static void open_resolve_field(struct record *rec, unsigned long long resolve)
{
	static char hex[32];
	const char *names[sizeof(open_resolve_names) / sizeof(open_resolve_names[0]) + 1];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(open_resolve_names) / sizeof(open_resolve_names[0]); i++) {
		if (!(resolve & open_resolve_names[i].mask))
			continue;
		names[n++] = open_resolve_names[i].name;
		resolve &= ~open_resolve_names[i].mask;
	}
	if (resolve) {
		snprintf(hex, sizeof(hex), "0x%llx", resolve);
		names[n++] = hex;
	}
	record__strv(rec, "resolve_names", names, n);
}

/*
 * full_path, full_path_truncated, full_path_error: an absolute path is its
 * own; a relative one is the kernel's path of its directory, "/", and it.
 */
static void open_full_path(const struct open_opts *o, const struct open_event *e, size_t size,
			   const char *path, size_t len, bool path_cut, struct record *rec)
{
	/* The reason in detail is the verdict's (--check); here one word. */
	const char *why = o->full_path_why ? "unavailable" : NULL, *full = NULL;
	size_t flen = 0;
	bool cut = false;

	if (!why && !path)
		why = "path unavailable";
	if (!why && path[0] == '/') {
		full = path;
		flen = len;
		cut = path_cut;
	} else if (!why) {
		why = e->full_off ? kpath_flags_error(e->full_flags) : "unavailable";
		if (e->full_off > size - sizeof(*e) || e->full_len >= size - sizeof(*e) - e->full_off)
			why = "malformed";
		if (!why) {
			full = e->path + e->full_off;
			flen = strnlen(full, e->full_len);
			cut = path_cut || (e->full_flags & KPATH_F_TRUNCATED);
		}
	}
	record__strn(rec, "full_path", full, flen);
	record__bool(rec, "full_path_truncated", cut);
	if (why)
		record__str(rec, "full_path_error", why);
	else
		record__null(rec, "full_path_error");
}

static int open_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 struct record *rec)
{
	const struct open_opts *o = inst->priv;
	const struct open_event *e = data;
	bool how = false, path_ok;
	size_t len;

	if (size < sizeof(*e) || e->path_len > size - sizeof(*e) || e->op > OPEN_OP_OPENAT2)
		return -EINVAL;
	path_ok = !(e->info & OPEN_I_PATH_UNAVAILABLE);
	len = strnlen(e->path, e->path_len);
	if (e->op == OPEN_OP_OPENAT2)
		how = !(e->info & OPEN_I_HOW_UNAVAILABLE);
	record__str(rec, "op", open_op_names[e->op]);
	if (e->op == OPEN_OP_OPEN)
		record__null(rec, "dirfd");
	else
		record__int(rec, "dirfd", e->dirfd);
	record__strn(rec, "path", path_ok ? e->path : NULL,
		     len < (size_t)o->max_path ? len : (size_t)o->max_path);
	record__bool(rec, "path_truncated", path_ok && len > (size_t)o->max_path);
	if (o->full_path)
		open_full_path(o, e, size, path_ok ? e->path : NULL,
			       len < (size_t)o->max_path ? len : (size_t)o->max_path,
			       path_ok && len > (size_t)o->max_path, rec);
	if (e->op == OPEN_OP_OPENAT2 && !how) {
		record__null(rec, "flags");
		record__null(rec, "flags_names");
		record__null(rec, "mode");
	} else {
		record__uint(rec, "flags", e->flags);
		open_flags_field(rec, e->flags);
		/* The mode means something only to O_CREAT and O_TMPFILE. */
		if (e->flags & (O_CREAT | __O_TMPFILE))
			record__strf(rec, "mode", "%04llo", (unsigned long long)e->mode);
		else
			record__null(rec, "mode");
	}
	if (how) {
		record__uint(rec, "resolve", e->resolve);
		open_resolve_field(rec, e->resolve);
	} else {
		record__null(rec, "resolve");
		record__null(rec, "resolve_names");
	}
	record__int(rec, "ret", e->ret);
	/* Syscalls return -4095..-1 for errors (MAX_ERRNO); anything else is no errno. */
	record__errno(rec, "error", e->ret);
	return 0;
}

static int open_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	static const char *const ok[] = { "result", "ok", NULL };
	uint64_t slots[EBPFMON_ERRNO_SLOTS];
	int err;

	(void)inst;
	err = probe_set__percpu_array_sums(ps, "open_results", slots, EBPFMON_ERRNO_SLOTS);
	metrics__family(m, "ebpfmon_opens_total", METRIC_COUNTER,
			"Opens (open, openat, openat2) by result: ok, or the errno name "
			"(\"other\": an errno without one).");
	if (!err) {
		metrics__sample(m, "ebpfmon_opens_total", ok, slots[0]);
		monitor_metrics_errnos(m, "ebpfmon_opens_total", "result", slots);
	}
	return err;
}

static void open_detach(struct monitor_inst *inst)
{
	struct open_opts *o = inst->priv;

	if (o)
		strv_free(o->prefixes);
	free(o);
	inst->priv = NULL;
}


static const char *const open_inflight[] = { "open_starts", NULL };

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
	.columns = open_columns,
	.metrics = open_metrics,
	.inflight = open_inflight,
};
