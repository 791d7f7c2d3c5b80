// SPDX-License-Identifier: GPL-2.0
/*
 * resource: what each task used every interval -- its share of a CPU, its
 * resident set, the bytes its read and write calls moved, its voluntary and
 * involuntary context switches -- with the system's figures of the same
 * interval beside them. Accounted in the kernel (sched_switch, the calls'
 * exits, kmem:rss_stat), not polled from /proc. Summary only: a figure per
 * interval is what it is.
 */
#include <errno.h>
#include <math.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "probes/resource.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"

#define W RESOURCE_COUNT_WORDS
/* A row that grew in none of this many intervals leaves the table (a tid gone by exec). */
#define RESOURCE_IDLE_COLLECTS 12

/* What the host took of a task's cumulative figures, running span included. */
struct resource_seen {
	uint32_t tid;
	uint32_t idle;		/* collects in a row it did not grow */
	uint64_t v[W];
};

struct resource_partial {
	uint32_t tid;
	bool comm_match;	/* the task passes the comm filter now */
	uint64_t since;		/* its switch-in */
	uint64_t ns;
};

struct resource_entry {
	uint32_t tid;
	struct resource_task t;
};

struct resource_opts {
	long long max_entries;
	double last_collect;		/* CLOCK_MONOTONIC seconds, for interval_s */
	uint64_t last_ns;			/* CLOCK_MONOTONIC ns of the last collect */
	uint64_t interval_ns;
	bool rss_btf;
	/* Sorted by tid; next is built by a collect and becomes seen. */
	struct resource_seen *seen, *next;
	size_t n_seen, n_next, cap_seen, cap_next;
	struct resource_entry *cur;	/* the table as read */
	size_t n_cur, cap_cur;
	/* Spans still on a CPU: one per possible CPU at most. */
	struct resource_partial *partial;
	size_t n_partial, cap_partial;
	/* The same, read before the table (resource_collect). */
	struct resource_partial *before;
	size_t n_before, cap_before;
	uint64_t sys_seen[W], sys_delta[W];
	struct comm_labels comm;
};

struct resource_row {
	struct resource_counts d;
	int64_t rss;			/* -1: unknown */
	uint32_t tid, pid;
	char comm[EBPFMON_COMM_LEN];
	bool exited;
};

/* For --check; attached as raw tracepoints, each to a program of its own name (resource_attach). */
static const struct monitor_tp resource_tracepoints[] = {
	{ "sched", "sched_switch", false },
	{ "raw_syscalls", "sys_exit", false },
	/* Without it, rss_bytes comes from the mm's counters at switch-outs only. */
	{ "kmem", "rss_stat", true },
	{ "sched", "sched_process_exit", false },
	{ "sched", "sched_process_free", false },
	/* Where a CPU goes idle: its running span made right (resource_running_repair). */
	{ "power", "cpu_idle", true },
	{ NULL },
};

/*
 * The programs (named for this monitor: RAW_TRACEPOINT_PROBE would name them
 * as other monitors' of the same compile), free and exit first: no row is made
 * for a task whose exit would go unseen. A program the probe left out (exit
 * in a metrics-only run, rss_stat without BTF) is not attached.
 */
static const struct {
	const char *prog, *category, *event;
} resource_progs[] = {
	{ "resource_process_free", "sched", "sched_process_free" },
	{ "resource_process_exit", "sched", "sched_process_exit" },
	{ "resource_rss_stat", "kmem", "rss_stat" },
	{ "resource_sys_exit", "raw_syscalls", "sys_exit" },
	{ "resource_sched_switch", "sched", "sched_switch" },
	{ "resource_cpu_idle", "power", "cpu_idle" },
};

/*
 * The mm's counters through BTF: task_struct.mm, then mm_struct.rss_stat,
 * an array of percpu_counter (6.2+: its count) or an mm_rss_stat of
 * atomic_long_t (before). 0 and the vars set, or -errno when BTF lacks one.
 */
