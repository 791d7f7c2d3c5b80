// SPDX-License-Identifier: GPL-2.0
/*
 * func: kernel functions matched by shell wildcards, one probe per function
 * (kprobe/kretprobe, or fentry/fexit where kprobes are missing): every call
 * as an event, or calls and a latency histogram per function counted in the
 * kernel (mode: summary), like funccount and funclatency.
 */
#include <errno.h>
#include <fnmatch.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "probes/func.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"

#define FUNC_KALLSYMS "/proc/kallsyms"
#define FUNC_DEBUGFS "/sys/kernel/debug"
#define FUNC_BLACKLIST FUNC_DEBUGFS "/kprobes/blacklist"
#define FUNC_DEBUGFS_MAGIC 0x64626720

enum func_backend {
	FUNC_BACKEND_AUTO,
	FUNC_BACKEND_KPROBE,
	FUNC_BACKEND_FENTRY,
};

static const char *const func_backends[] = { "auto", "kprobe", "fentry", NULL };

struct func_opts {
	char **patterns;
	char **exclude;
	long long max_probes;
	long long max_inflight;
	bool latency;
	int backend;		/* resolved: kprobe or fentry (auto while unavailable) */
	char **names;		/* the matched functions, by index */
	size_t n;
	double last_collect;	/* CLOCK_MONOTONIC seconds */
};

/* A sorted, unique list of names. */
struct func_names {
	char **v;
	size_t n, cap;
};

