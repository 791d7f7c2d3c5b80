// SPDX-License-Identifier: GPL-2.0
/*
 * Run-time activity (activity.h): the host's copy of each monitor's control
 * entry, and its one write into the kernel's ebpfmon_control array.
 */
#include <errno.h>
#include <string.h>

#include "core/activity.h"
#include "core/monitor.h"
#include "util/log.h"

void monitor_targets__init(struct monitor_targets *t)
{
	memset(t, 0, sizeof(*t));
	t->cpu = -1;
}

static bool targets_any(const struct monitor_targets *t)
{
	return t->pid || t->tgid || t->cpu >= 0 || t->comm[0];
}

/* The kernel compares all 16 bytes of a comm: zeros after its end. */
static void comm_pad(char *comm, size_t size)
{
	size_t n = strnlen(comm, size - 1);

	memset(comm + n, 0, size - n);
}

/* INST's state as the kernel's entry: the whole entry in one update. */
int monitor_inst__control_write(struct monitor_inst *inst)
{
	struct ebpfmon_control c;
	uint32_t id = inst->id;

	memset(&c, 0, sizeof(c));
	c.active = inst->active && !inst->retired;
	c.retired = inst->retired;
	c.targeted = targets_any(&inst->targets);
	c.pid = inst->targets.pid;
	c.tgid = inst->targets.tgid;
	c.cpu = inst->targets.cpu;
	memcpy(c.comm, inst->targets.comm, sizeof(c.comm));
	/* Not attached yet: the entry is written before its attach. */
	if (!inst->ps)
		return 0;
	return probe_set__update(inst->ps, "ebpfmon_control", &id, &c);
}

/*
 * Inert since it last recorded, INST's programs stored no start: what its
 * in-flight tables hold is from before, and would pair with the end of a
 * call begun while it was inert. Emptied before it records again.
 */
static int activity_forget(struct monitor_inst *inst)
{
	const char *const *name = inst->mon->inflight;
	int err = 0;

	for (; name && *name && !err; name++) {
		err = probe_set__clear(inst->ps, *name);
		/* Compiled out in this mode. */
		if (err == -ENOENT)
			err = 0;
		if (err)
			pr_err("%s: cannot empty its table %s: %s", inst->mon->name, *name,
			       strerror(-err));
	}
	return err;
}

/* Change INST's state to ACTIVE, T; on a failed write nothing changes. */
static int activity_set(struct monitor_inst *inst, bool active, const struct monitor_targets *t)
{
	struct monitor_targets old_t = inst->targets;
	bool old_active = inst->active;
	int err;

	if (inst->retired)
		return -ESTALE;
	if (active && !inst->active && inst->ps) {
		err = activity_forget(inst);
		if (err)
			return err;
	}
	inst->active = active;
	if (t)
		inst->targets = *t;
	else
		monitor_targets__init(&inst->targets);
	comm_pad(inst->targets.comm, sizeof(inst->targets.comm));
	err = monitor_inst__control_write(inst);
	if (err) {
		pr_err("%s: cannot write its control entry: %s", inst->mon->name,
		       strerror(-err));
		inst->active = old_active;
		inst->targets = old_t;
	}
	return err;
}

int monitor_inst__activate(struct monitor_inst *inst, const struct monitor_targets *t)
{
	return activity_set(inst, true, t);
}

int monitor_inst__deactivate(struct monitor_inst *inst)
{
	return activity_set(inst, false, NULL);
}

int monitor_inst__retire(struct monitor_inst *inst)
{
	inst->retired = true;
	return monitor_inst__control_write(inst);
}

bool monitor_inst__active(const struct monitor_inst *inst)
{
	return inst->active && !inst->retired;
}

const struct monitor_targets *monitor_inst__targets(const struct monitor_inst *inst)
{
	return &inst->targets;
}
