// SPDX-License-Identifier: GPL-2.0
/*
 * interrupt: hardirq and softirq handlers with their durations, per event or
 * summed per CPU and interrupt; optionally task migrations between CPUs.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/interrupt.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "bpf/probe_set.h"

/* min_duration_us: a handler running for a second is already a hung machine. */
#define INTERRUPT_MIN_US_MAX 1000000

struct interrupt_opts {
	long long min_duration_us;
	bool hardirq;
	bool softirq;
	bool migrations;
	double last_collect;	/* CLOCK_MONOTONIC seconds: attach, then each collect */
	uint64_t overflow;	/* interrupts the full summary table could not count */
};

static const struct monitor_tp interrupt_tracepoints[] = {
	{ "irq", "irq_handler_entry", false },
	{ "irq", "irq_handler_exit", false },
	{ "irq", "softirq_entry", false },
	{ "irq", "softirq_exit", false },
	{ "sched", "sched_migrate_task", true },
	{ NULL },
};

/* The kernel's softirq_to_name[], as the softirq tracepoints print them. */
static const char *const interrupt_vec_names[] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED",
	"HRTIMER", "RCU",
};

static const char *const interrupt_kind_names[] = {
	[INTERRUPT_KIND_HARDIRQ] = "hardirq",
	[INTERRUPT_KIND_SOFTIRQ] = "softirq",
	[INTERRUPT_KIND_MIGRATION] = "migration",
};

static const char *interrupt_vec_name(__s32 vec)
{
	if (vec < 0 || vec >= (int)(sizeof(interrupt_vec_names) / sizeof(interrupt_vec_names[0])))
		return NULL;
	return interrupt_vec_names[vec];
}

/* kinds: a list of hardirq and softirq; an unknown name is an error at that item. */
static int interrupt_parse_kinds(struct interrupt_opts *o, struct cfg_node *node)
{
	struct cfg_node *list;
	char **kinds = NULL;
	int err;

	err = cfg_get_strv(node, "kinds", &kinds);
	if (err || !kinds)
		return err;
	list = cfg_node__get(node, "kinds");
	o->hardirq = o->softirq = false;
	for (size_t i = 0; kinds[i]; i++) {
		if (!strcmp(kinds[i], "hardirq")) {
			o->hardirq = true;
		} else if (!strcmp(kinds[i], "softirq")) {
			o->softirq = true;
		} else {
			cfg_node__error(list->kind == CFG_SEQ ? list->kids[i] : list,
					"unknown kind \"%s\" (expected hardirq or softirq)",
					kinds[i]);
			err = -EINVAL;
			break;
		}
	}
	strv_free(kinds);
	return err;
}

/* Since 6.x sched_migrate_task's comm is a __data_loc string, before a char[16]. */
static int interrupt_mig_comm_data_loc(const struct kernel_info *ki)
{
	char path[256], line[256];
	int data_loc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/sched/sched_migrate_task/format", ki->tracefs);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "__data_loc char[] comm;"))
			data_loc = 1;
	fclose(f);
	return data_loc;
}

static int interrupt_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct interrupt_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->hardirq = o->softirq = true;
	inst->priv = o;
	/* hardirqs and softirqs show every interrupt. */
	if (monitor_parse_mode(inst, node, true) || monitor_parse_top(inst, node, 0))
		err = -EINVAL;
	if (node) {
		err |= cfg_get_int(node, "min_duration_us", 0, INTERRUPT_MIN_US_MAX,
				   &o->min_duration_us);
		err |= interrupt_parse_kinds(o, node);
		err |= cfg_get_bool(node, "migrations", &o->migrations);
		if (err)
			return -EINVAL;
		if (!o->hardirq && !o->softirq && !o->migrations) {
			/* Only an explicit empty list gets here. */
			cfg_node__error(cfg_node__get(node, "kinds"), "nothing to trace: no kinds and migrations is off");
			return -EINVAL;
		}
	}
	if (err)
		return -EINVAL;
	err |= render_vars__set(&inst->vars, "HARDIRQ", "%d", o->hardirq);
	err |= render_vars__set(&inst->vars, "SOFTIRQ", "%d", o->softirq);
	err |= render_vars__set(&inst->vars, "MIGRATIONS", "%d", o->migrations);
	err |= render_vars__set(&inst->vars, "MIN_NS", "%lld", o->min_duration_us * 1000);
	err |= render_vars__set(&inst->vars, "MIG_COMM_DATA_LOC", "%d",
				o->migrations && interrupt_mig_comm_data_loc(inst->ki));
	if (err)
		return -ENOMEM;
	return 0;
}

static int interrupt_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct interrupt_opts *o = inst->priv;

	o->last_collect = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

