/* SPDX-License-Identifier: GPL-2.0 */
/* The open monitor's event, shared by probes/open.bpf.c and src/monitors/open.c. */
#ifndef EBPFMON_PROBE_OPEN_H
#define EBPFMON_PROBE_OPEN_H

#include "common.h"

/* open_event.op */
#define OPEN_OP_OPEN	0
#define OPEN_OP_OPENAT	1
#define OPEN_OP_OPENAT2	2

/* open_event.info */
#define OPEN_I_PATH_UNAVAILABLE	0x1	/* the path could not be read (a bad pointer) */
#define OPEN_I_HOW_UNAVAILABLE	0x2	/* openat2: struct open_how could not be read */

/* path_prefixes: at most this many, of at most this many bytes each. */
#define OPEN_PREFIXES_MAX	16
#define OPEN_PREFIX_LEN_MAX	255

struct open_event {
	struct ebpfmon_hdr hdr;
	__s64 ret;		/* the fd, or -errno */
	__u64 flags;		/* O_* as passed (openat2: open_how.flags) */
	__u64 mode;		/* as passed (openat2: open_how.mode) */
	__u64 resolve;		/* openat2: open_how.resolve */
	__s32 dirfd;		/* openat, openat2 */
	__u32 op;		/* OPEN_OP_* */
	__u32 info;		/* OPEN_I_* */
	__u32 path_len;		/* bytes of path[] sent, its NUL included */
	__u32 full_off;		/* full_path: offset in path[] of the kernel's path, 0: none */
	__u32 full_len;		/* its bytes, NUL excluded */
	__u32 full_flags;	/* KPATH_F_* of the walk */
	__u32 pad;
	char path[];		/* max_path + 1 bytes read: longer means cut */
};

#endif
