// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/control.h"
#include "core/daemon.h"
#include "core/event_loop.h"
#include "util/clock.h"
#include "util/heap.h"
#include "util/log.h"
#include "core/session.h"
#include "output/sink.h"

#define POLL_MAX_MS 250

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t hangup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hangup = 1;
	else
		stop_signal = sig;
}

void event_loop__catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns on a signal */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

void event_loop__print_stats(struct session *s, const char *prefix)
{
	char line[2048];
	size_t len = 0;

	for (size_t i = 0; i < s->n_insts; i++) {
		const struct monitor_inst *inst = s->insts[i];

		/* A monitor a reload removed still has its counts to tell. */
		if (!inst->attached && !inst->events && !inst->lost && !inst->table_full &&
		    !inst->missed && !inst->filtered)
			continue;
		/* A summary monitor writes rows, one set per interval, not events. */
		if (monitor_inst__collects(inst))
			len += snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
					"%s%s: %llu rows (%llu interval%s)", len ? "; " : "",
					inst->mon->name, (unsigned long long)inst->events,
					(unsigned long long)inst->intervals,
					inst->intervals == 1 ? "" : "s");
		else
			len += snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
					"%s%s: %llu events", len ? "; " : "", inst->mon->name,
					(unsigned long long)inst->events);
		len += snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
				/* what the buffer, the summary tables and the kernel's runs missed */
				", %llu lost, %llu filtered",
				(unsigned long long)(inst->lost + inst->table_full + inst->missed),
				(unsigned long long)inst->filtered);
		if (inst->malformed && len < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len, ", %llu malformed",
					(unsigned long long)inst->malformed);
		/* events = records written + these, per sink that failed */
		if (s->unwritten[inst->id] && len < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len, ", %llu not written",
					(unsigned long long)s->unwritten[inst->id]);
	}
	log_print(LOG_LEVEL_INFO, "%s: %s", prefix, len ? line : "no monitor attached");
}

static bool collects(const struct monitor_inst *inst)
{
	return inst->attached && monitor_inst__collects(inst);
}

/* Summary-mode monitors whose interval is up read their maps now. */
static double collect_due(struct session *s, double t, bool all)
{
	double next = 0;

	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];

		if (!collects(inst))
			continue;
		if (all || t >= inst->next_collect) {
			monitor_inst__collect(inst);
			inst->next_collect = t + inst->interval;
		}
		if (!next || inst->next_collect < next)
			next = inst->next_collect;
	}
	return next;
}

/*
 * SIGHUP: logrotate moved the files (it uses "create", no copytruncate), or
 * the config changed. 0 when the new config is running.
 */
static int on_hangup(struct session *s)
{
	char state[64];
	int err;

	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)(clock_mono_s() * 1e6));
	daemon__notify(state);
	pr_info("signal: SIGHUP, reopening the output and log files and reloading %s",
		s->cfg.doc->file);
	log_reopen();
	sink__reopen(s->sink);
	err = session__reload(s);
	/* A reload that took says READY=1 with its new status itself. */
	if (err)
		daemon__notify("READY=1");
	return err;
}

int event_loop__run(struct session *s)
{
	const struct config *cfg = &s->cfg;
	double start = clock_mono_s(), next_flush, next_stats, next_collect, t;
	int err = 0;

	for (size_t i = 0; i < s->n_insts; i++)
		s->insts[i]->next_collect = start + s->insts[i]->interval;
	next_collect = collect_due(s, start, false);
	next_flush = start + cfg->flush_interval;
	next_stats = cfg->stats_interval > 0 ? start + cfg->stats_interval : 0;
	while (!stop_signal && !sink__error(s->sink)) {
		double wake = next_flush;
		int timeout_ms, n;

		if (next_stats && next_stats < wake)
			wake = next_stats;
		if (next_collect && next_collect < wake)
			wake = next_collect;
		if (cfg->duration > 0 && start + cfg->duration < wake)
			wake = start + cfg->duration;
		if (session__next_release(s) && session__next_release(s) < wake)
			wake = session__next_release(s);
		if (control__next_due(s->control) && control__next_due(s->control) < wake)
			wake = control__next_due(s->control);
		timeout_ms = (wake - clock_mono_s()) * 1000;
		if (timeout_ms < 0)
			timeout_ms = 0;
		if (timeout_ms > POLL_MAX_MS)
			timeout_ms = POLL_MAX_MS;
		n = session__poll(s, timeout_ms);
		if (n < 0 && n != -EINTR) {
			pr_err("poll: %s", strerror(-n));
			err = n;
			break;
		}
		t = clock_mono_s();
		session__release_held(s, false);
		control__handle(s->control, s->control_pfds, s->n_control_pfds, t);
		if (control__finishing(s->control))
			break;
		if (hangup) {
			hangup = 0;
			if (!on_hangup(s)) {
				/* The intervals may have changed, and new monitors collect. */
				next_collect = collect_due(s, t, false);
				next_flush = t + cfg->flush_interval;
				next_stats = cfg->stats_interval > 0 ? t + cfg->stats_interval : 0;
			}
		}
		if (t >= next_flush) {
			/* With wakeup_events > 1 a quiet buffer would hold events back. */
			session__consume(s);
			session__read_counters(s);
			sink__flush_due(s->sink);
			session__update_clock(s);
			next_flush = t + cfg->flush_interval;
		}
		if (next_collect && t >= next_collect)
			next_collect = collect_due(s, t, false);
		heap_watch(t);
		if (next_stats && t >= next_stats) {
			session__read_counters(s);
			event_loop__print_stats(s, "stats");
			next_stats = t + cfg->stats_interval;
		}
		if (cfg->duration > 0 && t >= start + cfg->duration)
			break;
	}
	daemon__notify("STOPPING=1");
	if (stop_signal)
		pr_info("signal: %s, stopping", strsignal(stop_signal));
	else if (control__finishing(s->control))
		pr_info("control: finish, stopping");
	/* What the kernel already handed over still gets written. */
	session__consume(s);
	session__release_held(s, true);
	collect_due(s, clock_mono_s(), true);	/* the last, partial interval */
	session__read_counters(s);
	sink__flush(s->sink);
	/* What that last write could not write, told where it still can be. */
	session__read_counters(s);
	sink__flush(s->sink);
	/* A reader that went away ends the run as a success, as SIGPIPE ends bcc's tools. */
	if (!err && sink__error(s->sink) != -EPIPE)
		err = sink__error(s->sink);
	return err;
}
