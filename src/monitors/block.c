// SPDX-License-Identifier: GPL-2.0
/*
 * block: block IO requests, as biosnoop (events mode: one event per completed
 * request, its device, op, sector, bytes, queue and service times, error)
 * and biolatency (summary mode: per device and op every interval, counts,
 * bytes and log2 histograms), and ebpf_exporter's bio_latency_seconds
 * (metrics: a latency histogram and bytes by device and op).
 */
#include <ctype.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/block.h"
#include "config/config.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"
#include "bpf/kernel.h"

/* The kernel's dev_t (MINORBITS 20), as the block tracepoints give it. */
#define BLOCK_MAJOR(d) ((unsigned)(d) >> 20)
#define BLOCK_MINOR(d) ((unsigned)(d) & 0xfffff)
#define BLOCK_MKDEV(ma, mi) (((__u32)(ma) << 20) | (__u32)(mi))

/* Device names: a disk's name is short (loop0, nvme0n1, dm-3); sysfs's limit is 32. */
#define BLOCK_NAME_LEN 32
/* Names kept; looked up again after BLOCK_NAME_TTL_S (a loop device is detached, reused). */
#define BLOCK_NAMES 64
#define BLOCK_NAME_TTL_S 10.0

struct block_name {
	__u32 dev;
	bool found;
	double at;			/* CLOCK_MONOTONIC seconds; 0: empty */
	char name[BLOCK_NAME_LEN];
};

/* One thread's cache of device names (the loop's, the exporter's). */
struct block_names {
	struct block_name v[BLOCK_NAMES];
};

enum block_latency {
	BLOCK_LAT_SERVICE,		/* issue to complete: biolatency */
	BLOCK_LAT_TOTAL,		/* insert (else issue) to complete: biolatency -Q */
};

struct block_opts {
	long long max_entries;
	int latency;			/* enum block_latency */
	__u32 devices[BLOCK_MAX_DEVICES];
	size_t n_devices;
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	struct block_names names;	/* the event loop's (events, rows) */
	struct block_names m_names;	/* the exporter thread's (metrics) */
};

static const char *const block_op_names[BLOCK_NR_OPS] = {
	[BLOCK_OP_READ] = "read",
	[BLOCK_OP_WRITE] = "write",
	[BLOCK_OP_FLUSH] = "flush",
	[BLOCK_OP_DISCARD] = "discard",
	[BLOCK_OP_OTHER] = "other",
};

static const char *const block_latency_names[] = { "service", "total", NULL };

static const struct monitor_tp block_tracepoints[] = {
	{ "block", "block_rq_insert", false },
	{ "block", "block_rq_issue", false },
	{ "block", "block_rq_complete", false },
	/* Without it a requeued request's times run from its last issue only. */
	{ "block", "block_rq_requeue", true },
	{ NULL },
};

static const char *block_op_name(unsigned op)
{
	return op < BLOCK_NR_OPS ? block_op_names[op] : "other";
}

