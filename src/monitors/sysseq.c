// SPDX-License-Identifier: GPL-2.0
/*
 * sysseq: per task (thread), its most recent system calls by name in order,
 * its top calls by count and the latency of each kind of call, with the
 * system's latencies of the same calls in the same interval beside them.
 * A record per active task every interval, and a final one at its exit.
 */
#include <errno.h>
#include <linux/types.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probes/sysseq.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"
#include "util/strbuf.h"

/* ebpfmon_proc_sysseq_syscalls_total labels this many syscall names, the rest "other". */
#define SYSSEQ_M_NAMES 16

/* One (tid, number) latency entry read from sysseq_lat. */
struct sysseq_entry {
	struct sysseq_lat_key k;
	struct sysseq_lat v;
};

struct sysseq_opts {
	long long seq_len, top_calls, max_tasks, max_calls;
	double last_collect;
	int tasks_fd, lat_fd, sys_fd, ncpus;
	size_t task_size;		/* the probe's struct sysseq_task */
	unsigned char *task;		/* one task value */
	struct sysseq_lat *percpu;	/* one sysseq_sys value per CPU */
	struct sysseq_lat sys[SYSSEQ_SYS_SLOTS];	/* this interval's, CPUs merged */
	struct sysseq_entry *ents;	/* sysseq_lat's entries read by a collect */
	size_t n_ents, cap_ents;
	__u32 *orphans;			/* tids whose entries had no task at the last collect */
	size_t n_orphans;
	uint64_t task_full_seen, lat_full_seen;
	char *names[SYSSEQ_SYS_SLOTS];	/* libseccomp's, resolved once */
	char unknown[SYSSEQ_SYS_SLOTS][16];
	/* Metrics (the exporter's thread only). */
	struct comm_labels comm;
	bool m_named[SYSSEQ_SYS_SLOTS];
	unsigned m_n_named;
};

static const struct monitor_tp sysseq_tracepoints[] = {
	{ "raw_syscalls", "sys_enter", false, "raw_tracepoint__sysseq_sys_enter" },
	{ "raw_syscalls", "sys_exit", false, "raw_tracepoint__sysseq_sys_exit" },
	{ "sched", "sched_process_exit", false, "raw_tracepoint__sysseq_exit" },
	{ NULL },
};

/*
 * The name of a number as the syscall monitor gives it (libseccomp's table
 * of this architecture); "syscall_N" for one it does not know.
 */
static const char *sysseq_name(struct sysseq_opts *o, unsigned slot)
{
	if (slot >= SYSSEQ_SYS_SLOTS)
		slot = SYSSEQ_NR_OTHER;
	if (slot == SYSSEQ_NR_OTHER)
		return "other";
	if (!o->names[slot] && !o->unknown[slot][0]) {
		o->names[slot] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)slot);
		if (!o->names[slot])
			snprintf(o->unknown[slot], sizeof(o->unknown[slot]), "syscall_%u", slot);
	}
	return o->names[slot] ? o->names[slot] : o->unknown[slot];
}

static int sysseq_nr_of(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr < 0 ? -1 : nr;
}