static int interrupt_on_event(struct monitor_inst *inst, const void *data, size_t size,
			      struct record *rec)
{
	const struct interrupt_event *e = data;

	(void)inst;
	if (size < sizeof(*e) || e->kind > INTERRUPT_KIND_MIGRATION)
		return -EINVAL;
	record__str(rec, "kind", interrupt_kind_names[e->kind]);
	switch (e->kind) {
	case INTERRUPT_KIND_HARDIRQ:
		record__int(rec, "irq", e->num);
		record__strn(rec, "name", e->name, sizeof(e->name));
		record__bool(rec, "handled", e->ret != 0);
		record__int(rec, "duration_ns", e->duration_ns);
		break;
	case INTERRUPT_KIND_SOFTIRQ:
		record__int(rec, "vec", e->num);
		record__str(rec, "name", interrupt_vec_name(e->num));
		record__int(rec, "duration_ns", e->duration_ns);
		break;
	case INTERRUPT_KIND_MIGRATION:
		/* The moved task: its parent and user are not in the tracepoint. */
		record__nullify(rec, "uid");
		record__nullify(rec, "user");
		record__int(rec, "orig_cpu", e->orig_cpu);
		record__int(rec, "dest_cpu", e->dest_cpu);
		break;
	}
	return 0;
}

/* One summary row before it is sorted and emitted. */
struct interrupt_row {
	__u32 kind;
	__s32 num;		/* irq, vec; migration: orig_cpu */
	__s32 cpu;		/* migration: dest_cpu */
	struct interrupt_sum sum;	/* migration: count only */
	bool other;		/* the rows past top */
};

/* A per-CPU entry of interrupt_sums: one row per CPU that saw the interrupt. */
static void interrupt_sum_entry(struct summary_rows *rows, const void *key, const void *values,
				int n_values, size_t value_size)
{
	const struct interrupt_key *k = key;

	for (int cpu = 0; cpu < n_values; cpu++) {
		const struct interrupt_sum *s =
			(const void *)((const char *)values + cpu * value_size);
		struct interrupt_row *row;

		if (!s->count)
			continue;
		row = summary_rows__next(rows);
		if (!row)
			return;
		row->kind = k->kind;
		row->num = k->num;
		row->cpu = cpu;
		memcpy(&row->sum, s, sizeof(*s));
		summary_rows__keep(rows);
	}
}

static void interrupt_mig_entry(struct summary_rows *rows, const void *key, const void *values,
				int n_values, size_t value_size)
{
	const struct interrupt_mig_key *k = key;
	struct interrupt_row *row;
	__u64 count;

	(void)n_values;
	(void)value_size;
	memcpy(&count, values, sizeof(count));
	if (!count || !(row = summary_rows__next(rows)))
		return;
	row->kind = INTERRUPT_KIND_MIGRATION;
	row->num = k->orig_cpu;
	row->cpu = k->dest_cpu;
	row->sum.count = count;
	summary_rows__keep(rows);
}