static int func_names_add(struct func_names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		char **grown = realloc(l->v, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n] = strdup(name);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

static int func_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void func_names_sort(struct func_names *l)
{
	size_t out = 0;

	qsort(l->v, l->n, sizeof(*l->v), func_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (out && !strcmp(l->v[out - 1], l->v[i])) {
			free(l->v[i]);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
}

static bool func_names_has(const struct func_names *l, const char *name)
{
	return l->n && bsearch(&name, l->v, l->n, sizeof(*l->v), func_cmp);
}

static void func_names_free(struct func_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * Compiler clones (.cold, .isra.N, .part.N, .constprop.N, .lto_priv.N) and
 * the __pfx_/__cfi_ padding symbols are not functions a probe can name.
 */
static bool func_name_probeable(const char *name)
{
	return !strchr(name, '.') && strncmp(name, "__pfx_", 6) && strncmp(name, "__cfi_", 6);
}

/* The text symbols of /proc/kallsyms (names only: hidden addresses are fine). */
static int func_read_kallsyms(struct func_names *l)
{
	FILE *f = fopen(FUNC_KALLSYMS, "r");
	char line[512], type, name[256];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %c %255s", &type, name) != 2)
			continue;
		if ((type == 't' || type == 'T') && func_name_probeable(name))
			err = func_names_add(l, name);
	}
	fclose(f);
	func_names_sort(l);
	return err;
}

/*
 * The first word of each line of FILE (available_filter_functions: "name" or
 * "name [module]"; the kprobe blacklist: "0xstart-0xend\tname").
 */
static int func_read_words(const char *file, int word, struct func_names *l)
{
	FILE *f = fopen(file, "r");
	char line[512], a[256], b[256];
	int err = 0, n;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		n = sscanf(line, "%255s %255s", a, b);
		if (n > word)
			err = func_names_add(l, word ? b : a);
	}
	fclose(f);
	func_names_sort(l);
	return err;
}

/* The kprobe blacklist lives in debugfs: mount it when it is missing and we may. */
static int func_read_blacklist(struct func_names *l)
{
	struct statfs st;

	if ((statfs(FUNC_DEBUGFS, &st) || st.f_type != FUNC_DEBUGFS_MAGIC) && geteuid() == 0 &&
	    mount("debugfs", FUNC_DEBUGFS, "debugfs", 0, NULL))
		pr_debug("func: cannot mount debugfs at %s: %s", FUNC_DEBUGFS, strerror(errno));
	return func_read_words(FUNC_BLACKLIST, 1, l);
}

/*
 * The functions this backend can trace: kallsyms text symbols, narrowed by
 * available_filter_functions (notrace functions are absent there) when it can
 * be read, minus the kprobe blacklist (kprobe) or what BTF lacks (fentry).
 */
static int func_traceable(struct monitor_inst *inst, int backend, struct func_names *out)
{
	const struct kernel_info *ki = inst->ki;
	struct func_names ftrace = { 0 }, black = { 0 };
	char path[128];
	size_t keep = 0;
	int err;

	err = func_read_kallsyms(out);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/available_filter_functions", ki->tracefs);
	if (!ki->tracefs_ok || func_read_words(path, 0, &ftrace))
		pr_debug("func: %s unreadable: not narrowing by it", path);
	if (backend == FUNC_BACKEND_KPROBE && func_read_blacklist(&black))
		pr_debug("func: %s unreadable: no kprobe blacklist", FUNC_BLACKLIST);
	for (size_t i = 0; i < out->n; i++) {
		const char *name = out->v[i];

		if ((ftrace.n && !func_names_has(&ftrace, name)) || func_names_has(&black, name) ||
		    (backend == FUNC_BACKEND_FENTRY &&
		     (!ki->btf || btf__find_by_name_kind(ki->btf, name, BTF_KIND_FUNC) < 0))) {
			free(out->v[i]);
			continue;
		}
		out->v[keep++] = out->v[i];
	}
	out->n = keep;
	func_names_free(&ftrace);
	func_names_free(&black);
	return 0;
}

static struct cfg_node *func_item_node(struct cfg_node *list, size_t i)
{
	return list && list->kind == CFG_SEQ && i < list->n_kids ? list->kids[i] : list;
}

static bool func_matches_any(char *const *patterns, const char *name)
{
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (!fnmatch(patterns[i], name, 0))
			return true;
	return false;
}

/* A config error at NODE, or without a position for a default value. */
#define func_cfg_error(node, fmt, ...) do { \
	if (node) \
		cfg_node__error(node, fmt, ##__VA_ARGS__); \
	else \
		pr_err("monitors.func.patterns: " fmt, ##__VA_ARGS__); \
} while (0)

/* Match the patterns; names in o->names in the kernel's (sorted) order. */
static int func_match(struct func_opts *o, const struct func_names *all, struct cfg_node *node)
{
	struct cfg_node *list = node ? cfg_node__get(node, "patterns") : NULL;
	size_t n = 0;
	int err = 0;

	for (size_t p = 0; o->patterns[p]; p++) {
		bool hit = false;

		for (size_t i = 0; i < all->n && !hit; i++)
			hit = !fnmatch(o->patterns[p], all->v[i], 0);
		if (!hit) {
			func_cfg_error(func_item_node(list, p),
				       "pattern '%s' matches no traceable kernel function",
				       o->patterns[p]);
			err = -EINVAL;
		}
	}
	if (err)
		return err;
	o->names = calloc(all->n + 1, sizeof(*o->names));
	if (!o->names)
		return -ENOMEM;
	for (size_t i = 0; i < all->n; i++) {
		if (!func_matches_any(o->patterns, all->v[i]) ||
		    func_matches_any(o->exclude, all->v[i]))
			continue;
		o->names[n] = strdup(all->v[i]);
		if (!o->names[n])
			return -ENOMEM;
		n++;
	}
	o->n = n;
	if (!n) {
		func_cfg_error(list, "every function the patterns match is excluded");
		return -EINVAL;
	}
	if ((long long)n > o->max_probes) {
		func_cfg_error(list, "%zu kernel functions match, more than max_probes (%lld): "
			       "narrow the patterns (or add exclude patterns) or raise max_probes",
			       n, o->max_probes);
		return -EINVAL;
	}
	return 0;
}

/* backend: auto picks kprobes, else fentry; neither makes func unavailable. */
static int func_backend(struct monitor_inst *inst, int want)
{
	const struct kernel_info *ki = inst->ki;

	if ((want == FUNC_BACKEND_AUTO || want == FUNC_BACKEND_KPROBE) && ki->kprobes)
		return FUNC_BACKEND_KPROBE;
	if ((want == FUNC_BACKEND_AUTO || want == FUNC_BACKEND_FENTRY) && ki->fentry)
		return FUNC_BACKEND_FENTRY;
	if (want == FUNC_BACKEND_KPROBE)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "kprobes: %s", ki->kprobes_why);
	else if (want == FUNC_BACKEND_FENTRY)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "fentry: %s", ki->fentry_why);
	else
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "kprobes: %s; fentry: %s",
				      ki->kprobes_why, ki->fentry_why);
	return want;
}

