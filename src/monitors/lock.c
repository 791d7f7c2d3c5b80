// SPDX-License-Identifier: GPL-2.0
/*
 * lock: user-space lock wait and hold times, from uprobes on the C
 * library's pthread mutex, rwlock and spin lock functions (lock_libs.c
 * finds the library): one event per acquisition when it is released (or
 * per failed lock call), or per (lock, thread, kind) counts, totals, maxima
 * and log2 histograms every interval (mode: summary).
 */
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/lock.h"
#include "config/config.h"
#include "monitors/lock_libs.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"

static const char *const lock_kinds[LOCK_KINDS] = {
	[LOCK_KIND_MUTEX] = "mutex",
	[LOCK_KIND_RWLOCK_READ] = "rwlock_read",
	[LOCK_KIND_RWLOCK_WRITE] = "rwlock_write",
	[LOCK_KIND_SPIN] = "spin",
};

struct lock_opts {
	char **libs;			/* monitors.lock.libs */
	struct lock_libs found;
	long long max_entries;		/* summary rows */
	long long max_held;		/* parked calls and held locks */
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	uint64_t stale_seen;		/* lock_counts[LOCK_C_STALE] told so far */
	struct comm_labels comm;	/* metrics.comm_labels: the exporter's */
};

/* Every library found is glibc (the probe then reads its mutexes' depth). */
static bool lock_libs_glibc(const struct lock_libs *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].glibc)
			return false;
	return l->n > 0;
}

static const struct monitor_tp lock_tracepoints[] = {
	/* Drops the call a thread killed inside it parked; else the LRU does. */
	{ "sched", "sched_process_exit", true, "lock_sched_process_exit", true },
	{ NULL },
};

static int lock_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct lock_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	o->max_entries = 4096;
	o->max_held = 10240;
	err |= monitor_parse_mode(inst, node, true);
	err |= monitor_parse_top(inst, node, 20);
	if (node) {
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
		err |= cfg_get_int(node, "max_held", 64, 1048576, &o->max_held);
		err |= cfg_get_strv(node, "libs", &o->libs);
	}
	if (err)
		return -EINVAL;
	err = lock_libs_find(&o->found, o->libs, inst->filter_pids, inst->n_filter_pids);
	if (err)
		return err;
	if (!o->found.n)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "no C library to probe: %s",
				      o->found.why);
	else if (o->found.why[0])
		monitor_inst__verdict(inst, VERDICT_DEGRADED, "%s", o->found.why);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "MAX_HELD", "%lld", o->max_held);
	err |= render_vars__set(&inst->vars, "GLIBC", "%d", lock_libs_glibc(&o->found));
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u",
				inst->metrics ? monitor_inst__comm_labels(inst) : 0);
	return err ? -ENOMEM : 0;
}

/*
 * Every function of every library found: the returns first (a return with
 * no parked call does nothing, a call with no return would wait for ever),
 * then the lock calls, then the unlocks. A function that does not attach is
 * skipped with a warning; pthread_mutex_lock nowhere fails the monitor.
 */
static int lock_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct lock_opts *o = inst->priv;
	size_t mutexes = 0;
	int err, first = 0;

	for (int pass = 0; pass < 3; pass++) {
		for (size_t l = 0; l < o->found.n; l++) {
			const struct lock_lib *lib = &o->found.v[l];

			for (int i = 0; i < LOCK_FN_COUNT; i++) {
				const struct lock_fn *fn = &lock_fns[i];
				bool ret = pass == 0;

				if (!(lib->have & 1u << i) || (pass < 2) != fn->lock)
					continue;
				err = probe_set__attach_uprobe(ps, ret ? "lock_return" : fn->entry,
							       lib->path, NULL, lib->off[i], ret,
							       -1);
				if (err) {
					/* The kernel's ENOTSUPP (524), which libc cannot name. */
					const char *why = err == -524 ? "instruction not probeable" :
							  strerror(-err);

					pr_warn("lock: failed to attach %s %s:%s: %s (skipped)",
						ret ? "uretprobe" : "uprobe", lib->path, fn->symbol,
						why);
					monitor_inst__verdict(inst, VERDICT_DEGRADED,
							      "%s:%s not probed: %s", lib->path,
							      fn->symbol, why);
					if (!first)
						first = err;
					continue;
				}
				mutexes += pass == 1 && i == 0;
			}
		}
	}
	if (!mutexes) {
		pr_err("lock: pthread_mutex_lock attached in no library");
		return first ? first : -ENOENT;
	}
	for (size_t l = 0; l < o->found.n; l++)
		pr_info("lock: probing %s", o->found.v[l].path);
	o->last_collect = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

