/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SESSION_H
#define EBPFMON_SESSION_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config/config.h"
#include "bpf/kernel.h"
#include "core/control.h"
#include "core/monitor.h"
#include "output/record.h"
#include "core/reorder.h"

struct probe_set;
struct sink;

/* A perf sample is at most 64 KiB (its size field is 16 bits). */
#define SESSION_SAMPLE_MAX 65536
/* Samples output.reorder_window holds at most; the oldest goes out past it. */
#define SESSION_REORDER_MAX 262144

/* Filters from the CLI or the config, resolved to what the kernel compares. */
struct filters {
	uint32_t *pids;		/* --pid: thread or process ids */
	size_t n_pids;
	uint32_t *tgids;	/* --tgid: process ids */
	size_t n_tgids;
	uint32_t *uids;
	size_t n_uids;
	char (*comms)[16];
	size_t n_comms;
	/* filters.cgroup, --cgroup: the directories, open (their fds fill the cgroup array) */
	int *cgroup_fds;
	char **cgroups;		/* the paths as given, relative to the cgroup2 mount */
	size_t n_cgroups;
};

/* Everything one run owns, from the parsed config to the open sink. */
struct session {
	struct config cfg;
	struct kernel_info ki;
	struct filters filters;
	struct monitor_inst **insts;	/* each its own allocation: callbacks hold them */
	size_t n_insts;
	struct probe_set **sets;	/* one per compile: the start's, a reload's */
	size_t n_sets;
	char *prologue;			/* the probes' rendered prologue */
	char *shared;			/* what else every probe depends on (filters, ...) */
	struct sink *sink;
	int64_t mono_to_real_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	bool metrics;			/* metrics.listen set (probe global METRICS) */
	bool metrics_only;		/* output.format none (probe global EVENTS = 0) */
	const char *metrics_address;	/* "HOST:PORT" the exporter listens on; NULL: off */
	/*
	 * The monitors' structure (insts, ps) as a scrape on the exporter's
	 * thread sees it: the scrape holds it; the event loop takes it only to
	 * change that structure, never while it handles events.
	 */
	pthread_mutex_t lock;
	int ready_fd;			/* -1: none */
	/*
	 * By monitor id: records a sink could not write (summed over sinks).
	 * Here, not in the instances: a reload replaces them, and the sinks
	 * count into it until they are closed.
	 */
	uint64_t unwritten[EBPFMON_MAX_MONITORS];
	void *sample;			/* aligned copy of the sample being decoded */
	struct record rec;		/* the one record being built */
	struct reorder reorder;		/* output.reorder_window's held samples */
	/*
	 * Parse the config and the command line into a fresh session up to
	 * session__configure (main's, shared by the start and session__reload).
	 */
	int (*setup)(struct session *s, void *ctx);
	void *setup_ctx;
	/* The control socket (src/core/control.h); NULL: none. */
	struct control *control;
	/* Its fds, as session__poll last polled them. */
	struct pollfd control_pfds[CONTROL_CLIENTS_MAX + 1];
	size_t n_control_pfds;
};

/* Monitors to run: the -m list, or those enabled in the config. */
int session__select(struct session *s, const char *cli_monitors, bool all);
/* Parse each monitor's config node and decide its verdict from the kernel facts. */
int session__configure(struct session *s);
/* The whole C text for the usable monitors (or just ONLY); malloc'd. */
char *session__render(struct session *s, const char *only);
/* output.transport on this kernel: the BPF ring buffer (or perf buffers). */
bool session__ringbuf(const struct session *s);
/* Compile, fill the filters, attach, open the perf or ring buffers. */
int session__start(struct session *s);
/*
 * Say that the monitors run: the "ready: ..." line, --ready-fd and READY=1
 * (after session__start, and again after each reload that took).
 */
void session__ready(struct session *s);
void session__stop(struct session *s);
/*
 * filters.cgroup, or CLI's paths (--cgroup) when given: each cgroup opened
 * under the cgroup2 mount into s->filters; 0, or -EINVAL after one line for
 * each bad one (at its place in the config), -ENOMEM.
 */
int session__cgroup_filters(struct session *s, char *const *cli);
/*
 * SIGHUP: read the config again (s->setup) into a candidate; on any error
 * report it and keep running as before. Otherwise compile and load only the
 * monitors whose probe or settings changed (before anything running is
 * touched), attach them, stop the old instances, detach and drain them, and
 * apply the other settings. Returns 0, or -errno when the running
 * configuration was kept.
 */
int session__reload(struct session *s);

/* Wait for events on every probe set, and deliver them; >= 0 or -errno. */
int session__poll(struct session *s, int timeout_ms);
/* Deliver what every probe set's buffers hold now. */
void session__consume(struct session *s);

/* The --check report. */
json_t *session__check_report(struct session *s);

/* Records: the session's one record, restarted with the common fields. */
struct record *session__record_new(struct session *s, struct monitor_inst *inst,
				   const char *type, uint64_t ts_mono_ns);
/* An event's record: the common fields of its header H (the sample's start). */
struct record *session__event_record(struct session *s, struct monitor_inst *inst,
				     const struct ebpfmon_hdr *h);
int session__emit(struct session *s, struct record *rec);
void session__update_clock(struct session *s);
/* Write the held samples whose window is over (all: every one). */
void session__release_held(struct session *s, bool all);
/* CLOCK_MONOTONIC seconds when the oldest held sample is due; 0: none held. */
double session__next_release(const struct session *s);
/* Filtered and lost counts from the kernel; new losses are reported. */
void session__read_counters(struct session *s);
size_t session__usable(const struct session *s);

#endif
