// SPDX-License-Identifier: GPL-2.0
/*
 * schedule: run-queue latency, the time from a task's wakeup (or its
 * preemption) to its next turn on a CPU. Summary mode (runqlat per thread):
 * per thread every interval its waits' count, avg/max/min and log2
 * histogram, with the system's beside them; events mode (runqslower): one
 * event per wait of at least min_latency_us.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/schedule.h"
#include "config/config.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"
#include "bpf/kernel.h"

struct schedule_opts {
	long long min_latency_us;
	long long max_entries;
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	uint64_t dropped;		/* schedule_dropped seen so far */
	struct summary_rows system;	/* the system's row of this interval */
	struct comm_labels comm;	/* metrics.comm_labels: the exporter's */
};

/* For --check and the verdict; attached as raw tracepoints (schedule_attach). */
static const struct monitor_tp schedule_tracepoints[] = {
	{ "sched", "sched_wakeup", false },
	{ "sched", "sched_wakeup_new", false },
	{ "sched", "sched_switch", false },
	{ NULL },
};

static int schedule_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct schedule_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	/* The woken task is not current: its ids are read at BTF offsets. */
	if (!inst->ki->btf)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "no BTF: %s", inst->ki->btf_why);
	if (!inst->ki->raw_tracepoints)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "raw tracepoints: %s",
				      inst->ki->raw_tracepoints_why);
	o->min_latency_us = 10000;
	/* Threads waiting for a CPU at once: a few per CPU, far fewer than this. */
	o->max_entries = 10240;
	o->system.row_size = sizeof(struct schedule_key) + sizeof(struct schedule_stats);
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, true);
	err |= monitor_parse_top(inst, node, 20);
	/* Summary rows: the machine's threads. */
	if (inst->summary)
		o->max_entries = summary_default_entries();
	if (node) {
		err |= cfg_get_int(node, "min_latency_us", 0, 3600000000LL, &o->min_latency_us);
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
	}
	if (err)
		return -EINVAL;
	err |= render_vars__set(&inst->vars, "MIN_LATENCY_NS", "%lld", o->min_latency_us * 1000);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u",
				inst->metrics ? monitor_inst__comm_labels(inst) : 0);
	return err ? -ENOMEM : 0;
}

/* The probe's programs (named for this monitor) on the raw tracepoints. */
static const struct {
	const char *prog, *event;
} schedule_progs[] = {
	{ "schedule_wakeup", "sched_wakeup" },
	{ "schedule_wakeup", "sched_wakeup_new" },
	{ "schedule_switch", "sched_switch" },
};

