// SPDX-License-Identifier: GPL-2.0
/*
 * SIGHUP: the config read again into a candidate session, checked and
 * compiled before anything running is touched, then put in place.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "bpf/probe_set.h"
#include "core/session_int.h"
#include "output/sink.h"

/* What a reload does with one monitor. */
enum reload_fate {
	FATE_NONE,		/* not running before, not to run now */
	FATE_UNCHANGED,
	FATE_RECOMPILED,
	FATE_REMOVED,
	FATE_ADDED,
};

static const char *const fate_names[] = {
	[FATE_UNCHANGED] = "unchanged",
	[FATE_RECOMPILED] = "recompiled",
	[FATE_REMOVED] = "removed",
	[FATE_ADDED] = "added",
};

/*
 * The candidate's monitor against the running one: changed when its probe
 * text, what all probes share, or its config subtree differ.
 */
static enum reload_fate reload_fate(const struct session *s, const struct session *c,
				    const struct monitor_inst *ci)
{
	const struct monitor_inst *oi = session_find(s, ci->mon);
	bool running = oi && oi->attached;

	if (!inst_usable(ci))
		return running ? FATE_REMOVED : FATE_NONE;
	if (!running)
		return FATE_ADDED;
	if (!strcmp(s->prologue, c->prologue) && !strcmp(s->shared, c->shared) &&
	    oi->text && !strcmp(oi->text, ci->text) && !strcmp(oi->settings, ci->settings))
		return FATE_UNCHANGED;
	return FATE_RECOMPILED;
}

/*
 * The sinks are opened again when the output section (or -f/-o, folded into
 * the config) changed, or when the monitors they know (names, columns,
 * modes) may have: csv then starts new files, the table new headers.
 */
static bool output_changed(const struct session *s, const struct session *c,
			   const enum reload_fate *fates)
{
	const struct config *a = &s->cfg, *b = &c->cfg;
	char *x, *y;
	bool changed;

	for (size_t i = 0; i < c->n_insts; i++)
		if (fates[i] != FATE_NONE && fates[i] != FATE_UNCHANGED)
			return true;
	if (a->format != b->format || !a->output_file != !b->output_file ||
	    (a->output_file && strcmp(a->output_file, b->output_file)))
		return true;
	x = cfg_node__dump(cfg_node__get(a->doc->root, "output"));
	y = cfg_node__dump(cfg_node__get(b->doc->root, "output"));
	changed = !x || !y || strcmp(x, y);
	free(x);
	free(y);
	return changed;
}

/* A running monitor goes: programs off, buffers drained, last interval and counts read. */
static void inst_retire(struct session *s, struct monitor_inst *inst)
{
	struct probe_set *ps = inst->ps;

	probe_set__detach(ps, inst);
	/* Its decoder needs its options: what the reorder window holds goes out first. */
	session__release_held(s, true);
	if (monitor_inst__collects(inst))
		monitor_inst__collect(inst);
	inst_read_counters(s, inst);
	summary_rows__release(&inst->rows);	/* it collects no more */
	inst->attached = false;
	if (inst->mon->detach)
		inst->mon->detach(inst);
	inst->ps = NULL;
	sets_put(s, ps);
}

/* The old instance's counts go on in its successor. */
static void inst_carry(struct monitor_inst *to, const struct monitor_inst *from)
{
	to->events = from->events;
	to->intervals = from->intervals;
	to->malformed = from->malformed;
	to->table_full = from->table_full;
	to->lost = to->lost_base = from->lost;
	to->filtered = to->filtered_base = from->filtered;
	to->missed = to->missed_base = from->missed;
}

static bool insts_have(struct monitor_inst *const *v, size_t n, const struct monitor *mon)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->mon == mon)
			return true;
	return false;
}

#define SWAP(a, b) do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)

static bool insts_in(struct monitor_inst *const *v, size_t n, const struct monitor_inst *inst)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == inst)
			return true;
	return false;
}

/* "exec recompiled, open unchanged, io removed" into line, or "no change". */
static void reload_line(const struct session *s, const struct session *c,
			const enum reload_fate *fates, bool same_config, char *line, size_t size)
{
	bool change = !same_config;
	size_t len = 0;

	line[0] = 0;
	for (size_t i = 0; i < c->n_insts; i++) {
		change |= fates[i] != FATE_UNCHANGED && fates[i] != FATE_NONE;
		if (fates[i] != FATE_NONE && len < size)
			len += snprintf(line + len, size - len, "%s%s %s", len ? ", " : "",
					c->insts[i]->mon->name, fate_names[fates[i]]);
	}
	for (size_t i = 0; i < s->n_insts; i++) {
		if (!s->insts[i]->attached || session_find(c, s->insts[i]->mon))
			continue;
		change = true;
		if (len < size)
			len += snprintf(line + len, size - len, "%s%s removed", len ? ", " : "",
					s->insts[i]->mon->name);
	}
	if (!change)
		snprintf(line, size, "no change");
}

