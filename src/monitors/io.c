// SPDX-License-Identifier: GPL-2.0
/*
 * io: read/write system calls (read, write, pread64, pwrite64, readv,
 * writev): fd, path, size asked for and moved, latency, result. Or, in
 * summary mode, per-process totals and a latency histogram every interval.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "probes/io.h"
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

#define IO_MAX_FDS 64
#define IO_SLOW_US_MAX 3600000000LL	/* an hour */
#define IO_LARGE_MAX 2147483647LL	/* one call moves at most about 2 GiB */
/* Direct-mapped: a colliding (pid, fd) just replaces the older entry. */
#define IO_PATH_CACHE 1024

struct io_path_entry {
	__u32 pid;
	__s32 fd;
	__u64 proc_gen, fd_gen;
	char *path;			/* NULL: empty slot */
};

struct io_priv {
	long long slow_us;
	long long large_bytes;
	long long max_entries;
	long long stats_entries;	/* io_stats: max_entries if given, else the machine's */
	bool resolve_paths;
	bool paths;			/* resolving, and the probe keeps generations */
	int proc_gen_fd, fd_gen_fd;	/* io_proc_gen, io_fd_gen: the host's check */
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	struct io_path_entry cache[IO_PATH_CACHE];
};

static const char *const io_op_names[IO_OP_COUNT] = {
	[IO_OP_READ] = "read",
	[IO_OP_WRITE] = "write",
	[IO_OP_PREAD64] = "pread64",
	[IO_OP_PWRITE64] = "pwrite64",
	[IO_OP_READV] = "readv",
	[IO_OP_WRITEV] = "writev",
};

/* read and write are needed; a kernel without the others only sees less. */
static const struct monitor_tp io_tracepoints[] = {
	{ "syscalls", "sys_enter_read", false },
	{ "syscalls", "sys_exit_read", false },
	{ "syscalls", "sys_enter_write", false },
	{ "syscalls", "sys_exit_write", false },
	{ "syscalls", "sys_enter_pread64", true },
	{ "syscalls", "sys_exit_pread64", true },
	{ "syscalls", "sys_enter_pwrite64", true },
	{ "syscalls", "sys_exit_pwrite64", true },
	{ "syscalls", "sys_enter_readv", true },
	{ "syscalls", "sys_exit_readv", true },
	{ "syscalls", "sys_enter_writev", true },
	{ "syscalls", "sys_exit_writev", true },
	/* For paths: when a process's fds may name other files. */
	{ "syscalls", "sys_enter_close", true },
	{ "syscalls", "sys_enter_close_range", true },
	{ "syscalls", "sys_enter_dup2", true },
	{ "syscalls", "sys_enter_dup3", true },
	{ "task", "task_rename", true },
	{ "task", "task_newtask", true },
	{ NULL },
};

/* The fds option: a C expression on fd for the probe ("1": every fd). */
static int io_fds_parse(struct cfg_node *node, char **expr)
{
	struct cfg_node *list;
	char **fds = NULL;
	size_t n, len = 0;
	int err;

	*expr = NULL;
	err = cfg_get_strv(node, "fds", &fds);
	if (err)
		return err;
	n = strv_len(fds);
	list = cfg_node__get(node, "fds");
	if (n > IO_MAX_FDS) {
		cfg_node__error(list, "at most %d file descriptors, got %zu", IO_MAX_FDS, n);
		err = -EINVAL;
		goto out;
	}
	*expr = calloc(1, n * 24 + 2);
	if (!*expr) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = fds[i];
		long long fd = 0;
		bool good = *s;

		for (const char *p = s; good && *p; p++) {
			good = isdigit((unsigned char)*p);
			fd = fd * 10 + (*p - '0');
			good = good && fd <= INT_MAX;
		}
		if (!good) {
			cfg_node__error(list->kind == CFG_SEQ ? list->kids[i] : list,
					"expected a file descriptor (an integer from 0 to %d), got \"%s\"",
					INT_MAX, s);
			err = -EINVAL;
			goto out;
		}
		len += sprintf(*expr + len, "%sfd == %lld", i ? " || " : "", fd);
	}
	if (!n)
		strcpy(*expr, "1");
out:
	strv_free(fds);
	if (err) {
		free(*expr);
		*expr = NULL;
	}
	return err;
}

/*
 * The items of templates/io_syscall.bpf.c, one per op: the call, whether the
 * kernel traces its entry and exit, and the tracepoint fields that give the
 * size (vectored calls: an iovec array and its count).
 */