/* DEVNAME of /sys/dev/block/MAJ:MIN/uevent, else the name /proc/partitions gives: 0 or -ENOENT. */
static int block_name_read(__u32 dev, char *name, size_t size)
{
	char path[64], line[256];
	unsigned ma, mi;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", BLOCK_MAJOR(dev),
		 BLOCK_MINOR(dev));
	f = fopen(path, "re");
	if (f) {
		while (err && fgets(line, sizeof(line), f)) {
			if (strncmp(line, "DEVNAME=", 8))
				continue;
			line[strcspn(line, "\n")] = '\0';
			if (line[8] && strlen(line + 8) < size) {
				snprintf(name, size, "%s", line + 8);
				err = 0;
			}
		}
		fclose(f);
		return err;
	}
	f = fopen("/proc/partitions", "re");
	if (!f)
		return err;
	while (err && fgets(line, sizeof(line), f)) {
		char part[BLOCK_NAME_LEN];

		if (sscanf(line, "%u %u %*u %31s", &ma, &mi, part) == 3 &&
		    BLOCK_MKDEV(ma, mi) == dev && strlen(part) < size) {
			snprintf(name, size, "%s", part);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

/* DEV's name, cached; NULL when the system has none for it (gone, or never a disk). */
static const char *block_name(struct block_names *c, __u32 dev)
{
	double now = clock_mono_s();
	struct block_name *e = NULL, *oldest = &c->v[0];

	for (size_t i = 0; i < BLOCK_NAMES; i++) {
		struct block_name *x = &c->v[i];

		if (x->at && x->dev == dev) {
			e = x;
			break;
		}
		if (x->at < oldest->at)
			oldest = x;
	}
	if (!e) {
		e = oldest;
		e->at = 0;
	}
	if (!e->at || now - e->at > BLOCK_NAME_TTL_S) {
		e->dev = dev;
		e->found = !block_name_read(dev, e->name, sizeof(e->name));
		e->at = now;
	}
	return e->found ? e->name : NULL;
}

/* DEV's label: its name, else MAJ:MIN. */
static const char *block_label(struct block_names *c, __u32 dev, char *buf, size_t size)
{
	const char *name = block_name(c, dev);

	if (name)
		return name;
	snprintf(buf, size, "%u:%u", BLOCK_MAJOR(dev), BLOCK_MINOR(dev));
	return buf;
}

/* DIR (a /sys block device's) is a partition's: its requests are its disk's. */
static bool block_is_partition(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/partition", dir);
	return !access(path, F_OK);
}

/*
 * One devices: entry: MAJ:MIN, or a disk's name as /sys/class/block has it
 * (the device must exist). A name is one path component of letters, digits
 * and - _ . but not "." or "..". A partition is refused: the block layer
 * makes its requests on the whole disk.
 */
static int block_parse_device(const char *s, __u32 *dev, char *why, size_t size)
{
	char path[96], tail;
	unsigned ma, mi;
	FILE *f;
	size_t n = strlen(s);

	if (sscanf(s, "%u:%u%c", &ma, &mi, &tail) == 2 && isdigit((unsigned char)s[0])) {
		if (ma > 0xfff || mi > 0xfffff) {
			snprintf(why, size, "major or minor out of range");
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", ma, mi);
		if (block_is_partition(path)) {
			snprintf(why, size, "a partition: requests are its disk's (name the disk)");
			return -EINVAL;
		}
		*dev = BLOCK_MKDEV(ma, mi);
		return 0;
	}
	if (!n || n >= BLOCK_NAME_LEN || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n) {
		snprintf(why, size, "not a block device name or MAJ:MIN");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/sys/class/block/%s", s);
	if (block_is_partition(path)) {
		snprintf(why, size, "a partition: requests are its disk's (name the disk)");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/sys/class/block/%s/dev", s);
	f = fopen(path, "re");
	if (!f) {
		snprintf(why, size, "no such block device");
		return -ENOENT;
	}
	n = fscanf(f, "%u:%u", &ma, &mi) == 2;
	fclose(f);
	if (!n) {
		snprintf(why, size, "%s: not MAJ:MIN", path);
		return -EINVAL;
	}
	*dev = BLOCK_MKDEV(ma, mi);
	return 0;
}

/* devices: a list of names and MAJ:MIN; an error names the entry. */
static int block_parse_devices(struct block_opts *o, struct cfg_node *node)
{
	struct cfg_node *list;
	char **devs = NULL, why[128];
	int err;

	err = cfg_get_strv(node, "devices", &devs);
	if (err || !devs)
		return err;
	list = cfg_node__get(node, "devices");
	for (size_t i = 0; devs[i]; i++) {
		const struct cfg_node *at = list->kind == CFG_SEQ ? list->kids[i] : list;
		__u32 dev;

		if (o->n_devices == BLOCK_MAX_DEVICES) {
			cfg_node__error(at, "more than %d devices", BLOCK_MAX_DEVICES);
			err = -EINVAL;
			break;
		}
		if (block_parse_device(devs[i], &dev, why, sizeof(why))) {
			char shown[CFG_SHOW_SIZE];

			cfg_node__error(at, "\"%s\": %s", cfg_value_show(devs[i], shown, sizeof(shown)), why);
			err = -EINVAL;
			break;
		}
		o->devices[o->n_devices++] = dev;
	}
	strv_free(devs);
	return err;
}

/* The probe's devices filter: an expression on d. */
static int block_render_devices(struct monitor_inst *inst, const struct block_opts *o)
{
	char expr[BLOCK_MAX_DEVICES * 24 + 8];
	size_t len = 0;

	if (!o->n_devices)
		return render_vars__set(&inst->vars, "DEV_FILTER", "1");
	for (size_t i = 0; i < o->n_devices; i++)
		len += snprintf(expr + len, sizeof(expr) - len, "%s(d) == %uU",
				i ? " || " : "", o->devices[i]);
	return render_vars__set(&inst->vars, "DEV_FILTER", "%s", expr);
}

static int block_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct block_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	/* biolatency's: requests in flight at once, far more than any device queues. */
	o->max_entries = 10240;
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, false);
	err |= monitor_parse_top(inst, node, 0);
	if (node) {
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
		err |= cfg_get_enum(node, "latency", block_latency_names, &o->latency);
		err |= block_parse_devices(o, node);
	}
	if (err)
		return -EINVAL;
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "TOTAL_LATENCY", "%d", o->latency == BLOCK_LAT_TOTAL);
	err |= block_render_devices(inst, o);
	return err ? -ENOMEM : 0;
}

static int block_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct block_opts *o = inst->priv;

	o->last_collect = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

static int block_on_event(struct monitor_inst *inst, const void *data, size_t size,
			  struct record *rec)
{
	struct block_opts *o = inst->priv;
	const struct block_event *e = data;

	if (size < sizeof(*e))
		return -EINVAL;
	record__strf(rec, "dev", "%u:%u", BLOCK_MAJOR(e->dev), BLOCK_MINOR(e->dev));
	record__strcpy(rec, "device", block_name(&o->names, e->dev), BLOCK_NAME_LEN);
	record__str(rec, "op", block_op_name(e->op));
	record__strn(rec, "rwbs", e->rwbs, sizeof(e->rwbs));
	record__uint(rec, "sector", e->sector);
	record__uint(rec, "bytes", e->bytes);
	if (e->flags & BLOCK_F_QUEUED)
		record__uint(rec, "queue_ns", e->queue_ns);
	else
		record__null(rec, "queue_ns");
	record__uint(rec, "service_ns", e->service_ns);
	record__errno(rec, "error", e->error);
	record__bool(rec, "requeued", e->flags & BLOCK_F_REQUEUED);
	return 0;
}

/* Summary mode: one row per device and op, its per-CPU figures summed. */
struct block_row {
	struct block_key k;
	struct block_stats s;
	bool other;			/* the rows past top, and the table's overflow */
};

static void block_stats_merge(struct block_stats *d, const struct block_stats *s)
{
	d->count += s->count;
	d->bytes += s->bytes;
	d->errors += s->errors;
	d->total_ns += s->total_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	d->queued += s->queued;
	d->queue_total_ns += s->queue_total_ns;
	summary_hist_add(d->hist, s->hist);
	summary_hist_add(d->queue_hist, s->queue_hist);
}

/* A summary_fold_fn: one device and op's per-CPU figures summed into a row. */
static void block_row_add(struct summary_rows *rows, const void *key, const void *values,
			  int n_values, size_t stride)
{
	struct block_row *r;

	if (stride < sizeof(struct block_stats)) {
		rows->err = -EINVAL;
		return;
	}
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		struct block_stats s;

		memcpy(&s, (const char *)values + i * stride, sizeof(s));
		block_stats_merge(&r->s, &s);
	}
	if (r->s.count)
		summary_rows__keep(rows);
}

/* By device, then op. */
static int block_row_cmp(const void *a, const void *b)
{
	const struct block_row *x = a, *y = b;

	if (x->other != y->other)
		return x->other ? 1 : -1;
	if (x->k.dev != y->k.dev)
		return x->k.dev < y->k.dev ? -1 : 1;
	return x->k.op < y->k.op ? -1 : x->k.op > y->k.op;
}

/* top: the busiest (most requests). */
static int block_row_busiest(const void *a, const void *b)
{
	const struct block_row *x = a, *y = b;

	if (x->s.count != y->s.count)
		return x->s.count > y->s.count ? -1 : 1;
	return block_row_cmp(a, b);
}

static void block_row_merge(void *dst, const void *src)
{
	block_stats_merge(&((struct block_row *)dst)->s, &((const struct block_row *)src)->s);
}

static void block_row_other(void *row)
{
	((struct block_row *)row)->other = true;
}

static bool block_row_is_other(const void *row)
{
	return ((const struct block_row *)row)->other;
}

static int block_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	struct block_opts *o = inst->priv;
	const struct block_row *r = row;
	struct record *rec = monitor_inst__record(inst, "summary");

	if (r->other) {
		record__null(rec, "dev");
		record__str(rec, "device", SUMMARY_OTHER_COMM);
		record__null(rec, "op");
	} else {
		record__strf(rec, "dev", "%u:%u", BLOCK_MAJOR(r->k.dev), BLOCK_MINOR(r->k.dev));
		record__strcpy(rec, "device", block_name(&o->names, r->k.dev), BLOCK_NAME_LEN);
		record__str(rec, "op", block_op_name(r->k.op));
	}
	record__uint(rec, "count", r->s.count);
	record__uint(rec, "bytes", r->s.bytes);
	record__uint(rec, "errors", r->s.errors);
	record__str(rec, "latency", block_latency_names[o->latency]);
	record__uint(rec, "total_ns", r->s.total_ns);
	record__uint(rec, "avg_ns", r->s.count ? r->s.total_ns / r->s.count : 0);
	/* The overflow's row keeps no max. */
	if (r->s.max_ns || !r->other)
		record__uint(rec, "max_ns", r->s.max_ns);
	else
		record__null(rec, "max_ns");
	record__json(rec, "hist", log2_hist_json((const uint64_t *)r->s.hist, EBPFMON_HIST_SLOTS));
	record__uint(rec, "queued", r->s.queued);
	if (r->s.queued)
		record__uint(rec, "queue_avg_ns", r->s.queue_total_ns / r->s.queued);
	else
		record__null(rec, "queue_avg_ns");
	record__json(rec, "queue_hist", log2_hist_json((const uint64_t *)r->s.queue_hist,
						       EBPFMON_HIST_SLOTS));
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec block_summary = {
	.table = "block_stats",
	.row_size = sizeof(struct block_row),
	.fold = block_row_add,
	.cmp = block_row_cmp,
	.top_cmp = block_row_busiest,
	.emit = block_row_emit,
	.per_s = 1000,
	.merge = block_row_merge,
	.other = block_row_other,
	.is_other = block_row_is_other,
	.full = "block_full",
	.over = "block_over",
	.over_size = sizeof(struct block_stats),
	.what = "block requests",
};

static int block_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct block_opts *o = inst->priv;

	return summary_collect(inst, ps, &block_summary, &o->last_collect, BLOCK_ROWS);
}

