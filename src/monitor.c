// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "log.h"
#include "monitor.h"
#include "probe_set.h"

extern const struct monitor mon_exec;

const struct monitor *const monitors[] = {
	&mon_exec,
	NULL,
};

const struct monitor *monitor_find(const char *name)
{
	for (const struct monitor *const *m = monitors; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}

const char *monitor_verdict_name(enum monitor_verdict v)
{
	static const char *const names[] = {
		[VERDICT_OK] = "ok",
		[VERDICT_DEGRADED] = "degraded",
		[VERDICT_UNAVAILABLE] = "unavailable",
	};

	return names[v];
}

void monitor_inst__verdict(struct monitor_inst *inst, enum monitor_verdict v,
			   const char *fmt, ...)
{
	size_t len = strlen(inst->why);
	va_list ap;

	if (v > inst->verdict)
		inst->verdict = v;
	if (len && len < sizeof(inst->why) - 2) {
		strcpy(inst->why + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(inst->why + len, sizeof(inst->why) - len, fmt, ap);
	va_end(ap);
}

int monitor_attach_tracepoints(struct monitor_inst *inst, struct probe_set *ps)
{
	for (const struct monitor_tp *tp = inst->mon->tracepoints; tp && tp->category; tp++) {
		int err;

		if (tp->optional &&
		    !kernel_info__has_tracepoint(inst->ki, tp->category, tp->event))
			continue;
		err = probe_set__attach_tracepoint(ps, tp->category, tp->event);
		if (err) {
			pr_err("%s: failed to attach tracepoint %s:%s: %s", inst->mon->name,
			       tp->category, tp->event, strerror(-err));
			return err;
		}
	}
	return 0;
}