static int sysseq_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct sysseq_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->seq_len = 64;
	o->top_calls = 3;
	o->max_tasks = 10240;
	o->max_calls = 65536;
	o->tasks_fd = o->lat_fd = o->sys_fd = -1;
	inst->priv = o;
	/* Only records per interval: no events mode, no mode key. */
	inst->interval = 5;
	inst->summary = true;
	if (node) {
		err |= cfg_get_double(node, "interval", 0.1, 86400, &inst->interval);
		err |= cfg_get_int(node, "seq_len", 1, SYSSEQ_SEQ_MAX, &o->seq_len);
		err |= cfg_get_int(node, "top_calls", 0, 64, &o->top_calls);
		err |= cfg_get_int(node, "max_tasks", 1, 1048576, &o->max_tasks);
		err |= cfg_get_int(node, "max_calls", 64, 1048576, &o->max_calls);
	}
	if (err)
		return -EINVAL;
	/* Programs of their own on shared tracepoints need raw ones. */
	if (!inst->ki->raw_tracepoints)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "raw tracepoints: %s",
				      inst->ki->raw_tracepoints_why);
	o->task_size = (sizeof(struct sysseq_task_head) + 2 * o->seq_len + 7) & ~(size_t)7;
	err |= render_vars__set(&inst->vars, "SUMMARY", "%d", 1);
	err |= render_vars__set(&inst->vars, "SEQ_LEN", "%lld", o->seq_len);
	err |= render_vars__set(&inst->vars, "MAX_TASKS", "%lld", o->max_tasks);
	err |= render_vars__set(&inst->vars, "MAX_CALLS", "%lld", o->max_calls);
	err |= render_vars__set(&inst->vars, "MAX_INFLIGHT", "%lld", summary_default_entries());
	err |= render_vars__set(&inst->vars, "NR_EXIT", "%d", sysseq_nr_of("exit"));
	err |= render_vars__set(&inst->vars, "NR_EXIT_GROUP", "%d", sysseq_nr_of("exit_group"));
	err |= render_vars__set(&inst->vars, "NR_EXECVE", "%d", sysseq_nr_of("execve"));
	err |= render_vars__set(&inst->vars, "NR_EXECVEAT", "%d", sysseq_nr_of("execveat"));
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u", monitor_inst__comm_labels(inst));
	return err ? -ENOMEM : 0;
}

