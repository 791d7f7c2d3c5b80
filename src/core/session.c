// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probes/common.h"
#include "core/daemon.h"
#include "util/json_util.h"
#include "util/log.h"
#include "bpf/probe_set.h"
#include "core/session.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "util/users.h"

static struct monitor_inst *session_find(const struct session *s, const struct monitor *mon)
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
	inst->ki = &s->ki;
	inst->metrics = s->metrics;
	inst->metrics_only = s->metrics_only;
	inst->comm_labels = s->cfg.metrics_comm_labels;
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
		bool enabled = true;

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
		if (node->kind == CFG_MAP && cfg_get_bool(node, "enabled", &enabled)) {
			err = -EINVAL;
			continue;
		}
		inst = session_add(s, mon);
		if (!inst)
			return -ENOMEM;
		inst->enabled = enabled && !cli_monitors;
	}
	if (err)
		return err;
	/* No monitors section: every monitor, with its defaults. */
	if (!m || all) {
		for (const struct monitor *const *mon = monitors; *mon; mon++) {
			inst = session_add(s, *mon);
			if (!inst)
				return -ENOMEM;
			if (!m)
				inst->enabled = !cli_monitors;
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

/*
 * The monitor sends events through a perf or ring buffer (not summary mode;
 * a metrics-only probe sends none: EVENTS is 0).
 */
static bool streams(const struct monitor_inst *inst)
{
	return inst->mon->events_table && !inst->summary && !inst->metrics_only;
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

		/* What a reload compares: its whole subtree, enabled and all. */
		inst->settings = cfg_node__dump(node);
		if (!inst->settings)
			return -ENOMEM;
		if (node && node->kind != CFG_MAP)
			node = NULL;
		verdict_from_kernel(s, inst);
		if (inst->mon->configure(inst, node)) {
			err = -EINVAL;
			continue;
		}
		if (node && cfg_node__check_unused(node))
			err = -EINVAL;
		/* Asked for by name, so no quiet fallback to perf buffers. */
		if (s->cfg.transport == TRANSPORT_RINGBUF && !s->ki.ringbuf && streams(inst))
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

static bool inst_usable(const struct monitor_inst *inst)
{
	return inst->enabled && inst->verdict != VERDICT_UNAVAILABLE;
}

size_t session__usable(const struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_insts; i++)
		n += inst_usable(s->insts[i]);
	return n;
}

static int offset_of(void *ctx, const char *type, const char *member, char **out)
{
	struct session *s = ctx;
	long off;
	int err;

	if (s->ki.btf) {
		err = kernel_info__btf_offset(&s->ki, type, member, &off);
		if (err)
			return err;
		return asprintf(out, "%ld", off) < 0 ? -ENOMEM : 0;
	}
	if (kernel_info__offsets_trusted(&s->ki))
		return asprintf(out, "offsetof(struct %s, %s)", type, member) < 0 ? -ENOMEM : 0;
	/* Never used: probes read offsets only when EBPFMON_OFFSETS_TRUSTED. */
	return (*out = strdup("0")) ? 0 : -ENOMEM;
}

static int globals_set(struct session *s, struct render_vars *g)
{
	const struct filters *f = &s->filters;
	size_t max = f->n_pids;
	bool headers_offsets = !s->ki.btf && kernel_info__offsets_trusted(&s->ki);
	int err = 0;

	if (f->n_uids > max)
		max = f->n_uids;
	if (f->n_comms > max)
		max = f->n_comms;
	err |= render_vars__set(g, "VERSION", "%s", PACKAGE_VERSION);
	err |= render_vars__set(g, "KERNEL_RELEASE", "%s", s->ki.release);
	err |= render_vars__set(g, "OFFSETS_SOURCE", "%s", kernel_info__offsets_source(&s->ki));
	err |= render_vars__set(g, "OFFSETS_TRUSTED", "%d", kernel_info__offsets_trusted(&s->ki));
	err |= render_vars__set(g, "KERNEL_INCLUDES", "%s", headers_offsets ?
				"#include <linux/sched.h>\n#include <linux/mm_types.h>" : "");
	err |= render_vars__set(g, "SELF_PID", "%d", (int)getpid());
	err |= render_vars__set(g, "FILTER_MAX", "%zu", max ? max : 1);
	err |= render_vars__set(g, "FILTER_PID", "%d", f->n_pids > 0);
	err |= render_vars__set(g, "FILTER_UID", "%d", f->n_uids > 0);
	err |= render_vars__set(g, "FILTER_COMM", "%d", f->n_comms > 0);
	err |= render_vars__set(g, "RINGBUF", "%d", session__ringbuf(s));
	err |= render_vars__set(g, "RINGBUF_PAGES", "%lld", s->cfg.ringbuf_pages);
	err |= render_vars__set(g, "WAKEUP_EVENTS", "%lld", s->cfg.wakeup_events);
	/* The exporter's: metric maps compiled in; per-event data sent at all. */
	err |= render_vars__set(g, "METRICS", "%d", s->metrics);
	err |= render_vars__set(g, "EVENTS", "%d", !s->metrics_only);
	return err ? -ENOMEM : 0;
}

/* What the probes share beyond the prologue: the filter values live in maps. */
static int shared_set(struct session *s)
{
	const struct filters *f = &s->filters;
	struct strbuf sb = STRBUF_INIT;
	int err = 0;

	err |= strbuf_addf(&sb, "perf_pages %lld\npids", s->cfg.perf_pages);
	for (size_t i = 0; i < f->n_pids; i++)
		err |= strbuf_addf(&sb, " %u", f->pids[i]);
	err |= strbuf_adds(&sb, "\nuids");
	for (size_t i = 0; i < f->n_uids; i++)
		err |= strbuf_addf(&sb, " %u", f->uids[i]);
	err |= strbuf_adds(&sb, "\ncomms");
	for (size_t i = 0; i < f->n_comms; i++)
		err |= strbuf_addf(&sb, " %.16s/", f->comms[i]);
	if (err) {
		strbuf_release(&sb);
		return -ENOMEM;
	}
	free(s->shared);
	s->shared = strbuf_detach(&sb);
	return 0;
}

/*
 * Render the prologue and ONLY's probe, or every usable monitor's, into
 * inst->text, marked to compile. A probe that does not render makes its
 * monitor unavailable, or is an error for ONLY and when STRICT (a reload).
 */
static int session_render_parts(struct session *s, const char *only, bool strict)
{
	struct render_vars globals = { 0 };
	struct render_ctx ctx = { .globals = &globals, .offset = offset_of, .offset_ctx = s };
	char *text = NULL;
	int err;

	err = globals_set(s, &globals);
	if (err)
		goto cleanup;
	text = resource_load("prologue.bpf.c");
	if (!text) {
		err = -errno;
		pr_err("probe: cannot load prologue.bpf.c: %s", strerror(errno));
		goto cleanup;
	}
	free(s->prologue);
	s->prologue = render("prologue.bpf.c", text, &ctx);
	if (!s->prologue) {
		err = -errno;
		goto cleanup;
	}
	err = shared_set(s);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];
		char *src;

		if (only ? strcmp(only, inst->mon->name) : !inst_usable(inst))
			continue;
		ctx.vars = &inst->vars;
		ctx.items = inst->items;
		ctx.n_items = inst->n_items;
		src = resource_load(inst->mon->probe);
		free(inst->text);
		inst->text = src ? render(inst->mon->probe, src, &ctx) : NULL;
		if (!src)
			pr_err("%s: cannot load %s: %s", inst->mon->name, inst->mon->probe,
			       strerror(errno));
		free(src);
		inst->compile = inst->text != NULL;
		if (inst->text)
			continue;
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "its probe did not render");
		if (only || strict) {
			err = -EINVAL;
			goto cleanup;
		}
	}
