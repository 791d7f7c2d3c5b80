// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../probes/common.h"
#include "daemon.h"
#include "event_loop.h"
#include "json_util.h"
#include "log.h"
#include "probe_set.h"
#include "session.h"
#include "sink.h"
#include "users.h"

static struct monitor_inst *session_add(struct session *s, const struct monitor *mon)
{
	struct monitor_inst *grown;

	for (size_t i = 0; i < s->n_insts; i++)
		if (s->insts[i].mon == mon)
			return &s->insts[i];
	grown = realloc(s->insts, (s->n_insts + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->insts = grown;
	memset(&s->insts[s->n_insts], 0, sizeof(*grown));
	s->insts[s->n_insts].mon = mon;
	s->insts[s->n_insts].id = s->n_insts;
	s->insts[s->n_insts].ki = &s->ki;
	s->insts[s->n_insts].metrics = s->metrics;
	s->insts[s->n_insts].metrics_only = s->metrics_only;
	s->insts[s->n_insts].comm_labels = s->cfg.metrics_comm_labels;
	return &s->insts[s->n_insts++];
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
		struct monitor_inst *inst = &s->insts[i];
		struct cfg_node *node = monitor_node(s, inst->mon->name);

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

size_t session__usable(const struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_insts; i++)
		n += s->insts[i].enabled && s->insts[i].verdict != VERDICT_UNAVAILABLE;
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

char *session__render(struct session *s, const char *only)
{
	struct render_vars globals = { 0 };
	struct render_ctx ctx = { .globals = &globals, .offset = offset_of, .offset_ctx = s };
	char *prologue = NULL, *text = NULL, *out = NULL;
	size_t len;
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
	prologue = render("prologue.bpf.c", text, &ctx);
	free(text);
	text = NULL;
	if (!prologue) {
		err = -errno;
		goto cleanup;
	}
	out = prologue;
	prologue = NULL;
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = &s->insts[i];
		char *src, *rendered, *grown;

		if (only ? strcmp(only, inst->mon->name) :
			   !inst->enabled || inst->verdict == VERDICT_UNAVAILABLE)
			continue;
		ctx.vars = &inst->vars;
		ctx.items = inst->items;
		ctx.n_items = inst->n_items;
		src = resource_load(inst->mon->probe);
		rendered = src ? render(inst->mon->probe, src, &ctx) : NULL;
		if (!src)
			pr_err("%s: cannot load %s: %s", inst->mon->name, inst->mon->probe,
			       strerror(errno));
		free(src);
		if (!rendered) {
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "its probe did not render");
			if (only) {
				err = -EINVAL;
				goto cleanup;
			}
			continue;
		}
		len = strlen(out);
		grown = realloc(out, len + strlen(rendered) + 64);
		if (!grown) {
			free(rendered);
			err = -ENOMEM;
			goto cleanup;
		}
		out = grown;
		sprintf(out + len, "\n/* ==== monitor %s ==== */\n%s", inst->mon->name, rendered);
		free(rendered);
	}
cleanup:
	render_vars__free(&globals);
	if (err) {
		free(out);
		errno = -err;
		return NULL;
	}
	return out;
}

static int filters_load(struct session *s)
{
	const struct filters *f = &s->filters;
	uint8_t one = 1;
	int err = 0;

	for (size_t i = 0; i < f->n_pids && !err; i++)
		err = probe_set__update(s->ps, "ebpfmon_filter_pid", &f->pids[i], &one);
	for (size_t i = 0; i < f->n_uids && !err; i++)
		err = probe_set__update(s->ps, "ebpfmon_filter_uid", &f->uids[i], &one);
	for (size_t i = 0; i < f->n_comms && !err; i++)
		err = probe_set__update(s->ps, "ebpfmon_filter_comm", f->comms[i], &one);
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

	/*
	 * Metrics only: collect still runs, so the summary maps stay drained and
	 * bounded, but its records go nowhere (and count as no event written).
	 */
	if (inst->metrics_only)
		return 0;
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

/* Render every usable monitor into one text and compile it once. */
static int session_compile(struct session *s)
{
	char *src;
	int err;

	src = session__render(s, NULL);
	if (!src)
		return -errno;
	s->ps = probe_set__new(&s->ki);
	if (!s->ps) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = probe_set__add_source(s->ps, src);
	if (err)
		goto cleanup;
	if (s->ki.headers_ok)
		pr_info("kernel: headers %s; struct offsets from %s", s->ki.headers_how,
			kernel_info__offsets_source(&s->ki));
	err = probe_set__compile(s->ps);
cleanup:
	free(src);
	return err;
}

/* Open a monitor's perf or ring buffer and attach its programs; 0 or -errno. */
static int inst_attach(struct session *s, struct monitor_inst *inst)
{
	bool ringbuf = session__ringbuf(s);
	int err = 0;

	inst->record = inst_record;
	inst->emit = inst_emit;
	inst->emit_ctx = s;
	if (streams(inst)) {
		if (ringbuf)
			err = probe_set__open_ring_buffer(s->ps, inst->mon->events_table,
							  on_sample, inst);
		else
			err = probe_set__open_perf_buffer(s->ps, inst->mon->events_table,
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
		err = inst->mon->attach(inst, s->ps);
		if (err)
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "attach failed: %s",
					      strerror(-err));
	}
out:
	if (err)
		skip(inst);
	inst->attached = !err;
	return err;
}

static void ready(struct session *s, size_t attached)
{
	char names[512] = "", line[768];
	bool events = false;

	event_loop__catch_signals();

	for (size_t i = 0; i < s->n_insts; i++) {
		if (!s->insts[i].attached)
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", s->insts[i].mon->name);
		events |= streams(&s->insts[i]);
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

int session__start(struct session *s)
{
	size_t attached = 0;
	int err;

	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = &s->insts[i];

		if (inst->enabled && inst->verdict == VERDICT_UNAVAILABLE)
			skip(inst);
		else if (inst->enabled && inst->verdict == VERDICT_DEGRADED)
			pr_warn("%s: degraded: %s", inst->mon->name, inst->why);
	}
	if (!session__usable(s)) {
		pr_err("no monitor can run");
		return -ENODEV;
	}
	s->sample = malloc(SESSION_SAMPLE_MAX);
	if (!s->sample)
		return -ENOMEM;
	s->reorder.window_ns = s->cfg.reorder_window * 1e9;
	s->reorder.max_items = SESSION_REORDER_MAX;
	err = session_compile(s);
	if (!err)
		err = filters_load(s);
	if (err)
		return err;
	session__update_clock(s);
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = &s->insts[i];

		if (inst->enabled && inst->verdict != VERDICT_UNAVAILABLE &&
		    !inst_attach(s, inst))
			attached++;
	}
	if (!attached) {
		pr_err("no monitor could be attached");
		return -ENODEV;
	}
	probe_set__release_compiler(s->ps);
	ready(s, attached);
	return 0;
}

void session__read_counters(struct session *s)
{
	for (size_t i = 0; s->ps && i < s->n_insts; i++) {
		struct monitor_inst *inst = &s->insts[i];
		uint64_t n;

		if (!inst->attached)
			continue;
		if (!probe_set__percpu_sum(s->ps, "ebpfmon_filtered", inst->id, &n))
			inst->filtered = n;
		if (!probe_set__percpu_sum(s->ps, "ebpfmon_lost", inst->id, &n) && n > inst->lost)
			report_lost(s, inst, n);
	}
}

void session__stop(struct session *s)
{
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = &s->insts[i];

		if (inst->mon->detach)
			inst->mon->detach(inst);
		render_vars__free(&inst->vars);
		for (size_t j = 0; j < inst->n_items; j++)
			render_vars__free(&inst->items[j]);
		free(inst->items);
	}
	probe_set__free(s->ps);
	s->ps = NULL;
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
	free(s->filters.pids);
	free(s->filters.uids);
	free(s->filters.comms);
	memset(&s->filters, 0, sizeof(s->filters));
	kernel_info__free(&s->ki);
	config__free(&s->cfg);
	users_cache_free();
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
		struct monitor_inst *inst = &s->insts[i];
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