/*
 * Put the checked candidate C in place: nothing here can fail. FATES say
 * what becomes of each of C's monitors; PS holds the compiled ones, SINK
 * replaces the running one (both may be NULL).
 */
/* Which running instances stop recording: recompiled or removed ones, by id. */
static void reload_mark_going(const struct session *s, const struct session *c,
			      const enum reload_fate *fates, bool *going)
{
	for (size_t i = 0; i < s->n_insts; i++) {
		const struct monitor_inst *oi = s->insts[i];
		enum reload_fate fate = FATE_REMOVED;

		for (size_t j = 0; j < c->n_insts; j++)
			if (c->insts[j]->mon == oi->mon)
				fate = fates[j];
		going[oi->id] = oi->attached && (fate == FATE_RECOMPILED || fate == FATE_REMOVED);
	}
}

/*
 * A recompiled monitor goes on as ctl left it (active or inert, its
 * targets) unless the reload changed how the config starts it.
 */
static void reload_keep_activity(const struct session *s, struct monitor_inst *ci)
{
	const struct monitor_inst *oi = session_find(s, ci->mon);

	if (!oi || !oi->attached || oi->active_cfg != ci->active_cfg)
		return;
	ci->active = oi->active;
	ci->targets = oi->targets;
}

/* The instances of the new configuration into V: kept ones, or moved out of C. */
static size_t reload_take_insts(const struct session *s, struct session *c,
				const enum reload_fate *fates, struct monitor_inst **v)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_insts; i++) {
		struct monitor_inst *ci = c->insts[i];

		if (fates[i] == FATE_UNCHANGED) {
			v[n++] = session_find(s, ci->mon);
			continue;
		}
		ci->ki = &s->ki;
		reload_keep_activity(s, ci);
		v[n++] = ci;
		c->insts[i] = NULL;	/* moved; c frees what stays */
	}
	return n;
}

/*
 * The old instances that are out of the new set: their counts carried to
 * their successor, kept for the exit summary when their monitor is gone, or
 * freed. Returns the new count of V.
 */
static size_t reload_settle_old(struct monitor_inst **old, size_t n_old,
				struct monitor_inst **v, size_t n)
{
	for (size_t i = 0; i < n_old; i++) {
		struct monitor_inst *oi = old[i];

		if (insts_in(v, n, oi))
			continue;
		for (size_t j = 0; j < n; j++)
			if (v[j]->mon == oi->mon)
				inst_carry(v[j], oi);
		/*
		 * Monitors gone from the config keep their counts for the exit
		 * summary (and the exporter's counters), no longer selected.
		 */
		if (!insts_have(v, n, oi->mon) &&
		    (oi->events || oi->lost || oi->table_full || oi->missed || oi->filtered ||
		     oi->malformed)) {
			oi->enabled = false;
			v[n++] = oi;
		} else {
			inst_free(oi);
		}
	}
	return n;
}

static void reload_commit(struct session *s, struct session *c, const enum reload_fate *fates,
			  struct probe_set *ps, struct sink *sink, struct monitor_inst **v)
{
	struct monitor_inst **old = s->insts;
	bool going[EBPFMON_MAX_MONITORS] = { false };
	size_t n_old = s->n_insts, n;