static int resource_rss_btf(struct monitor_inst *inst)
{
	const struct kernel_info *ki = inst->ki;
	long mm, rss, count, stride;
	int err = 0;

	if (kernel_info__btf_offset(ki, "task_struct", "mm", &mm) ||
	    kernel_info__btf_offset(ki, "mm_struct", "rss_stat", &rss))
		return -ENOENT;
	if (!kernel_info__btf_offset(ki, "mm_rss_stat", "count", &count)) {
		stride = 8;
	} else if (kernel_info__btf_offset(ki, "percpu_counter", "count", &count) ||
		   kernel_info__btf_sizeof(ki, "percpu_counter", &stride)) {
		return -ENOENT;
	}
	err |= render_vars__set(&inst->vars, "RSS_OFF_TASK_MM", "%ld", mm);
	err |= render_vars__set(&inst->vars, "RSS_OFF_MM_RSS", "%ld", rss);
	err |= render_vars__set(&inst->vars, "RSS_OFF_COUNT", "%ld", count);
	err |= render_vars__set(&inst->vars, "RSS_STRIDE", "%ld", stride);
	return err ? -ENOMEM : 0;
}

static int resource_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	static const struct {
		const char *var;
		long nr;
	} nrs[] = {
		{ "NR_READ", SYS_read }, { "NR_READV", SYS_readv }, { "NR_PREAD64", SYS_pread64 },
		{ "NR_PREADV", SYS_preadv }, { "NR_PREADV2", SYS_preadv2 },
		{ "NR_WRITE", SYS_write }, { "NR_WRITEV", SYS_writev },
		{ "NR_PWRITE64", SYS_pwrite64 }, { "NR_PWRITEV", SYS_pwritev },
		{ "NR_PWRITEV2", SYS_pwritev2 },
		{ "NR_SENDFILE", SYS_sendfile }, { "NR_COPY_FILE_RANGE", SYS_copy_file_range },
	};
	const struct kernel_info *ki = inst->ki;
	long off;
	struct resource_opts *o = calloc(1, sizeof(*o));
	struct cfg_node *mode = NULL;
	long page = sysconf(_SC_PAGESIZE);
	int err = 0, shift = 0;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	o->max_entries = summary_default_entries();
	if (node && !cfg_get_scalar(node, "mode", &mode) && mode &&
	    strcmp(mode->value, "summary")) {
		cfg_node__error(mode, "resource is a summary-only monitor (figures per "
				"interval); expected summary");
		return -EINVAL;
	}
	err |= monitor_parse_mode(inst, node, true);
	err |= monitor_parse_top(inst, node, 20);
	if (node)
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
	if (err)
		return -EINVAL;
	while (page > 1 && (1l << shift) < page)
		shift++;
	/* The next task of a switch is known by its task_struct only. */
	if (!ki->raw_tracepoints)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "raw tracepoints: %s",
				      ki->raw_tracepoints_why);
	else if (ki->major < 5 || (ki->major == 5 && ki->minor < 18))
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "sched_switch has the previous "
				      "task's state as an argument from 5.18 on, this is %u.%u",
				      ki->major, ki->minor);
	else if (kernel_info__btf_offset(ki, "task_struct", "pid", &off) ||
		 kernel_info__btf_offset(ki, "task_struct", "comm", &off))
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "no BTF offsets of "
				      "task_struct's pid and comm: the next task of a switch "
				      "cannot be told");
#ifndef __x86_64__
	monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "the call's number at sys_exit is "
			      "read from x86_64's pt_regs");
#endif
	o->rss_btf = !resource_rss_btf(inst);
	/* kmem:rss_stat's raw arguments are the mm and the counter: its value needs BTF too. */
	if (!o->rss_btf)
		monitor_inst__verdict(inst, VERDICT_DEGRADED, "rss_bytes null: no BTF offsets "
				      "of task_struct.mm and mm_struct.rss_stat");
	err |= render_vars__set(&inst->vars, "RSS_BTF", "%d", o->rss_btf);
	if (!o->rss_btf) {
		err |= render_vars__set(&inst->vars, "RSS_OFF_TASK_MM", "0");
		err |= render_vars__set(&inst->vars, "RSS_OFF_MM_RSS", "0");
		err |= render_vars__set(&inst->vars, "RSS_OFF_COUNT", "0");
		err |= render_vars__set(&inst->vars, "RSS_STRIDE", "0");
	}
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		err |= render_vars__set(&inst->vars, nrs[i].var, "%ld", nrs[i].nr);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "PAGE_SHIFT", "%d", shift ? shift : 12);
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u", monitor_inst__comm_labels(inst));
	return err ? -ENOMEM : 0;
}

