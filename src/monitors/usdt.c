// SPDX-License-Identifier: GPL-2.0
/*
 * usdt: USDT probes of binaries (every process that maps one) or of running
 * processes, their arguments decoded by a per-probe spec: events, calls by
 * probe, and counts by two string arguments (ebpf_exporter's
 * python_function_entries_total{module,function}).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes/usdt.h"
#include "config/config.h"
#include "util/clock.h"
#include "core/summary.h"
#include "bpf/kernel.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "bpf/probe_set.h"
#include "output/sink.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/trust.h"

#define USDT_NAME_MAX 64

enum usdt_type { USDT_UINT, USDT_INT, USDT_STR };

static const char *const usdt_types[] = { "uint", "int", "str", NULL };

/* One (target, probe) pair. */
struct usdt_spec {
	char target[PATH_MAX + 16];	/* the resolved path, or "pid:N" */
	char provider[USDT_NAME_MAX], name[USDT_NAME_MAX];
	int n_args;
	enum usdt_type types[USDT_ARGS];
	char names[USDT_ARGS][USDT_NAME_MAX];
	char metric[USDT_NAME_MAX];	/* "": calls_total only */
	int la, lb;			/* label arguments; -1: none */
	bool events;			/* false: counted only (a probe enabled for its semaphore) */
	struct usdt_probe *p;
};

struct usdt_opts {
	struct usdt_spec specs[USDT_MAX_PROBES];
	size_t n;
	long long string_size;
	long long max_series;
	bool labeled;
	double last_collect;		/* CLOCK_MONOTONIC seconds */
};

/*
 * Probes whose arguments are known: Python's (Include/pydtrace.d:
 * filename, funcname, lineno), as ebpf_exporter's python example reads them.
 */
static const struct usdt_known {
	const char *provider, *name;
	int n;
	enum usdt_type types[3];
	const char *names[3];
	const char *metric;
} usdt_known[] = {
	{ "python", "function__entry", 3, { USDT_STR, USDT_STR, USDT_INT },
	  { "module", "function", "line" }, "python_function_entries" },
	{ "python", "function__return", 3, { USDT_STR, USDT_STR, USDT_INT },
	  { "module", "function", "line" }, "python_function_returns" },
	{ "python", "line", 3, { USDT_STR, USDT_STR, USDT_INT },
	  { "module", "function", "line" }, NULL },
};

/* Keys every event has already, which no argument may take. */
static const char *const usdt_reserved[] = {
	"type", "ts", "ts_ns", "monitor", "pid", "tid", "ppid", "uid", "user", "comm", "cpu",
	"provider", "probe", "target", "cgroup", "cgroup_id", "container_id", "calls", "interval_s",
	NULL,
};

