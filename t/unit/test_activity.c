// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the activity API (src/core/activity.c) on a monitor not yet
 * attached (no probe set: the state is kept for the write before attach):
 * targets' defaults, activate, retarget, deactivate, the comm's padding, a
 * retired monitor refusing to come back.
 */
#include <errno.h>
#include <string.h>

#include "core/activity.h"
#include "core/monitor.h"
#include "tap.h"

static const struct monitor mon = { .name = "test" };

static int comm_zero_after(const char *comm, size_t from)
{
	for (size_t i = from; i < 16; i++)
		if (comm[i])
			return 0;
	return 1;
}

int main(void)
{
	struct monitor_inst inst;
	struct monitor_targets t;
	const struct monitor_targets *got;

	memset(&t, 0x55, sizeof(t));
	monitor_targets__init(&t);
	ok(t.pid == 0 && t.tgid == 0 && t.cpu == -1 && comm_zero_after(t.comm, 0),
	   "targets__init: no pid, no tgid, cpu -1, empty comm");

	memset(&inst, 0, sizeof(inst));
	inst.mon = &mon;
	ok(!monitor_inst__active(&inst), "a zeroed instance is inert");
	is_int(monitor_inst__activate(&inst, NULL), 0, "activate with no target: 0");
	got = monitor_inst__targets(&inst);
	ok(monitor_inst__active(&inst) && got->pid == 0 && got->cpu == -1 && !got->comm[0],
	   "active, no target");

	monitor_targets__init(&t);
	t.pid = 42;
	t.cpu = 1;
	memcpy(t.comm, "bash\0garbage!!!", 16);
	is_int(monitor_inst__activate(&inst, &t), 0, "retarget: 0");
	got = monitor_inst__targets(&inst);
	ok(got->pid == 42 && got->tgid == 0 && got->cpu == 1, "retarget: pid and cpu kept");
	ok(!strcmp(got->comm, "bash") && comm_zero_after(got->comm, 4),
	   "retarget: comm zero-padded after its end (the kernel compares 16 bytes)");

	memset(t.comm, 'x', sizeof(t.comm));
	is_int(monitor_inst__activate(&inst, &t), 0, "a comm of 16 bytes without NUL: 0");
	ok(strlen(monitor_inst__targets(&inst)->comm) == 15, "cut to 15 characters and a NUL");

	is_int(monitor_inst__deactivate(&inst), 0, "deactivate: 0");
	got = monitor_inst__targets(&inst);
	ok(!monitor_inst__active(&inst) && got->pid == 0 && got->cpu == -1 && !got->comm[0],
	   "deactivate: inert, targets cleared");

	is_int(monitor_inst__retire(&inst), 0, "retire: 0");
	is_int(monitor_inst__activate(&inst, NULL), -ESTALE, "a retired monitor cannot be activated");
	ok(!monitor_inst__active(&inst), "and stays inert");
	return done_testing();
}
