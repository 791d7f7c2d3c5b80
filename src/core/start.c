// SPDX-License-Identifier: GPL-2.0
/*
 * From configured monitors to attached ones: the probes rendered into one C
 * text, compiled into a probe set, the filter maps filled, each monitor's
 * buffer opened and programs attached, readiness announced. The start does it
 * for every usable monitor; a reload (reload.c) for those it changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/daemon.h"
#include "util/clock.h"
#include "util/log.h"
#include "bpf/probe_set.h"
#include "core/session_int.h"
#include "util/strbuf.h"

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

static int btf_offset_of(void *ctx, const char *type, const char *member, long *off)
{
	struct session *s = ctx;

	return kernel_info__btf_offset(&s->ki, type, member, off);
}

static int globals_set(struct session *s, struct render_vars *g)
{
	const struct filters *f = &s->filters;
	size_t max = f->n_pids;
	bool headers_offsets = !s->ki.btf && kernel_info__offsets_trusted(&s->ki);
	int err = 0;

	if (f->n_tgids > max)
		max = f->n_tgids;
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
	err |= render_vars__set(g, "FILTER_TGID", "%d", f->n_tgids > 0);
	err |= render_vars__set(g, "FILTER_UID", "%d", f->n_uids > 0);
	err |= render_vars__set(g, "FILTER_COMM", "%d", f->n_comms > 0);
	err |= render_vars__set(g, "FILTER_CGROUP", "%zu", f->n_cgroups);
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
	err |= strbuf_adds(&sb, "\ntgids");
	for (size_t i = 0; i < f->n_tgids; i++)
		err |= strbuf_addf(&sb, " %u", f->tgids[i]);
	err |= strbuf_adds(&sb, "\nuids");
	for (size_t i = 0; i < f->n_uids; i++)
		err |= strbuf_addf(&sb, " %u", f->uids[i]);
	err |= strbuf_adds(&sb, "\ncomms");
	for (size_t i = 0; i < f->n_comms; i++)
		err |= strbuf_addf(&sb, " %.16s/", f->comms[i]);
	/* The paths as given: a reload that names other cgroups recompiles. */
	err |= strbuf_adds(&sb, "\ncgroups");
	for (size_t i = 0; i < f->n_cgroups; i++)
		err |= strbuf_addf(&sb, " %zu:%s", strlen(f->cgroups[i]), f->cgroups[i]);
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
int session_render_parts(struct session *s, const char *only, bool strict)
{
	struct render_vars globals = { 0 };
	struct render_ctx ctx = { .globals = &globals, .offset = offset_of,
				  .btf_offset = btf_offset_of, .offset_ctx = s };
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
		/*
		 * A probe that names its users' sources with #line (clang's
		 * messages then give their own lines): what follows is the
		 * compile's own text again, numbered as libbcc names it.
		 */
		if (inst->compile && !err && strstr(inst->text, "\n#line ")) {
			size_t lines = 0;

			for (size_t j = 0; j < sb.len; j++)
				lines += sb.buf[j] == '\n';
			err = strbuf_addf(&sb, "\n#line %zu \"/virtual/main.c\"\n", lines + 3);
		}
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


_Static_assert(CONFIG_CGROUP_FILTER_MAX == EBPFMON_CGROUP_FILTER_SLOTS,
	       "filters.cgroup: the config's bound is the probes'");

static int filters_load(struct session *s, struct probe_set *ps)
{
	const struct filters *f = &s->filters;
	uint8_t one = 1;
	int err = 0;

	for (size_t i = 0; i < f->n_pids && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_pid", &f->pids[i], &one);
	for (size_t i = 0; i < f->n_tgids && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_tgid", &f->tgids[i], &one);
	for (size_t i = 0; i < f->n_uids && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_uid", &f->uids[i], &one);
	for (size_t i = 0; i < f->n_comms && !err; i++)
		err = probe_set__update(ps, "ebpfmon_filter_comm", f->comms[i], &one);
	/* The cgroup array holds the cgroups themselves: their fds can close after. */
	for (uint32_t i = 0; i < f->n_cgroups && !err; i++) {
		uint32_t fd = f->cgroup_fds[i];

		err = probe_set__update(ps, "ebpfmon_filter_cgroup", &i, &fd);
	}
	if (err)
		pr_err("filters: cannot fill the kernel filter maps: %s", strerror(-err));
	return err;
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
struct probe_set *session_compile(struct session *s)
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

int sets_add(struct session *s, struct probe_set *ps)
{
	struct probe_set **grown = realloc(s->sets, (s->n_sets + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->sets = grown;
	s->sets[s->n_sets++] = ps;
	return 0;
}

/* Free PS once no attached monitor of s uses it. */
void sets_put(struct session *s, struct probe_set *ps)
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
	int err = 0;

	inst_connect(s, inst);
	inst->ps = ps;
	probe_set__set_owner(ps, inst);
	/* Zero is inert: the entry is written before any program can run. */
	err = monitor_inst__control_write(inst);
	if (err) {
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
				      "cannot write its control entry: %s", strerror(-err));
		goto out;
	}
	if (inst_streams(inst)) {
		err = inst_buffer_open(s, inst, ps);
		if (err) {
			monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
					      "cannot open its %s buffer: %s",
					      session__ringbuf(s) ? "ring" : "perf", strerror(-err));
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
size_t session_attach(struct session *s, struct probe_set *ps)
{
	size_t attached = 0;
	double now;

	session__update_clock(s);
	now = clock_mono_s();
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];

		if (!inst->compile)
			continue;
		if (inst_usable(inst) && !inst_attach(s, inst, ps))
			attached++;
		inst->compile = false;
		inst->next_collect = now + inst->interval;
	}
	return attached;
}

/* ", NAME" for each attached monitor after FROM that streams, or collects every INTERVAL s. */
static void ready_names(struct session *s, struct strbuf *sb, size_t from, bool streams,
			double interval)
{
	const char *sep = "";

	for (size_t i = from; i < s->n_insts; i++) {
		const struct monitor_inst *inst = s->insts[i];

		if (!inst->attached || (streams ? !inst_streams(inst) :
					!monitor_inst__collects(inst) || inst->interval != interval))
			continue;
		strbuf_addf(sb, "%s%s", sep, inst->mon->name);
		sep = ", ";
	}
}

/*
 * How each monitor's data leaves the kernel: "ringbuf (exec, open), maps read
 * every 5 s (syscall)"; empty when nothing does (metrics only).
 */
static void ready_transport(struct session *s, struct strbuf *sb)
{
	struct strbuf names = STRBUF_INIT;
	bool grouped = false;

	ready_names(s, &names, 0, true, 0);
	if (names.len)
		strbuf_addf(sb, "%s (%s)", session__ringbuf(s) ? "ringbuf" : "perf", names.buf);
	strbuf_release(&names);
	for (size_t i = 0; i < s->n_insts; i++) {
		const struct monitor_inst *inst = s->insts[i];
		bool seen = false;

		if (!inst->attached || !monitor_inst__collects(inst))
			continue;
		/* One group per interval, where its first monitor is. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->insts[j]->attached && monitor_inst__collects(s->insts[j]) &&
			       s->insts[j]->interval == inst->interval;
		if (seen)
			continue;
		strbuf_addf(sb, "%s%s%g s (", sb->len ? ", " : "",
			    grouped ? "every " : "maps read every ", inst->interval);
		grouped = true;
		ready_names(s, sb, i, false, inst->interval);
		strbuf_addc(sb, ')');
	}
}

void session__ready(struct session *s)
{
	struct strbuf transport = STRBUF_INIT;
	char names[512] = "", inert[512] = "", line[1200];
	size_t attached = 0;

	for (size_t i = 0; i < s->n_insts; i++) {
		if (!s->insts[i]->attached)
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", s->insts[i]->mon->name);
		if (!monitor_inst__active(s->insts[i]))
			snprintf(inert + strlen(inert), sizeof(inert) - strlen(inert), "%s%s",
				 inert[0] ? ", " : "", s->insts[i]->mon->name);
		attached++;
	}
	ready_transport(s, &transport);
	snprintf(line, sizeof(line), "%zu monitor%s attached (%s)%s%s%s%s%s%s%s", attached,
		 attached == 1 ? "" : "s", names, inert[0] ? "; inert: " : "", inert,
		 transport.len ? "; transport: " : "",
		 transport.len ? transport.buf : "",
		 s->metrics_address ? "; metrics: http://" : "",
		 s->metrics_address ? s->metrics_address : "",
		 s->metrics_address ? "/metrics" : "");
	strbuf_release(&transport);
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
int verdicts_check(struct session *s)
{
	int err = 0;

	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];

		if (inst->enabled && inst->verdict == VERDICT_UNAVAILABLE)
			skip(inst);
		else if (inst->enabled && inst->verdict == VERDICT_DEGRADED)
			pr_warn("%s: degraded: %s", inst->mon->name, inst->why);
	}
	if (!session__usable(s)) {
		pr_err("no monitor can run");
		err = -ENODEV;
	}
	return err;
}

int session__start(struct session *s)
{
	struct probe_set *ps;
	int err;

	err = verdicts_check(s);
	if (err)
		goto cleanup;
	s->sample = malloc(SESSION_SAMPLE_MAX);
	if (!s->sample) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->reorder.window_ns = s->cfg.reorder_window * 1e9;
	s->reorder.max_items = SESSION_REORDER_MAX;
	err = session_render_parts(s, NULL, false);
	if (err)
		goto cleanup;
	ps = session_compile(s);
	if (!ps) {
		err = -errno;
		goto cleanup;
	}
	err = sets_add(s, ps);
	if (err) {
		probe_set__free(ps);
		goto cleanup;
	}
	/* From here on s->sets owns ps: session__stop frees it. */
	if (!session_attach(s, ps)) {
		pr_err("no monitor could be attached");
		err = -ENODEV;
		goto cleanup;
	}
	probe_set__release_compiler(ps);
cleanup:
	return err;
}
