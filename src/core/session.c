// SPDX-License-Identifier: GPL-2.0
/*
 * The session's lifetime: the monitors selected and configured from the
 * config and the kernel facts, and everything freed at the stop. Rendering,
 * compiling and attaching are in start.c, events in dispatch.c, SIGHUP in
 * reload.c, the --check report in check.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "bpf/probe_set.h"
#include "core/session_int.h"
#include "output/sink.h"
#include "util/cgroup.h"
#include "util/users.h"

struct monitor_inst *session_find(const struct session *s, const struct monitor *mon)
{
	for (size_t i = 0; i < s->n_insts; i++)
		if (s->insts[i] && s->insts[i]->mon == mon)
			return s->insts[i];
	return NULL;
}

static struct monitor_inst *session_add(struct session *s, const struct monitor *mon)
{
	struct monitor_inst *inst = session_find(s, mon), **grown;
	unsigned id = 0;

	if (inst)
		return inst;
	grown = realloc(s->insts, (s->n_insts + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->insts = grown;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return NULL;
	/* Its place in the registry: the same in every config, so a reload keeps it. */
	while (monitors[id] != mon)
		id++;
	inst->mon = mon;
	inst->id = id;
	inst->active = true;
	monitor_targets__init(&inst->targets);
	inst->ki = &s->ki;
	inst->metrics = s->metrics;
	inst->metrics_only = s->metrics_only;
	inst->comm_labels = s->cfg.metrics_comm_labels;
	inst->cgroup_labels = s->cfg.metrics_cgroup_labels;
	s->insts[s->n_insts++] = inst;
	return inst;
}

static struct cfg_node *monitor_node(struct session *s, const char *name)
{
	struct cfg_node *m = s->cfg.monitors;

	for (size_t i = 0; m && i < m->n_kids; i++)
		if (!strcmp(m->kids[i]->key, name))
			return m->kids[i];
	return NULL;
}

int session__select(struct session *s, const char *cli_monitors, bool all)
{
	struct cfg_node *m = s->cfg.monitors;
	struct monitor_inst *inst;
	int err = 0;

	/* Every monitor named in the config is configured (and so validated). */
	for (size_t i = 0; m && i < m->n_kids; i++) {
		const struct monitor *mon = monitor_find(m->kids[i]->key);
		struct cfg_node *node = m->kids[i];
		bool enabled = true, active = true;

		node->used = true;
		if (!mon) {
			cfg_node__key_error(node, "unknown monitor (--list-monitors lists them)");
			err = -EINVAL;
			continue;
		}
		if (node->kind != CFG_MAP && !node->null) {
			cfg_node__error(node, "expected a mapping");
			err = -EINVAL;
			continue;
		}
		if (node->kind == CFG_MAP && (cfg_get_bool(node, "enabled", &enabled) ||
					      cfg_get_bool(node, "active", &active))) {
			err = -EINVAL;
			continue;
		}
		inst = session_add(s, mon);
		if (!inst)
			return -ENOMEM;
		inst->enabled = enabled && !cli_monitors;
		/* Attached but inert (activity.h) until activated. */
		inst->active = active;
	}
	if (err)
		return err;
	/* A monitor's own section with items enables it, unless monitors: names it. */
	for (const struct monitor *const *mon = monitors; *mon; mon++) {
		struct cfg_node *sec = (*mon)->section ? config__section(&s->cfg, (*mon)->section)
						       : NULL;

		if (!sec || !sec->n_kids || monitor_node(s, (*mon)->name))
			continue;
		inst = session_add(s, *mon);
		if (!inst)
			return -ENOMEM;
		inst->enabled = !cli_monitors;
	}
	/* No monitors section: every monitor, with its defaults (one with a section: if it has items). */
	if (!m || all) {
		for (const struct monitor *const *mon = monitors; *mon; mon++) {
			struct cfg_node *sec = (*mon)->section ?
					       config__section(&s->cfg, (*mon)->section) : NULL;

			inst = session_add(s, *mon);
			if (!inst)
				return -ENOMEM;
			if (!m)
				inst->enabled = !cli_monitors && (!(*mon)->section ||
								  (sec && sec->n_kids));
		}
	}
	if (cli_monitors) {
		char *list = strdup(cli_monitors), *save = NULL, *tok, *p;

		if (!list)
			return -ENOMEM;
		for (p = list; (tok = strtok_r(p, ",", &save)); p = NULL) {
			const struct monitor *mon = monitor_find(tok);

			if (!mon) {
				pr_err("--monitors: unknown monitor '%s' (--list-monitors lists them)",
				       tok);
				err = -EINVAL;
				break;
			}
			inst = session_add(s, mon);
			if (!inst) {
				err = -ENOMEM;
				break;
			}
			inst->enabled = true;
		}
		free(list);
	}
	for (size_t i = 0; i < s->n_insts; i++) {
		if (s->cfg.inactive)
			s->insts[i]->active = false;
		s->insts[i]->active_cfg = s->insts[i]->active;
	}
	return err;
}