static int sysseq_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct sysseq_opts *o = inst->priv;
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return n < 0 ? n : -EINVAL;
	o->ncpus = n;
	o->task = calloc(1, o->task_size);
	o->percpu = calloc(n, sizeof(*o->percpu));
	if (!o->task || !o->percpu)
		return -ENOMEM;
	o->tasks_fd = probe_set__table_fd(ps, "sysseq_tasks");
	o->lat_fd = probe_set__table_fd(ps, "sysseq_lat");
	o->sys_fd = probe_set__table_fd(ps, "sysseq_sys");
	if (o->tasks_fd < 0 || o->lat_fd < 0 || o->sys_fd < 0) {
		pr_err("sysseq: the probe's tables are missing");
		return -ENOENT;
	}
	o->last_collect = clock_mono_s();
	/* The exit first: no thread leaves a ring behind once its calls are seen. */
	for (int i = 2; i >= 0; i--) {
		const struct monitor_tp *tp = &sysseq_tracepoints[i];
		int err = probe_set__attach_raw_tracepoint_prog(ps, tp->prog, tp->event);

		if (err) {
			pr_err("sysseq: failed to attach raw tracepoint %s: %s", tp->event,
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

/* System figures of SLOT, its CPUs merged into *out (zeroed first). */
static int sysseq_sys_read(struct sysseq_opts *o, __u32 slot, struct sysseq_lat *out)
{
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(o->sys_fd, &slot, o->percpu))
		return -errno;
	for (int cpu = 0; cpu < o->ncpus; cpu++) {
		const struct sysseq_lat *c = &o->percpu[cpu];

		if (!c->count)
			continue;
		if (!out->count || c->min_ns < out->min_ns)
			out->min_ns = c->min_ns;
		if (c->max_ns > out->max_ns)
			out->max_ns = c->max_ns;
		out->count += c->count;
		out->total_ns += c->total_ns;
	}
	return 0;
}

/* Every slot into o->sys, each cleared after it was read: the interval's figures. */
static void sysseq_sys_collect(struct sysseq_opts *o)
{
	for (__u32 slot = 0; slot < SYSSEQ_SYS_SLOTS; slot++) {
		if (sysseq_sys_read(o, slot, &o->sys[slot]) || !o->sys[slot].count)
			continue;
		memset(o->percpu, 0, o->ncpus * sizeof(*o->percpu));
		bpf_map_update_elem(o->sys_fd, &slot, o->percpu, BPF_ANY);
	}
}

static json_t *sysseq_lat_json(const struct sysseq_lat *l)
{
	json_int_t avg = l->count ? (json_int_t)(l->total_ns / l->count) : 0;

	if (!l->count)
		return json_pack("{s:n,s:n,s:n}", "avg_ns", "max_ns", "min_ns");
	return json_pack("{s:I,s:I,s:I}", "avg_ns", avg, "max_ns", (json_int_t)l->max_ns,
			 "min_ns", (json_int_t)l->min_ns);
}

/* The top_calls entries by count, then by name; ENTS sorted by number. */
static json_t *sysseq_top_json(struct sysseq_opts *o, const struct sysseq_entry *ents,
			       size_t n)
{
	json_t *top = json_array();
	bool *used = calloc(n ? n : 1, sizeof(*used));

	for (long long k = 0; top && used && k < o->top_calls; k++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (!used[i] && (best == n || ents[i].v.count > ents[best].v.count ||
					 (ents[i].v.count == ents[best].v.count &&
					  strcmp(sysseq_name(o, ents[i].k.nr),
						 sysseq_name(o, ents[best].k.nr)) < 0)))
				best = i;
		if (best == n)
			break;
		used[best] = true;
		json_array_append_new(top, json_pack("{s:s,s:I}", "syscall",
						     sysseq_name(o, ents[best].k.nr), "count",
						     (json_int_t)ents[best].v.count));
	}
	free(used);
	return top;
}

/*
 * The record's body: the sequence from the task value TASK, the top calls
 * and each call's figures from ENTS (one task's, sorted by number), with the
 * system's: the interval's (o->sys), or for a final record read now.
 */
static void sysseq_fill(struct monitor_inst *inst, struct record *rec, const unsigned char *task,
			const struct sysseq_entry *ents, size_t n, bool final, double interval)
{
	struct sysseq_opts *o = inst->priv;
	const struct sysseq_task_head *h = (const void *)task;
	const __u16 *ring = (const void *)(task + sizeof(*h));
	uint64_t len = (uint64_t)o->seq_len, total_ns = 0;
	uint64_t have = h->calls < len ? h->calls : len;
	json_t *seq = json_array(), *calls = json_object();

	for (uint64_t i = h->calls - have; seq && i < h->calls; i++)
		json_array_append_new(seq, json_string(sysseq_name(o, ring[i % len])));
	for (size_t i = 0; calls && i < n; i++) {
		const struct sysseq_entry *e = &ents[i];
		struct sysseq_lat sys;
		json_t *c = sysseq_lat_json(&e->v);

		/* At an exit, the figures of the interval so far. */
		if (final)
			sysseq_sys_read(o, e->k.nr, &sys);
		else
			sys = o->sys[e->k.nr < SYSSEQ_SYS_SLOTS ? e->k.nr : SYSSEQ_NR_OTHER];
		total_ns += e->v.total_ns;
		if (c) {
			json_object_set_new(c, "count", json_integer((json_int_t)e->v.count));
			json_object_set_new(c, "system", sysseq_lat_json(&sys));
			json_object_set_new(calls, sysseq_name(o, e->k.nr), c);
		}
	}
	record__bool(rec, "final", final);
	record__str(rec, "reason", final ? "exit" : "interval");
	record__uint(rec, "calls_total", h->calls);
	record__json(rec, "seq", seq);
	record__json(rec, "top", sysseq_top_json(o, ents, n));
	record__json(rec, "calls", calls);
	record__uint(rec, "syscall_ns", total_ns);
	record__real(rec, "interval_s", interval);
}

/* One task's entries, which its exit leaves: each number it had an entry for. */
static size_t sysseq_task_entries(struct sysseq_opts *o, const struct sysseq_task_head *h)
{
	size_t n = 0;

	for (__u32 nr = 0; nr < SYSSEQ_SYS_SLOTS; nr++) {
		struct sysseq_entry e = { .k = { .tid = h->hdr.tid, .nr = nr } };

		if (!(h->seen[nr / 64] & 1ull << (nr % 64)))
			continue;
		if (bpf_map_lookup_and_delete_elem(o->lat_fd, &e.k, &e.v))
			continue;	/* taken by a collect already */
		if (!ARRAY_GROW(o->ents, o->cap_ents, n))
			o->ents[n++] = e;
	}
	return n;
}

/* The event of a task's exit: its final record. */
static int sysseq_on_event(struct monitor_inst *inst, const void *data, size_t size,
			   struct record *rec)
{
	struct sysseq_opts *o = inst->priv;
	const struct sysseq_task_head *h = data;
	size_t n;

	if (size < o->task_size)
		return -EINVAL;
	memcpy(o->task, data, o->task_size);
	n = sysseq_task_entries(o, h);
	sysseq_fill(inst, rec, o->task, o->ents, n, true,
		    summary_interval_s(&(double){ o->last_collect }, 1000));
	return 0;
}

static int sysseq_entry_cmp(const void *a, const void *b)
{
	const struct sysseq_entry *x = a, *y = b;

	if (x->k.tid != y->k.tid)
		return x->k.tid < y->k.tid ? -1 : 1;
	return x->k.nr < y->k.nr ? -1 : x->k.nr > y->k.nr;
}

static bool sysseq_was_orphan(const struct sysseq_opts *o, __u32 tid)
{
	for (size_t i = 0; i < o->n_orphans; i++)
		if (o->orphans[i] == tid)
			return true;
	return false;
}

/* The keys of sysseq_lat into o->ents, sorted by tid and number; values not read yet. */
static int sysseq_lat_keys(struct sysseq_opts *o)
{
	struct sysseq_lat_key key, next, *prev = NULL;

	o->n_ents = 0;
	while (!bpf_map_get_next_key(o->lat_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (ARRAY_GROW(o->ents, o->cap_ents, o->n_ents))
			return -ENOMEM;
		o->ents[o->n_ents++] = (struct sysseq_entry){ .k = next };
	}
	/* qsort(NULL, 0, ...) is undefined: a collect with no call timed. */
	if (o->n_ents)
		qsort(o->ents, o->n_ents, sizeof(*o->ents), sysseq_entry_cmp);
	return 0;
}

/*
 * The entries ENTS[0..n) of one task: taken (read and deleted at once, so a
 * call that returns meanwhile counts now or next time, never nowhere) when
 * the task is tracked; the count of those read. An exited task's entries
 * stay for its exit event, once: still there at the next collect, the event
 * was lost and they go.
 */
static size_t sysseq_lat_take(struct sysseq_opts *o, struct sysseq_entry *ents, size_t n,
			      bool tracked, __u32 **orphans, size_t *n_orphans, size_t *cap)
{
	size_t kept = 0;

	if (!tracked && !sysseq_was_orphan(o, ents[0].k.tid)) {
		if (!ARRAY_GROW(*orphans, *cap, *n_orphans))
			(*orphans)[(*n_orphans)++] = ents[0].k.tid;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!tracked)
			bpf_map_delete_elem(o->lat_fd, &ents[i].k);
		else if (!bpf_map_lookup_and_delete_elem(o->lat_fd, &ents[i].k, &ents[i].v))
			ents[kept++] = ents[i];
	}
	return kept;
}

static int sysseq_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct sysseq_opts *o = inst->priv;
	double interval = summary_interval_s(&o->last_collect, 1000);
	const struct sysseq_task_head *h = (const void *)o->task;
	size_t n_orphans = 0, cap_orphans = 0;
	__u32 *orphans = NULL;
	int err;

	summary_table_full(inst, summary_uncounted(ps, "sysseq_task_full", &o->task_full_seen),
			   "calls", o->max_tasks);
	summary_table_full(inst, summary_uncounted(ps, "sysseq_lat_full", &o->lat_full_seen),
			   "calls", o->max_calls);
	err = sysseq_lat_keys(o);
	if (!err)
		sysseq_sys_collect(o);
	for (size_t i = 0, j; i < o->n_ents && !err; i = j) {
		struct record *rec;
		bool tracked;
		size_t n;

		for (j = i; j < o->n_ents && o->ents[j].k.tid == o->ents[i].k.tid; j++)
			;
		/* Its ring as it is now, with the calls taken after it. */
		tracked = !bpf_map_lookup_elem(o->tasks_fd, &o->ents[i].k.tid, o->task);
		n = sysseq_lat_take(o, &o->ents[i], j - i, tracked, &orphans, &n_orphans,
				    &cap_orphans);
		if (!n)
			continue;
		rec = monitor_inst__record(inst, "summary");
		record__uint(rec, "pid", h->hdr.pid);
		record__uint(rec, "tid", h->hdr.tid);
		record__strn(rec, "comm", h->hdr.comm, sizeof(h->hdr.comm));
		sysseq_fill(inst, rec, o->task, &o->ents[i], n, false, interval);
		err = monitor_inst__emit(inst, rec);
	}
	free(o->orphans);
	o->orphans = orphans;
	o->n_orphans = n_orphans;
	return err;
}

/* One (comm, number) row of sysseq_m_comms, summed over the CPUs. */
static void sysseq_m_add(void *ctx, const void *key, const void *values, int n_values,
			 size_t stride)
{
	const struct sysseq_m_key *k = key;
	uint64_t n = 0;

	for (int cpu = 0; cpu < n_values; cpu++)
		n += *(const __u64 *)(const void *)((const char *)values + (size_t)cpu * stride);
	comm_counts__add(ctx, k->comm, k->nr, n);
}

/*
 * The syscall label: the first SYSSEQ_M_NAMES numbers seen, busiest first,
 * keep their name for good (a counter must not lose its series); the rest,
 * and calls beyond the table, are "other".
 */
static void sysseq_m_name(struct sysseq_opts *o, const struct comm_counts *cc)
{
	while (o->m_n_named < SYSSEQ_M_NAMES) {
		uint64_t by_nr[SYSSEQ_SYS_SLOTS] = { 0 };
		__u32 best = SYSSEQ_NR_OTHER;

		for (size_t i = 0; i < cc->n; i++)
			if (cc->v[i].nr < SYSSEQ_NR_OTHER)
				by_nr[cc->v[i].nr] += cc->v[i].n;
		for (__u32 nr = 0; nr < SYSSEQ_NR_OTHER; nr++)
			if (by_nr[nr] && !o->m_named[nr] &&
			    (best == SYSSEQ_NR_OTHER || by_nr[nr] > by_nr[best]))
				best = nr;
		if (best == SYSSEQ_NR_OTHER)
			break;
		o->m_named[best] = true;
		o->m_n_named++;
	}
}

struct sysseq_m_sample {
	const char *comm, *syscall;	/* comm: NULL without metrics.comm_labels */
	uint64_t n;
};

/* Add N to the sample of (comm, syscall), one per label set. */
static int sysseq_m_sum(struct sysseq_m_sample **v, size_t *n, size_t *cap, const char *comm,
			const char *syscall, uint64_t add)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].syscall == syscall &&
		    ((!comm && !(*v)[i].comm) || (comm && (*v)[i].comm &&
						  !strcmp(comm, (*v)[i].comm)))) {
			(*v)[i].n += add;
			return 0;
		}
	if (ARRAY_GROW(*v, *cap, *n))
		return -ENOMEM;
	(*v)[(*n)++] = (struct sysseq_m_sample){ comm, syscall, add };
	return 0;
}

