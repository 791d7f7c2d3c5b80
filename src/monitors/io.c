// SPDX-License-Identifier: GPL-2.0
/*
 * io: read/write system calls (read, write, pread64, pwrite64, readv,
 * writev, preadv, pwritev, preadv2, pwritev2) and copies (copy_file_range,
 * sendfile, splice, tee): fd(s), path(s), size asked for and moved, latency,
 * result. Or, in summary mode, per-process totals and a latency histogram
 * every interval.
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
	int sent_fd;			/* io_kpath_sent: what the kernel thinks we hold */
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	struct io_path_entry cache[IO_PATH_CACHE];
};

/*
 * Each op's call: its name in events, its tracepoints' name, and the
 * tracepoint fields of the fd (copies: read from, then written to) and the
 * size (vectored calls: the iovec array and its count).
 */
static const struct io_op_desc {
	const char *name, *tp, *fd, *fd_out, *buf, *len;
} io_ops[IO_OP_COUNT] = {
	[IO_OP_READ] = { "read", "read", "fd", NULL, "buf", "count" },
	[IO_OP_WRITE] = { "write", "write", "fd", NULL, "buf", "count" },
	[IO_OP_PREAD64] = { "pread64", "pread64", "fd", NULL, "buf", "count" },
	[IO_OP_PWRITE64] = { "pwrite64", "pwrite64", "fd", NULL, "buf", "count" },
	[IO_OP_READV] = { "readv", "readv", "fd", NULL, "vec", "vlen" },
	[IO_OP_WRITEV] = { "writev", "writev", "fd", NULL, "vec", "vlen" },
	[IO_OP_PREADV] = { "preadv", "preadv", "fd", NULL, "vec", "vlen" },
	[IO_OP_PWRITEV] = { "pwritev", "pwritev", "fd", NULL, "vec", "vlen" },
	[IO_OP_PREADV2] = { "preadv2", "preadv2", "fd", NULL, "vec", "vlen" },
	[IO_OP_PWRITEV2] = { "pwritev2", "pwritev2", "fd", NULL, "vec", "vlen" },
	[IO_OP_COPY_FILE_RANGE] = { "copy_file_range", "copy_file_range", "fd_in", "fd_out",
				    NULL, "len" },
	/* 64-bit kernels trace sendfile(2) as sendfile64. */
	[IO_OP_SENDFILE] = { "sendfile", "sendfile64", "in_fd", "out_fd", NULL, "count" },
	[IO_OP_SPLICE] = { "splice", "splice", "fd_in", "fd_out", NULL, "len" },
	[IO_OP_TEE] = { "tee", "tee", "fdin", "fdout", NULL, "len" },
};

/*
 * read and write are needed; a kernel without the others only sees less.
 * One exit program serves every call (every sys_exit_* has one layout): with
 * the kernel's path walk it is verified once, not fourteen times.
 */