static int resource_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct resource_opts *o = inst->priv;
	int err;

	o->last_collect = clock_mono_s();
	o->last_ns = clock_mono_ns();
	for (size_t i = 0; i < sizeof(resource_progs) / sizeof(resource_progs[0]); i++) {
		if (!probe_set__has_program(ps, resource_progs[i].prog) ||
		    !kernel_info__has_tracepoint(inst->ki, resource_progs[i].category,
						 resource_progs[i].event))
			continue;
		err = probe_set__attach_raw_tracepoint_prog(ps, resource_progs[i].prog,
							    resource_progs[i].event);
		if (err) {
			pr_err("resource: failed to attach raw tracepoint %s: %s",
			       resource_progs[i].event, strerror(-err));
			return err;
		}
	}
	/* Without it the spans are as the switches say: a warning, not a failure. */
	err = probe_set__attach_perf_event(ps, "resource_repair", PERF_TYPE_SOFTWARE,
					   PERF_COUNT_SW_CPU_CLOCK, RESOURCE_REPAIR_NS);
	if (err)
		pr_warn("resource: failed to attach the cpu-clock software event: %s; a task put on "
			"a cpu without sched_switch is seen only at its switch-out", strerror(-err));
	return 0;
}

#define GROW(v, cap, n) ((n) < (cap) ? 0 : resource_grow((void **)&(v), &(cap), sizeof(*(v))))

static int resource_grow(void **v, size_t *cap, size_t size)
{
	size_t c = *cap ? 2 * *cap : 256;
	void *p = realloc(*v, c * size);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* A probe_entry_fn: one row of resource_tasks into o->cur. */
static void resource_entry_read(void *ctx, const void *key, const void *values, int n_values,
				size_t size)
{
	struct resource_opts *o = ctx;

	(void)n_values;
	if (size < sizeof(struct resource_task) || GROW(o->cur, o->cap_cur, o->n_cur))
		return;
	memcpy(&o->cur[o->n_cur].tid, key, sizeof(uint32_t));
	memcpy(&o->cur[o->n_cur].t, values, sizeof(struct resource_task));
	o->n_cur++;
}

static int resource_entry_cmp(const void *a, const void *b)
{
	const struct resource_entry *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* A probe_entry_fn: each CPU's running task and since when, into o->partial. */
static void resource_running_read(void *ctx, const void *key, const void *values, int n_values,
				  size_t size)
{
	struct resource_opts *o = ctx;
	size_t stride = (size + 7) & ~(size_t)7;
	uint64_t now = clock_mono_ns();
	char self[64];

	(void)key;
	for (int cpu = 0; cpu < n_values; cpu++) {
		struct resource_running r;

		memcpy(&r, (const char *)values + cpu * stride, sizeof(r));
		/* Torn (written while read) or idle: its span shows at its switch-out. */
		if (r.since != r.since_check || !r.tid || r.since >= now)
			continue;
		/* ebpfmon-bcc's own threads (the one reading this, surely) are left out. */
		snprintf(self, sizeof(self), "/proc/self/task/%u", r.tid);
		if (!access(self, F_OK))
			continue;
		if (GROW(o->partial, o->cap_partial, o->n_partial))
			return;
		o->partial[o->n_partial++] = (struct resource_partial){
			.tid = r.tid, .comm_match = r.comm_match, .since = r.since,
			.ns = now - r.since };
	}
}

static uint64_t resource_running_ns(const struct resource_opts *o, uint32_t tid)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < o->n_partial; i++)
		if (o->partial[i].tid == tid && o->partial[i].comm_match)
			ns += o->partial[i].ns;
	return ns;
}