static const char *lock_kind_name(__u32 kind)
{
	return kind < LOCK_KINDS ? lock_kinds[kind] : "unknown";
}

static int lock_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 struct record *rec)
{
	const struct lock_event *e = data;
	bool held;

	(void)inst;
	if (size < sizeof(*e) || e->kind >= LOCK_KINDS)
		return -EINVAL;
	held = e->flags & LOCK_F_ACQUIRED;
	record__strf(rec, "lock_addr", "0x%llx", (unsigned long long)e->addr);
	record__str(rec, "kind", lock_kind_name(e->kind));
	record__bool(rec, "try", e->flags & LOCK_F_TRY);
	record__bool(rec, "acquired", held);
	record__uint(rec, "wait_ns", e->wait_ns);
	if (held) {
		record__uint(rec, "hold_ns", e->hold_ns);
		record__int(rec, "unlock_tid", e->unlock_tid);
	} else {
		record__null(rec, "hold_ns");
		record__null(rec, "unlock_tid");
	}
	record__bool(rec, "cross_thread", e->flags & LOCK_F_CROSS);
	record__bool(rec, "cond_wait", e->flags & LOCK_F_COND);
	record__int(rec, "ret", e->ret);
	record__errno(rec, "error", -(long long)e->ret);
	return 0;
}

struct lock_row {
	struct lock_key k;
	struct lock_stats s;
};

/* A summary_fold_fn: one (lock, thread, kind)'s per-CPU values summed into a row. */
static void lock_row_add(struct summary_rows *rows, const void *key, const void *values,
			 int n_values, size_t stride)
{
	struct lock_row *r;

	if (stride < sizeof(struct lock_stats)) {
		rows->err = -EINVAL;
		return;
	}
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int cpu = 0; cpu < n_values; cpu++) {
		const struct lock_stats *v = (const void *)((const char *)values + cpu * stride);

		if (!v->count && !v->failed)
			continue;
		if (!r->s.count && !r->s.failed)
			memcpy(r->s.comm, v->comm, sizeof(r->s.comm));
		r->s.count += v->count;
		r->s.failed += v->failed;
		r->s.wait_total_ns += v->wait_total_ns;
		r->s.hold_total_ns += v->hold_total_ns;
		if (v->wait_max_ns > r->s.wait_max_ns)
			r->s.wait_max_ns = v->wait_max_ns;
		if (v->hold_max_ns > r->s.hold_max_ns)
			r->s.hold_max_ns = v->hold_max_ns;
		summary_hist_add(r->s.wait_hist, v->wait_hist);
		summary_hist_add(r->s.hold_hist, v->hold_hist);
	}
	if (r->s.count || r->s.failed)
		summary_rows__keep(rows);
}

/* Longest total hold first, then longest total wait, then by address and thread. */
static int lock_row_cmp(const void *a, const void *b)
{
	const struct lock_row *x = a, *y = b;

	if (x->s.hold_total_ns != y->s.hold_total_ns)
		return x->s.hold_total_ns > y->s.hold_total_ns ? -1 : 1;
	if (x->s.wait_total_ns != y->s.wait_total_ns)
		return x->s.wait_total_ns > y->s.wait_total_ns ? -1 : 1;
	if (x->k.addr != y->k.addr)
		return x->k.addr < y->k.addr ? -1 : 1;
	return x->k.tid < y->k.tid ? -1 : x->k.tid > y->k.tid;
}

static void lock_row_merge(void *dst, const void *src)
{
	struct lock_stats *d = &((struct lock_row *)dst)->s;
	const struct lock_stats *s = &((const struct lock_row *)src)->s;

	d->count += s->count;
	d->failed += s->failed;
	d->wait_total_ns += s->wait_total_ns;
	d->hold_total_ns += s->hold_total_ns;
	if (s->wait_max_ns > d->wait_max_ns)
		d->wait_max_ns = s->wait_max_ns;
	if (s->hold_max_ns > d->hold_max_ns)
		d->hold_max_ns = s->hold_max_ns;
	summary_hist_add(d->wait_hist, s->wait_hist);
	summary_hist_add(d->hold_hist, s->hold_hist);
}

static bool lock_row_is_other(const void *row)
{
	const struct lock_row *r = row;

	return !r->k.pid && !strncmp(r->s.comm, SUMMARY_OTHER_COMM, sizeof(r->s.comm));
}