cleanup:
	render_vars__free(&globals);
	free(text);
	return err;
}

/* The prologue and every monitor marked to compile, as one C text. */
static char *session_render_join(const struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	err = strbuf_adds(&sb, s->prologue);
	for (size_t i = 0; i < s->n_insts && !err; i++) {
		const struct monitor_inst *inst = s->insts[i];

		if (inst->compile)
			err = strbuf_addf(&sb, "\n/* ==== monitor %s ==== */\n#undef EBPFMON_MON_ID\n"
					  "#define EBPFMON_MON_ID %u\n%s", inst->mon->name,
					  inst->id, inst->text);
	}
	if (err) {
		strbuf_release(&sb);
		errno = ENOMEM;
		return NULL;
	}
	return strbuf_detach(&sb);
}

char *session__render(struct session *s, const char *only)
{
	int err = session_render_parts(s, only, false);

	if (err) {
		errno = -err;
		return NULL;
	}
	return session_render_join(s);
}

static void filters_free(struct filters *f)
{
	free(f->pids);
	free(f->uids);
	free(f->comms);
	memset(f, 0, sizeof(*f));
}

static int filters_load(struct session *s, struct probe_set *ps)
{
	const struct filters *f = &s->filters;
	uint8_t one = 1;
	int err = 0;

	for (size_t i = 0; i < f->n_pids && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_pid", &f->pids[i], &one);
	for (size_t i = 0; i < f->n_uids && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_uid", &f->uids[i], &one);
	for (size_t i = 0; i < f->n_comms && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_comm", f->comms[i], &one);
	if (err)
		pr_err("filters: cannot fill the kernel filter maps: %s", strerror(-err));
	return err;
}

void session__update_clock(struct session *s)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	s->mono_to_real_ns = (int64_t)(rt.tv_sec - mono.tv_sec) * 1000000000 +
			     (rt.tv_nsec - mono.tv_nsec);
}

struct record *session__record_new(struct session *s, struct monitor_inst *inst,
				   const char *type, uint64_t ts_mono_ns)
{
	struct record *rec = &s->rec;

	record__reset(rec);
	record__str(rec, "type", type);
	record__time(rec, "ts", ts_mono_ns + s->mono_to_real_ns);
	record__uint(rec, "ts_ns", ts_mono_ns);
	record__str(rec, "monitor", inst->mon->name);
	return rec;
}

int session__emit(struct session *s, struct record *rec)
{
	int err = sink__write(s->sink, rec);

	if (err && !s->write_error)
		s->write_error = err;
	return err;
}

/* One sample, 8-byte aligned, into a record and out. */
static void sample_emit(void *ctx, const void *data, size_t size, void *arg)
{
	struct monitor_inst *inst = ctx;
	struct session *s = arg;
	const struct ebpfmon_hdr *h = data;
	struct record *rec;

	rec = session__record_new(s, inst, "event", h->ts_ns);
	record__uint(rec, "pid", h->pid);
	record__uint(rec, "tid", h->tid);
	if (h->flags & EBPFMON_HDR_PPID_VALID)
		record__uint(rec, "ppid", h->ppid);
	else
		record__null(rec, "ppid");
	record__uint(rec, "uid", h->uid);
	record__str(rec, "user", user_name(h->uid));
	record__strn(rec, "comm", h->comm, sizeof(h->comm));
	record__uint(rec, "cpu", h->cpu);
	if (inst->mon->on_event(inst, data, size, rec)) {
		inst->malformed++;
	} else if (!session__emit(s, rec)) {
		inst->events++;
	}
}

static void on_sample(void *ctx, void *data, int size)
{
	struct monitor_inst *inst = ctx;
	struct session *s = inst->emit_ctx;
	uint64_t ts;

	if (size < (int)sizeof(struct ebpfmon_hdr) || size > SESSION_SAMPLE_MAX) {
		inst->malformed++;
		return;
	}
	if (!inst->attached)
		return;		/* a monitor whose attach failed half-way */
	if (s->reorder.window_ns) {
		/* The copy the window holds is aligned. */
		memcpy(&ts, (const char *)data + offsetof(struct ebpfmon_hdr, ts_ns), sizeof(ts));
		if (reorder__push(&s->reorder, ts, inst, data, size, sample_emit, s))
			inst->malformed++;
		return;
	}
	/* Perf puts samples 4 bytes past an 8-byte boundary; our structs want 8. */
	memcpy(s->sample, data, size);
	sample_emit(inst, s->sample, size, s);
}

void session__release_held(struct session *s, bool all)
{
	struct timespec now;
	uint64_t mono;

	if (!s->reorder.n)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	mono = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	reorder__release(&s->reorder, all ? UINT64_MAX : mono, sample_emit, s);
}

double session__next_release(const struct session *s)
{
	if (!s->reorder.n)
		return 0;
	return (s->reorder.heap[0]->ts + s->reorder.window_ns) / 1e9;
}

/* The kernel's PERF_RECORD_LOST: the same drops ebpfmon_lost counts, later. */
static void on_lost(void *ctx, uint64_t lost)
{
	struct monitor_inst *inst = ctx;

	pr_debug("%s: perf buffer reports %llu lost samples", inst->mon->name,
		 (unsigned long long)lost);
}

/* New losses since the last look: a "lost" record and a warning. */
static void report_lost(struct session *s, struct monitor_inst *inst, uint64_t total)
{
	uint64_t lost = total - inst->lost;
	struct timespec now;
	struct record *rec;

	inst->lost = total;
	clock_gettime(CLOCK_MONOTONIC, &now);
	rec = session__record_new(s, inst, "lost",
				  (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec);
	record__uint(rec, "count", lost);
	record__uint(rec, "total", total);
	session__emit(s, rec);
	pr_warn("%s: lost %llu events (%llu in all): the %s buffer was full",
		inst->mon->name, (unsigned long long)lost, (unsigned long long)total,
		session__ringbuf(s) ? "ring" : "perf");
}

static int inst_emit(struct monitor_inst *inst, struct record *rec)
{
	int err;

	err = session__emit(inst->emit_ctx, rec);
	if (!err)
		inst->events++;
	return err;
}

static struct record *inst_record(struct monitor_inst *inst, const char *type)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return session__record_new(inst->emit_ctx, inst, type,
				   (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec);
}

static void skip(struct monitor_inst *inst)
{
	pr_warn("%s: skipped: %s: %s", inst->mon->name, monitor_verdict_name(inst->verdict),
		inst->why);
}

/*
 * The monitors marked to compile, in one text, compiled once; the filter
 * maps filled. A new probe set, or NULL with errno set.
 */
static struct probe_set *session_compile(struct session *s)
{
	struct probe_set *ps = NULL;
	char *src;
	int err;

	src = session_render_join(s);
	if (!src)
		return NULL;
	ps = probe_set__new(&s->ki);
	if (!ps) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = probe_set__add_source(ps, src);
	if (err)
		goto cleanup;
	if (s->ki.headers_ok)
		pr_info("kernel: headers %s; struct offsets from %s", s->ki.headers_how,
			kernel_info__offsets_source(&s->ki));
	err = probe_set__compile(ps);
	if (!err)
		err = filters_load(s, ps);
cleanup:
	free(src);
	if (err) {
		probe_set__free(ps);
		errno = -err;
		return NULL;
	}
	return ps;
}

static int sets_add(struct session *s, struct probe_set *ps)
{
	struct probe_set **grown = realloc(s->sets, (s->n_sets + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->sets = grown;
	s->sets[s->n_sets++] = ps;
	return 0;
}

/* Free PS once no attached monitor of s uses it. */
static void sets_put(struct session *s, struct probe_set *ps)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_insts; i++)
		if (s->insts[i] && s->insts[i]->attached && s->insts[i]->ps == ps)
			return;
	for (size_t i = 0; i < s->n_sets; i++)
		if (s->sets[i] != ps)
			s->sets[n++] = s->sets[i];
	s->n_sets = n;
	probe_set__free(ps);
}

/* Open a monitor's perf or ring buffer and attach its programs; 0 or -errno. */
static int inst_attach(struct session *s, struct monitor_inst *inst, struct probe_set *ps)
{
	bool ringbuf = session__ringbuf(s);
	int err = 0;

	inst->record = inst_record;
	inst->emit = inst_emit;
	inst->emit_ctx = s;
	inst->ps = ps;
	probe_set__set_owner(ps, inst);
	if (streams(inst)) {
		if (ringbuf)
			err = probe_set__open_ring_buffer(ps, inst->mon->events_table,
							  on_sample, inst);
		else
			err = probe_set__open_perf_buffer(ps, inst->mon->events_table,
							  on_sample, on_lost, inst,
							  s->cfg.perf_pages, s->cfg.wakeup_events);
		if (err) {
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
					      "cannot open its %s buffer: %s",
					      ringbuf ? "ring" : "perf", strerror(-err));
			goto out;
		}
	}
	if (inst->mon->attach) {
		err = inst->mon->attach(inst, ps);
		if (err)
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "attach failed: %s",
					      strerror(-err));
	}
out:
	probe_set__set_owner(ps, NULL);
	if (err) {
		/* What did attach goes too: nothing half-attached keeps running. */
		probe_set__detach(ps, inst);
		skip(inst);
	}
	inst->attached = !err;
	return err;
}

/* Attach every monitor marked to compile from PS; how many are attached. */
static size_t session_attach(struct session *s, struct probe_set *ps)
{
	size_t attached = 0;

	struct timespec now;

	session__update_clock(s);
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];

		if (!inst->compile)
			continue;
		if (inst_usable(inst) && !inst_attach(s, inst, ps))
			attached++;
		inst->compile = false;
		inst->next_collect = now.tv_sec + now.tv_nsec / 1e9 + inst->interval;
	}
	return attached;
}