/* Scrape time: each (device, op)'s histogram and bytes, summed over the CPUs. */
struct block_m_row {
	__u32 dev;			/* other: the table's overflow */
	__u32 op;
	bool other;
	struct block_m_val v;
};

struct block_m_rows {
	struct block_m_row *v;
	size_t n, cap;
	bool other;			/* reading block_m_other: by op */
	int err;
};

static void block_m_val_add(struct block_m_val *d, const void *values, int n_values,
			    size_t stride)
{
	metric_hist_add_cpus(&d->h, values, n_values, stride);
	for (int cpu = 0; cpu < n_values; cpu++) {
		const struct block_m_val *s = (const void *)((const char *)values + cpu * stride);

		d->bytes += s->bytes;
	}
}

/* A probe_entry_fn: one entry of block_m or block_m_other. */
static void block_m_add(void *ctx, const void *key, const void *values, int n_values,
			size_t stride)
{
	struct block_m_rows *mr = ctx;
	struct block_m_row *r;

	if (stride < sizeof(struct block_m_val)) {
		mr->err = -EINVAL;
		return;
	}
	if (mr->n == mr->cap) {
		size_t cap = mr->cap ? 2 * mr->cap : 16;
		struct block_m_row *v = realloc(mr->v, cap * sizeof(*v));

		if (!v) {
			mr->err = -ENOMEM;
			return;
		}
		mr->v = v;
		mr->cap = cap;
	}
	r = &mr->v[mr->n];
	memset(r, 0, sizeof(*r));
	if (mr->other) {
		r->op = *(const __u32 *)key;
		r->other = true;
	} else {
		memcpy(&r->dev, key, sizeof(r->dev));
		memcpy(&r->op, (const char *)key + sizeof(__u32), sizeof(r->op));
	}
	block_m_val_add(&r->v, values, n_values, stride);
	if (metric_hist_count(&r->v.h))
		mr->n++;
}