static const struct resource_seen *resource_seen_find(const struct resource_opts *o, uint32_t tid)
{
	size_t lo = 0, hi = o->n_seen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->seen[mid].tid == tid)
			return &o->seen[mid];
		if (o->seen[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The growth of OBS over SEEN, word by word, into D; SEEN keeps the larger:
 * a span counted while running and again at its switch-out is counted once,
 * and a switch-out between the reads of the table and of the CPUs, which
 * makes OBS smaller for a moment, counts nothing twice.
 */
static bool resource_delta(const uint64_t *obs, uint64_t *seen, uint64_t *d)
{
	bool grew = false;

	for (size_t w = 0; w < W; w++) {
		d[w] = obs[w] > seen[w] ? obs[w] - seen[w] : 0;
		if (obs[w] > seen[w])
			seen[w] = obs[w];
		grew |= d[w] != 0;
	}
	return grew;
}

static int64_t resource_rss_bytes(int fd, uint32_t pid)
{
	struct resource_rss r;
	int64_t sum = 0;

	if (fd < 0 || bpf_map_lookup_elem(fd, &pid, &r) || !(r.have & RESOURCE_RSS_ALL))
		return -1;
	for (int m = 0; m < RESOURCE_RSS_MEMBERS; m++)
		if (RESOURCE_RSS_ALL & r.have & 1 << m)
			sum += r.bytes[m];
	return sum;
}

/*
 * A row leaves the kernel's table: read and deleted at once, so what it
 * counted since the walk is not lost; into row (the growth over seen).
 */
static void resource_remove(struct probe_set *ps, uint32_t tid, uint64_t *seen,
			    struct resource_row *row)
{
	int fd = probe_set__table_fd(ps, "resource_tasks");
	struct resource_task t;
	uint64_t d[W];

	if (fd < 0 || bpf_map_lookup_and_delete_elem(fd, &tid, &t))
		return;
	resource_delta((const uint64_t *)&t.c, seen, d);
	for (size_t w = 0; w < W; w++)
		((uint64_t *)&row->d)[w] += d[w];
}

static void resource_row_fill(struct resource_row *r, const struct resource_entry *e,
			      const uint64_t *d, int rss_fd)
{
	memcpy(&r->d, d, sizeof(r->d));
	r->tid = e->tid;
	r->pid = e->t.pid;
	memcpy(r->comm, e->t.comm, sizeof(r->comm));
	r->exited = e->t.flags & RESOURCE_F_EXITED;
	r->rss = resource_rss_bytes(rss_fd, e->t.pid);
}

/* Every row of the table against what was seen: the rows of this interval, the next seen. */
static int resource_rows_build(struct monitor_inst *inst, struct probe_set *ps)
{
	struct resource_opts *o = inst->priv;
	int rss_fd = probe_set__table_fd(ps, "resource_rss");

	o->n_next = 0;
	for (size_t i = 0; i < o->n_cur; i++) {
		const struct resource_entry *e = &o->cur[i];
		const struct resource_seen *prev = resource_seen_find(o, e->tid);
		struct resource_seen s = { .tid = e->tid };
		struct resource_row *r;
		uint64_t obs[W], d[W];
		bool grew;

		if (prev)
			s = *prev;
		memcpy(obs, &e->t.c, sizeof(obs));
		obs[0] += resource_running_ns(o, e->tid);
		grew = resource_delta(obs, s.v, d);
		s.idle = grew ? 0 : s.idle + 1;
		if (!grew && !(e->t.flags & RESOURCE_F_EXITED) && s.idle < RESOURCE_IDLE_COLLECTS) {
			if (GROW(o->next, o->cap_next, o->n_next))
				return -ENOMEM;
			o->next[o->n_next++] = s;
			continue;
		}
		r = summary_rows__next(&inst->rows);
		if (!r)
			return inst->rows.err;
		resource_row_fill(r, e, d, rss_fd);
		if (e->t.flags & RESOURCE_F_EXITED || !grew) {
			/* Exited: emitted this once. Idle: gone from the table, seen again if it runs. */
			resource_remove(ps, e->tid, s.v, r);
		} else {
			if (GROW(o->next, o->cap_next, o->n_next))
				return -ENOMEM;
			o->next[o->n_next++] = s;
		}
		if (r->exited || memcmp(&r->d, &(struct resource_counts){ 0 }, sizeof(r->d)))
			summary_rows__keep(&inst->rows);
	}
	return 0;
}

/* The system's figures: resource_sys's growth, with the spans still on a CPU. */
static int resource_sys_read(struct resource_opts *o, struct probe_set *ps)
{
	uint64_t obs[W];
	int err = probe_set__percpu_array_sums(ps, "resource_sys", obs, W);

	if (err)
		return err;
	for (size_t i = 0; i < o->n_partial; i++)
		obs[0] += o->partial[i].ns;
	resource_delta(obs, o->sys_seen, o->sys_delta);
	return 0;
}

/* summary_rows__over's fold: the overflow's growth, one row. */
static void resource_over_fold(struct summary_rows *rows, const void *key, const void *values,
			       int n_values, size_t size)
{
	struct resource_row *r;

	(void)key;
	(void)n_values;
	if (size < sizeof(struct resource_counts))
		return;
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->d, values, sizeof(r->d));
	r->rss = -1;
	summary_rows__keep(rows);
}

/* The most CPU first, then the most bytes, then by tid. */
static int resource_row_cmp(const void *a, const void *b)
{
	const struct resource_row *x = a, *y = b;
	uint64_t bx = x->d.read_bytes + x->d.write_bytes, by = y->d.read_bytes + y->d.write_bytes;

	if (x->d.oncpu_ns != y->d.oncpu_ns)
		return x->d.oncpu_ns > y->d.oncpu_ns ? -1 : 1;
	if (bx != by)
		return bx > by ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void resource_row_merge(void *dst, const void *src)
{
	struct resource_row *d = dst;
	const struct resource_row *s = src;

	for (size_t w = 0; w < W; w++)
		((uint64_t *)&d->d)[w] += ((const uint64_t *)&s->d)[w];
}

static bool resource_row_is_other(const void *row)
{
	const struct resource_row *r = row;

	return !r->tid && !strncmp(r->comm, SUMMARY_OTHER_COMM, sizeof(r->comm));
}

static void resource_row_other(void *row)
{
	struct resource_row *r = row;

	r->tid = r->pid = 0;
	r->rss = -1;
	r->exited = false;
	memset(r->comm, 0, sizeof(r->comm));
	memcpy(r->comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

/* V per second over NS, to a whole unit (finer is the timer's noise). */
static double resource_per_s(uint64_t v, uint64_t ns)
{
	return ns ? (double)llround((double)v * 1e9 / (double)ns) : 0;
}

/* Percent of one CPU, to 0.01. */
static double resource_pct(uint64_t cpu_ns, uint64_t ns)
{
	return ns ? (double)llround((double)cpu_ns * 1e4 / (double)ns) / 100 : 0;
}

static json_t *resource_sys_json(const struct resource_opts *o)
{
	const struct resource_counts *s = (const void *)o->sys_delta;
	uint64_t ns = o->interval_ns;

	return json_pack("{s:f,s:I,s:f,s:f,s:I,s:I}",
			 "cpu_pct", resource_pct(s->oncpu_ns, ns),
			 "cpu_ns", (json_int_t)s->oncpu_ns,
			 "read_bytes_per_s", resource_per_s(s->read_bytes, ns),
			 "write_bytes_per_s", resource_per_s(s->write_bytes, ns),
			 "voluntary_switches", (json_int_t)s->voluntary,
			 "involuntary_switches", (json_int_t)s->involuntary);
}

static int resource_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct resource_opts *o = inst->priv;
	const struct resource_row *r = row;
	struct record *rec = monitor_inst__record(inst, "summary");
	uint64_t ns = o->interval_ns;

	record__int(rec, "pid", r->pid);
	record__int(rec, "tid", r->tid);
	record__strn(rec, "comm", r->comm, sizeof(r->comm));
	/* Of one CPU, as top shows a task: a task on two CPUs the whole interval is 200. */
	record__real(rec, "cpu_pct", resource_pct(r->d.oncpu_ns, ns));
	record__uint(rec, "cpu_ns", r->d.oncpu_ns);
	if (r->rss >= 0)
		record__int(rec, "rss_bytes", r->rss);
	else
		record__null(rec, "rss_bytes");
	record__real(rec, "read_bytes_per_s", resource_per_s(r->d.read_bytes, ns));
	record__real(rec, "write_bytes_per_s", resource_per_s(r->d.write_bytes, ns));
	record__uint(rec, "read_bytes", r->d.read_bytes);
	record__uint(rec, "write_bytes", r->d.write_bytes);
	record__uint(rec, "voluntary_switches", r->d.voluntary);
	record__uint(rec, "involuntary_switches", r->d.involuntary);
	record__bool(rec, "exited", r->exited);
	record__real(rec, "interval_s", interval);
	record__json(rec, "system", resource_sys_json(o));
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec resource_summary = {
	.row_size = sizeof(struct resource_row),
	.fold = resource_over_fold,
	.cmp = resource_row_cmp,
	.emit = resource_row_emit,
	.merge = resource_row_merge,
	.other = resource_row_other,
	.is_other = resource_row_is_other,
	.full = "resource_full",
	.over = "resource_over",
	.over_size = sizeof(struct resource_counts),
	.what = "task updates",
};

/* The spans just read become the "before" ones; partial is empty again. */
static void resource_spans_swap(struct resource_opts *o)
{
	struct resource_partial *p = o->before;
	size_t cap = o->cap_before;

	o->before = o->partial;
	o->cap_before = o->cap_partial;
	o->n_before = o->n_partial;
	o->partial = p;
	o->cap_partial = cap;
	o->n_partial = 0;
}

/*
 * A span read on a CPU before the table walk and gone after it ended during
 * the walk: the row read may lack it (a burner's whole run since its last
 * switch-out), so the row is read again, with the span in it now.
 */
static void resource_spans_ended(struct resource_opts *o, struct probe_set *ps)
{
	int fd = probe_set__table_fd(ps, "resource_tasks");

	for (size_t i = 0; fd >= 0 && i < o->n_before; i++) {
		const struct resource_partial *b = &o->before[i];
		struct resource_entry key = { .tid = b->tid }, *e;
		bool running = false;

		for (size_t j = 0; j < o->n_partial && !running; j++)
			running = o->partial[j].tid == b->tid && o->partial[j].since == b->since;
		e = running || !o->n_cur ? NULL :
		    bsearch(&key, o->cur, o->n_cur, sizeof(*o->cur), resource_entry_cmp);
		if (e)
			bpf_map_lookup_elem(fd, &e->tid, &e->t);
	}
}

/*
 * The CPUs' running spans are read before and after the table: a span read
 * after it is added to its row (a task that never leaves its CPU still
 * shows), and one that ended during the walk is in its row, read again
 * (resource_spans_ended). What is left (a task leaving its CPU between the
 * two reads of one CPU) is counted short now and right at the next interval,
 * never twice (resource_delta).
 */
static int resource_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct resource_opts *o = inst->priv;
	struct summary_rows *rows = &inst->rows;
	double interval = summary_interval_s(&o->last_collect, 1000);
	uint64_t now = clock_mono_ns();
	struct resource_seen *swap;
	size_t cap;
	int err;

	o->interval_ns = now - o->last_ns;
	o->last_ns = now;
	o->n_cur = o->n_partial = 0;
	rows->row_size = sizeof(struct resource_row);
	err = probe_set__walk(ps, "resource_running", true, resource_running_read, o);
	if (err >= 0) {
		resource_spans_swap(o);
		err = probe_set__walk(ps, "resource_tasks", false, resource_entry_read, o);
	}
	if (err >= 0)
		err = probe_set__walk(ps, "resource_running", true, resource_running_read, o);
	if (err < 0)
		goto cleanup;
	if (o->n_cur)
		qsort(o->cur, o->n_cur, sizeof(*o->cur), resource_entry_cmp);
	resource_spans_ended(o, ps);
	err = resource_sys_read(o, ps);
	if (!err)
		err = resource_rows_build(inst, ps);
	if (!err)
		err = summary_rows__over(rows, ps, &resource_summary);
	summary_table_full(inst, summary_uncounted(ps, "resource_full", &rows->full_seen),
			   resource_summary.what, o->max_entries);
	if (!err)
		err = summary_rows__emit_top(rows, &resource_summary, inst->top, inst, interval);
	swap = o->seen;
	o->seen = o->next;
	o->next = swap;
	o->n_seen = o->n_next;
	cap = o->cap_seen;
	o->cap_seen = o->cap_next;
	o->cap_next = cap;
cleanup:
	summary_rows__reset(rows);
	return err < 0 ? err : 0;
}

/* A probe_entry_fn: resource_m_comms' figures of one comm, each word as its own nr. */
static void resource_comm_add(void *ctx, const void *key, const void *values, int n_values,
			      size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7;
	uint64_t sum[W] = { 0 };

	for (int cpu = 0; cpu < n_values; cpu++)
		for (size_t w = 0; w < W; w++)
			sum[w] += ((const uint64_t *)(const void *)((const char *)values +
								 cpu * stride))[w];
	for (size_t w = 0; w < W; w++)
		comm_counts__add(ctx, key, w, sum[w]);
}

struct resource_rss_sums {
	const struct comm_labels *labels;	/* NULL: one sum */
	struct comm_counts *cc;
	double other;
};

/* A probe_entry_fn: one process's resident set into its comm's gauge (nr 0). */
static void resource_rss_add(void *ctx, const void *key, const void *values, int n_values,
			     size_t size)
{
	struct resource_rss_sums *s = ctx;
	struct resource_rss r;
	double bytes = 0;

	(void)key;
	(void)n_values;
	if (size < sizeof(r))
		return;
	memcpy(&r, values, sizeof(r));
	for (int m = 0; m < RESOURCE_RSS_MEMBERS; m++)
		if (RESOURCE_RSS_ALL & r.have & 1 << m)
			bytes += r.bytes[m];
	if (s->labels)
		comm_counts__add(s->cc, r.comm, 0, (uint64_t)bytes);
	else
		s->other += bytes;
}

static int resource_comm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct comm_count *)a)->comm, ((const struct comm_count *)b)->comm);
}

