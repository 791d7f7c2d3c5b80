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
#define IO_OP_PREADV	6
#define IO_OP_PWRITEV	7
#define IO_OP_PREADV2	8
#define IO_OP_PWRITEV2	9
/* Copies: two fds, bytes read from one and written to the other. */
#define IO_OP_COPY_FILE_RANGE	10
#define IO_OP_SENDFILE	11
#define IO_OP_SPLICE	12
#define IO_OP_TEE	13
#define IO_OP_COUNT	14
#define IO_OP_IS_WRITE(op) ((op) == IO_OP_WRITE || (op) == IO_OP_PWRITE64 || \
			    (op) == IO_OP_WRITEV || (op) == IO_OP_PWRITEV || \
			    (op) == IO_OP_PWRITEV2)
#define IO_OP_IS_VEC(op) ((op) == IO_OP_READV || (op) == IO_OP_WRITEV || \
			  ((op) >= IO_OP_PREADV && (op) <= IO_OP_PWRITEV2))
#define IO_OP_IS_COPY(op) ((op) >= IO_OP_COPY_FILE_RANGE && (op) < IO_OP_COUNT)

/*
 * What an fd is when it has no path in a mount: told apart by the file
 * system's magic, named as /proc/PID/fd names them (pipe:[INODE], ...).
 */
#define IO_FD_FILE	0	/* a path, or not looked at */
#define IO_FD_PIPE	1
#define IO_FD_SOCKET	2
#define IO_FD_ANON	3	/* anon_inode:NAME, NAME from the dentry */
#define IO_ANON_LEN	24

struct io_fd_kind {
	__u64 ino;
	__u32 kind;		/* IO_FD_* */
	__u32 pad;
	char anon[IO_ANON_LEN];	/* IO_FD_ANON: the dentry's name, e.g. "[eventfd]" */
};

/* Vectored calls: iovecs summed into "requested" (the rest are not read). */
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
	__s32 fd;		/* copies: the fd read from */
	__u32 op;		/* IO_OP_* */
	__u32 iovcnt;		/* vectored calls: the caller's iovcnt */
	__s32 fd_out;		/* copies: the fd written to; else -1 */
	__u64 fd_out_gen;	/* copies: fd_out's generation */
	struct io_fd_kind kinds[2];	/* fd, fd_out */
	/*
	 * Paths walked in the kernel (probes/kpath.h), sent after the struct:
	 * fd's then fd_out's, NUL included; 0 when not sent (not a file in a
	 * mount, no BTF, or sent before for the same generations: the host
	 * has it cached). KPATH_F_* of each walk.
	 */
	__u32 path_len[2];
	__u32 path_flags[2];
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