static int io_items_set(struct monitor_inst *inst)
{
	int err = 0;

	inst->items = calloc(IO_OP_COUNT, sizeof(*inst->items));
	if (!inst->items)
		return -ENOMEM;
	inst->n_items = IO_OP_COUNT;
	for (unsigned int op = 0; op < IO_OP_COUNT; op++) {
		struct render_vars *item = &inst->items[op];
		const char *name = io_op_names[op];
		bool vec = IO_OP_IS_VEC(op);
		char enter_tp[64], exit_tp[64], macro[32];
		size_t i;

		snprintf(enter_tp, sizeof(enter_tp), "sys_enter_%s", name);
		snprintf(exit_tp, sizeof(exit_tp), "sys_exit_%s", name);
		for (i = 0; name[i] && i < sizeof(macro) - 1; i++)
			macro[i] = toupper((unsigned char)name[i]);
		macro[i] = 0;
		err |= render_vars__set(item, "SYSCALL", "%s", name);
		err |= render_vars__set(item, "OP", "IO_OP_%s", macro);
		err |= render_vars__set(item, "HAVE", "%d",
					kernel_info__has_tracepoint(inst->ki, "syscalls", enter_tp) &&
					kernel_info__has_tracepoint(inst->ki, "syscalls", exit_tp));
		err |= render_vars__set(item, "VECTORED", "%d", vec);
		err |= render_vars__set(item, "BUF_ARG", "%s", vec ? "vec" : "buf");
		err |= render_vars__set(item, "LEN_ARG", "%s", vec ? "vlen" : "count");
	}
	return err ? -ENOMEM : 0;
}

static int io_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct io_priv *o = calloc(1, sizeof(*o));
	char *fd_match = NULL;
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->max_entries = 10240;
	o->resolve_paths = true;
	o->proc_gen_fd = o->fd_gen_fd = -1;
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, false);
	err |= monitor_parse_top(inst, node, 20);
	if (node) {
		err |= cfg_get_int(node, "slow_threshold_us", 0, IO_SLOW_US_MAX, &o->slow_us);
		err |= cfg_get_int(node, "large_threshold_bytes", 0, IO_LARGE_MAX,
				   &o->large_bytes);
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
		err |= cfg_get_bool(node, "resolve_paths", &o->resolve_paths);
		err |= io_fds_parse(node, &fd_match);
	} else {
		fd_match = strdup("1");
	}
	if (err) {
		free(fd_match);
		return -EINVAL;
	}
	if (!fd_match)
		return -ENOMEM;
	/* Without close tracking a name read later might be another file's. */
	o->paths = o->resolve_paths && !inst->summary && !inst->metrics_only &&
		   kernel_info__has_tracepoint(inst->ki, "syscalls", "sys_enter_close");
	err |= render_vars__set(&inst->vars, "SLOW_NS", "%lld", o->slow_us * 1000);
	err |= render_vars__set(&inst->vars, "LARGE_BYTES", "%lld", o->large_bytes);
	o->stats_entries = node && cfg_node__get(node, "max_entries") ? o->max_entries :
			   summary_default_entries();
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "STATS_ENTRIES", "%lld", o->stats_entries);
	err |= render_vars__set(&inst->vars, "PATHS", "%d", o->paths);
	err |= render_vars__set(&inst->vars, "FD_MATCH", "%s", fd_match);
	err |= io_items_set(inst);
	free(fd_match);
	if (err)
		return -ENOMEM;
	if (o->resolve_paths && !inst->summary && !o->paths)
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "path is null: no syscalls:sys_enter_close to see fds change");
	return 0;
}

static int io_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct io_priv *o = inst->priv;
	int err;

	err = monitor_attach_tracepoints(inst, ps);
	if (err)
		return err;
	o->last_collect = clock_mono_s();
	if (!o->paths)
		return 0;
	o->proc_gen_fd = probe_set__table_fd(ps, "io_proc_gen");
	o->fd_gen_fd = probe_set__table_fd(ps, "io_fd_gen");
	if (o->proc_gen_fd < 0 || o->fd_gen_fd < 0) {
		/* Paths only: the events themselves are fine. */
		pr_warn("io: path resolution off: no generation tables in the probe");
		o->paths = false;
	}
	return 0;
}

/*
 * The name of the event's fd, from /proc/PID/fd/FD now. Trusted only when
 * both generations are still the event's after the readlink: then no close,
 * dup2, dup3, close_range or exec came between, and the fd is the same file.
 */
