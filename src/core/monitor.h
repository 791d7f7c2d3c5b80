/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_MONITOR_H
#define EBPFMON_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <linux/types.h>

#include "probes/common.h"
#include "output/record.h"
#include "bpf/probe_set.h"
#include "bpf/render.h"
#include "core/summary.h"
#include "core/activity.h"

struct cfg_node;
struct kernel_info;
struct probe_set;
struct monitor_inst;
struct metrics;
struct table_column;
struct ebpfmon_metric_hist;

/* A tracepoint a monitor attaches to; optional ones only degrade it. */
struct monitor_tp {
	const char *category;
	const char *event;
	bool optional;
	/*
	 * The program, when not tracepoint__CATEGORY__EVENT: one program for
	 * several tracepoints of one layout is loaded, and verified, once.
	 */
	const char *prog;
	/*
	 * prog is a raw tracepoint program on EVENT. BCC defines the struct
	 * tracepoint__CATEGORY__EVENT before every function taking one, so two
	 * monitors' programs on one tracepoint cannot both take it in the one
	 * compile: the second monitor's program takes the raw arguments.
	 */
	bool raw;
};

/*
 * One monitor, one descriptor (sysstat's act[]). The core never names a
 * monitor: it walks monitors[] and calls these.
 */
struct monitor {
	const char *name;
	const char *desc;
	const char *probe;			/* probes/<name>.bpf.c */
	const struct monitor_tp *tracepoints;	/* ends with { NULL } */
	/* Perf buffer table the probe writes events to; NULL for none. */
	const char *events_table;
	/* Its events stream in summary mode too, beside the rows (records at a task's exit). */
	bool summary_events;
	/*
	 * Parse monitors.<name> (NULL when absent: defaults) into inst->priv and
	 * set the probe's template variables in inst->vars.
	 */
	int (*configure)(struct monitor_inst *inst, struct cfg_node *node);
	/* Attach the compiled programs; 0 or -errno, reasons printed. */
	int (*attach)(struct monitor_inst *inst, struct probe_set *ps);
	/*
	 * Decode one event past the common header into rec. Strings may point
	 * into data: the record is written before data changes.
	 */
	int (*on_event)(struct monitor_inst *inst, const void *data, size_t size,
			struct record *rec);
	/* Summary mode: read and clear kernel maps, emit records. */
	int (*collect)(struct monitor_inst *inst, struct probe_set *ps);
	void (*detach)(struct monitor_inst *inst);
	/* The table sink's columns for events and for summary rows (src/output/sink.h). */
	const struct table_column *columns;
	const struct table_column *summary_columns;
	/*
	 * Prometheus metrics (src/output/metrics.h) from the probe's metric maps, which
	 * are compiled in when the probe global METRICS is 1, cumulative since
	 * attach and never cleared. Runs on the exporter's thread while the
	 * event loop runs: read maps only, change no state the loop uses.
	 */
	int (*metrics)(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m);
	/*
	 * Tables of what its programs started and finish later (a call's entry,
	 * a wait's start), NULL-terminated: emptied when it is activated again,
	 * since a start kept from before it went inert would end a later call.
	 */
	const char *const *inflight;
	/*
	 * A top-level config section of its own beside monitors.<name> (the
	 * definitions of its items, drop-ins' included): in inst->section for
	 * configure; one that is not empty enables the monitor unless
	 * monitors.<name> says otherwise. NULL: none.
	 */
	const char *section;
	/* Its own keys for its --check object (a verdict per item, say); NULL: none. */
	void (*check)(struct monitor_inst *inst, json_t *obj);
};

extern const struct monitor *const monitors[];	/* NULL-terminated */

const struct monitor *monitor_find(const char *name);

enum monitor_verdict {
	VERDICT_OK,
	VERDICT_DEGRADED,
	VERDICT_UNAVAILABLE,
};

