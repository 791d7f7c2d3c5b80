/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io monitor's event (one call) and summary row, shared by
 * probes/io.bpf.c and src/monitors/io.c.
 */
#ifndef EBPFMON_PROBE_IO_H
#define EBPFMON_PROBE_IO_H

#include "common.h"

/* io_call_event.op; src/monitors/io.c names them. */
#define IO_OP_READ	0
#define IO_OP_WRITE	1
#define IO_OP_PREAD64	2
#define IO_OP_PWRITE64	3
#define IO_OP_READV	4
#define IO_OP_WRITEV	5
#define IO_OP_COUNT	6
#define IO_OP_IS_WRITE(op) ((op) == IO_OP_WRITE || (op) == IO_OP_PWRITE64 || \
			    (op) == IO_OP_WRITEV)
#define IO_OP_IS_VEC(op) ((op) == IO_OP_READV || (op) == IO_OP_WRITEV)

/* readv/writev: iovecs summed into "requested" (the rest are not read). */
#define IO_MAX_IOV 16

struct io_call_event {
	struct ebpfmon_hdr hdr;
	__u64 duration_ns;	/* syscall entry to exit */
	__u64 requested;	/* count, or the sum of the first IO_MAX_IOV iov_len */
	__s64 ret;		/* bytes moved, or -errno */
	/*
	 * Generations at exit, 0 when paths are off: of the process's fd table
	 * (moved by exec and close_range) and of this fd (moved by close and
	 * by dup2/dup3 onto it). While both stay, the fd names the same file.
	 */
	__u64 proc_gen;
	__u64 fd_gen;
	__s32 fd;
	__u32 op;		/* IO_OP_* */
	__u32 iovcnt;		/* readv/writev: the caller's iovcnt */
	__u32 pad;
};

/* Metrics: one per op, cumulative. */
struct io_op_metric {
	__u64 bytes;			/* moved: the sum of positive results */
	struct ebpfmon_metric_hist lat;	/* latency, log2 slots of ns and their sum */
};

/* Summary mode: one row per process (tgid), read and cleared every interval. */
struct io_stats {
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 reads;
	__u64 writes;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
	__u64 hist[EBPFMON_HIST_SLOTS];	/* latency, log2 slots of ns */
	char comm[EBPFMON_COMM_LEN];
};

#endif