#define IO_EXIT "tracepoint__syscalls__sys_exit_read"
static const struct monitor_tp io_tracepoints[] = {
	{ "syscalls", "sys_enter_read", false },
	{ "syscalls", "sys_exit_read", false },
	{ "syscalls", "sys_enter_write", false },
	{ "syscalls", "sys_exit_write", false, IO_EXIT },
	{ "syscalls", "sys_enter_pread64", true },
	{ "syscalls", "sys_exit_pread64", true, IO_EXIT },
	{ "syscalls", "sys_enter_pwrite64", true },
	{ "syscalls", "sys_exit_pwrite64", true, IO_EXIT },
	{ "syscalls", "sys_enter_readv", true },
	{ "syscalls", "sys_exit_readv", true, IO_EXIT },
	{ "syscalls", "sys_enter_writev", true },
	{ "syscalls", "sys_exit_writev", true, IO_EXIT },
	{ "syscalls", "sys_enter_preadv", true },
	{ "syscalls", "sys_exit_preadv", true, IO_EXIT },
	{ "syscalls", "sys_enter_pwritev", true },
	{ "syscalls", "sys_exit_pwritev", true, IO_EXIT },
	{ "syscalls", "sys_enter_preadv2", true },
	{ "syscalls", "sys_exit_preadv2", true, IO_EXIT },
	{ "syscalls", "sys_enter_pwritev2", true },
	{ "syscalls", "sys_exit_pwritev2", true, IO_EXIT },
	{ "syscalls", "sys_enter_copy_file_range", true },
	{ "syscalls", "sys_exit_copy_file_range", true, IO_EXIT },
	{ "syscalls", "sys_enter_sendfile64", true },
	{ "syscalls", "sys_exit_sendfile64", true, IO_EXIT },
	{ "syscalls", "sys_enter_splice", true },
	{ "syscalls", "sys_exit_splice", true, IO_EXIT },
	{ "syscalls", "sys_enter_tee", true },
	{ "syscalls", "sys_exit_tee", true, IO_EXIT },
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
 * kernel traces its entry and exit, and its tracepoint fields (io_ops).
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
		const struct io_op_desc *d = &io_ops[op];
		const char *name = d->name;
		char enter_tp[64], exit_tp[64], macro[32];
		size_t i;

		snprintf(enter_tp, sizeof(enter_tp), "sys_enter_%s", d->tp);
		snprintf(exit_tp, sizeof(exit_tp), "sys_exit_%s", d->tp);
		for (i = 0; name[i] && i < sizeof(macro) - 1; i++)
			macro[i] = toupper((unsigned char)name[i]);
		macro[i] = 0;
		err |= render_vars__set(item, "SYSCALL", "%s", name);
		err |= render_vars__set(item, "TRACEPOINT", "%s", d->tp);
		err |= render_vars__set(item, "OP", "IO_OP_%s", macro);
		err |= render_vars__set(item, "HAVE", "%d",
					kernel_info__has_tracepoint(inst->ki, "syscalls", enter_tp) &&
					kernel_info__has_tracepoint(inst->ki, "syscalls", exit_tp));
		err |= render_vars__set(item, "VECTORED", "%d", IO_OP_IS_VEC(op));
		err |= render_vars__set(item, "COPY", "%d", IO_OP_IS_COPY(op));
		/* Every placeholder is rendered, the unused ones too. */
		err |= render_vars__set(item, "FD_ARG", "%s", d->fd);
		err |= render_vars__set(item, "FD_OUT_ARG", "%s", d->fd_out ? d->fd_out : d->fd);
		err |= render_vars__set(item, "BUF_ARG", "%s", d->buf ? d->buf : d->len);
		err |= render_vars__set(item, "LEN_ARG", "%s", d->len);
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
	o->proc_gen_fd = o->fd_gen_fd = o->sent_fd = -1;
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
	err |= render_vars__set(&inst->vars, "RESOLVE_PATHS", "%d", o->resolve_paths);
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
	/* Absent without BTF: every path then comes from /proc. */
	o->sent_fd = probe_set__table_fd(ps, "io_kpath_sent");
	if (o->proc_gen_fd < 0 || o->fd_gen_fd < 0) {
		/* Paths only: the events themselves are fine. */
		pr_warn("io: path resolution off: no generation tables in the probe");
		o->paths = false;
	}
	return 0;
}

/*
 * Keep PATH for (pid, fd) at these generations. The kernel walks an fd's
 * path again only when io_kpath_sent says the host lacks it: so an entry
 * replaced by another (pid, fd) is deleted there too.
 */
static void io_cache_put(struct io_priv *o, struct io_path_entry *c, __u32 pid, __s32 fd,
			 __u64 proc_gen, __u64 fd_gen, const char *path, size_t len)
{
	char *copy = strndup(path, len);

	if (!copy)
		return;
	if (c->path && (c->pid != pid || c->fd != fd) && o->sent_fd >= 0) {
		__u64 key = (__u64)c->pid << 32 | (__u32)c->fd;

		bpf_map_delete_elem(o->sent_fd, &key);
	}
	free(c->path);
	*c = (struct io_path_entry){ .pid = pid, .fd = fd, .proc_gen = proc_gen,
				     .fd_gen = fd_gen, .path = copy };
}

/*
 * The name of the event's fd: the path the kernel sent with it, or the one
 * kept from an earlier event, or failing both from /proc/PID/fd/FD now. Trusted only when
 * both generations are still the event's after the readlink: then no close,
 * dup2, dup3, close_range or exec came between, and the fd is the same file.
 */
