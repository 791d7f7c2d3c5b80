/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SESSION_INT_H
#define EBPFMON_SESSION_INT_H

/*
 * What the session's files share and nothing else may use:
 * session.c (select, configure, stop), start.c (render, compile, attach),
 * dispatch.c (samples to records to sinks), reload.c (SIGHUP), check.c.
 */

#include <stdbool.h>
#include <stddef.h>

#include "core/monitor.h"
#include "core/session.h"

struct probe_set;

/* Enabled, and nothing in the kernel facts or its config rules it out. */
static inline bool inst_usable(const struct monitor_inst *inst)
{
	return inst->enabled && inst->verdict != VERDICT_UNAVAILABLE;
}

/*
 * The monitor sends events through a perf or ring buffer (not summary mode;
 * a metrics-only probe sends none: EVENTS is 0).
 */
static inline bool inst_streams(const struct monitor_inst *inst)
{
	return inst->mon->events_table && (!inst->summary || inst->mon->summary_events) &&
	       !inst->metrics_only;
}

/* session.c */
struct monitor_inst *session_find(const struct session *s, const struct monitor *mon);
/* Detach it from its monitor and free it (NULL is fine). */
void inst_free(struct monitor_inst *inst);

/* start.c */
/*
 * Render the prologue and ONLY's probe, or every usable monitor's, into
 * inst->text, marked to compile. A probe that does not render makes its
 * monitor unavailable, or is an error for ONLY and when STRICT (a reload).
 */
int session_render_parts(struct session *s, const char *only, bool strict);
/*
 * The monitors marked to compile, in one text, compiled once; the filter
 * maps filled. A new probe set, or NULL with errno set.
 */
struct probe_set *session_compile(struct session *s);
/* Attach every monitor marked to compile from PS; how many are attached. */
size_t session_attach(struct session *s, struct probe_set *ps);
int sets_add(struct session *s, struct probe_set *ps);
/* Free PS once no attached monitor of s uses it. */
void sets_put(struct session *s, struct probe_set *ps);
/*
 * Skipped and degraded monitors said once, before the compile; -ENODEV
 * (said too) when no monitor can run.
 */
int verdicts_check(struct session *s);

/* dispatch.c */
/* The instance's records go to s's sinks (its record and emit hooks). */
void inst_connect(struct session *s, struct monitor_inst *inst);
/* Open the instance's perf or ring buffer in PS, delivering to s; 0 or -errno. */
int inst_buffer_open(struct session *s, struct monitor_inst *inst, struct probe_set *ps);
/* The kernel's counts for one monitor, on top of those of the ones it replaced. */
void inst_read_counters(struct session *s, struct monitor_inst *inst);

#endif
