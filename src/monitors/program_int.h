/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROGRAM_INT_H
#define EBPFMON_PROGRAM_INT_H

/* What program.c (config, render, attach) and program_out.c (metrics, events) share. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/monitor.h"

struct cfg_node;
#include "monitors/program_decode.h"

enum prog_attach_kind {
	ATT_TRACEPOINT,
	ATT_RAW_TRACEPOINT,
	ATT_UPROBE,
	ATT_URETPROBE,
	ATT_USDT,
	ATT_PERF_EVENT,
	ATT_KPROBE,
	ATT_KRETPROBE,
};

struct usdt_probe;

struct prog_attach {
	enum prog_attach_kind kind;
	char *target;			/* as written: "sched:sched_switch", "/bin/x:malloc" */
	char *fn;			/* the compiled name: program_NAME__FUNCTION */
	char *a, *b, *c;		/* target split: category:event, binary:symbol, binary:provider:probe */
	uint32_t type;			/* perf_event */
	uint64_t config, period, freq;
	struct usdt_probe *usdt;
};

struct prog_metric {
	bool hist;
	char *name;			/* ebpfmon_ + the configured name */
	char *help;
	char *table;			/* the compiled name: program_NAME__TABLE */
	struct prog_label *labels;
	size_t n_labels;
	bool linear;			/* bucket_type: linear (else exp2) */
	long long bmin, bmax;
	double mult;
	bool warned;			/* its key did not match its labels: said once */
};

enum prog_field_type {
	FT_U8, FT_U16, FT_U32, FT_U64, FT_S8, FT_S16, FT_S32, FT_S64, FT_STR,
};

struct prog_field {
	char *name;
	enum prog_field_type type;
	size_t size, off;
	struct prog_decoder *decs;
	size_t n_decs;
};

struct prog {
	char *name;
	char *source;
	struct prog_attach *att;
	size_t n_att;
	struct prog_metric *metrics;
	size_t n_metrics;
	struct prog_field *fields;
	size_t n_fields;
	size_t event_size;		/* the fields' struct, padded */
	bool usable;			/* every attach point is there: compiled */
	char why[512];
	size_t attached;
};

struct program_opts {
	struct prog *progs;
	size_t n;
};

/* program_parse.c */
/* A C identifier (a function or table name of the source). */
bool c_ident(const char *s);
/* A name of the config's (function, table) as compiled: program_PROG__NAME; NULL, errno set. */
char *prog_symbol(const struct prog *p, struct cfg_node *node, const char *name);
/* metrics: {counters, histograms}; events: {fields}. 0 or -errno, reported. */
int prog_metrics_parse(struct prog *p, struct cfg_node *sec);
int prog_events_parse(struct prog *p, struct cfg_node *ev);

/* program_out.c */
int program_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m);
int program_on_event(struct monitor_inst *inst, const void *data, size_t size,
		     struct record *rec);

#endif
