/* SPDX-License-Identifier: GPL-2.0 */
/* The usdt monitor's event, shared by probes/usdt.bpf.c and src/monitors/usdt.c. */
#ifndef EBPFMON_PROBE_USDT_H
#define EBPFMON_PROBE_USDT_H

#include "common.h"

#define USDT_ARGS	12	/* an SDT probe's most (sys/sdt.h) */
#define USDT_STRS	4	/* string arguments read per event */
#define USDT_STR_MAX	256	/* monitors.usdt.string_size's most */
#define USDT_LABEL_SIZE	64	/* bytes of a string argument as a metric label */
#define USDT_MAX_PROBES	64	/* (target, probe) pairs */

struct usdt_event {
	struct ebpfmon_hdr hdr;
	__u32 probe;		/* the (target, probe) pair, in config order */
	__u32 n_args;
	__u64 args[USDT_ARGS];	/* each as the spec gives it, signed ones sign-extended */
	char strs[];		/* USDT_STRS strings of string_size bytes: the str arguments, in order */
};

/* Counts by a probe's label arguments (two string arguments, cut to USDT_LABEL_SIZE). */
struct usdt_label_key {
	__u32 probe;
	__u32 pad;
	char a[USDT_LABEL_SIZE];
	char b[USDT_LABEL_SIZE];
};

#endif