static bool usdt_ident_ok(const char *s, bool lead_digit_ok)
{
	if (!*s || strlen(s) >= USDT_NAME_MAX || (!lead_digit_ok && s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/*
 * PATH (as configured) may be followed when each symbolic link on the way
 * is owned by root or us and sits in a directory only they can change (or
 * one with the sticky bit): else another user could point it elsewhere
 * between this check and the attach, or later. Then the real path is
 * checked as lock.libs' are (util/trust.h) and used from then on.
 */
static int usdt_path_trusted(const struct cfg_node *node, const char *path, char *real)
{
	char buf[PATH_MAX], dir[PATH_MAX];
	struct stat st, dst;
	int fd;

	if (path[0] != '/') {
		cfg_node__error(node, "expected an absolute path, got \"%.80s\"", path);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = 0;
		if (!lstat(buf, &st) && S_ISLNK(st.st_mode)) {
			char *slash = strrchr(buf, '/');

			snprintf(dir, sizeof(dir), "%.*s", slash == buf ? 1 : (int)(slash - buf), buf);
			if (stat(dir, &dst) ||
			    (st.st_uid && st.st_uid != geteuid()) ||
			    (dst.st_uid && dst.st_uid != geteuid()) ||
			    ((dst.st_mode & (S_IWGRP | S_IWOTH)) && !(dst.st_mode & S_ISVTX))) {
				if (!trust_insecure()) {
					cfg_node__error(node, "%s is a symbolic link another user can "
							"change (in %s); refusing (name the real "
							"path, or --insecure-config)", buf, dir);
					return -EPERM;
				}
				pr_warn("usdt: %s is a symbolic link another user can change", buf);
			}
		}
		*p = c;
		if (!c)
			break;
	}
	if (!realpath(path, real)) {
		cfg_node__error(node, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	fd = trust_open(real, "monitors.usdt.targets", true);
	if (fd < 0) {
		if (fd != -EPERM && fd != -EINVAL)
			cfg_node__error(node, "%s: %s", real, strerror(-fd));
		return fd;
	}
	close(fd);
	return 0;
}

/* A probe's args/names/metric/labels keys, over the known defaults. */
static int usdt_spec_parse(struct usdt_spec *s, struct cfg_node *item)
{
	char **types = NULL, **names = NULL, **labels = NULL, *metric = NULL;
	struct cfg_node *at;
	int err = 0, i;

	if (!item || item->kind != CFG_MAP)
		return 0;
	err |= cfg_get_strv(item, "args", &types);
	err |= cfg_get_strv(item, "names", &names);
	err |= cfg_get_strv(item, "labels", &labels);
	err |= cfg_get_string(item, "metric", &metric);
	err |= cfg_get_bool(item, "events", &s->events);
	if (err)
		goto cleanup;
	if (types && (int)strv_len(types) > s->n_args) {
		cfg_node__error(cfg_node__get(item, "args"), "%s:%s has %d arguments, not %zu",
				s->provider, s->name, s->n_args, strv_len(types));
		err = -EINVAL;
	}
	for (i = 0; !err && types && types[i]; i++) {
		int t;

		for (t = 0; usdt_types[t] && strcmp(usdt_types[t], types[i]); t++)
			;
		if (!usdt_types[t]) {
			cfg_node__error(cfg_node__get(item, "args"), "expected uint, int or str, "
					"got \"%.80s\"", types[i]);
			err = -EINVAL;
		}
		s->types[i] = t;
	}
	at = cfg_node__get(item, "names");
	if (!err && names && (int)strv_len(names) > s->n_args) {
		cfg_node__error(at, "%s:%s has %d arguments, not %zu", s->provider, s->name,
				s->n_args, strv_len(names));
		err = -EINVAL;
	}
	for (i = 0; !err && names && names[i]; i++) {
		bool taken = false;

		for (int r = 0; usdt_reserved[r]; r++)
			taken |= !strcmp(usdt_reserved[r], names[i]);
		if (!usdt_ident_ok(names[i], false) || taken) {
			cfg_node__error(at, "\"%.80s\" is no argument name (lowercase letters, "
					"digits, _; not a common field)", names[i]);
			err = -EINVAL;
		}
		snprintf(s->names[i], sizeof(s->names[i]), "%s", names[i]);
	}
	if (!err && metric && !usdt_ident_ok(metric, false)) {
		cfg_node__error(cfg_node__get(item, "metric"), "expected a metric name (lowercase "
				"letters, digits, _), got \"%.80s\"", metric);
		err = -EINVAL;
	}
	if (!err && metric)
		snprintf(s->metric, sizeof(s->metric), "%s", metric);
	at = cfg_node__get(item, "labels");
	if (!err && labels) {
		s->la = s->lb = -1;
		if (strv_len(labels) > 2) {
			cfg_node__error(at, "at most 2 label arguments");
			err = -EINVAL;
		}
		for (i = 0; !err && labels[i]; i++) {
			int a;

			for (a = 0; a < s->n_args && strcmp(s->names[a], labels[i]); a++)
				;
			if (a == s->n_args || s->types[a] != USDT_STR) {
				cfg_node__error(at, "\"%.80s\" is no str argument of %s:%s", labels[i],
						s->provider, s->name);
				err = -EINVAL;
			}
			*(i ? &s->lb : &s->la) = a;
		}
	}
cleanup:
	strv_free(types);
	strv_free(names);
	strv_free(labels);
	free(metric);
	return err ? -EINVAL : 0;
}

/* "provider:name" of one target: found in it, then its spec. */
static int usdt_probe_add(struct usdt_opts *o, struct cfg_node *item, const char *target,
			  const char *path, int pid)
{
	struct cfg_node *pn = item;
	struct usdt_spec *s;
	const char *colon;
	int err;

	if (item->kind == CFG_MAP)
		pn = cfg_node__get(item, "probe");
	if (!pn || pn->kind != CFG_SCALAR || pn->null) {
		cfg_node__error(item, "expected PROVIDER:NAME, or a mapping with probe:");
		return -EINVAL;
	}
	colon = strchr(pn->value, ':');
	if (!colon || colon == pn->value || !colon[1] || strchr(colon + 1, ':') ||
	    colon - pn->value >= USDT_NAME_MAX || strlen(colon + 1) >= USDT_NAME_MAX) {
		cfg_node__error(pn, "expected PROVIDER:NAME, got \"%.80s\"", pn->value);
		return -EINVAL;
	}
	if (o->n == USDT_MAX_PROBES) {
		cfg_node__error(pn, "more than %d probes", USDT_MAX_PROBES);
		return -EINVAL;
	}
	s = &o->specs[o->n];
	memset(s, 0, sizeof(*s));
	s->la = s->lb = -1;
	s->events = true;
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->provider, sizeof(s->provider), "%.*s", (int)(colon - pn->value), pn->value);
	snprintf(s->name, sizeof(s->name), "%s", colon + 1);
	err = probe_set__usdt_find(path, pid, s->provider, s->name, &s->p);
	if (err) {
		cfg_node__error(pn, "%s:%s in %s: %s", s->provider, s->name, target,
				err == -ENODATA ? "no such USDT probe" :
				err == -ENOEXEC ? "not an ELF file" :
				err == -EOPNOTSUPP ? "an argument spec this monitor cannot read" :
				strerror(-err));
		return -EINVAL;
	}
	o->n++;
	s->n_args = usdt_probe__n_args(s->p);
	for (int i = 0; i < s->n_args; i++)
		snprintf(s->names[i], sizeof(s->names[i]), "arg%d", i + 1);
	for (size_t k = 0; k < sizeof(usdt_known) / sizeof(usdt_known[0]); k++) {
		const struct usdt_known *kn = &usdt_known[k];

		if (strcmp(kn->provider, s->provider) || strcmp(kn->name, s->name) ||
		    kn->n != s->n_args)
			continue;
		for (int i = 0; i < kn->n; i++) {
			s->types[i] = kn->types[i];
			snprintf(s->names[i], sizeof(s->names[i]), "%s", kn->names[i]);
		}
		if (kn->metric) {
			snprintf(s->metric, sizeof(s->metric), "%s", kn->metric);
			s->la = 0;
			s->lb = 1;
		}
	}
	err = usdt_spec_parse(s, item);
	if (!err && item->kind == CFG_MAP)
		err = cfg_node__check_unused(item);
	if (!err && item->kind == CFG_MAP && cfg_node__get(item, "labels") && !s->metric[0]) {
		cfg_node__error(cfg_node__get(item, "labels"), "labels need metric: (the "
				"counter's name)");
		err = -EINVAL;
	}
	/* A known probe's labels, its args changed: still strings? */
	if (!err && ((s->la >= 0 && s->types[s->la] != USDT_STR) ||
		     (s->lb >= 0 && s->types[s->lb] != USDT_STR))) {
		cfg_node__error(item, "%s:%s: a label argument is no str argument", s->provider,
				s->name);
		err = -EINVAL;
	}
	if (!err && s->metric[0] && s->la < 0) {
		cfg_node__error(item, "metric %s needs labels: (one or two str arguments)",
				s->metric);
		err = -EINVAL;
	}
	return err;
}

static int usdt_target_add(struct usdt_opts *o, struct cfg_node *t)
{
	char *path = NULL, real[PATH_MAX], target[PATH_MAX + 16];
	struct cfg_node *probes;
	long long pid = 0;
	int err = 0;

	if (t->kind != CFG_MAP) {
		cfg_node__error(t, "expected a mapping with path: or pid:, and probes:");
		return -EINVAL;
	}
	err |= cfg_get_string(t, "path", &path);
	err |= cfg_get_int(t, "pid", 1, INT_MAX, &pid);
	probes = cfg_node__get(t, "probes");
	err |= cfg_node__check_unused(t);
	if (err)
		goto cleanup;
	if (!path && !pid) {
		cfg_node__error(t, "expected path: or pid:");
		err = -EINVAL;
		goto cleanup;
	}
	if (path)
		err = usdt_path_trusted(cfg_node__get(t, "path"), path, real);
	if (err)
		goto cleanup;
	if (pid && kill((pid_t)pid, 0) && errno == ESRCH) {
		cfg_node__error(cfg_node__get(t, "pid"), "no process %lld", pid);
		err = -EINVAL;
		goto cleanup;
	}
	if (pid)
		snprintf(target, sizeof(target), "pid:%lld%s%s", pid, path ? ":" : "",
			 path ? real : "");
	else
		snprintf(target, sizeof(target), "%s", real);
	if (!probes || probes->kind != CFG_SEQ || !probes->n_kids) {
		cfg_node__error(probes ? probes : t, "expected a list of probes (PROVIDER:NAME)");
		err = -EINVAL;
	}
	for (size_t i = 0; !err && i < probes->n_kids; i++)
		err = usdt_probe_add(o, probes->kids[i], target, path ? real : NULL, (int)pid);
cleanup:
	free(path);
	return err ? -EINVAL : 0;
}

/* The probe's readers and programs: one per location (probes/usdt.bpf.c). */
static int usdt_items(struct monitor_inst *inst, struct usdt_opts *o)
{
	size_t n = 0, k = 0;
	int err = 0;

	for (size_t i = 0; i < o->n; i++)
		n += usdt_probe__n_locations(o->specs[i].p);
	inst->items = calloc(n ? n : 1, sizeof(*inst->items));
	if (!inst->items)
		return -ENOMEM;
	inst->n_items = n;
	for (size_t i = 0; i < o->n && !err; i++) {
		const struct usdt_spec *s = &o->specs[i];
		unsigned mask = 0, strs = 0;

		for (int a = 0; a < s->n_args; a++)
			if (s->types[a] == USDT_STR && strs++ < USDT_STRS)
				mask |= 1u << a;
		for (int l = 0; l < usdt_probe__n_locations(s->p) && !err; l++, k++) {
			struct render_vars *v = &inst->items[k];
			struct strbuf reader = STRBUF_INIT;
			char fn[64];

			snprintf(fn, sizeof(fn), "usdt_args_%zu", k);
			err = usdt_probe__gen_args(s->p, l, fn, &reader);
			err |= render_vars__set(v, "READER", "%s", reader.buf ? reader.buf : "");
			err |= render_vars__set(v, "PROBE", "%zu", i);
			err |= render_vars__set(v, "LOC", "%d", l);
			err |= render_vars__set(v, "STR_MASK", "%#x", mask);
			err |= render_vars__set(v, "LABEL_A", "%d", s->la);
			err |= render_vars__set(v, "LABEL_B", "%d", s->lb);
			err |= render_vars__set(v, "EMIT", "%d", s->events);
			strbuf_release(&reader);
		}
	}
	return err ? -ENOMEM : 0;
}

static int usdt_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct usdt_opts *o = calloc(1, sizeof(*o));
	struct cfg_node *targets = NULL;
	int err = 0;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	o->string_size = 128;
	o->max_series = 4096;
	if (node) {
		err |= cfg_get_int(node, "max_series", 1, 1048576, &o->max_series);
		err |= cfg_get_int(node, "string_size", 16, USDT_STR_MAX, &o->string_size);
		targets = cfg_node__get(node, "targets");
		/* A power of two: the probe's string slots are indexed by shifts. */
		if (!err && (o->string_size & (o->string_size - 1))) {
			cfg_node__error(cfg_node__get(node, "string_size"), "expected a power of "
					"two from 16 to %d, got \"%lld\"", USDT_STR_MAX,
					o->string_size);
			err = -EINVAL;
		}
	}
	err |= monitor_parse_mode(inst, node, false);
	if (err)
		return -EINVAL;
	o->last_collect = clock_mono_s();
	if (targets && !targets->null && targets->kind != CFG_SEQ) {
		cfg_node__error(targets, "expected a list of targets (path: or pid:, probes:)");
		return -EINVAL;
	}
	/* Found in the binaries and processes only when it runs: they may be nowhere else. */
	for (size_t i = 0; inst->enabled && targets && targets->kind == CFG_SEQ &&
	     i < targets->n_kids && !err; i++)
		err = usdt_target_add(o, targets->kids[i]);
	if (err)
		return -EINVAL;
	for (size_t i = 0; i < o->n; i++)
		o->labeled |= o->specs[i].la >= 0;
	err |= render_vars__set(&inst->vars, "N_PROBES", "%zu", o->n ? o->n : 1);
	err |= render_vars__set(&inst->vars, "STRING_SIZE", "%lld", o->string_size);
	err |= render_vars__set(&inst->vars, "LABELED", "%d", o->labeled);
	err |= render_vars__set(&inst->vars, "MAX_SERIES", "%lld", o->max_series);
	if (err || usdt_items(inst, o))
		return -ENOMEM;
	if (!o->n)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
				      "no probes: monitors.usdt.targets names none");
	return 0;
}

static int usdt_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct usdt_opts *o = inst->priv;
	size_t k = 0;

	for (size_t i = 0; i < o->n; i++) {
		const struct usdt_spec *s = &o->specs[i];

		for (int l = 0; l < usdt_probe__n_locations(s->p); l++, k++) {
			char fn[64];
			int err;

			snprintf(fn, sizeof(fn), "usdt__%zu", k);
			err = probe_set__attach_usdt(ps, fn, s->p, l);
			if (err) {
				pr_err("usdt: failed to attach %s:%s in %s: %s", s->provider, s->name,
				       s->target, strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

static int usdt_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 struct record *rec)
{
	const struct usdt_opts *o = inst->priv;
	const struct usdt_event *e = data;
	const struct usdt_spec *s;
	int slot = 0;

	if (size < sizeof(*e) || e->probe >= o->n)
		return -EINVAL;
	s = &o->specs[e->probe];
	record__str(rec, "provider", s->provider);
	record__str(rec, "probe", s->name);
	record__str(rec, "target", s->target);
	for (int i = 0; i < s->n_args; i++) {
		if (s->types[i] == USDT_STR && slot < USDT_STRS) {
			const char *str = e->strs + slot * o->string_size;

			if (sizeof(*e) + (slot + 1) * o->string_size > size)
				return -EINVAL;
			record__strn(rec, s->names[i], str, o->string_size);
			slot++;
		} else if (s->types[i] == USDT_INT) {
			record__int(rec, s->names[i], (int64_t)e->args[i]);
		} else {
			record__uint(rec, s->names[i], e->args[i]);
		}
	}
	return 0;
}

/* mode: summary: one row per probe and label arguments, its calls in the interval. */
struct usdt_row {
	struct usdt_label_key k;
	uint64_t calls;
};

static void usdt_row_add(struct summary_rows *rows, const void *key, const void *values,
			 int n_values, size_t stride)
{
	struct usdt_row *r = summary_rows__next(rows);

	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		uint64_t n;

		memcpy(&n, (const char *)values + i * stride, sizeof(n));
		r->calls += n;
	}
	if (r->calls)
		summary_rows__keep(rows);
}

/* Most calls first, then by probe and labels. */
static int usdt_row_cmp(const void *a, const void *b)
{
	const struct usdt_row *x = a, *y = b;
	int c;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	if (x->k.probe != y->k.probe)
		return x->k.probe < y->k.probe ? -1 : 1;
	c = strncmp(x->k.a, y->k.a, sizeof(x->k.a));
	return c ? c : strncmp(x->k.b, y->k.b, sizeof(x->k.b));
}

static int usdt_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct usdt_opts *o = inst->priv;
	const struct usdt_row *r = row;
	const struct usdt_spec *s;
	struct record *rec;

	if (r->k.probe >= o->n)
		return 0;
	s = &o->specs[r->k.probe];
	rec = monitor_inst__record(inst, "summary");
	record__str(rec, "provider", s->provider);
	record__str(rec, "probe", s->name);
	record__str(rec, "target", s->target);
	if (s->la >= 0)
		record__strn(rec, s->names[s->la], r->k.a, sizeof(r->k.a));
	if (s->lb >= 0)
		record__strn(rec, s->names[s->lb], r->k.b, sizeof(r->k.b));
	record__uint(rec, "calls", r->calls);
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec usdt_summary = {
	.table = "usdt_s_counts",
	.row_size = sizeof(struct usdt_row),
	.fold = usdt_row_add,
	.cmp = usdt_row_cmp,
	.emit = usdt_row_emit,
	.per_s = 1000,
	.full = "usdt_s_full",
	.what = "calls",
};

static int usdt_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct usdt_opts *o = inst->priv;

	return summary_collect(inst, ps, &usdt_summary, &o->last_collect, o->max_series);
}

struct usdt_series {
	uint32_t probe;
	char a[USDT_LABEL_SIZE + 1], b[USDT_LABEL_SIZE + 1];
	uint64_t n;
};

struct usdt_scrape {
	struct usdt_series *v;
	size_t n, cap;
	int err;
};

static void usdt_series_entry(void *ctx, const void *key, const void *values, int n_values,
			      size_t value_size)
{
	const struct usdt_label_key *k = key;
	struct usdt_scrape *sc = ctx;
	struct usdt_series *s;

	(void)n_values;
	(void)value_size;
	if (sc->err || (sc->err = ARRAY_GROW(sc->v, sc->cap, sc->n + 1)))
		return;
	s = &sc->v[sc->n++];
	s->probe = k->probe;
	snprintf(s->a, sizeof(s->a), "%.*s", (int)strnlen(k->a, sizeof(k->a)), k->a);
	snprintf(s->b, sizeof(s->b), "%.*s", (int)strnlen(k->b, sizeof(k->b)), k->b);
	memcpy(&s->n, values, sizeof(s->n));
}

/*
 * One labeled family: the series of every probe that names it, one sample
 * per label set (two targets' same module and function are summed), then
 * the calls past max_series as "other".
 */
static void usdt_metric_family(const struct usdt_opts *o, struct metrics *m, size_t first,
			       struct usdt_scrape *sc, const uint64_t *other)
{
	const struct usdt_spec *f = &o->specs[first];
	char name[USDT_NAME_MAX + 32];
	uint64_t rest = 0;

	snprintf(name, sizeof(name), "ebpfmon_usdt_%s_total", f->metric);
	metrics__family(m, name, METRIC_COUNTER, "USDT probe calls by string arguments "
			"(monitors.usdt labels); \"other\" past max_series.");
	for (size_t i = 0; i < sc->n; i++) {
		const struct usdt_spec *s = &o->specs[sc->v[i].probe];
		const char *labels[] = { f->names[f->la], sc->v[i].a,
					 f->lb >= 0 ? f->names[f->lb] : NULL, sc->v[i].b, NULL };
		uint64_t n = sc->v[i].n;

		if (sc->v[i].probe >= o->n || strcmp(s->metric, f->metric) || !n)
			continue;
		for (size_t j = i + 1; j < sc->n; j++) {
			const struct usdt_spec *t = sc->v[j].probe < o->n ?
						    &o->specs[sc->v[j].probe] : NULL;

			if (t && !strcmp(t->metric, f->metric) && !strcmp(sc->v[j].a, sc->v[i].a) &&
			    !strcmp(sc->v[j].b, sc->v[i].b)) {
				n += sc->v[j].n;
				sc->v[j].n = 0;
			}
		}
		metrics__sample(m, name, labels, n);
	}
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->specs[i].metric, f->metric))
			rest += other[i];
	if (rest) {
		const char *labels[] = { f->names[f->la], "other",
					 f->lb >= 0 ? f->names[f->lb] : NULL, "other", NULL };

		metrics__sample(m, name, labels, rest);
	}
}

static int usdt_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	const struct usdt_opts *o = inst->priv;
	uint64_t calls[USDT_MAX_PROBES] = { 0 }, other[USDT_MAX_PROBES] = { 0 };
	struct usdt_scrape sc = { 0 };
	int err = 0;

	if (!o->n)
		return 0;
	err = probe_set__percpu_array_sums(ps, "usdt_m_calls", calls, o->n);
	metrics__family(m, "ebpfmon_usdt_calls_total", METRIC_COUNTER,
			"USDT probe calls by target (path, or pid:N), provider and probe.");
	for (size_t i = 0; !err && i < o->n; i++) {
		const char *labels[] = { "target", o->specs[i].target, "provider",
					 o->specs[i].provider, "probe", o->specs[i].name, NULL };

		metrics__sample(m, "ebpfmon_usdt_calls_total", labels, calls[i]);
	}
	if (err || !o->labeled)
		return err;
	err = probe_set__percpu_array_sums(ps, "usdt_m_other", other, o->n);
	if (!err) {
		int n = probe_set__walk(ps, "usdt_m_labeled", false, usdt_series_entry, &sc);

		err = n < 0 ? n : sc.err;
	}
	/* Each family once, at the first probe that names it. */
	for (size_t i = 0; !err && i < o->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(o->specs[j].metric, o->specs[i].metric);
		if (o->specs[i].metric[0] && !seen)
			usdt_metric_family(o, m, i, &sc, other);
	}
	free(sc.v);
	return err;
}

