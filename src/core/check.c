// SPDX-License-Identifier: GPL-2.0
/* The --check report: the kernel facts and each monitor's verdict, as JSON. */
#include <stdio.h>

#include "util/json_util.h"
#include "core/session.h"

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
	json_set(r, "kernel_paths", ok_why(!kernel_info__kpath_why(ki), kernel_info__kpath_why(ki)));
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
		/* Whether it would start recording, or attached inert (activity.h). */
		json_set(m, "active", json_boolean(monitor_inst__active(inst)));
		for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category;
		     tp++) {
			char name[128];

			snprintf(name, sizeof(name), "%s:%s", tp->category, tp->event);
			json_set(tps, name, json_boolean(kernel_info__has_tracepoint(ki,
							tp->category, tp->event)));
		}
		json_set(m, "tracepoints", tps);
		if (inst->mon->check)
			inst->mon->check(inst, m);
		json_set(mons, inst->mon->name, m);
	}
	json_set(r, "monitors", mons);
	return r;
}