static void lock_row_other(void *row)
{
	struct lock_row *r = row;

	memset(&r->k, 0, sizeof(r->k));
	memset(r->s.comm, 0, sizeof(r->s.comm));
	memcpy(r->s.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

static int lock_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct lock_row *r = row;
	const struct lock_stats *s = &r->s;
	struct record *rec = monitor_inst__record(inst, "summary");
	bool other = lock_row_is_other(row);

	record__int(rec, "pid", r->k.pid);
	record__int(rec, "tid", r->k.tid);
	record__strn(rec, "comm", s->comm, sizeof(s->comm));
	if (other) {
		record__null(rec, "lock_addr");
		record__null(rec, "kind");
	} else {
		record__strf(rec, "lock_addr", "0x%llx", (unsigned long long)r->k.addr);
		record__str(rec, "kind", lock_kind_name(r->k.kind));
	}
	record__uint(rec, "count", s->count);
	record__uint(rec, "failed", s->failed);
	record__uint(rec, "wait_total_ns", s->wait_total_ns);
	record__uint(rec, "wait_max_ns", s->wait_max_ns);
	record__uint(rec, "hold_total_ns", s->hold_total_ns);
	record__uint(rec, "hold_max_ns", s->hold_max_ns);
	record__json(rec, "wait_hist_ns", log2_hist_json((const uint64_t *)s->wait_hist,
							  EBPFMON_HIST_SLOTS));
	record__json(rec, "hold_hist_ns", log2_hist_json((const uint64_t *)s->hold_hist,
							  EBPFMON_HIST_SLOTS));
	record__real(rec, "interval_s", interval);
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec lock_summary = {
	.table = "lock_stats",
	.row_size = sizeof(struct lock_row),
	.fold = lock_row_add,
	.cmp = lock_row_cmp,
	.emit = lock_row_emit,
	.per_s = 1000,
	.merge = lock_row_merge,
	.other = lock_row_other,
	.is_other = lock_row_is_other,
	.full = "lock_stats_full",
	.over = "lock_stats_over",
	.over_size = sizeof(struct lock_stats),
	.what = "acquisitions",
};

/* Marks dropped since the last look: said once per interval (or at the exit). */
static void lock_stale_tell(struct monitor_inst *inst, struct probe_set *ps)
{
	struct lock_opts *o = inst->priv;
	uint64_t n = summary_uncounted(ps, "lock_counts", &o->stale_seen);

	if (n)
		pr_info("lock: %llu acquisition%s found the lock still marked held by a "
			"thread whose unlock was not seen (pthread_cond_wait, or taken before "
			"attach): those marks were dropped", (unsigned long long)n,
			n == 1 ? "" : "s");
}

static int lock_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct lock_opts *o = inst->priv;

	lock_stale_tell(inst, ps);
	return summary_collect(inst, ps, &lock_summary, &o->last_collect, o->max_entries);
}

/* Metrics: (label, kind) sums at a scrape; label a comm or "other" (or none). */
struct lock_m_sum {
	char comm[COMM_LABEL_LEN];
	struct lock_m_value v;
	__u32 kind;
};

struct lock_m_sums {
	struct lock_m_sum *v;
	size_t n, cap;
	const struct comm_labels *labels;	/* NULL: no comm label */
	int err;
};

static struct lock_m_sum *lock_m_sum_get(struct lock_m_sums *s, const char *comm, __u32 kind)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == kind && !strcmp(s->v[i].comm, comm))
			return &s->v[i];
	if (ARRAY_GROW(s->v, s->cap, s->n)) {
		s->err = -ENOMEM;
		return NULL;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	snprintf(s->v[s->n].comm, sizeof(s->v[s->n].comm), "%s", comm);
	s->v[s->n].kind = kind;
	return &s->v[s->n++];
}

static void lock_m_sum_add(struct lock_m_sum *d, const void *values, int n_values,
			   size_t stride)
{
	for (int cpu = 0; cpu < n_values; cpu++) {
		const struct lock_m_value *v = (const void *)((const char *)values + cpu * stride);

		d->v.acquisitions += v->acquisitions;
	}
	metric_hist_add_cpus(&d->v.wait, (const char *)values +
			     offsetof(struct lock_m_value, wait), n_values, stride);
	metric_hist_add_cpus(&d->v.hold, (const char *)values +
			     offsetof(struct lock_m_value, hold), n_values, stride);
}

/* A probe_entry_fn over lock_m: each (comm, kind) into its label's sums. */
static void lock_m_entry_add(void *ctx, const void *key, const void *values, int n_values,
			     size_t stride)
{
	struct lock_m_sums *s = ctx;
	const struct lock_m_key *k = key;
	char comm[COMM_LABEL_LEN] = "";
	struct lock_m_sum *d;

	if (k->kind >= LOCK_KINDS)
		return;
	if (s->labels) {
		utf8_repair(comm, k->comm, strnlen(k->comm, EBPFMON_COMM_LEN - 1));
		if (!comm_labels__has(s->labels, comm))
			snprintf(comm, sizeof(comm), "other");
	}
	d = lock_m_sum_get(s, comm, k->kind);
	if (d)
		lock_m_sum_add(d, values, n_values, stride);
}

