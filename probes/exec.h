/* SPDX-License-Identifier: GPL-2.0 */
/* The exec monitor's event, shared by probes/exec.bpf.c and src/monitors/exec.c. */
#ifndef EBPFMON_PROBE_EXEC_H
#define EBPFMON_PROBE_EXEC_H

#include "common.h"

#define EXEC_FILENAME_SIZE 256

/* exec_event.flags */
#define EXEC_F_ARGS_TRUNCATED	0x1	/* the kernel side cut argv */
#define EXEC_F_ARGS_UNAVAILABLE	0x2	/* argv could not be read at all */
#define EXEC_F_FROM_SYSCALL	0x4	/* built at sys_exit (a failed exec) */
#define EXEC_F_ARGS_SLOTS	0x8	/* args[]: one slot of arg_size + 2 bytes per argument */
#define EXEC_F_EXECVE		0x10	/* made by execve (neither: not seen, e.g. the kernel's own) */
#define EXEC_F_EXECVEAT		0x20	/* made by execveat */

struct exec_event {
	struct ebpfmon_hdr hdr;
	__s32 ret;		/* 0, or -errno of a failed exec */
	__u32 flags;
	__u32 args_len;		/* bytes of args[] sent: NUL-separated strings, or slots */
	__u32 path_len;		/* bytes after args[]: the kernel's path, its NUL included; 0: none */
	__u32 path_flags;	/* KPATH_F_* of that walk */
	__u32 pad;
	char pcomm[EBPFMON_COMM_LEN];	/* the real parent's comm; empty: unknown */
	char filename[EXEC_FILENAME_SIZE];
	char args[];
};

#endif