static void verdict_from_kernel(struct session *s, struct monitor_inst *inst)
{
	const struct kernel_info *ki = &s->ki;

	if (!ki->privileged)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "%s", ki->privileged_why);
	else if (!ki->bpf_ok)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "%s", ki->bpf_why);
	if (!ki->tracefs_ok) {
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "%s", ki->tracefs_why);
		return;
	}
	if (!ki->headers_ok)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "%s", ki->headers_why);
	for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category; tp++) {
		if (kernel_info__has_tracepoint(ki, tp->category, tp->event))
			continue;
		monitor_inst__verdict(inst, tp->optional ? VERDICT_DEGRADED : VERDICT_UNAVAILABLE,
				      "tracepoint %s:%s not found%s", tp->category, tp->event,
				      tp->optional ? " (optional)" : "");
	}
	if (!kernel_info__offsets_trusted(ki))
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "ppid unavailable: no BTF (%s) and the headers are %u.%u, "
				      "not %u.%u", ki->btf_why, ki->headers_major,
				      ki->headers_minor, ki->major, ki->minor);
}

/* HAVE_<EVENT> = 0/1 for each of the monitor's tracepoints, for #if in probes. */
static int tracepoint_vars_set(struct session *s, struct monitor_inst *inst)
{
	for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category; tp++) {
		char name[128];
		size_t i;

		snprintf(name, sizeof(name), "HAVE_%s", tp->event);
		for (i = 5; name[i]; i++)
			name[i] = toupper((unsigned char)name[i]);
		if (render_vars__set(&inst->vars, name, "%d",
				     kernel_info__has_tracepoint(&s->ki, tp->category, tp->event)))
			return -ENOMEM;
	}
	return 0;
}

bool session__ringbuf(const struct session *s)
{
	return s->cfg.transport == TRANSPORT_RINGBUF ||
	       (s->cfg.transport == TRANSPORT_AUTO && s->ki.ringbuf);
}

int session__configure(struct session *s)
{
	int err = 0;

	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];
		struct cfg_node *node = monitor_node(s, inst->mon->name);

		/* What a reload compares: its whole subtree, enabled and all, and its section. */
		inst->section = inst->mon->section ? config__section(&s->cfg, inst->mon->section)
						   : NULL;
		inst->settings = cfg_node__dump(node);
		if (!inst->settings)
			return -ENOMEM;
		if (inst->section) {
			char *sec = cfg_node__dump(inst->section), *both = NULL;

			if (!sec || asprintf(&both, "%s\n%s", inst->settings, sec) < 0)
				both = NULL;
			free(sec);
			free(inst->settings);
			inst->settings = both;
			if (!both)
				return -ENOMEM;
		}
		if (node && node->kind != CFG_MAP)
			node = NULL;
		verdict_from_kernel(s, inst);
		inst->filter_pids = s->filters.pids;
		inst->n_filter_pids = s->filters.n_pids;
		if (inst->mon->configure(inst, node)) {
			err = -EINVAL;
			continue;
		}
		if (node && cfg_node__check_unused(node))
			err = -EINVAL;
		/* Asked for by name, so no quiet fallback to perf buffers. */
		if (s->cfg.transport == TRANSPORT_RINGBUF && !s->ki.ringbuf && inst_streams(inst))
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
					      "output.transport: ringbuf: %s", s->ki.ringbuf_why);
		if (render_vars__set(&inst->vars, "MON_ID", "%u", inst->id) ||
		    (inst->mon->events_table &&
		     render_vars__set(&inst->vars, "EVENTS_TABLE", "%s", inst->mon->events_table)) ||
		    tracepoint_vars_set(s, inst))
			return -ENOMEM;
	}
	return err;
}

