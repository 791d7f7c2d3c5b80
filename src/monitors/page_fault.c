// SPDX-License-Identifier: GPL-2.0
/*
 * page_fault: every page fault (exceptions:page_fault_user/kernel), with
 * whether the kernel accounted it minor or major (the minor-faults and
 * major-faults software perf events); or per-process counts (mode: summary).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/page_fault.h"
#include "config/config.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "bpf/probe_set.h"

enum page_fault_space {
	PAGE_FAULT_BOTH,
	PAGE_FAULT_USER,
	PAGE_FAULT_KERNEL,
};

struct page_fault_opts {
	int space;
	long long sample_rate;
	long long max_entries;
	double last_collect;		/* CLOCK_MONOTONIC seconds */
};

static const struct monitor_tp page_fault_tracepoints[] = {
	{ "exceptions", "page_fault_user", false },
	{ "exceptions", "page_fault_kernel", false },
	/* Reports a failed fault when its thread exits, not at its next fault. */
	{ "sched", "sched_process_exit", true },
	{ NULL },
};

static int page_fault_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	static const char *const spaces[] = { "both", "user", "kernel", NULL };
	struct page_fault_opts *o = calloc(1, sizeof(*o));
	long page = sysconf(_SC_PAGESIZE);
	int err = 0, shift = 0;

	if (!o)
		return -ENOMEM;
	o->space = PAGE_FAULT_BOTH;
	o->sample_rate = 1;
	o->max_entries = 10240;
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, true);
	err |= monitor_parse_top(inst, node, 20);
	/* Summary rows: the machine's; events: faults in flight. */
	if (inst->summary)
		o->max_entries = summary_default_entries();
	if (node) {
		err |= cfg_get_enum(node, "space", spaces, &o->space);
		err |= cfg_get_int(node, "sample_rate", 1, 1000000, &o->sample_rate);
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
	}
	if (err)
		return -EINVAL;
	while (page > 1 && (1l << shift) < page)
		shift++;
	err |= render_vars__set(&inst->vars, "SPACE_USER", "%d", o->space != PAGE_FAULT_KERNEL);
	err |= render_vars__set(&inst->vars, "SPACE_KERNEL", "%d", o->space != PAGE_FAULT_USER);
	err |= render_vars__set(&inst->vars, "SAMPLE_RATE", "%lld", o->sample_rate);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "PAGE_SHIFT", "%d", shift ? shift : 12);
	return err ? -ENOMEM : 0;
}

/*
 * The perf events first: until the tracepoints are attached they find nothing
 * parked, whereas the other order would report the faults taken in between
 * as never accounted.
 */