	/* Held samples point at instances that may go. */
	session__release_held(s, true);
	reload_mark_going(s, c, fates, going);
	n = reload_take_insts(s, c, fates, v);
	/*
	 * A scrape sees the old structure or the new one, attached: the swap and
	 * the attach (no event is handled in either) under the lock.
	 */
	pthread_mutex_lock(&s->lock);
	s->insts = v;
	s->n_insts = n;
	SWAP(s->cfg, c->cfg);
	SWAP(s->ki, c->ki);
	SWAP(s->filters, c->filters);
	SWAP(s->prologue, c->prologue);
	SWAP(s->shared, c->shared);
	s->reorder.window_ns = s->cfg.reorder_window * 1e9;
	/*
	 * The new programs first, then the old ones record nothing more: no gap,
	 * and an overlap of one map update. Their detach waits for the kernel
	 * (tens of ms per tracepoint); their buffers are drained after it.
	 */
	if (ps && !session_attach(s, ps)) {
		sets_put(s, ps);
		ps = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	/* The old instances are out of s->insts: retired (events drained) unlocked. */
	for (size_t i = 0; i < n_old; i++)
		if (going[old[i]->id] && monitor_inst__retire(old[i]))
			pr_warn("%s: cannot stop the old programs before their detach",
				old[i]->mon->name);
	for (size_t i = 0; i < n_old; i++)
		if (going[old[i]->id])
			inst_retire(s, old[i]);
	if (ps)
		probe_set__release_compiler(ps);
	pthread_mutex_lock(&s->lock);
	s->n_insts = reload_settle_old(old, n_old, v, n);
	pthread_mutex_unlock(&s->lock);
	free(old);
	/* The drained events went to the old sink; the new one takes it from here. */
	if (sink) {
		sink__close(s->sink);
		s->sink = sink;
	}
}

/*
 * Read the config again into C and check it all, touching nothing that
 * runs: 0 or -errno, reported.
 */
static int reload_candidate(struct session *s, struct session *c)
{
	int err;

	c->ready_fd = -1;
	err = s->setup(c, s->setup_ctx);
	if (err)
		return err;
	/* The exporter binds its address once, at the start. */
	if (!c->cfg.metrics_listen != !s->cfg.metrics_listen ||
	    (c->cfg.metrics_listen && strcmp(c->cfg.metrics_listen, s->cfg.metrics_listen))) {
		pr_err("reload: metrics.listen changes only with a restart (now %s)",
		       s->metrics_address ? s->metrics_address : "off");
		return -EINVAL;
	}
	/* So is the control socket: the one a ctl of this config reaches is this one. */
	if (!c->cfg.control_socket != !s->cfg.control_socket ||
	    (c->cfg.control_socket && strcmp(c->cfg.control_socket, s->cfg.control_socket))) {
		pr_err("reload: control.socket changes only with a restart (now %s)",
		       s->cfg.control_socket ? *s->cfg.control_socket ? s->cfg.control_socket :
		       "off" : CONTROL_SOCKET_DEFAULT);
		return -EINVAL;
	}
	err = verdicts_check(c);
	if (!err)
		err = session_render_parts(c, NULL, true);
	return err;
}

/* Each new instance's fate, and which go into a compile: true if any does. */
static bool reload_plan(const struct session *s, struct session *c, enum reload_fate *fates)
{
	bool compile = false;

	for (size_t i = 0; i < c->n_insts; i++) {
		fates[i] = reload_fate(s, c, c->insts[i]);
		c->insts[i]->compile = fates[i] == FATE_RECOMPILED || fates[i] == FATE_ADDED;
		compile |= c->insts[i]->compile;
	}
	return compile;
}

int session__reload(struct session *s)
{
	enum log_level level = log_get_level();
	struct monitor_inst **v = NULL;
	enum reload_fate *fates = NULL;
	struct probe_set *ps = NULL;
	struct sink *sink = NULL;
	struct session *c;
	char *old_doc = NULL, *new_doc = NULL, line[512];
	int err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		err = -ENOMEM;
		goto fail;
	}
	err = reload_candidate(s, c);
	if (err)
		goto fail;
	fates = calloc(c->n_insts, sizeof(*fates));
	v = calloc(s->n_insts + c->n_insts, sizeof(*v));
	if (!fates || !v) {
		err = -ENOMEM;
		goto fail;
	}
	/* The compile and the verifier before anything running is touched. */
	if (reload_plan(s, c, fates)) {
		ps = session_compile(c);
		err = ps ? probe_set__load_known(ps) : -errno;
		if (!err)
			err = sets_add(s, ps);
		if (err)
			goto fail;
	}
	if (output_changed(s, c, fates)) {
		sink = sink__open(&c->cfg, c->insts, c->n_insts, s->unwritten);
		if (!sink) {
			err = -errno;
			goto fail;
		}
	}
	old_doc = cfg_node__dump(s->cfg.doc->root);
	new_doc = cfg_node__dump(c->cfg.doc->root);
	reload_line(s, c, fates, old_doc && new_doc && !strcmp(old_doc, new_doc), line,
		    sizeof(line));
	reload_commit(s, c, fates, ps, sink, v);
	v = NULL;
	pr_info("reload: %s", line);
	session__ready(s);
	goto cleanup;
fail:
	if (ps) {
		/* Still unattached: nothing of it runs. */
		sets_put(s, ps);
	}
	log_set_level(level);
	cfg_errors_flush();	/* the count of those not shown, before the verdict */
	pr_err("reload: keeping the running configuration");
cleanup:
	free(old_doc);
	free(new_doc);
	free(v);
	free(fates);
	if (c) {
		session__stop(c);
		free(c);
	}
	return err;
}