static int func_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct func_opts *o = calloc(1, sizeof(*o));
	struct func_names all = { 0 };
	int err = 0, backend = FUNC_BACKEND_AUTO;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	o->max_probes = 128;
	o->max_inflight = 10240;
	if (node) {
		err |= cfg_get_strv(node, "patterns", &o->patterns);
		err |= cfg_get_strv(node, "exclude", &o->exclude);
		err |= cfg_get_int(node, "max_probes", 1, 4096, &o->max_probes);
		err |= cfg_get_int(node, "max_inflight", 64, 1048576, &o->max_inflight);
		err |= cfg_get_bool(node, "latency", &o->latency);
		err |= cfg_get_enum(node, "backend", func_backends, &backend);
	}
	err |= monitor_parse_mode(inst, node, true);
	/* funccount shows every function asked for. */
	err |= monitor_parse_top(inst, node, 0);
	if (err)
		return -EINVAL;
	if (!o->patterns || !o->patterns[0]) {
		strv_free(o->patterns);
		o->patterns = calloc(2, sizeof(*o->patterns));
		if (!o->patterns || !(o->patterns[0] = strdup("vfs_*")))
			return -ENOMEM;
	}
	o->backend = func_backend(inst, backend);
	/*
	 * Patterns are checked even when func cannot run here, as long as the
	 * kernel's function list can be read: a config error is one everywhere.
	 */
	err = func_traceable(inst, o->backend, &all);
	if (err) {
		if (inst->verdict == VERDICT_UNAVAILABLE)
			return 0;
		pr_err("func: cannot read the kernel's functions from %s: %s", FUNC_KALLSYMS,
		       strerror(-err));
		return err;
	}
	err = func_match(o, &all, node);
	func_names_free(&all);
	if (err)
		return err;
	inst->items = calloc(o->n, sizeof(*inst->items));
	if (!inst->items)
		return -ENOMEM;
	inst->n_items = o->n;
	for (size_t i = 0; i < o->n; i++)
		if (render_vars__set(&inst->items[i], "FUNC", "%s", o->names[i]))
			return -ENOMEM;
	err |= render_vars__set(&inst->vars, "N_FUNCS", "%zu", o->n);
	err |= render_vars__set(&inst->vars, "LATENCY", "%d", o->latency);
	err |= render_vars__set(&inst->vars, "FENTRY", "%d", o->backend == FUNC_BACKEND_FENTRY);
	err |= render_vars__set(&inst->vars, "MAX_INFLIGHT", "%lld", o->max_inflight);
	return err ? -ENOMEM : 0;
}

/*
 * One function's programs; 0 or -errno. TIMED: the return programs too
 * (latency, unless metrics only, where only calls are counted).
 */
static int func_attach_one(struct func_opts *o, struct probe_set *ps, size_t i, bool timed)
{
	char fn[300];
	int err;

	if (o->backend == FUNC_BACKEND_FENTRY) {
		snprintf(fn, sizeof(fn), "kfunc__%s", o->names[i]);
		err = probe_set__attach_kfunc(ps, fn);
		if (!err && timed) {
			snprintf(fn, sizeof(fn), "kretfunc__%s", o->names[i]);
			err = probe_set__attach_kfunc(ps, fn);
		}
		return err;
	}
	/* The return probe first: an entry without its return would leak starts. */
	if (timed) {
		snprintf(fn, sizeof(fn), "func_return_%zu", i);
		err = probe_set__attach_kprobe(ps, fn, o->names[i], true);
		if (err)
			return err;
	}
	snprintf(fn, sizeof(fn), "func_entry_%zu", i);
	return probe_set__attach_kprobe(ps, fn, o->names[i], false);
}