void session__ready(struct session *s)
{
	char names[512] = "", line[768];
	size_t attached = 0;
	bool events = false;

	for (size_t i = 0; i < s->n_insts; i++) {
		if (!s->insts[i]->attached)
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", s->insts[i]->mon->name);
		events |= streams(s->insts[i]);
		attached++;
	}
	/* The transport only when some monitor streams events through it. */
	snprintf(line, sizeof(line), "%zu monitor%s attached (%s)%s%s%s%s%s", attached,
		 attached == 1 ? "" : "s", names, events ? "; transport: " : "",
		 events ? (session__ringbuf(s) ? "ringbuf" : "perf") : "",
		 s->metrics_address ? "; metrics: http://" : "",
		 s->metrics_address ? s->metrics_address : "",
		 s->metrics_address ? "/metrics" : "");
	log_print(LOG_LEVEL_INFO, "ready: %s", line);
	if (s->ready_fd >= 0) {
		if (write(s->ready_fd, "1", 1) != 1)
			pr_warn("--ready-fd: write failed: %s", strerror(errno));
		close(s->ready_fd);
		s->ready_fd = -1;
	}
	daemon__ready(line);
}

/* Skipped and degraded monitors said once, before the compile. */
static void verdicts_print(struct session *s)
{
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];

		if (inst->enabled && inst->verdict == VERDICT_UNAVAILABLE)
			skip(inst);
		else if (inst->enabled && inst->verdict == VERDICT_DEGRADED)
			pr_warn("%s: degraded: %s", inst->mon->name, inst->why);
	}
}