/* By device, then op; the table's overflow last. */
static int block_m_cmp(const void *a, const void *b)
{
	const struct block_m_row *x = a, *y = b;

	if (x->other != y->other)
		return x->other ? 1 : -1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->op < y->op ? -1 : x->op > y->op;
}

static int block_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct block_opts *o = inst->priv;
	struct block_m_rows mr = { 0 };
	char buf[24];
	int err;

	err = probe_set__walk(ps, "block_m", true, block_m_add, &mr);
	mr.other = true;
	if (err >= 0)
		err = probe_set__walk(ps, "block_m_other", true, block_m_add, &mr);
	if (err >= 0 && mr.err)
		err = mr.err;
	err = err < 0 ? err : 0;
	if (!err)
		qsort(mr.v, mr.n, sizeof(*mr.v), block_m_cmp);
	for (int hist = 1; hist >= 0; hist--) {
		if (hist)
			metrics__family(m, "ebpfmon_block_io_latency_seconds", METRIC_HISTOGRAM,
					o->latency == BLOCK_LAT_TOTAL ?
					"Block IO request latency from queueing (block_rq_insert, "
					"else the issue) to completion, by device and op." :
					"Block IO request service time from issue (block_rq_issue) "
					"to completion, by device and op.");
		else
			metrics__family(m, "ebpfmon_block_io_bytes_total", METRIC_COUNTER,
					"Bytes of the block IO requests completed, by device and op.");
		for (size_t i = 0; !err && i < mr.n; i++) {
			const struct block_m_row *r = &mr.v[i];
			const char *labels[] = {
				"device", r->other ? "other" :
					  block_label(&o->m_names, r->dev, buf, sizeof(buf)),
				"op", block_op_name(r->op), NULL
			};

			if (hist)
				metric_hist_write(m, "ebpfmon_block_io_latency_seconds", labels,
						  &r->v.h);
			else
				metrics__sample(m, "ebpfmon_block_io_bytes_total", labels,
						r->v.bytes);
		}
	}
	free(mr.v);
	return err;
}