static int sysseq_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct sysseq_opts *o = inst->priv;
	unsigned labels = monitor_inst__comm_labels(inst);
	struct sysseq_m_sample *calls = NULL, *secs = NULL;
	size_t n_calls = 0, cap_calls = 0, n_secs = 0, cap_secs = 0;
	struct comm_counts cc = { 0 };
	uint64_t other[SYSSEQ_M_OTHER_SLOTS] = { 0 };
	int err;

	err = probe_set__percpu_array_sums(ps, "sysseq_m_other", other, SYSSEQ_M_OTHER_SLOTS);
	if (!err && labels)
		err = comm_labels__scrape(&o->comm, labels, ps, "sysseq_m_comms", sysseq_m_add,
					  &cc);
	else if (!err)
		err = probe_set__walk(ps, "sysseq_m_comms", true, sysseq_m_add, &cc);
	err = err < 0 ? err : cc.err;
	if (!err)
		sysseq_m_name(o, &cc);
	for (size_t i = 0; !err && i < cc.n; i++) {
		const struct comm_count *c = &cc.v[i];
		const char *comm = !labels ? NULL :
				   comm_labels__has(&o->comm, c->comm) ? c->comm : "other";

		if (c->nr == SYSSEQ_M_NS)
			err = sysseq_m_sum(&secs, &n_secs, &cap_secs, comm, NULL, c->n);
		else
			err = sysseq_m_sum(&calls, &n_calls, &cap_calls, comm,
					   c->nr < SYSSEQ_NR_OTHER && o->m_named[c->nr] ?
					   sysseq_name(o, c->nr) : "other", c->n);
	}
	if (!err && other[0])
		err = sysseq_m_sum(&calls, &n_calls, &cap_calls, labels ? "other" : NULL, "other",
				   other[0]);
	if (!err && other[1])
		err = sysseq_m_sum(&secs, &n_secs, &cap_secs, labels ? "other" : NULL, NULL,
				   other[1]);
	metrics__family(m, "ebpfmon_proc_sysseq_syscalls_total", METRIC_COUNTER,
			"System calls of the tasks sysseq tracks, by name (the first 16 named, "
			"the rest \"other\"); by comm too with metrics.comm_labels.");
	for (size_t i = 0; !err && i < n_calls; i++) {
		const char *with[] = { "comm", calls[i].comm, "syscall", calls[i].syscall, NULL };
		const char *const *l = calls[i].comm ? with : with + 2;

		metrics__sample(m, "ebpfmon_proc_sysseq_syscalls_total", l, calls[i].n);
	}
	metrics__family(m, "ebpfmon_proc_sysseq_syscall_seconds_total", METRIC_COUNTER,
			"Time the tasks sysseq tracks spent in system calls; by comm with "
			"metrics.comm_labels.");
	for (size_t i = 0; !err && i < n_secs; i++) {
		const char *l[] = { "comm", secs[i].comm, NULL };

		metrics__sample(m, "ebpfmon_proc_sysseq_syscall_seconds_total",
				secs[i].comm ? l : NULL, (double)secs[i].n / 1e9);
	}
	comm_counts__release(&cc);
	free(calls);
	free(secs);
	return err;
}