/* A monitor enabled for this run, and its counters. */
struct monitor_inst {
	const struct monitor *mon;
	unsigned id;			/* index into the kernel's per-monitor arrays */
	struct render_vars vars;
	/* Per-item vars for @REPEAT(file)@ in the probe (e.g. one per kernel function). */
	struct render_vars *items;
	size_t n_items;
	void *priv;
	enum monitor_verdict verdict;
	char why[512];
	const struct kernel_info *ki;
	/* configure may set the table's columns in place of mon->columns, mon->summary_columns. */
	const struct table_column *columns;
	const struct table_column *summary_columns;
	bool enabled;			/* selected for this run */
	bool attached;
	/* Run-time activity (activity.h), mirrored in the kernel's control entry. */
	bool active;			/* recording; false: attached but inert */
	bool active_cfg;		/* what the config (and --inactive) start it as */
	bool retired;			/* a reload replaced it */
	struct monitor_targets targets;
	/* metrics.listen is set: the probe fills its metric maps (global METRICS). */
	bool metrics;
	/*
	 * output.format none: no per-event data leaves the kernel (global EVENTS
	 * is 0; summary mode wherever the monitor has one).
	 */
	bool metrics_only;
	/* metrics.comm_labels: label this many comms by name, the rest "other"; 0: none. */
	unsigned comm_labels;
	/* metrics.cgroup_labels: the same for cgroups (v2 paths). */
	unsigned cgroup_labels;
	/*
	 * The pid filter (--pid, filters.pid), for configure: a monitor that
	 * looks at the processes themselves (the libraries they map, say). The
	 * session's; valid while configure runs.
	 */
	const uint32_t *filter_pids;
	size_t n_filter_pids;
	/* Its mon->section node (config__section), NULL when absent; valid while configure runs. */
	struct cfg_node *section;
	/* Read by the exporter's thread with __atomic_load_n(..., __ATOMIC_RELAXED). */
	uint64_t events;		/* records written (summary mode: rows) */
	uint64_t intervals;		/* summary mode: collections made */
	/* While collect runs: its time, the ts of every record it makes (one interval, one ts). */
	uint64_t collect_ns;
	uint64_t lost;			/* perf buffer losses */
	uint64_t filtered;		/* dropped by the kernel-side filters */
	uint64_t malformed;		/* short or inconsistent samples */
	uint64_t table_full;		/* counts a full summary table had no row for */
	uint64_t missed;		/* runs of its programs the kernel skipped (recursion) */
	/* The counts of the instances this one replaced at reloads: kernel ones restart. */
	uint64_t lost_base, filtered_base, missed_base;
	struct probe_set *ps;		/* the compile its programs come from */
	char *text;			/* its rendered probe source */
	char *settings;			/* its config subtree (cfg_node__dump) */
	bool compile;			/* text goes into the next compile */
	bool summary;			/* mode: summary -- collect() every interval */
	unsigned top;			/* summary rows per interval, the rest (other); 0: all */
	double interval;		/* seconds between collect() calls */
	double next_collect;		/* CLOCK_MONOTONIC seconds */
	struct summary_rows rows;	/* collect()'s, kept from one interval to the next */
	/*
	 * Set by the core: a record with the common fields, and its output. There
	 * is one record at a time: record() starts the next one.
	 */
	struct record *(*record)(struct monitor_inst *inst, const char *type);
	int (*emit)(struct monitor_inst *inst, struct record *rec);
	void *emit_ctx;
};

