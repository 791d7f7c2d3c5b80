/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_EVENT_LOOP_H
#define EBPFMON_EVENT_LOOP_H

struct session;

/*
 * Poll the perf buffers until SIGINT/SIGTERM, the duration, or a write
 * error; flush the sinks every flush_interval; print stats every
 * stats_interval. Returns 0 or -errno (a write error).
 */
int event_loop__run(struct session *s);

/*
 * SIGINT/SIGTERM stop the loop, SIGHUP reopens the files. The one place that
 * installs the handlers, called once by main: after the compile (a signal
 * there still ends the program) and before readiness is announced (a manager
 * may send either right after READY=1).
 */
void event_loop__catch_signals(void);

/* The "stats: ..." line on stderr, also printed at exit. */
void event_loop__print_stats(struct session *s, const char *prefix);

#endif