static const struct {
	const char *name, *help, *kind;
	size_t word;
	double scale;
} resource_families[] = {
	{ "ebpfmon_proc_resource_cpu_seconds_total", "Time on a CPU (sched_switch).", NULL,
	  0, 1e-9 },
	{ "ebpfmon_proc_resource_read_bytes_total", "Bytes read/pread/readv/preadv calls "
	  "(and sendfile, copy_file_range) returned.", NULL, 1, 1 },
	{ "ebpfmon_proc_resource_write_bytes_total", "Bytes write/pwrite/writev/pwritev calls "
	  "(and sendfile, copy_file_range) returned.", NULL, 2, 1 },
	{ "ebpfmon_proc_resource_context_switches_total", "Context switches: voluntary "
	  "(blocked), involuntary (switched out runnable).", "voluntary", 3, 1 },
	{ NULL, NULL, "involuntary", 4, 1 },
};

static void resource_metric_samples(struct metrics *m, size_t f, const char *comm,
				    double value)
{
	const char *name = resource_families[f].name;
	const char *labels[5] = { NULL };
	int n = 0;

	for (size_t i = f; !name; i--)
		name = resource_families[i - 1].name;
	if (comm) {
		labels[n++] = "comm";
		labels[n++] = comm;
	}
	if (resource_families[f].kind) {
		labels[n++] = "kind";
		labels[n++] = resource_families[f].kind;
	}
	metrics__sample(m, name, n ? labels : NULL, value * resource_families[f].scale);
}