/* A function the kernel refuses is skipped; only none at all is a failure. */
static int func_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct func_opts *o = inst->priv;
	bool timed = o->latency && !inst->metrics_only;
	size_t attached = 0;
	int err, first = 0;

	for (size_t i = 0; i < o->n; i++) {
		err = func_attach_one(o, ps, i, timed);
		if (err) {
			pr_warn("func: %s: cannot attach: %s (skipped)", o->names[i],
				strerror(-err));
			if (!first)
				first = err;
			continue;
		}
		attached++;
	}
	o->last_collect = clock_mono_s();
	if (!attached)
		return first ? first : -ENOENT;
	pr_info("func: %zu of %zu functions attached (%s%s)", attached, o->n,
		o->backend == FUNC_BACKEND_FENTRY ? "fentry" : "kprobe",
		timed ? (o->backend == FUNC_BACKEND_FENTRY ? "+fexit" : "+kretprobe") : "");
	return 0;
}

static int func_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 struct record *rec)
{
	const struct func_opts *o = inst->priv;
	const struct func_event *e = data;

	if (size < sizeof(*e) || e->index >= o->n)
		return -EINVAL;
	record__str(rec, "function", o->names[e->index]);
	if (o->latency && e->flags & FUNC_F_DURATION)
		record__uint(rec, "duration_ns", e->duration_ns);
	else if (o->latency)
		record__null(rec, "duration_ns");
	return 0;
}

/* One function's stats, summed over the CPUs. */
struct func_row {
	__u32 idx;
	struct func_stats st;
};

/* A summary_fold_fn: one function's per-CPU stats, summed. */
static void func_row_add(struct summary_rows *rows, const void *key, const void *values,
			 int n_values, size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	struct func_row *r;

	if (value_size < sizeof(r->st))
		return;
	r = summary_rows__next(rows);
	if (!r)
		return;
	r->idx = *(const __u32 *)key;
	for (int c = 0; c < n_values; c++) {
		const struct func_stats *s = (const void *)((const char *)values + c * stride);

		r->st.count += s->count;
		r->st.total_ns += s->total_ns;
		for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
			r->st.hist[k] += s->hist[k];
	}
	if (r->st.count)
		summary_rows__keep(rows);
}

/* The row of the functions past top. */
#define FUNC_ROW_OTHER UINT32_MAX

/* By function index: the kernel's (sorted) order of the names. */
static int func_row_cmp(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* top: the most called. */
static int func_row_busiest(const void *a, const void *b)
{
	const struct func_row *x = a, *y = b;

	if (x->st.count != y->st.count)
		return x->st.count > y->st.count ? -1 : 1;
	return func_row_cmp(a, b);
}

static void func_row_merge(void *dst, const void *src)
{
	struct func_row *d = dst;
	const struct func_row *s = src;

	d->st.count += s->st.count;
	d->st.total_ns += s->st.total_ns;
	summary_hist_add(d->st.hist, s->st.hist);
}

static void func_row_other(void *row)
{
	((struct func_row *)row)->idx = FUNC_ROW_OTHER;
}

static int func_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct func_opts *o = inst->priv;
	const struct func_row *r = row;
	const struct func_stats *s = &r->st;
	uint64_t slots[EBPFMON_HIST_SLOTS];
	struct record *rec;

	if (r->idx >= o->n && r->idx != FUNC_ROW_OTHER)
		return 0;
	rec = monitor_inst__record(inst, "summary");
	record__str(rec, "function", r->idx == FUNC_ROW_OTHER ? SUMMARY_OTHER_COMM :
		    o->names[r->idx]);
	record__int(rec, "count", s->count);
	if (o->latency) {
		record__int(rec, "total_ns", s->total_ns);
		record__int(rec, "avg_ns", s->total_ns / s->count);
		for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
			slots[k] = s->hist[k];
		record__json(rec, "latency_hist_ns", log2_hist_json(slots, EBPFMON_HIST_SLOTS));
	}
	record__real(rec, "interval_s", interval);
	return monitor_inst__emit(inst, rec);
}