static void usdt_detach(struct monitor_inst *inst)
{
	struct usdt_opts *o = inst->priv;

	for (size_t i = 0; o && i < o->n; i++)
		usdt_probe__free(o->specs[i].p);
	free(o);
	inst->priv = NULL;
}

static const struct table_column usdt_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "PROVIDER", "provider", 10, COLUMN_LEFT },
	{ "PROBE", "probe", 18, COLUMN_LEFT },
	{ "TARGET", "target", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column usdt_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PROVIDER", "provider", 10, COLUMN_LEFT },
	{ "PROBE", "probe", 18, COLUMN_LEFT },
	{ "CALLS", "calls", 8, COLUMN_RIGHT },
	{ "TARGET", "target", 0, COLUMN_LEFT },
	{ NULL },
};

const struct monitor mon_usdt = {
	.name = "usdt",
	.desc = "USDT probes of binaries and processes, their arguments decoded",
	.probe = "usdt.bpf.c",
	.events_table = "usdt_events",
	.configure = usdt_configure,
	.attach = usdt_attach,
	.on_event = usdt_on_event,
	.collect = usdt_collect,
	.detach = usdt_detach,
	.columns = usdt_columns,
	.summary_columns = usdt_summary_columns,
	.metrics = usdt_metrics,
};
