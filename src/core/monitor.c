// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/common.h"
#include "config/config.h"
#include "util/errnames.h"
#include "bpf/kernel.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "bpf/probe_set.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/utf8.h"

const struct monitor *monitor_find(const char *name)
{
	for (const struct monitor *const *m = monitors; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}

const char *monitor_verdict_name(enum monitor_verdict v)
{
	static const char *const names[] = {
		[VERDICT_OK] = "ok",
		[VERDICT_DEGRADED] = "degraded",
		[VERDICT_UNAVAILABLE] = "unavailable",
	};

	return names[v];
}

int monitor_inst__collect(struct monitor_inst *inst)
{
	int err;

	inst->collect_ns = clock_mono_ns();
	err = inst->mon->collect(inst, inst->ps);
	inst->collect_ns = 0;
	if (err)
		pr_warn("%s: collect failed: %s", inst->mon->name, strerror(-err));
	else
		inst->intervals++;
	return err;
}

void monitor_inst__verdict(struct monitor_inst *inst, enum monitor_verdict v,
			   const char *fmt, ...)
{
	size_t len = strlen(inst->why);
	va_list ap;

	if (v > inst->verdict)
		inst->verdict = v;
	if (len && len < sizeof(inst->why) - 2) {
		strcpy(inst->why + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(inst->why + len, sizeof(inst->why) - len, fmt, ap);
	va_end(ap);
}

int monitor_attach_tracepoints(struct monitor_inst *inst, struct probe_set *ps)
{
	for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category; tp++) {
		char fn[256];
		bool raw = false;
		int err;

		snprintf(fn, sizeof(fn), "tracepoint__%s__%s", tp->category, tp->event);
		if (tp->prog) {
			/* Shared: its own #if cannot say this tracepoint is missing. */
			if (!probe_set__has_program(ps, tp->prog) ||
			    !kernel_info__has_tracepoint(inst->ki, tp->category, tp->event))
				continue;
			snprintf(fn, sizeof(fn), "%s", tp->prog);
			raw = tp->raw;
		} else if (!probe_set__has_program(ps, fn)) {
			snprintf(fn, sizeof(fn), "raw_tracepoint__%s", tp->event);
			if (!probe_set__has_program(ps, fn))
				continue;
			raw = true;
		}
		err = raw ? probe_set__attach_raw_tracepoint_prog(ps, fn, tp->event) :
			    probe_set__attach_tracepoint_prog(ps, fn, tp->category, tp->event);
		if (err) {
			pr_err("%s: failed to attach %s %s%s%s: %s", inst->mon->name,
			       raw ? "raw tracepoint" : "tracepoint", raw ? "" : tp->category,
			       raw ? "" : ":", tp->event, strerror(-err));
			return err;
		}
	}
	return 0;
}

int monitor_parse_mode(struct monitor_inst *inst, struct cfg_node *node, bool summary)
{
	static const char *const modes[] = { "events", "summary", NULL };
	int mode = summary, err = 0;

	inst->interval = 5;
	if (node) {
		err |= cfg_get_enum(node, "mode", modes, &mode);
		err |= cfg_get_double(node, "interval", 0.1, 86400, &inst->interval);
	}
	/* Metrics only: no per-event data leaves the kernel. */
	inst->summary = mode == 1 || inst->metrics_only;
	if (err)
		return -EINVAL;
	return render_vars__set(&inst->vars, "SUMMARY", "%d", inst->summary);
}

int monitor_parse_top(struct monitor_inst *inst, struct cfg_node *node, unsigned top)
{
	long long n = top;
	int err = node ? cfg_get_int(node, "top", 0, 1048576, &n) : 0;

	inst->top = n;
	return err ? -EINVAL : 0;
}

json_t *log2_hist_json(const uint64_t *slots, int n_slots)
{
	json_t *hist = json_array();

	for (int k = 0; k < n_slots; k++) {
		uint64_t lo = k ? 1ull << (k - 1) : 0;
		uint64_t hi = k ? (k < 64 ? (1ull << k) - 1 : UINT64_MAX) : 0;

		if (!slots[k])
			continue;
		json_array_append_new(hist, json_pack("{s:I,s:I,s:I}", "lo", (json_int_t)lo,
						      "hi", (json_int_t)hi,
						      "count", (json_int_t)slots[k]));
	}
	return hist;
}

void metric_hist_add_cpus(struct ebpfmon_metric_hist *sum, const void *values, int n_values,
			  size_t stride)
{
	for (int cpu = 0; cpu < n_values; cpu++) {
		const struct ebpfmon_metric_hist *h =
			(const void *)((const char *)values + (size_t)cpu * stride);

		for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
			sum->slots[k] += h->slots[k];
		sum->sum_ns += h->sum_ns;
	}
}

void metric_hist_entry_add(void *ctx, const void *key, const void *values, int n_values,
			   size_t stride)
{
	(void)key;
	metric_hist_add_cpus(ctx, values, n_values, stride);
}

uint64_t metric_hist_count(const struct ebpfmon_metric_hist *h)
{
	uint64_t n = 0;

	for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
		n += h->slots[k];
	return n;
}

void metric_hist_write(struct metrics *m, const char *name, const char *const *labels,
		       const struct ebpfmon_metric_hist *h)
{
	uint64_t slots[EBPFMON_HIST_SLOTS];

	for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
		slots[k] = h->slots[k];
	metrics__log2_hist(m, name, labels, slots, EBPFMON_HIST_SLOTS, h->sum_ns, 1e-9);
}

void monitor_metrics_errnos(struct metrics *m, const char *name, const char *label,
			    const uint64_t *slots)
{
	const char *labels[] = { label, "other", NULL };
	uint64_t other = slots[EBPFMON_ERRNO_SLOTS - 1];

	for (int e = 1; e < EBPFMON_ERRNO_SLOTS - 1; e++) {
		if (!slots[e])
			continue;
		labels[1] = errno_name(e);
		if (labels[1])
			metrics__sample(m, name, labels, slots[e]);
		else
			other += slots[e];
	}
	/* One sample for every unnamed errno: a label set may appear only once. */
	labels[1] = "other";
	if (other)
		metrics__sample(m, name, labels, other);
}

void comm_counts__add(struct comm_counts *cc, const char *comm, uint32_t nr, uint64_t n)
{
	struct comm_count *c;

	if (cc->err || ARRAY_GROW(cc->v, cc->cap, cc->n)) {
		cc->err = -ENOMEM;
		return;
	}
	c = &cc->v[cc->n++];
	/* Kernel comms end within EBPFMON_COMM_LEN (be sure); as a label, valid UTF-8. */
	utf8_repair(c->comm, comm, strnlen(comm, EBPFMON_COMM_LEN - 1));
	c->nr = nr;
	c->n = n;
}

/* A per-CPU u64 summed over the CPUs. */
static uint64_t percpu_u64_sum(const void *values, int n_values, size_t stride)
{
	uint64_t n = 0;

	for (int cpu = 0; cpu < n_values; cpu++)
		n += *(const __u64 *)(const void *)((const char *)values + (size_t)cpu * stride);
	return n;
}

void comm_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			   size_t stride)
{
	comm_counts__add(ctx, key, 0, percpu_u64_sum(values, n_values, stride));
}

void comm_nr_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			      size_t stride)
{
	const struct comm_nr_key *k = key;

	comm_counts__add(ctx, k->comm, k->nr, percpu_u64_sum(values, n_values, stride));
}