static void sysseq_detach(struct monitor_inst *inst)
{
	struct sysseq_opts *o = inst->priv;

	if (!o)
		return;
	for (int i = 0; i < SYSSEQ_SYS_SLOTS; i++)
		free(o->names[i]);
	comm_labels__release(&o->comm);
	free(o->task);
	free(o->percpu);
	free(o->ents);
	free(o->orphans);
	free(o);
	inst->priv = NULL;
}

static const struct table_column sysseq_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "REASON", "reason", 8, COLUMN_LEFT },
	{ "CALLS", "calls_total", 8, COLUMN_RIGHT },
	{ "TOP", "top", 30, COLUMN_LEFT },
	{ "SEQUENCE", "seq", 0, COLUMN_LEFT },
	{ NULL },
};

static const char *const sysseq_inflight[] = { "sysseq_starts", NULL };

const struct monitor mon_sysseq = {
	.name = "sysseq",
	.desc = "per task: its latest system calls in order, top calls, latency per call "
		"beside the system's",
	.probe = "sysseq.bpf.c",
	.tracepoints = sysseq_tracepoints,
	.events_table = "sysseq_events",
	.summary_events = true,
	.configure = sysseq_configure,
	.attach = sysseq_attach,
	.on_event = sysseq_on_event,
	.collect = sysseq_collect,
	.detach = sysseq_detach,
	.columns = sysseq_columns,
	.metrics = sysseq_metrics,
	.summary_columns = sysseq_columns,
	.inflight = sysseq_inflight,
};
