/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROBE_PROGRAM_H
#define EBPFMON_PROBE_PROGRAM_H

#include "common.h"

/* The most bytes one users' program event carries (PROGRAM_SUBMIT). */
#define PROGRAM_EVENT_MAX 512

/* One event of a users' program: which one (its index), and its bytes. */
struct program_event {
	struct ebpfmon_hdr hdr;
	__u32 prog;
	__u32 size;
	char data[PROGRAM_EVENT_MAX];
};

#endif
