/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_ACTIVITY_H
#define EBPFMON_ACTIVITY_H
/*
 * Run-time activity of an attached monitor: its programs stay attached while
 * it is inert (each returns at its first instruction, on one lookup of the
 * kernel's per-monitor control entry), and its targets change in that entry
 * in place: no recompile, no detach.
 */
#include <stdbool.h>
#include <stdint.h>

struct monitor_inst;

/* What an active monitor records, on top of the run's own filters; zero/empty/-1: anything. */
struct monitor_targets {
	uint32_t pid;		/* a thread or process id, as --pid */
	uint32_t tgid;		/* a process id, as --tgid */
	int32_t cpu;		/* -1: any CPU */
	char comm[16];		/* "" : any name */
};

/* No target at all: what a monitor started active records. */
void monitor_targets__init(struct monitor_targets *t);

/* Make INST record what T lets through (T NULL: no target); 0 or -errno. */
int monitor_inst__activate(struct monitor_inst *inst, const struct monitor_targets *t);
/* Make INST inert (attached, recording nothing); 0 or -errno. */
int monitor_inst__deactivate(struct monitor_inst *inst);
bool monitor_inst__active(const struct monitor_inst *inst);
const struct monitor_targets *monitor_inst__targets(const struct monitor_inst *inst);

/*
 * Write INST's state (active, retired, targets) into its compile's control
 * entry, in one map update; before its programs are attached, and by the
 * calls above. Nothing to write before INST has a probe set. 0 or -errno.
 */
int monitor_inst__control_write(struct monitor_inst *inst);
/* A reload replaced INST: its programs record nothing more, for good. 0 or -errno. */
int monitor_inst__retire(struct monitor_inst *inst);

#endif