/* Set a verdict, keeping the worst one and joining the reasons with "; ". */
void monitor_inst__verdict(struct monitor_inst *inst, enum monitor_verdict v,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *monitor_verdict_name(enum monitor_verdict v);

/*
 * Attach every tracepoint in mon->tracepoints, in order, whose program was
 * compiled (the probe leaves out what its options or the kernel rule out):
 * TRACEPOINT_PROBE(category, event), or RAW_TRACEPOINT_PROBE(event) for the
 * same tracepoint as a raw one. An .attach.
 */
int monitor_attach_tracepoints(struct monitor_inst *inst, struct probe_set *ps);

/*
 * The options every summary-capable monitor shares: mode (events|summary,
 * default given) and interval (seconds, default 5). Sets inst->summary,
 * inst->interval and the probe variable SUMMARY (0/1). A metrics-only run
 * (inst->metrics_only) is always in summary mode.
 */
int monitor_parse_mode(struct monitor_inst *inst, struct cfg_node *node, bool summary);

/* top: N (0..1048576, default given) summary rows per interval into inst->top. */
int monitor_parse_top(struct monitor_inst *inst, struct cfg_node *node, unsigned top);

/*
 * A log2 histogram as JSON: [{"lo":L,"hi":H,"count":N}, ...] for the
 * non-empty slots; slot 0 holds 0, slot k holds [2^(k-1), 2^k - 1] (the
 * kernel fills slot bpf_log2l(v)).
 */
json_t *log2_hist_json(const uint64_t *slots, int n_slots);

/*
 * Metric histograms (probes/common.h's struct ebpfmon_metric_hist): add the
 * per-CPU values probe_set__walk hands out to SUM; the calls counted; one
 * histogram sample set in seconds (the current family, src/output/metrics.h).
 */
void metric_hist_add_cpus(struct ebpfmon_metric_hist *sum, const void *values, int n_values,
			  size_t stride);
/* A probe_entry_fn (src/bpf/probe_set.h): every entry's histogram added to CTX's. */
void metric_hist_entry_add(void *ctx, const void *key, const void *values, int n_values,
			   size_t stride);
uint64_t metric_hist_count(const struct ebpfmon_metric_hist *h);
void metric_hist_write(struct metrics *m, const char *name, const char *const *labels,
		       const struct ebpfmon_metric_hist *h);

/* metrics.comm_labels (0: no comm label on any metric). */
static inline unsigned monitor_inst__comm_labels(const struct monitor_inst *inst)
{
	return inst->comm_labels;
}

/*
 * metrics.comm_labels: the comms a monitor's metrics label by name, at most
 * max of them, sorted; the others are summed as comm="other". Counters must
 * stay monotonic, so this is no top-N recomputed per scrape (a name leaving
 * it would lose its series and make "other" jump): a comm is labeled at the
 * first scrape that sees it while there is room, busiest first, and stays.
 * The set never shrinks, so once a comm was reported inside "other" (the set
 * was full) it is there for good. It lives in the monitor's priv state and
 * only the exporter's thread touches it: scrapes are serialized by the
 * session lock. A reload that recompiles the monitor starts a new one.
 */
/*
 * A comm as a label: the kernel's bytes (any but NUL, up to 15) repaired to
 * valid UTF-8, each stray byte U+FFFD (3 bytes).
 */
#define COMM_LABEL_LEN	(3 * (EBPFMON_COMM_LEN - 1) + 1)

struct comm_labels {
	char (*names)[COMM_LABEL_LEN];
	size_t n, cap;
};

/*
 * A count by comm (and by a monitor's own key, NR), read at a scrape. Two
 * comms that differ only in bytes the repair replaces are one label: their
 * counts are summed (comm_labels__scrape), or the page would repeat a label set.
 */
struct comm_count {
	char comm[COMM_LABEL_LEN];
	uint32_t nr;
	uint64_t n;
};

struct comm_counts {
	struct comm_count *v;
	size_t n, cap;
	int err;			/* the first error: -ENOMEM */
};

void comm_counts__add(struct comm_counts *cc, const char *comm, uint32_t nr, uint64_t n);
void comm_counts__release(struct comm_counts *cc);
/* A probe_entry_fn (src/bpf/probe_set.h) for a per-CPU u64 table keyed by comm: CTX's comm_counts. */
void comm_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			   size_t stride);
/*
 * The same for a table keyed by struct comm_nr_key (a comm and the monitor's
 * own number, nr): CTX's comm_counts by (comm, nr).
 */
struct comm_nr_key {
	char comm[EBPFMON_COMM_LEN];
	__u32 nr;
};
void comm_nr_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			      size_t stride);
/* A label value's count: label_totals_rank sums those of one name. */
struct label_total {
	const char *name;
	uint64_t n;
};

/* TOT's N rows summed by name, busiest first (ties by name): how many names. */
size_t label_totals_rank(struct label_total *tot, size_t n);
/*
 * Label the comms of CC not labeled yet, their counts summed over nr,
 * busiest first, while the set has fewer than MAX: 0 or -ENOMEM.
 */