static void io_path_field(struct record *rec, struct io_priv *o, const char *name,
			  const struct io_call_event *e, int i, const char *kpath)
{
	__s32 fd = i ? e->fd_out : e->fd;
	__u64 want_gen = i ? e->fd_out_gen : e->fd_gen;
	const struct io_fd_kind *k = &e->kinds[i];
	unsigned slot = (e->hdr.pid * 2654435761u ^ (unsigned)fd) % IO_PATH_CACHE;
	struct io_path_entry *c = &o->cache[slot];
	char link[64], buf[PATH_MAX];
	__u64 key = (__u64)e->hdr.pid << 32 | (__u32)fd, proc_gen = 0, fd_gen = 0;
	__u32 pid = e->hdr.pid;
	ssize_t n;

	/* Named by the kernel when the event was sent, the way /proc names them. */
	if (o->resolve_paths && k->kind != IO_FD_FILE) {
		if (k->kind == IO_FD_PIPE)
			n = snprintf(buf, sizeof(buf), "pipe:[%llu]", (unsigned long long)k->ino);
		else if (k->kind == IO_FD_SOCKET)
			n = snprintf(buf, sizeof(buf), "socket:[%llu]", (unsigned long long)k->ino);
		else
			n = snprintf(buf, sizeof(buf), "anon_inode:%.*s", (int)sizeof(k->anon),
				     k->anon);
		/* Sent once per generations, as a path is: kept for the next calls. */
		if (o->paths && e->proc_gen && want_gen)
			io_cache_put(o, c, pid, fd, e->proc_gen, want_gen, buf, n);
		record__strcpy(rec, name, buf, n);
		return;
	}
	if (!o->paths || fd < 0)
		goto none;
	if (e->path_len[i]) {
		n = strnlen(kpath, e->path_len[i]);
		if (e->proc_gen && want_gen)
			io_cache_put(o, c, pid, fd, e->proc_gen, want_gen, kpath, n);
		record__strcpy(rec, name, kpath, n);
		return;
	}
	if (!e->proc_gen || !want_gen)
		goto none;
	if (c->path && c->pid == pid && c->fd == fd && c->proc_gen == e->proc_gen &&
	    c->fd_gen == want_gen) {
		record__str(rec, name, c->path);	/* the cache outlives the record */
		return;
	}
	snprintf(link, sizeof(link), "/proc/%u/fd/%d", pid, fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		goto none;
	buf[n] = 0;
	if (bpf_map_lookup_elem(o->proc_gen_fd, &pid, &proc_gen) ||
	    bpf_map_lookup_elem(o->fd_gen_fd, &key, &fd_gen) ||
	    proc_gen != e->proc_gen || fd_gen != want_gen)
		goto none;
	io_cache_put(o, c, pid, fd, proc_gen, fd_gen, buf, n);
	record__strcpy(rec, name, buf, n);
	return;
none:
	record__null(rec, name);
}

static int io_on_event(struct monitor_inst *inst, const void *data, size_t size, struct record *rec)
{
	struct io_priv *o = inst->priv;
	const struct io_call_event *e = data;
	const char *kpath = (const char *)(e + 1);	/* the kernel's paths, if any */
	bool ok;

	if (size < sizeof(*e) || e->op >= IO_OP_COUNT)
		return -EINVAL;
	if (e->path_len[0] > size - sizeof(*e) ||
	    e->path_len[1] > size - sizeof(*e) - e->path_len[0])
		return -EINVAL;
	ok = e->ret >= 0;
	record__str(rec, "op", io_ops[e->op].name);
	/* Every event has every key (a CSV file's columns are its first record's). */
	if (IO_OP_IS_COPY(e->op)) {
		record__null(rec, "fd");
		record__null(rec, "path");
		record__int(rec, "fd_in", e->fd);
		io_path_field(rec, o, "path_in", e, 0, kpath);
		record__int(rec, "fd_out", e->fd_out);
		io_path_field(rec, o, "path_out", e, 1, kpath + e->path_len[0]);
	} else {
		record__int(rec, "fd", e->fd);
		io_path_field(rec, o, "path", e, 0, kpath);
		record__null(rec, "fd_in");
		record__null(rec, "path_in");
		record__null(rec, "fd_out");
		record__null(rec, "path_out");
	}
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
	summary_hist_add(d->hist, s->hist);
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
			"Bytes moved by read, write and copy system calls, by op.");
	for (int op = 0; op < IO_OP_COUNT && !err; op++) {
		const char *labels[] = { "op", io_ops[op].name, NULL };

		metrics__sample(m, "ebpfmon_io_bytes_total", labels, v[op].bytes);
	}
	metrics__family(m, "ebpfmon_io_latency_seconds", METRIC_HISTOGRAM,
			"Latency of read, write and copy system calls (entry to exit), by op.");
	for (int op = 0; op < IO_OP_COUNT && !err; op++) {
		const char *labels[] = { "op", io_ops[op].name, NULL };

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

static const char *const io_inflight[] = { "io_starts", NULL };

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
	.inflight = io_inflight,
};