/* Summary mode: one row per function called in the interval. */
static const struct summary_spec func_summary = {
	.table = "func_stats",
	.row_size = sizeof(struct func_row),
	.fold = func_row_add,
	.cmp = func_row_cmp,
	.emit = func_row_emit,
	.per_s = 1e6,
	.merge = func_row_merge,
	.other = func_row_other,
	.top_cmp = func_row_busiest,
};

static int func_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct func_opts *o = inst->priv;

	/* func_stats has a row per function: it is never full. */
	return summary_collect(inst, ps, &func_summary, &o->last_collect, 0);
}

/* Scrape time: calls per function index, summed over the CPUs. */
struct func_m_calls {
	uint64_t *calls;
	size_t n;
};

static void func_m_calls_add(void *ctx, const void *key, const void *values, int n_values,
			     size_t stride)
{
	struct func_m_calls *c = ctx;
	__u32 idx = *(const __u32 *)key;

	for (int cpu = 0; cpu < n_values && idx < c->n; cpu++)
		c->calls[idx] += *(const __u64 *)(const void *)((const char *)values +
								 (size_t)cpu * stride);
}

static int func_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	const struct func_opts *o = inst->priv;
	struct func_m_calls c = { .calls = calloc(o->n ? o->n : 1, sizeof(*c.calls)), .n = o->n };
	int err;

	if (!c.calls)
		return -ENOMEM;
	err = probe_set__walk(ps, "func_m_calls", true, func_m_calls_add, &c);
	metrics__family(m, "ebpfmon_func_calls_total", METRIC_COUNTER,
			"Calls of the kernel functions the func monitor traces, by function.");
	for (size_t i = 0; err >= 0 && i < o->n; i++) {
		const char *labels[] = { "function", o->names[i], NULL };

		if (c.calls[i])
			metrics__sample(m, "ebpfmon_func_calls_total", labels, c.calls[i]);
	}
	free(c.calls);
	return err < 0 ? err : 0;
}

static void func_detach(struct monitor_inst *inst)
{
	struct func_opts *o = inst->priv;

	if (!o)
		return;
	strv_free(o->patterns);
	strv_free(o->exclude);
	for (size_t i = 0; i < o->n; i++)
		free(o->names[i]);
	free(o->names);
	free(o);
	inst->priv = NULL;
}

static const struct table_column func_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "LAT(ns)", "duration_ns", 10, COLUMN_RIGHT },
	{ "FUNCTION", "function", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column func_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "COUNT", "count", 10, COLUMN_RIGHT },
	{ "AVG(ns)", "avg_ns", 10, COLUMN_RIGHT },
	{ "TOTAL(ns)", "total_ns", 12, COLUMN_RIGHT },
	{ "FUNCTION", "function", 0, COLUMN_LEFT },
	{ NULL },
};

static const char *const func_inflight[] = { "func_starts", NULL };

const struct monitor mon_func = {
	.name = "func",
	.desc = "kernel functions matched by wildcards: calls, or counts and latency "
		"(kprobes, or fentry)",
	.probe = "func.bpf.c",
	.events_table = "func_events",
	.configure = func_configure,
	.attach = func_attach,
	.on_event = func_on_event,
	.collect = func_collect,
	.detach = func_detach,
	.columns = func_columns,
	.summary_columns = func_summary_columns,
	.metrics = func_metrics,
	.inflight = func_inflight,
};