static int resource_metrics(struct monitor_inst *inst, struct probe_set *ps,
			    struct metrics *m)
{
	struct resource_opts *o = inst->priv;
	unsigned max = monitor_inst__comm_labels(inst);
	struct comm_counts cc = { 0 }, rss = { 0 };
	struct resource_rss_sums sums = { .labels = max ? &o->comm : NULL, .cc = &rss };
	uint64_t total[W], other[W] = { 0 };
	int err;

	err = probe_set__percpu_array_sums(ps, "resource_m_total", total, W);
	if (!err && max)
		err = probe_set__percpu_array_sums(ps, "resource_m_comm_other", other, W);
	if (!err && max)
		err = comm_labels__scrape(&o->comm, max, ps, "resource_m_comms",
					  resource_comm_add, &cc);
	for (size_t f = 0; f < sizeof(resource_families) / sizeof(resource_families[0]); f++) {
		uint64_t rest = other[resource_families[f].word];

		if (resource_families[f].name)
			metrics__family(m, resource_families[f].name, METRIC_COUNTER,
					resource_families[f].help);
		if (err)
			continue;
		if (!max) {
			resource_metric_samples(m, f, NULL, total[resource_families[f].word]);
			continue;
		}
		for (size_t i = 0; i < cc.n; i++) {
			if (cc.v[i].nr != resource_families[f].word)
				continue;
			if (comm_labels__has(&o->comm, cc.v[i].comm))
				resource_metric_samples(m, f, cc.v[i].comm, cc.v[i].n);
			else
				rest += cc.v[i].n;
		}
		resource_metric_samples(m, f, "other", rest);
	}
	metrics__family(m, "ebpfmon_proc_resource_rss_bytes", METRIC_GAUGE,
			"Resident set (file, anon and shmem pages) of the processes seen "
			"(kmem:rss_stat, the mm's counters).");
	if (!err)
		err = probe_set__walk(ps, "resource_rss", false, resource_rss_add, &sums);
	if (err >= 0)
		err = rss.err;
	if (err >= 0 && rss.n)
		qsort(rss.v, rss.n, sizeof(*rss.v), resource_comm_cmp);
	/* One sample per label: the processes of one comm summed. */
	for (size_t i = 0, j; err >= 0 && max && i < rss.n; i = j) {
		const char *labels[] = { "comm", rss.v[i].comm, NULL };
		double bytes = 0;

		for (j = i; j < rss.n && !strcmp(rss.v[j].comm, rss.v[i].comm); j++)
			bytes += rss.v[j].n;
		if (comm_labels__has(&o->comm, rss.v[i].comm))
			metrics__sample(m, "ebpfmon_proc_resource_rss_bytes", labels, bytes);
		else
			sums.other += bytes;
	}
	if (err >= 0) {
		const char *labels[] = { "comm", "other", NULL };

		metrics__sample(m, "ebpfmon_proc_resource_rss_bytes", max ? labels : NULL,
				sums.other);
	}
	comm_counts__release(&cc);
	comm_counts__release(&rss);
	return err < 0 ? err : 0;
}