int session__start(struct session *s)
{
	struct probe_set *ps;
	int err;

	verdicts_print(s);
	if (!session__usable(s)) {
		pr_err("no monitor can run");
		return -ENODEV;
	}
	s->sample = malloc(SESSION_SAMPLE_MAX);
	if (!s->sample)
		return -ENOMEM;
	s->reorder.window_ns = s->cfg.reorder_window * 1e9;
	s->reorder.max_items = SESSION_REORDER_MAX;
	err = session_render_parts(s, NULL, false);
	if (err)
		return err;
	ps = session_compile(s);
	if (!ps)
		return -errno;
	err = sets_add(s, ps);
	if (err) {
		probe_set__free(ps);
		return err;
	}
	if (!session_attach(s, ps)) {
		pr_err("no monitor could be attached");
		return -ENODEV;
	}
	probe_set__release_compiler(ps);
	return 0;
}

/* The kernel's counts for one monitor, on top of those of the ones it replaced. */
static void inst_read_counters(struct session *s, struct monitor_inst *inst)
{
	uint64_t n;

	if (!inst->attached)
		return;
	if (!probe_set__percpu_sum(inst->ps, "ebpfmon_filtered", inst->id, &n))
		inst->filtered = inst->filtered_base + n;
	if (!probe_set__percpu_sum(inst->ps, "ebpfmon_lost", inst->id, &n) &&
	    inst->lost_base + n > inst->lost)
		report_lost(s, inst, inst->lost_base + n);
}