size_t session__usable(const struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_insts; i++)
		n += inst_usable(s->insts[i]);
	return n;
}

static void filters_free(struct filters *f)
{
	free(f->pids);
	free(f->tgids);
	free(f->uids);
	free(f->comms);
	for (size_t i = 0; i < f->n_cgroups; i++)
		close(f->cgroup_fds[i]);
	free(f->cgroup_fds);
	strv_free(f->cgroups);
	memset(f, 0, sizeof(*f));
}

void inst_free(struct monitor_inst *inst)
{
	if (!inst)
		return;
	if (inst->mon->detach)
		inst->mon->detach(inst);
	render_vars__free(&inst->vars);
	for (size_t j = 0; j < inst->n_items; j++)
		render_vars__free(&inst->items[j]);
	free(inst->items);
	free(inst->text);
	free(inst->settings);
	summary_rows__release(&inst->rows);
	free(inst);
}

void session__stop(struct session *s)
{
	/* The probe sets first: their readers call back into the instances. */
	for (size_t i = 0; i < s->n_sets; i++)
		probe_set__free(s->sets[i]);
	free(s->sets);
	s->sets = NULL;
	s->n_sets = 0;
	for (size_t i = 0; i < s->n_insts; i++)
		inst_free(s->insts[i]);
	free(s->sample);
	if (s->reorder.late)
		pr_info("reorder: %llu events arrived later than output.reorder_window and "
			"were written out of order", (unsigned long long)s->reorder.late);
	reorder__free(&s->reorder);
	record__release(&s->rec);
	s->sample = NULL;
	sink__close(s->sink);
	s->sink = NULL;
	free(s->insts);
	s->insts = NULL;
	s->n_insts = 0;
	free(s->prologue);
	free(s->shared);
	s->prologue = s->shared = NULL;
	filters_free(&s->filters);
	kernel_info__free(&s->ki);
	config__free(&s->cfg);
	users_cache_free();
	cgroup_cache_free();
}

/* A bad filters.cgroup item at its place in the config, or on --cgroup. */
static void cgroup_filter_error(struct session *s, bool cli, size_t i, const char *msg,
				const char *path)
{
	struct cfg_node *node = cli ? NULL :
		cfg_node__get(cfg_node__get(s->cfg.doc ? s->cfg.doc->root : NULL, "filters"),
			      "cgroup");

	if (node && node->kind == CFG_SEQ && i < node->n_kids)
		cfg_node__error(node->kids[i], "%s '%s'", msg, path);
	else
		pr_err("%s: %s '%s'", cli ? "--cgroup" : "filters.cgroup", msg, path);
}

int session__cgroup_filters(struct session *s, char *const *cli)
{
	struct filters *f = &s->filters;
	char *const *v = cli ? cli : s->cfg.cgroups;
	size_t n = strv_len(v);
	int err = 0;

	if (!n)
		return 0;
	if (n > CONFIG_CGROUP_FILTER_MAX) {
		pr_err("--cgroup: at most %d cgroups, got %zu", CONFIG_CGROUP_FILTER_MAX, n);
		return -EINVAL;
	}
	f->cgroup_fds = calloc(n, sizeof(*f->cgroup_fds));
	f->cgroups = calloc(n + 1, sizeof(*f->cgroups));
	if (!f->cgroup_fds || !f->cgroups)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int fd = cgroup_open(v[i]);

		if (fd < 0) {
			cgroup_filter_error(s, cli, i,
					    fd == -ENOENT ? "no such cgroup (under the cgroup2 mount)" :
					    fd == -ENODEV ? "no cgroup2 mount for" :
					    fd == -EINVAL ? "not a cgroup v2 directory under its mount:" :
					    "cannot open the cgroup", v[i]);
			err = -EINVAL;
			continue;
		}
		f->cgroups[f->n_cgroups] = strdup(v[i]);
		f->cgroup_fds[f->n_cgroups++] = fd;
		if (!f->cgroups[f->n_cgroups - 1])
			return -ENOMEM;
	}
	return err;
}