static int interrupt_row_cmp(const void *a, const void *b)
{
	const struct interrupt_row *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind != INTERRUPT_KIND_MIGRATION && x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static void interrupt_row_merge(void *dst, const void *src)
{
	struct interrupt_sum *d = &((struct interrupt_row *)dst)->sum;
	const struct interrupt_sum *s = &((const struct interrupt_row *)src)->sum;

	d->count += s->count;
	d->total_ns += s->total_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	summary_hist_add(d->slots, s->slots);
}

static void interrupt_row_other(void *row)
{
	((struct interrupt_row *)row)->other = true;
}

static bool interrupt_row_is_other(const void *row)
{
	return ((const struct interrupt_row *)row)->other;
}

static int interrupt_row_emit(struct monitor_inst *inst, const void *r, double interval)
{
	const struct interrupt_row *row = r;
	const struct interrupt_sum *s = &row->sum;
	struct record *rec = monitor_inst__record(inst, "summary");
	uint64_t slots[EBPFMON_HIST_SLOTS];

	if (row->other) {
		/* Interrupts and migrations past top: counts only. */
		record__str(rec, "kind", SUMMARY_OTHER_COMM);
		record__int(rec, "count", s->count);
	} else if (record__str(rec, "kind", interrupt_kind_names[row->kind]),
		   row->kind == INTERRUPT_KIND_MIGRATION) {
		record__int(rec, "orig_cpu", row->num);
		record__int(rec, "dest_cpu", row->cpu);
		record__int(rec, "count", s->count);
	} else {
		record__int(rec, "cpu", row->cpu);
		if (row->kind == INTERRUPT_KIND_HARDIRQ) {
			record__int(rec, "irq", row->num);
			record__strn(rec, "name", s->name, sizeof(s->name));
		} else {
			record__int(rec, "vec", row->num);
			record__str(rec, "name", interrupt_vec_name(row->num));
		}
		record__int(rec, "count", s->count);
		record__int(rec, "total_ns", s->total_ns);
		record__int(rec, "max_ns", s->max_ns);
		for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
			slots[k] = s->slots[k];
		record__json(rec, "latency_hist_ns", log2_hist_json(slots, EBPFMON_HIST_SLOTS));
	}
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

/* The order, and top's: the busiest rows, shown in the order above. */
static int interrupt_row_busiest(const void *a, const void *b)
{
	const struct interrupt_row *x = a, *y = b;

	if (x->sum.count != y->sum.count)
		return x->sum.count > y->sum.count ? -1 : 1;
	return interrupt_row_cmp(a, b);
}

static const struct summary_spec interrupt_summary = {
	.row_size = sizeof(struct interrupt_row),
	.cmp = interrupt_row_cmp,
	.emit = interrupt_row_emit,
	.merge = interrupt_row_merge,
	.other = interrupt_row_other,
	.is_other = interrupt_row_is_other,
	.top_cmp = interrupt_row_busiest,
	.fold = interrupt_sum_entry,
	.over = "interrupt_over",
	.over_size = sizeof(struct interrupt_sum),
};

/* Summary mode: read and clear the sums, one row per CPU and interrupt. */
static int interrupt_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct interrupt_opts *o = inst->priv;
	struct summary_rows *rows = &inst->rows;
	/* Microseconds are plenty, and spare readers 1.0000171350002347. */
	double interval = summary_interval_s(&o->last_collect, 1e6);
	int err = 0;

	rows->row_size = sizeof(struct interrupt_row);
	if (o->hardirq || o->softirq)
		err = summary_rows__read(rows, ps, "interrupt_sums", true, interrupt_sum_entry);
	if (err >= 0 && o->migrations && probe_set__has_program(ps,
					"tracepoint__sched__sched_migrate_task"))
		err = summary_rows__read(rows, ps, "interrupt_migs", false, interrupt_mig_entry);
	if (err >= 0 && (o->hardirq || o->softirq))
		err = summary_rows__over(rows, ps, &interrupt_summary);
	if (o->hardirq || o->softirq)
		summary_table_full(inst, summary_uncounted(ps, "interrupt_overflow", &o->overflow),
				   "interrupts", INTERRUPT_SUM_ROWS);
	if (err >= 0)
		err = summary_rows__emit_top(rows, &interrupt_summary, inst->top, inst, interval);
	summary_rows__reset(rows);
	return err < 0 ? err : 0;
}

/* Scrape time: the softirq maps summed per vector, and per vector and CPU. */
struct interrupt_m_soft {
	struct ebpfmon_metric_hist hist[INTERRUPT_NR_VEC];
	uint64_t *per_cpu;	/* [vec * n_cpus + cpu] */
	int n_cpus;
	int err;
};

/* One handler name's histogram, written as it is read. */
static void interrupt_m_hard_add(void *ctx, const void *key, const void *values, int n_values,
				 size_t stride)
{
	const struct interrupt_m_key *k = key;
	struct ebpfmon_metric_hist h = { 0 };
	char name[INTERRUPT_NAME_LEN + 1];
	const char *labels[] = { "kind", "hardirq", "name", name, NULL };

	snprintf(name, sizeof(name), "%.*s", INTERRUPT_NAME_LEN, k->name);
	metric_hist_add_cpus(&h, values, n_values, stride);
	if (metric_hist_count(&h))
		metric_hist_write(ctx, "ebpfmon_irq_latency_seconds", labels, &h);
}

static void interrupt_m_soft_add(void *ctx, const void *key, const void *values, int n_values,
				 size_t stride)
{
	struct interrupt_m_soft *s = ctx;
	__u32 vec = *(const __u32 *)key;

	if (vec >= INTERRUPT_NR_VEC)
		return;
	if (!s->per_cpu) {
		s->per_cpu = calloc((size_t)INTERRUPT_NR_VEC * n_values, sizeof(*s->per_cpu));
		s->n_cpus = n_values;
		if (!s->per_cpu)
			s->err = -ENOMEM;
	}
	for (int cpu = 0; s->per_cpu && cpu < n_values && cpu < s->n_cpus; cpu++)
		s->per_cpu[vec * s->n_cpus + cpu] = metric_hist_count(
			(const void *)((const char *)values + (size_t)cpu * stride));
	metric_hist_add_cpus(&s->hist[vec], values, n_values, stride);
}

/* A vector's label: the kernel's name, as the events and rows have it. */
static const char *interrupt_m_vec_name(int vec, char *buf, size_t size)
{
	const char *name = interrupt_vec_name(vec);

	if (name)
		return name;
	snprintf(buf, size, "vec_%d", vec);
	return buf;
}

static int interrupt_metrics(struct monitor_inst *inst, struct probe_set *ps,
			     struct metrics *m)
{
	struct interrupt_opts *o = inst->priv;
	struct interrupt_m_soft soft = { 0 };
	struct ebpfmon_metric_hist other = { 0 };
	char vec[16], cpu[16];
	int err = 0;

	metrics__family(m, "ebpfmon_irq_latency_seconds", METRIC_HISTOGRAM,
			"Interrupt handler durations, by kind (hardirq, softirq) and name (the "
			"hardirq handler's, \"other\" past the table's room; the softirq vector's).");
	if (o->hardirq) {
		const char *labels[] = { "kind", "hardirq", "name", "other", NULL };

		err = probe_set__walk(ps, "interrupt_m_hard", true, interrupt_m_hard_add, m);
		if (err >= 0)
			err = probe_set__walk(ps, "interrupt_m_hard_other", true,
						 metric_hist_entry_add, &other);
		if (err >= 0 && metric_hist_count(&other))
			metric_hist_write(m, "ebpfmon_irq_latency_seconds", labels, &other);
	}
	if (err >= 0 && o->softirq)
		err = probe_set__walk(ps, "interrupt_m_soft", true, interrupt_m_soft_add, &soft);
	if (err >= 0)
		err = soft.err;
	for (int v = 0; err >= 0 && o->softirq && v < INTERRUPT_NR_VEC; v++) {
		const char *labels[] = {
			"kind", "softirq", "name", interrupt_m_vec_name(v, vec, sizeof(vec)), NULL
		};

		if (metric_hist_count(&soft.hist[v]))
			metric_hist_write(m, "ebpfmon_irq_latency_seconds", labels, &soft.hist[v]);
	}
	metrics__family(m, "ebpfmon_softirqs_total", METRIC_COUNTER,
			"Softirqs handled, by vector and CPU.");
	for (int v = 0; err >= 0 && soft.per_cpu && v < INTERRUPT_NR_VEC; v++) {
		for (int c = 0; c < soft.n_cpus; c++) {
			const char *labels[] = {
				"vec", interrupt_m_vec_name(v, vec, sizeof(vec)), "cpu", cpu, NULL
			};

			if (!soft.per_cpu[v * soft.n_cpus + c])
				continue;
			snprintf(cpu, sizeof(cpu), "%d", c);
			metrics__sample(m, "ebpfmon_softirqs_total", labels,
					soft.per_cpu[v * soft.n_cpus + c]);
		}
	}
	free(soft.per_cpu);
	return err < 0 ? err : 0;
}

static void interrupt_detach(struct monitor_inst *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

static const struct table_column interrupt_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "CPU", "cpu", 3, COLUMN_RIGHT },
	{ "KIND", "kind", 9, COLUMN_LEFT },
	{ "IRQ", "irq", 4, COLUMN_RIGHT },
	{ "VEC", "vec", 3, COLUMN_RIGHT },
	{ "NAME", "name", 16, COLUMN_LEFT },
	{ "DUR(ns)", "duration_ns", 10, COLUMN_RIGHT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column interrupt_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "CPU", "cpu", 3, COLUMN_RIGHT },
	{ "KIND", "kind", 9, COLUMN_LEFT },
	{ "IRQ", "irq", 4, COLUMN_RIGHT },
	{ "VEC", "vec", 3, COLUMN_RIGHT },
	{ "NAME", "name", 16, COLUMN_LEFT },
	{ "COUNT", "count", 8, COLUMN_RIGHT },
	{ "MAX(ns)", "max_ns", 10, COLUMN_RIGHT },
	{ "TOTAL(ns)", "total_ns", 12, COLUMN_RIGHT },
	{ NULL },
};

static const char *const interrupt_inflight[] = { "interrupt_hard_start", "interrupt_soft_start", NULL };

const struct monitor mon_interrupt = {
	.name = "interrupt",
	.desc = "hardirq and softirq handlers with their durations; task migrations",
	.probe = "interrupt.bpf.c",
	.tracepoints = interrupt_tracepoints,
	.events_table = "interrupt_events",
	.configure = interrupt_configure,
	.attach = interrupt_attach,
	.on_event = interrupt_on_event,
	.collect = interrupt_collect,
	.detach = interrupt_detach,
	.columns = interrupt_columns,
	.summary_columns = interrupt_summary_columns,
	.metrics = interrupt_metrics,
	.inflight = interrupt_inflight,
};