static void block_detach(struct monitor_inst *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

/* biosnoop's columns. */
static const struct table_column block_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "DISK", "device", 8, COLUMN_LEFT },
	{ "T", "op", 7, COLUMN_LEFT },
	{ "SECTOR", "sector", 12, COLUMN_RIGHT },
	{ "BYTES", "bytes", 8, COLUMN_RIGHT },
	{ "QUE(ns)", "queue_ns", 10, COLUMN_RIGHT },
	{ "LAT(ns)", "service_ns", 10, COLUMN_RIGHT },
	{ "ERROR", "error", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column block_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "DISK", "device", 10, COLUMN_LEFT },
	{ "OP", "op", 7, COLUMN_LEFT },
	{ "COUNT", "count", 8, COLUMN_RIGHT },
	{ "BYTES", "bytes", 12, COLUMN_RIGHT },
	{ "ERRORS", "errors", 6, COLUMN_RIGHT },
	{ "AVG(ns)", "avg_ns", 10, COLUMN_RIGHT },
	{ "MAX(ns)", "max_ns", 10, COLUMN_RIGHT },
	{ "QUE AVG", "queue_avg_ns", 0, COLUMN_RIGHT },
	{ NULL },
};

static const char *const block_inflight[] = { "block_start", NULL };

const struct monitor mon_block = {
	.name = "block",
	.desc = "block IO requests: device, op, bytes, queue and service time, as biosnoop/biolatency",
	.probe = "block.bpf.c",
	.tracepoints = block_tracepoints,
	.events_table = "block_events",
	.configure = block_configure,
	.attach = block_attach,
	.on_event = block_on_event,
	.collect = block_collect,
	.detach = block_detach,
	.columns = block_columns,
	.summary_columns = block_summary_columns,
	.metrics = block_metrics,
	.inflight = block_inflight,
};