static int schedule_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct schedule_opts *o = inst->priv;

	if (!probe_set__has_program(ps, "schedule_switch")) {
		pr_err("schedule: no BTF offsets of task_struct's pid, tgid and comm: the woken "
		       "task cannot be told");
		return -ENOTSUP;
	}
	o->last_collect = clock_mono_s();
	for (size_t i = 0; i < sizeof(schedule_progs) / sizeof(schedule_progs[0]); i++) {
		int err = probe_set__attach_raw_tracepoint_prog(ps, schedule_progs[i].prog,
								schedule_progs[i].event);

		if (err) {
			pr_err("schedule: failed to attach raw tracepoint %s: %s",
			       schedule_progs[i].event, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int schedule_on_event(struct monitor_inst *inst, const void *data, size_t size,
			     struct record *rec)
{
	const struct schedule_event *e = data;

	(void)inst;
	if (size < sizeof(*e))
		return -EINVAL;
	record__uint(rec, "latency_ns", e->latency_ns);
	record__str(rec, "queued_by", e->flags & SCHEDULE_F_PREEMPTED ? "preemption" : "wakeup");
	record__int(rec, "prev_pid", e->prev_pid);
	record__strn(rec, "prev_comm", e->prev_comm, sizeof(e->prev_comm));
	return 0;
}

/* Summary mode: one row per thread and name, its per-CPU figures summed. */
struct schedule_row {
	struct schedule_key k;
	struct schedule_stats s;
};

static void schedule_stats_merge(struct schedule_stats *d, const struct schedule_stats *s)
{
	d->count += s->count;
	d->total_ns += s->total_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	/* 0: none (the overflow's rows keep no max or min). */
	if (s->min_ns && (!d->min_ns || s->min_ns < d->min_ns))
		d->min_ns = s->min_ns;
	summary_hist_add(d->hist, s->hist);
}

/* A summary_fold_fn: one thread's per-CPU figures summed into a row. */
static void schedule_row_add(struct summary_rows *rows, const void *key, const void *values,
			     int n_values, size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	struct schedule_row *r;

	if (value_size < sizeof(struct schedule_stats)) {
		rows->err = -EINVAL;
		return;
	}
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		struct schedule_stats s;

		memcpy(&s, (const char *)values + i * stride, sizeof(s));
		schedule_stats_merge(&r->s, &s);
	}
	if (r->s.count)
		summary_rows__keep(rows);
}

/* Longest total wait first, then by tid and name. */
static int schedule_row_cmp(const void *a, const void *b)
{
	const struct schedule_row *x = a, *y = b;

	if (x->s.total_ns != y->s.total_ns)
		return x->s.total_ns > y->s.total_ns ? -1 : 1;
	if (x->k.tid != y->k.tid)
		return x->k.tid < y->k.tid ? -1 : 1;
	return strncmp(x->k.comm, y->k.comm, sizeof(x->k.comm));
}

static void schedule_row_merge(void *dst, const void *src)
{
	schedule_stats_merge(&((struct schedule_row *)dst)->s,
			     &((const struct schedule_row *)src)->s);
}

static bool schedule_row_is_other(const void *row)
{
	const struct schedule_row *r = row;

	return !r->k.tid && !strncmp(r->k.comm, SUMMARY_OTHER_COMM, sizeof(r->k.comm));
}

static void schedule_row_other(void *row)
{
	struct schedule_row *r = row;

	memset(&r->k, 0, sizeof(r->k));
	memcpy(r->k.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

/* The system's figures: count, avg_ns, max_ns, min_ns (null without a wait). */
static json_t *schedule_figures(const struct schedule_stats *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", json_integer(s->count));
	json_object_set_new(o, "avg_ns", s->count ? json_integer(s->total_ns / s->count) :
						    json_null());
	json_object_set_new(o, "max_ns", s->max_ns ? json_integer(s->max_ns) : json_null());
	json_object_set_new(o, "min_ns", s->min_ns ? json_integer(s->min_ns) : json_null());
	return o;
}

static int schedule_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct schedule_opts *o = inst->priv;
	const struct schedule_row *r = row;
	const struct schedule_row *sys = o->system.n ? o->system.v : NULL;
	struct record *rec = monitor_inst__record(inst, "summary");
	static const struct schedule_stats none;

	if (r->k.tid) {
		record__int(rec, "pid", r->k.pid);
		record__int(rec, "tid", r->k.tid);
	} else {
		record__null(rec, "pid");
		record__null(rec, "tid");
	}
	record__strn(rec, "comm", r->k.comm, sizeof(r->k.comm));
	record__uint(rec, "count", r->s.count);
	record__uint(rec, "total_ns", r->s.total_ns);
	record__uint(rec, "avg_ns", r->s.count ? r->s.total_ns / r->s.count : 0);
	/* The overflow's (other) row alone keeps no max or min. */
	if (r->s.max_ns) {
		record__uint(rec, "max_ns", r->s.max_ns);
		record__uint(rec, "min_ns", r->s.min_ns);
	} else {
		record__null(rec, "max_ns");
		record__null(rec, "min_ns");
	}
	record__json(rec, "hist", log2_hist_json((const uint64_t *)r->s.hist,
						 EBPFMON_HIST_SLOTS));
	record__json(rec, "system", schedule_figures(sys ? &sys->s : &none));
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec schedule_summary = {
	.table = "schedule_stats",
	.row_size = sizeof(struct schedule_row),
	.fold = schedule_row_add,
	.cmp = schedule_row_cmp,
	.emit = schedule_row_emit,
	.per_s = 1000,
	.merge = schedule_row_merge,
	.other = schedule_row_other,
	.is_other = schedule_row_is_other,
	.full = "schedule_full",
	.over = "schedule_over",
	.over_size = sizeof(struct schedule_stats),
	.what = "run-queue waits",
};

static int schedule_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	const struct summary_spec *spec = &schedule_summary;
	struct schedule_opts *o = inst->priv;
	struct summary_rows *rows = &inst->rows;
	double interval = summary_interval_s(&o->last_collect, spec->per_s);
	int err;

	/*
	 * summary_collect's steps, with the system's row read after the tasks':
	 * the probe adds a wait to the system's row before its task's, so the
	 * system's row holds every wait of the tasks' rows.
	 */
	rows->row_size = spec->row_size;
	err = summary_rows__read(rows, ps, spec->table, true, spec->fold);
	if (err >= 0)
		err = summary_rows__read(&o->system, ps, "schedule_system", true, spec->fold);
	if (err >= 0)
		err = summary_rows__over(rows, ps, spec);
	summary_table_full(inst, summary_uncounted(ps, spec->full, &rows->full_seen),
			   spec->what, o->max_entries);
	/* Waits not measured at all: the table of queued threads was full. */
	summary_table_full(inst, summary_uncounted(ps, "schedule_dropped", &o->dropped),
			   "run-queue waits (queued threads)", o->max_entries);
	if (err >= 0)
		err = summary_rows__emit_top(rows, spec, inst->top, inst, interval);
	summary_rows__reset(rows);
	summary_rows__reset(&o->system);
	return err < 0 ? err : 0;
}

/* A probe_entry_fn: one comm's histogram summed over the CPUs, kept by name. */
struct schedule_m_comm {
	char comm[EBPFMON_COMM_LEN];
	struct ebpfmon_metric_hist h;
};

struct schedule_m_comms {
	struct schedule_m_comm *v;
	size_t n, cap;
	struct comm_counts cc;
	int err;
};

static void schedule_m_comm_add(void *ctx, const void *key, const void *values, int n_values,
				size_t stride)
{
	struct schedule_m_comms *mc = ctx;
	struct schedule_m_comm *c;

	if (mc->n == mc->cap) {
		size_t cap = mc->cap ? 2 * mc->cap : 64;
		struct schedule_m_comm *v = realloc(mc->v, cap * sizeof(*v));

		if (!v) {
			mc->err = -ENOMEM;
			return;
		}
		mc->v = v;
		mc->cap = cap;
	}
	c = &mc->v[mc->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->comm, key, sizeof(c->comm));
	metric_hist_add_cpus(&c->h, values, n_values, stride);
	comm_counts__add(&mc->cc, c->comm, 0, metric_hist_count(&c->h));
}

static void schedule_m_hist_add(struct ebpfmon_metric_hist *d, const struct ebpfmon_metric_hist *s)
{
	metric_hist_add_cpus(d, s, 1, sizeof(*s));
}

/* One (labels) histogram sample set and its wakeups counter. */
static void schedule_m_write(struct metrics *m, const char *comm,
			     const struct ebpfmon_metric_hist *h, bool hist)
{
	const char *labels[] = { "comm", comm, NULL };

	if (hist)
		metric_hist_write(m, "ebpfmon_proc_schedule_runq_latency_seconds",
				  comm ? labels : NULL, h);
	else
		metrics__sample(m, "ebpfmon_proc_schedule_wakeups_total", comm ? labels : NULL,
				metric_hist_count(h));
}

/*
 * Both families from schedule_m_comms (metrics.comm_labels: the labeled
 * names, then the rest as "other") and schedule_m_other.
 */
static int schedule_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct schedule_opts *o = inst->priv;
	struct schedule_m_comms mc = { 0 };
	struct ebpfmon_metric_hist other = { 0 };
	unsigned labels = monitor_inst__comm_labels(inst);
	int err;

	/* The walks return the entries read. */
	err = probe_set__walk(ps, "schedule_m_other", true, metric_hist_entry_add, &other);
	if (err >= 0 && labels) {
		err = probe_set__walk(ps, "schedule_m_comms", true, schedule_m_comm_add, &mc);
		if (err >= 0)
			err = mc.err ? mc.err : mc.cc.err;
		if (!err)
			err = comm_labels__update(&o->comm, labels, &mc.cc);
	}
	err = err < 0 ? err : 0;
	for (int hist = 1; hist >= 0; hist--) {
		if (hist)
			metrics__family(m, "ebpfmon_proc_schedule_runq_latency_seconds",
					METRIC_HISTOGRAM,
					"Run-queue latency: a task's wait from its wakeup or "
					"preemption to its turn on a CPU; by comm with "
					"metrics.comm_labels.");
		else
			metrics__family(m, "ebpfmon_proc_schedule_wakeups_total", METRIC_COUNTER,
					"Run-queue waits measured (wakeups and preemptions); by "
					"comm with metrics.comm_labels.");
		if (err)
			continue;
		struct ebpfmon_metric_hist rest = other;

		/*
		 * By label: comm_counts__add repaired each name (mc.cc.v[i] is
		 * mc.v[i]'s), and two names may repair to one label.
		 */
		for (size_t i = 0; labels && i < mc.n; i++) {
			const char *label = mc.cc.v[i].comm;
			struct ebpfmon_metric_hist h = mc.v[i].h;
			bool first = true;

			for (size_t j = 0; j < mc.n && first; j++)
				first = j >= i || strcmp(mc.cc.v[j].comm, label);
			if (!first)
				continue;
			for (size_t j = i + 1; j < mc.n; j++)
				if (!strcmp(mc.cc.v[j].comm, label))
					schedule_m_hist_add(&h, &mc.v[j].h);
			if (comm_labels__has(&o->comm, label))
				schedule_m_write(m, label, &h, hist);
			else
				schedule_m_hist_add(&rest, &h);
		}
		schedule_m_write(m, labels ? "other" : NULL, &rest, hist);
	}
	comm_counts__release(&mc.cc);
	free(mc.v);
	return err;
}

static void schedule_detach(struct monitor_inst *inst)
{
	struct schedule_opts *o = inst->priv;

	if (o) {
		summary_rows__release(&o->system);
		comm_labels__release(&o->comm);
	}
	free(o);
	inst->priv = NULL;
}

/* runqslower's columns. */
static const struct table_column schedule_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "LAT(ns)", "latency_ns", 11, COLUMN_RIGHT },
	{ "CPU", "cpu", 3, COLUMN_RIGHT },
	{ "PREV PID", "prev_pid", 8, COLUMN_RIGHT },
	{ "PREV COMM", "prev_comm", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column schedule_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "COUNT", "count", 7, COLUMN_RIGHT },
	{ "AVG(ns)", "avg_ns", 10, COLUMN_RIGHT },
	{ "MAX(ns)", "max_ns", 10, COLUMN_RIGHT },
	{ "MIN(ns)", "min_ns", 9, COLUMN_RIGHT },
	/* The system's, beside (members of the nested object "system"). */
	{ "SYS AVG", "system_avg_ns", 9, COLUMN_RIGHT },
	{ "SYS MAX", "system_max_ns", 0, COLUMN_RIGHT },
	{ NULL },
};

static const char *const schedule_inflight[] = { "schedule_start", NULL };

const struct monitor mon_schedule = {
	.name = "schedule",
	.desc = "run-queue latency per thread (wakeup or preemption to on CPU), as runqlat/runqslower",
	.probe = "schedule.bpf.c",
	.tracepoints = schedule_tracepoints,
	.events_table = "schedule_events",
	.configure = schedule_configure,
	.attach = schedule_attach,
	.on_event = schedule_on_event,
	.collect = schedule_collect,
	.detach = schedule_detach,
	.columns = schedule_columns,
	.metrics = schedule_metrics,
	.summary_columns = schedule_summary_columns,
	.inflight = schedule_inflight,
};