static void io_path_field(struct record *rec, struct io_priv *o,
			  const struct io_call_event *e)
{
	unsigned slot = (e->hdr.pid * 2654435761u ^ (unsigned)e->fd) % IO_PATH_CACHE;
	struct io_path_entry *c = &o->cache[slot];
	char link[64], buf[PATH_MAX];
	__u64 key = (__u64)e->hdr.pid << 32 | (__u32)e->fd, proc_gen = 0, fd_gen = 0;
	__u32 pid = e->hdr.pid;
	ssize_t n;
	char *copy;

	if (!o->paths || !e->proc_gen || !e->fd_gen || e->fd < 0)
		goto none;
	if (c->path && c->pid == pid && c->fd == e->fd && c->proc_gen == e->proc_gen &&
	    c->fd_gen == e->fd_gen) {
		record__str(rec, "path", c->path);	/* the cache outlives the record */
		return;
	}
	snprintf(link, sizeof(link), "/proc/%u/fd/%d", pid, e->fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		goto none;
	buf[n] = 0;
	if (bpf_map_lookup_elem(o->proc_gen_fd, &pid, &proc_gen) ||
	    bpf_map_lookup_elem(o->fd_gen_fd, &key, &fd_gen) ||
	    proc_gen != e->proc_gen || fd_gen != e->fd_gen)
		goto none;
	copy = strdup(buf);
	if (copy) {
		free(c->path);
		*c = (struct io_path_entry){ .pid = pid, .fd = e->fd, .proc_gen = proc_gen,
					     .fd_gen = fd_gen, .path = copy };
	}
	record__strcpy(rec, "path", buf, n);
	return;
none:
	record__null(rec, "path");
}

static int io_on_event(struct monitor_inst *inst, const void *data, size_t size, struct record *rec)
{
	struct io_priv *o = inst->priv;
	const struct io_call_event *e = data;
	bool ok;

	if (size < sizeof(*e) || e->op >= IO_OP_COUNT)
		return -EINVAL;
	ok = e->ret >= 0;
	record__str(rec, "op", io_op_names[e->op]);
	record__int(rec, "fd", e->fd);
	io_path_field(rec, o, e);
	/* read(fd, buf, SIZE_MAX) is legal: an unsigned 64-bit count. */
	record__uint(rec, "requested", e->requested);
	if (IO_OP_IS_VEC(e->op))
		record__int(rec, "iovcnt", e->iovcnt);
	else
		record__null(rec, "iovcnt");
	if (ok)
		record__int(rec, "bytes", e->ret);
	else
		record__null(rec, "bytes");
	record__int(rec, "ret", e->ret);
	record__errno(rec, "error", e->ret);
	record__uint(rec, "duration_ns", e->duration_ns);
	if (ok && e->duration_ns)
		record__uint(rec, "throughput_bps",
			     (uint64_t)((double)e->ret * 1e9 / e->duration_ns + 0.5));
	else
		record__null(rec, "throughput_bps");
	return 0;
}

struct io_row {
	__u32 pid;
	struct io_stats s;
};

/* A summary_fold_fn: merge one process's per-CPU values into a row. */
static void io_row_add(struct summary_rows *rows, const void *key, const void *values,
		       int n_values, size_t value_size)
{
	struct io_row *row;
	struct io_stats *r;

	if (value_size < sizeof(struct io_stats)) {
		rows->err = -EINVAL;
		return;
	}
	row = summary_rows__next(rows);
	if (!row)
		return;
	row->pid = *(const __u32 *)key;
	r = &row->s;
	for (int cpu = 0; cpu < n_values; cpu++) {
		struct io_stats v;

		memcpy(&v, (const char *)values + cpu * value_size, sizeof(v));
		if (!v.reads && !v.writes)
			continue;
		if (!r->reads && !r->writes)
			memcpy(r->comm, v.comm, sizeof(r->comm));
		r->reads += v.reads;
		r->writes += v.writes;
		r->read_bytes += v.read_bytes;
		r->write_bytes += v.write_bytes;
		r->errors += v.errors;
		r->total_ns += v.total_ns;
		if (v.max_ns > r->max_ns)
			r->max_ns = v.max_ns;
		for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
			r->hist[k] += v.hist[k];
	}
	if (r->reads || r->writes)
		summary_rows__keep(rows);
}

/* Busiest first: most bytes moved, then most calls. */
static int io_row_cmp(const void *a, const void *b)
{
	const struct io_stats *x = &((const struct io_row *)a)->s;
	const struct io_stats *y = &((const struct io_row *)b)->s;
	__u64 bx = x->read_bytes + x->write_bytes, by = y->read_bytes + y->write_bytes;
	__u64 cx = x->reads + x->writes, cy = y->reads + y->writes;

	if (bx != by)
		return bx < by ? 1 : -1;
	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* A row added into another: the rows past top. */
static void io_row_merge(void *dst, const void *src)
{
	struct io_stats *d = &((struct io_row *)dst)->s;
	const struct io_stats *s = &((const struct io_row *)src)->s;

	d->reads += s->reads;
	d->writes += s->writes;
	d->read_bytes += s->read_bytes;
	d->write_bytes += s->write_bytes;
	d->errors += s->errors;
	d->total_ns += s->total_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
		d->hist[k] += s->hist[k];
}

static bool io_row_is_other(const void *row)
{
	const struct io_row *r = row;

	return !r->pid && !strncmp(r->s.comm, SUMMARY_OTHER_COMM, sizeof(r->s.comm));
}

static void io_row_other(void *row)
{
	struct io_row *r = row;

	r->pid = 0;
	memset(r->s.comm, 0, sizeof(r->s.comm));
	memcpy(r->s.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

static int io_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct io_row *r = row;
	const struct io_stats *s = &r->s;
	struct record *rec = monitor_inst__record(inst, "summary");

	record__int(rec, "pid", r->pid);
	record__strn(rec, "comm", s->comm, sizeof(s->comm));
	record__uint(rec, "reads", s->reads);
	record__uint(rec, "writes", s->writes);
	record__uint(rec, "read_bytes", s->read_bytes);
	record__uint(rec, "write_bytes", s->write_bytes);
	record__uint(rec, "errors", s->errors);
	record__uint(rec, "total_latency_ns", s->total_ns);
	record__uint(rec, "max_latency_ns", s->max_ns);
	record__json(rec, "latency_hist_ns", log2_hist_json((const uint64_t *)s->hist,
							     EBPFMON_HIST_SLOTS));
	record__real(rec, "interval_s", interval);
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec io_summary = {
	.table = "io_stats",
	.row_size = sizeof(struct io_row),
	.fold = io_row_add,
	.cmp = io_row_cmp,
	.emit = io_row_emit,
	.per_s = 1000,		/* to the ms: finer is scheduling noise */
	.merge = io_row_merge,
	.other = io_row_other,
	.is_other = io_row_is_other,
	.full = "io_stats_full",
	.over = "io_stats_over",
	.over_size = sizeof(struct io_stats),
	.what = "calls",
};

static int io_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct io_priv *o = inst->priv;

	return summary_collect(inst, ps, &io_summary, &o->last_collect, o->stats_entries);
}

static int io_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	/* All __u64: summed over the CPUs word by word. */
	struct io_op_metric v[IO_OP_COUNT];
	int err;

	(void)inst;
	err = probe_set__percpu_array_sums(ps, "io_op_metrics", (uint64_t *)v,
					   sizeof(v) / (sizeof(uint64_t)));
	metrics__family(m, "ebpfmon_io_bytes_total", METRIC_COUNTER,
			"Bytes moved by read and write system calls, by op.");
	for (int op = 0; op < IO_OP_COUNT && !err; op++) {
		const char *labels[] = { "op", io_op_names[op], NULL };

		metrics__sample(m, "ebpfmon_io_bytes_total", labels, v[op].bytes);
	}
	metrics__family(m, "ebpfmon_io_latency_seconds", METRIC_HISTOGRAM,
			"Latency of read and write system calls (entry to exit), by op.");
	for (int op = 0; op < IO_OP_COUNT && !err; op++) {
		const char *labels[] = { "op", io_op_names[op], NULL };

		metric_hist_write(m, "ebpfmon_io_latency_seconds", labels, &v[op].lat);
	}
	return err;
}

static void io_detach(struct monitor_inst *inst)
{
	struct io_priv *o = inst->priv;

	if (o)
		for (int i = 0; i < IO_PATH_CACHE; i++)
			free(o->cache[i].path);
	free(o);
	inst->priv = NULL;
}

static const struct table_column io_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "OP", "op", 7, COLUMN_LEFT },
	{ "FD", "fd", 4, COLUMN_RIGHT },
	{ "BYTES", "bytes", 8, COLUMN_RIGHT },
	{ "ERR", "error", 7, COLUMN_LEFT },
	{ "LAT(ns)", "duration_ns", 10, COLUMN_RIGHT },
	{ "PATH", "path", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column io_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "READS", "reads", 7, COLUMN_RIGHT },
	{ "WRITES", "writes", 7, COLUMN_RIGHT },
	{ "R_BYTES", "read_bytes", 10, COLUMN_RIGHT },
	{ "W_BYTES", "write_bytes", 10, COLUMN_RIGHT },
	{ "ERRORS", "errors", 6, COLUMN_RIGHT },
	{ "MAX(ns)", "max_latency_ns", 10, COLUMN_RIGHT },
	{ "TOTAL(ns)", "total_latency_ns", 12, COLUMN_RIGHT },
	{ NULL },
};

const struct monitor mon_io = {
	.name = "io",
	.desc = "read/write system calls: fd, path, bytes, latency; or per-process totals",
	.probe = "io.bpf.c",
	.tracepoints = io_tracepoints,
	.events_table = "io_events",
	.configure = io_configure,
	.attach = io_attach,
	.on_event = io_on_event,
	.collect = io_collect,
	.detach = io_detach,
	.columns = io_columns,
	.metrics = io_metrics,
	.summary_columns = io_summary_columns,
};