static int page_fault_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	static const struct {
		const char *fn, *name;
		uint64_t config;
	} sw[] = {
		{ "page_fault_min", "minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN },
		{ "page_fault_maj", "major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	};
	struct page_fault_opts *o = inst->priv;

	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		int err = probe_set__attach_perf_event(ps, sw[i].fn, PERF_TYPE_SOFTWARE,
						       sw[i].config, 1);

		if (err) {
			pr_err("page_fault: failed to attach to the %s software event: %s",
			       sw[i].name, strerror(-err));
			return err;
		}
	}
	o->last_collect = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

static const char *page_fault_access(uint64_t error_code)
{
	if (error_code & PAGE_FAULT_EC_INSTR)
		return "exec";
	return error_code & PAGE_FAULT_EC_WRITE ? "write" : "read";
}

static int page_fault_on_event(struct monitor_inst *inst, const void *data, size_t size,
			       struct record *rec)
{
	const struct page_fault_event *e = data;
	bool accounted;

	(void)inst;
	if (size < sizeof(*e))
		return -EINVAL;
	accounted = e->flags & PAGE_FAULT_F_ACCOUNTED;
	record__str(rec, "space", e->flags & PAGE_FAULT_F_KERNEL ? "kernel" : "user");
	record__strf(rec, "address", "0x%llx", (unsigned long long)e->address);
	record__strf(rec, "ip", "0x%llx", (unsigned long long)e->ip);
	record__int(rec, "error_code", e->error_code);
	record__str(rec, "access", page_fault_access(e->error_code));
	record__bool(rec, "present", e->error_code & PAGE_FAULT_EC_PRESENT);
	if (accounted) {
		record__bool(rec, "major", e->flags & PAGE_FAULT_F_MAJOR);
		record__uint(rec, "duration_ns", e->duration_ns);
	} else {
		record__null(rec, "major");
		record__null(rec, "duration_ns");
	}
	return 0;
}

/* Summary mode: one row per process, its per-CPU counters summed. */
struct page_fault_row {
	struct page_fault_key k;
	struct page_fault_counts c;
};

/* A summary_fold_fn: one process's per-CPU counts summed into a row. */
static void page_fault_row_add(struct summary_rows *rows, const void *key, const void *values,
			       int n_values, size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	struct page_fault_row *r;

	if (value_size < sizeof(struct page_fault_counts))
		return;
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		struct page_fault_counts c;

		memcpy(&c, (const char *)values + i * stride, sizeof(c));
		r->c.minor += c.minor;
		r->c.major += c.major;
		r->c.user += c.user;
		r->c.kernel += c.kernel;
		if (!r->c.cgroup_id)
			r->c.cgroup_id = c.cgroup_id;
	}
	if (r->c.minor + r->c.major + r->c.user + r->c.kernel)
		summary_rows__keep(rows);
}

static uint64_t page_fault_row_total(const struct page_fault_row *r)
{
	uint64_t traced = r->c.user + r->c.kernel, accounted = r->c.minor + r->c.major;

	return traced > accounted ? traced : accounted;
}

/* Most faults first, then by pid and name. */
static int page_fault_row_cmp(const void *a, const void *b)
{
	const struct page_fault_row *x = a, *y = b;
	uint64_t tx = page_fault_row_total(x), ty = page_fault_row_total(y);

	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	return strncmp(x->k.comm, y->k.comm, sizeof(x->k.comm));
}

static void page_fault_row_merge(void *dst, const void *src)
{
	struct page_fault_row *d = dst;
	const struct page_fault_row *s = src;

	d->c.minor += s->c.minor;
	d->c.major += s->c.major;
	d->c.user += s->c.user;
	d->c.kernel += s->c.kernel;
}

static bool page_fault_row_is_other(const void *row)
{
	const struct page_fault_row *r = row;

	return !r->k.pid && !strncmp(r->k.comm, SUMMARY_OTHER_COMM, sizeof(r->k.comm));
}

static void page_fault_row_other(void *row)
{
	struct page_fault_row *r = row;

	r->k.pid = 0;
	r->c.cgroup_id = 0;		/* many processes: no cgroup */
	memset(r->k.comm, 0, sizeof(r->k.comm));
	memcpy(r->k.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

static int page_fault_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct page_fault_row *r = row;
	struct record *rec = monitor_inst__record(inst, "summary");

	record__int(rec, "pid", r->k.pid);
	record__strn(rec, "comm", r->k.comm, sizeof(r->k.comm));
	record_cgroup_fields(rec, r->c.cgroup_id);
	record__int(rec, "minor", r->c.minor);
	record__int(rec, "major", r->c.major);
	record__int(rec, "user", r->c.user);
	record__int(rec, "kernel", r->c.kernel);
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec page_fault_summary = {
	.table = "page_fault_counts",
	.row_size = sizeof(struct page_fault_row),
	.fold = page_fault_row_add,
	.cmp = page_fault_row_cmp,
	.emit = page_fault_row_emit,
	/* Milliseconds are plenty; the timer wakes up late by more than that. */
	.per_s = 1000,
	.merge = page_fault_row_merge,
	.other = page_fault_row_other,
	.is_other = page_fault_row_is_other,
	.full = "page_fault_full",
	.over = "page_fault_over",
	.over_size = sizeof(struct page_fault_counts),
	.what = "faults",
};

static int page_fault_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct page_fault_opts *o = inst->priv;

	return summary_collect(inst, ps, &page_fault_summary, &o->last_collect, o->max_entries);
}

static int page_fault_metrics(struct monitor_inst *inst, struct probe_set *ps,
			      struct metrics *m)
{
	uint64_t v[PAGE_FAULT_METRIC_SLOTS];
	int err;

	(void)inst;
	err = probe_set__percpu_array_sums(ps, "page_fault_metrics", v, PAGE_FAULT_METRIC_SLOTS);
	metrics__family(m, "ebpfmon_page_faults_total", METRIC_COUNTER,
			"Page faults the kernel accounted, by the mode they were taken in "
			"(space) and type (minor, major).");
	for (int kernel = 0; kernel < 2 && !err; kernel++) {
		for (int major = 0; major < 2; major++) {
			const char *labels[] = { "space", kernel ? "kernel" : "user",
						 "type", major ? "major" : "minor", NULL };

			metrics__sample(m, "ebpfmon_page_faults_total", labels,
					v[PAGE_FAULT_METRIC_SLOT(kernel, major)]);
		}
	}
	return err;
}

static void page_fault_detach(struct monitor_inst *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

static const struct table_column page_fault_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "SPACE", "space", 6, COLUMN_LEFT },
	{ "ACCESS", "access", 6, COLUMN_LEFT },
	{ "MAJOR", "major", 5, COLUMN_LEFT },
	{ "LAT(ns)", "duration_ns", 10, COLUMN_RIGHT },
	{ "ADDRESS", "address", 18, COLUMN_LEFT },
	{ "IP", "ip", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column page_fault_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "MINOR", "minor", 9, COLUMN_RIGHT },
	{ "MAJOR", "major", 7, COLUMN_RIGHT },
	{ "USER", "user", 9, COLUMN_RIGHT },
	{ "KERNEL", "kernel", 9, COLUMN_RIGHT },
	{ NULL },
};

static const char *const page_fault_inflight[] = { "page_fault_pending", NULL };

const struct monitor mon_page_fault = {
	.name = "page_fault",
	.desc = "page faults: address, ip, access, user or kernel mode, minor or major",
	.probe = "page_fault.bpf.c",
	.tracepoints = page_fault_tracepoints,
	.events_table = "page_fault_events",
	.configure = page_fault_configure,
	.attach = page_fault_attach,
	.on_event = page_fault_on_event,
	.collect = page_fault_collect,
	.detach = page_fault_detach,
	.columns = page_fault_columns,
	.metrics = page_fault_metrics,
	.summary_columns = page_fault_summary_columns,
	.inflight = page_fault_inflight,
};