void comm_counts__release(struct comm_counts *cc)
{
	free(cc->v);
	*cc = (struct comm_counts){ 0 };
}

/* Two comms (NUL-terminated char[EBPFMON_COMM_LEN]). */
static int comm_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int label_total_by_name(const void *a, const void *b)
{
	return strcmp(((const struct label_total *)a)->name, ((const struct label_total *)b)->name);
}

/* Busiest first; ties by name, so the choice does not depend on map order. */
static int label_total_by_n(const void *a, const void *b)
{
	const struct label_total *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

size_t label_totals_rank(struct label_total *tot, size_t n)
{
	size_t n_names = 0;

	if (!n)
		return 0;
	qsort(tot, n, sizeof(*tot), label_total_by_name);
	for (size_t i = 0, j = 0; i < n; i = j) {
		uint64_t sum = 0;

		for (j = i; j < n && !strcmp(tot[j].name, tot[i].name); j++)
			sum += tot[j].n;
		tot[n_names] = tot[i];
		tot[n_names++].n = sum;
	}
	qsort(tot, n_names, sizeof(*tot), label_total_by_n);
	return n_names;
}

bool comm_labels__has(const struct comm_labels *cl, const char *comm)
{
	return cl->n && bsearch(comm, cl->names, cl->n, sizeof(*cl->names),
				comm_cmp);
}

int comm_labels__update(struct comm_labels *cl, unsigned max, const struct comm_counts *cc)
{
	struct label_total *tot = NULL;
	size_t n_tot = 0, n_names;
	int err = 0;

	if (cl->n >= max || !cc->n)
		goto out;
	tot = malloc(cc->n * sizeof(*tot));
	if (!tot) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * The new comms' counts, summed over nr. A program named "other" stays
	 * in comm="other": its own series would repeat that label set.
	 */
	for (size_t i = 0; i < cc->n; i++)
		if (!comm_labels__has(cl, cc->v[i].comm) &&
		    strncmp(cc->v[i].comm, "other", sizeof(cc->v[i].comm)))
			tot[n_tot++] = (struct label_total){ cc->v[i].comm, cc->v[i].n };
	n_names = label_totals_rank(tot, n_tot);
	for (size_t i = 0; i < n_names && cl->n < max; i++) {
		if (ARRAY_GROW(cl->names, cl->cap, cl->n)) {
			err = -ENOMEM;
			break;
		}
		memcpy(cl->names[cl->n++], tot[i].name, sizeof(*cl->names));
	}
	if (cl->n)
		qsort(cl->names, cl->n, sizeof(*cl->names), comm_cmp);
out:
	free(tot);
	return err;
}

void comm_labels__release(struct comm_labels *cl)
{
	free(cl->names);
	*cl = (struct comm_labels){ 0 };
}

static int comm_count_by_key(const void *a, const void *b)
{
	const struct comm_count *x = a, *y = b;
	int d = strcmp(x->comm, y->comm);

	return d ? d : (x->nr > y->nr) - (x->nr < y->nr);
}

/* One entry per (comm, nr), their counts summed. */
static void comm_counts_merge(struct comm_counts *cc)
{
	size_t n = 0;

	if (cc->n)
		qsort(cc->v, cc->n, sizeof(*cc->v), comm_count_by_key);
	for (size_t i = 0; i < cc->n; i++) {
		if (n && !comm_count_by_key(&cc->v[n - 1], &cc->v[i]))
			cc->v[n - 1].n += cc->v[i].n;
		else
			cc->v[n++] = cc->v[i];
	}
	cc->n = n;
}

int comm_labels__scrape(struct comm_labels *cl, unsigned max, struct probe_set *ps,
			const char *table, probe_entry_fn fn, struct comm_counts *cc)
{
	int err = probe_set__walk(ps, table, true, fn, cc);

	if (err >= 0)
		err = cc->err;
	if (!err && cc->n)
		comm_counts_merge(cc);
	if (!err)
		err = comm_labels__update(cl, max, cc);
	return err;
}