void session__read_counters(struct session *s)
{
	for (size_t i = 0; i < s->n_insts; i++)
		inst_read_counters(s, s->insts[i]);
}

int session__poll(struct session *s, int timeout_ms)
{
	return probe_set__poll_many(s->sets, s->n_sets, timeout_ms);
}

void session__consume(struct session *s)
{
	for (size_t i = 0; i < s->n_sets; i++)
		probe_set__consume(s->sets[i]);
}

static void inst_free(struct monitor_inst *inst)
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
}

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
	if (monitor_inst__collects(inst) && inst->mon->collect(inst, ps))
		pr_warn("%s: collect failed", inst->mon->name);
	inst_read_counters(s, inst);
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
	to->malformed = from->malformed;
	to->lost = to->lost_base = from->lost;
	to->filtered = to->filtered_base = from->filtered;
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
static void reload_commit(struct session *s, struct session *c, const enum reload_fate *fates,
			  struct probe_set *ps, struct sink *sink, struct monitor_inst **v)
{
	struct monitor_inst **old = s->insts;
	bool going[EBPFMON_MAX_MONITORS] = { false };
	size_t n_old = s->n_insts, n = 0;
	uint8_t one = 1;

	/* Held samples point at instances that may go. */
	session__release_held(s, true);
	for (size_t i = 0; i < n_old; i++) {
		enum reload_fate fate = FATE_REMOVED;

		for (size_t j = 0; j < c->n_insts; j++)
			if (c->insts[j]->mon == old[i]->mon)
				fate = fates[j];
		going[old[i]->id] = old[i]->attached &&
				    (fate == FATE_RECOMPILED || fate == FATE_REMOVED);
	}
	for (size_t i = 0; i < c->n_insts; i++) {
		struct monitor_inst *ci = c->insts[i];

		if (fates[i] == FATE_UNCHANGED) {
			v[n++] = session_find(s, ci->mon);
			continue;
		}
		ci->ki = &s->ki;
		v[n++] = ci;
		c->insts[i] = NULL;	/* moved; c frees what stays */
	}
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
		if (going[old[i]->id] &&
		    probe_set__update(old[i]->ps, "ebpfmon_retired", &old[i]->id, &one))
			pr_warn("%s: cannot stop the old programs before their detach",
				old[i]->mon->name);
	for (size_t i = 0; i < n_old; i++)
		if (going[old[i]->id])
			inst_retire(s, old[i]);
	if (ps)
		probe_set__release_compiler(ps);
	pthread_mutex_lock(&s->lock);
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
		    (oi->events || oi->lost || oi->filtered || oi->malformed)) {
			oi->enabled = false;
			v[n++] = oi;
		} else {
			inst_free(oi);
		}
	}
	s->n_insts = n;
	pthread_mutex_unlock(&s->lock);
	free(old);
	/* The drained events went to the old sink; the new one takes it from here. */
	if (sink) {
		sink__close(s->sink);
		s->sink = sink;
	}
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
	bool compile = false;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		err = -ENOMEM;
		goto fail;
	}
	c->ready_fd = -1;
	/* Read and check it all, touching nothing that runs. */
	err = s->setup(c, s->setup_ctx);
	if (err)
		goto fail;
	/* The exporter binds its address once, at the start. */
	if (!c->cfg.metrics_listen != !s->cfg.metrics_listen ||
	    (c->cfg.metrics_listen && strcmp(c->cfg.metrics_listen, s->cfg.metrics_listen))) {
		pr_err("reload: metrics.listen changes only with a restart (now %s)",
		       s->metrics_address ? s->metrics_address : "off");
		err = -EINVAL;
		goto fail;
	}
	verdicts_print(c);
	if (!session__usable(c)) {
		pr_err("no monitor can run");
		err = -ENODEV;
		goto fail;
	}
	err = session_render_parts(c, NULL, true);
	if (err)
		goto fail;
	fates = calloc(c->n_insts, sizeof(*fates));
	v = calloc(s->n_insts + c->n_insts, sizeof(*v));
	if (!fates || !v) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < c->n_insts; i++) {
		fates[i] = reload_fate(s, c, c->insts[i]);
		c->insts[i]->compile = fates[i] == FATE_RECOMPILED || fates[i] == FATE_ADDED;
		compile |= c->insts[i]->compile;
	}
	/* The compile and the verifier before anything running is touched. */
	if (compile) {
		ps = session_compile(c);
		err = ps ? probe_set__load_known(ps) : -errno;
		if (!err)
			err = sets_add(s, ps);
		if (err)
			goto fail;
	}
	if (output_changed(s, c, fates)) {
		sink = sink__open(&c->cfg, c->insts, c->n_insts);
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

static json_t *ok_why(bool ok, const char *why)
{
	return json_pack("{s:b,s:s?}", "ok", ok, "why", ok || !why || !*why ? NULL : why);
}

json_t *session__check_report(struct session *s)
{
	const struct kernel_info *ki = &s->ki;
	json_t *r = json_object(), *mons = json_object(), *h;
	char ver[32];

	json_set(r, "version", json_string(PACKAGE_VERSION));
	json_set(r, "kernel", json_pack("{s:s,s:s}", "release", ki->release,
					"machine", ki->machine));
	json_set(r, "privileged", ok_why(ki->privileged, ki->privileged_why));
	json_set(r, "bpf", ok_why(ki->bpf_ok, ki->bpf_why));
	h = ok_why(ki->tracefs_ok, ki->tracefs_why);
	if (ki->tracefs_ok) {
		json_set(h, "path", json_string(ki->tracefs));
		json_set(h, "mounted_by_us", json_boolean(ki->tracefs_mounted_by_us));
	}
	json_set(r, "tracefs", h);
	h = ok_why(ki->btf != NULL, ki->btf_why);
	if (ki->btf)
		json_set(h, "path", json_string("/sys/kernel/btf/vmlinux"));
	json_set(r, "btf", h);
	h = ok_why(ki->headers_ok, ki->headers_why);
	if (ki->headers_ok) {
		snprintf(ver, sizeof(ver), "%u.%u", ki->headers_major, ki->headers_minor);
		json_set(h, "build", ki->headers_build ? json_string(ki->headers_build) : NULL);
		json_set(h, "source", ki->headers_source ? json_string(ki->headers_source) : NULL);
		json_set(h, "version", json_string(ver));
		json_set(h, "matches_kernel", json_boolean(ki->headers_match));
		json_set(h, "how", json_string(ki->headers_how));
	}
	json_set(r, "headers", h);
	json_set(r, "struct_offsets", json_pack("{s:b,s:s}", "trusted",
						kernel_info__offsets_trusted(ki), "source",
						kernel_info__offsets_source(ki)));
	json_set(r, "kprobes", ok_why(ki->kprobes, ki->kprobes_why));
	json_set(r, "raw_tracepoints", ok_why(ki->raw_tracepoints, ki->raw_tracepoints_why));
	json_set(r, "fentry", ok_why(ki->fentry, ki->fentry_why));
	json_set(r, "ringbuf", ok_why(ki->ringbuf, ki->ringbuf_why));
	json_set(r, "transport", json_string(session__ringbuf(s) ? "ringbuf" : "perf"));
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];
		json_t *m = json_object(), *tps = json_object();
		char verdict[600];

		if (inst->verdict == VERDICT_OK)
			snprintf(verdict, sizeof(verdict), "ok");
		else
			snprintf(verdict, sizeof(verdict), "%s: %s",
				 monitor_verdict_name(inst->verdict), inst->why);
		json_set(m, "verdict", json_string(verdict));
		json_set(m, "enabled", json_boolean(inst->enabled));
		for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category;
		     tp++) {
			char name[128];

			snprintf(name, sizeof(name), "%s:%s", tp->category, tp->event);
			json_set(tps, name, json_boolean(kernel_info__has_tracepoint(ki,
							tp->category, tp->event)));
		}
		json_set(m, "tracepoints", tps);
		json_set(mons, inst->mon->name, m);
	}
	json_set(r, "monitors", mons);
	return r;
}