int comm_labels__update(struct comm_labels *cl, unsigned max, const struct comm_counts *cc);
/*
 * Read per-CPU TABLE into CC with FN (a comm_counts_entry_add), sum the
 * entries of one (comm, nr), then update CL.
 */
int comm_labels__scrape(struct comm_labels *cl, unsigned max, struct probe_set *ps,
			const char *table, probe_entry_fn fn, struct comm_counts *cc);
bool comm_labels__has(const struct comm_labels *cl, const char *comm);
void comm_labels__release(struct comm_labels *cl);

/*
 * The cgroup_id, cgroup and container_id fields of cgroup ID (0: none, all
 * three null) into REC: every event's (the core's), a per-task summary row's.
 */
void record_cgroup_fields(struct record *rec, uint64_t id);

/* metrics.cgroup_labels (0: no cgroup label on any metric). */
static inline unsigned monitor_inst__cgroup_labels(const struct monitor_inst *inst)
{
	return inst->cgroup_labels;
}

/*
 * metrics.cgroup_labels: the cgroups (v2 paths, valid UTF-8) a monitor's
 * metrics label by name, at most max, sorted; chosen and kept as comm labels
 * are. A cgroup whose id no longer resolves (removed, and out of the cache)
 * is counted in "other" from then on.
 */
struct cgroup_labels {
	char **names;
	size_t n, cap;
};

/* One row of a table keyed by struct ebpfmon_label_key (probes/common.h). */
struct label_count {
	char comm[COMM_LABEL_LEN];	/* "" without comm labels; "other" */
	char *cgroup;			/* the label; NULL: "other" */
	uint32_t nr;
	uint64_t n;
};

struct label_counts {
	struct label_count *v;
	size_t n, cap;
	int err;
};

/* A probe_entry_fn for a per-CPU u64 table keyed by struct ebpfmon_label_key. */
void label_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			    size_t stride);
/*
 * Read TABLE into LC, label new cgroups into GL (at most CG_MAX) and, when
 * COMM_MAX, new comms into CL; then LC holds one row per (comm label,
 * cgroup label, nr), the rest summed under "other": 0 or -errno.
 */
int cgroup_labels__scrape(struct cgroup_labels *gl, unsigned cg_max, struct comm_labels *cl,
			  unsigned comm_max, struct probe_set *ps, const char *table,
			  struct label_counts *lc);
/* The row's cgroup label value ("other" when it has none). */
const char *label_count__cgroup(const struct label_count *c);
bool cgroup_labels__has(const struct cgroup_labels *gl, const char *cgroup);
void cgroup_labels__release(struct cgroup_labels *gl);
void label_counts__release(struct label_counts *lc);

/*
 * The samples of counter NAME by errno from the EBPFMON_ERRNO_SLOTS counters
 * of a probe (probes/common.h), summed over CPUs: LABEL is the errno's name,
 * "other" for the errnos without one and the last slot; errnos never seen
 * have no sample. Slot 0, the successes, is the caller's.
 */
void monitor_metrics_errnos(struct metrics *m, const char *name, const char *label,
			    const uint64_t *slots);

/*
 * Read a summary monitor's interval (mon->collect) and count it. Every record
 * it makes carries the same ts, so a reader (the table) can tell intervals apart.
 */
int monitor_inst__collect(struct monitor_inst *inst);

/* Emit a record of TYPE ("summary", ...) built by the monitor. */
static inline struct record *monitor_inst__record(struct monitor_inst *inst, const char *type)
{
	return inst->record(inst, type);
}

/*
 * Summary rows are read every interval. Not in metrics-only runs: their
 * probes keep no rows, the kernel's metric maps are all there is.
 */
static inline bool monitor_inst__collects(const struct monitor_inst *inst)
{
	return inst->summary && inst->mon->collect && !inst->metrics_only;
}

static inline int monitor_inst__emit(struct monitor_inst *inst, struct record *rec)
{
	return inst->emit(inst, rec);
}

#endif