static void resource_detach(struct monitor_inst *inst)
{
	struct resource_opts *o = inst->priv;

	if (o) {
		comm_labels__release(&o->comm);
		free(o->seen);
		free(o->next);
		free(o->cur);
		free(o->partial);
		free(o->before);
	}
	free(o);
	inst->priv = NULL;
}

static const struct table_column resource_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "%CPU", "cpu_pct", 6, COLUMN_RIGHT },
	{ "RSS", "rss_bytes", 11, COLUMN_RIGHT },
	{ "READ/s", "read_bytes_per_s", 10, COLUMN_RIGHT },
	{ "WRITE/s", "write_bytes_per_s", 10, COLUMN_RIGHT },
	{ "VCSW", "voluntary_switches", 6, COLUMN_RIGHT },
	{ "IVCSW", "involuntary_switches", 6, COLUMN_RIGHT },
	{ NULL },
};

static const char *const resource_inflight[] = { "resource_exec", NULL };

const struct monitor mon_resource = {
	.name = "resource",
	.desc = "per task every interval: CPU %, resident set, read/write bytes/s, "
		"context switches, beside the system's (summary only)",
	.probe = "resource.bpf.c",
	.tracepoints = resource_tracepoints,
	.configure = resource_configure,
	.attach = resource_attach,
	.collect = resource_collect,
	.detach = resource_detach,
	.metrics = resource_metrics,
	.summary_columns = resource_columns,
	.inflight = resource_inflight,
};