/* A probe_entry_fn over lock_m_other (an array: its key is the kind). */
static void lock_m_other_add(void *ctx, const void *key, const void *values, int n_values,
			     size_t stride)
{
	struct lock_m_sums *s = ctx;
	__u32 kind = *(const __u32 *)key;
	struct lock_m_sum *d;

	if (kind >= LOCK_KINDS)
		return;
	d = lock_m_sum_get(s, s->labels ? "other" : "", kind);
	if (d)
		lock_m_sum_add(d, values, n_values, stride);
}

static int lock_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	static const char *const families[][2] = {
		{ "ebpfmon_proc_lock_acquisitions_total", "User-space lock acquisitions "
		  "released (pthread mutex, rwlock, spin lock), by comm and kind." },
		{ "ebpfmon_proc_lock_wait_seconds", "Time from a pthread lock call to its "
		  "return with the lock, by comm and kind." },
		{ "ebpfmon_proc_lock_hold_seconds", "Time a pthread lock was held (lock "
		  "call's return to unlock call), by comm and kind." },
	};
	struct lock_opts *o = inst->priv;
	unsigned max = monitor_inst__comm_labels(inst);
	struct lock_m_sums s = { .labels = max ? &o->comm : NULL };
	struct comm_counts cc = { 0 };
	int err = 0;

	if (max)
		err = comm_labels__scrape(&o->comm, max, ps, "lock_m", comm_counts_entry_add, &cc);
	if (err >= 0)
		err = probe_set__walk(ps, "lock_m", true, lock_m_entry_add, &s);
	if (err >= 0)
		err = probe_set__walk(ps, "lock_m_other", true, lock_m_other_add, &s);
	if (err >= 0)
		err = s.err;
	for (int f = 0; f < 3; f++) {
		metrics__family(m, families[f][0], f ? METRIC_HISTOGRAM : METRIC_COUNTER,
				families[f][1]);
		for (size_t i = 0; err >= 0 && i < s.n; i++) {
			const struct lock_m_sum *d = &s.v[i];
			const char *labels[] = { "comm", d->comm, "kind", lock_kinds[d->kind], NULL };
			const char *const *l = max ? labels : labels + 2;

			if (!d->v.acquisitions)
				continue;
			if (f == 0)
				metrics__sample(m, families[f][0], l, d->v.acquisitions);
			else
				metric_hist_write(m, families[f][0], l, f == 1 ? &d->v.wait :
						  &d->v.hold);
		}
	}
	comm_counts__release(&cc);
	free(s.v);
	return err < 0 ? err : 0;
}

static void lock_detach(struct monitor_inst *inst)
{
	struct lock_opts *o = inst->priv;

	if (o) {
		strv_free(o->libs);
		lock_libs_release(&o->found);
		comm_labels__release(&o->comm);
	}
	free(o);
	inst->priv = NULL;
}

static const struct table_column lock_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "KIND", "kind", 12, COLUMN_LEFT },
	{ "WAIT(ns)", "wait_ns", 11, COLUMN_RIGHT },
	{ "HOLD(ns)", "hold_ns", 11, COLUMN_RIGHT },
	{ "RET", "ret", 4, COLUMN_RIGHT },
	{ "UNLOCK_TID", "unlock_tid", 10, COLUMN_RIGHT },
	{ "LOCK", "lock_addr", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column lock_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "KIND", "kind", 12, COLUMN_LEFT },
	{ "COUNT", "count", 8, COLUMN_RIGHT },
	{ "FAILED", "failed", 6, COLUMN_RIGHT },
	{ "MAX_WAIT(ns)", "wait_max_ns", 12, COLUMN_RIGHT },
	{ "MAX_HOLD(ns)", "hold_max_ns", 12, COLUMN_RIGHT },
	{ "HOLD(ns)", "hold_total_ns", 12, COLUMN_RIGHT },
	{ "LOCK", "lock_addr", 0, COLUMN_LEFT },
	{ NULL },
};

static const char *const lock_inflight[] = { "lock_calls", "lock_held", NULL };

const struct monitor mon_lock = {
	.name = "lock",
	.desc = "pthread mutex/rwlock/spin lock wait and hold times (uprobes on the C library)",
	.probe = "lock.bpf.c",
	.tracepoints = lock_tracepoints,
	.events_table = "lock_events",
	.configure = lock_configure,
	.attach = lock_attach,
	.on_event = lock_on_event,
	.collect = lock_collect,
	.detach = lock_detach,
	.columns = lock_columns,
	.metrics = lock_metrics,
	.summary_columns = lock_summary_columns,
	.inflight = lock_inflight,
};
