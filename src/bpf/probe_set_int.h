/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROBE_SET_INT_H
#define EBPFMON_PROBE_SET_INT_H

/*
 * src/bpf/probe_set.c, probe_set_buffers.c and probe_set_maps.c are the only
 * files that include libbcc's headers and call it: libbcc's -1 (or NULL) and
 * errno become -errno in them, and nowhere else sees libbcc.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/probe_set.h"
#include "util/strbuf.h"

struct perf_reader;
struct pollfd;
struct ring_buffer;

struct attachment {
	int fd;			/* closing it detaches */
	bool perf_event;	/* a perf event fd, disabled before it is closed */
	char *kprobe_event;	/* libbcc's kprobe or uprobe event name, removed after */
	bool uprobe;		/* kprobe_event is a uprobe's */
	char *what;
	const void *owner;	/* the monitor it was attached for */
};

/* A loaded program; loaded before its attach when its type shows in its name. */
struct prog {
	char *name;
	int fd;
	const void *owner;	/* NULL: loaded, not yet attached */
};

/* A table of the compiled probes, with our own fd: it outlives the module. */
struct table {
	char *name;
	int fd;
	size_t key_size, value_size;
	int type;		/* BPF_MAP_TYPE_* */
};

/*
 * One BPF ring buffer: libbcc's reader for it, and the session's callback.
 * A read stops after one ring's worth of bytes, as a perf buffer's read stops
 * at the head it saw: libbpf's own loop goes on while the producer keeps up,
 * and a reader that never returns would never see a signal or a timer.
 */
struct ring {
	struct ring_buffer *rb;
	probe_sample_fn sample;
	void *ctx;
	const void *owner;
	size_t budget;		/* the ring's size in bytes */
	size_t taken;		/* bytes delivered by the current read */
	int records;		/* records delivered by the current read */
};

struct probe_set {
	const struct kernel_info *ki;
	struct strbuf src;
	void *mod;		/* libbcc's BPF module; NULL once the compiler is released */
	struct table *tables;
	size_t n_tables;
	char **functions;	/* every program the compile produced */
	size_t n_functions;
	struct prog *progs;
	size_t n_progs;
	struct attachment *att;
	size_t n_att;
	struct perf_reader **readers;
	const void **reader_owners;	/* in the order of readers */
	int n_readers;
	struct ring **rings;
	struct pollfd *ring_pfds;	/* the rings' map fds, in the order of rings */
	int n_rings;
	int n_possible_cpus;
	bool no_lookup_and_delete;	/* the kernel refused BPF_MAP_LOOKUP_AND_DELETE_ELEM on a hash */
	const void *owner;	/* what is attached or opened now is this monitor's */
};

/* libbcc reports -1 (or NULL) and errno; turn that into -errno once, here. */
static inline int bcc_err(int ret)
{
	if (ret >= 0)
		return ret;
	return errno ? -errno : -EINVAL;
}

/* probe_set.c */
/* "0-3,5" -> list; returns count or -errno. */
int cpu_list_read(const char *path, int **cpus);

/* Load FN (once: probe_set__load_known may have) for the current owner; fd or -errno. */
int probe_prog_load(struct probe_set *ps, const char *fn, int prog_type);
/* Keep attachment FD (WHAT in messages) for the current owner: 0 or -ENOMEM. */
int probe_attachment_add(struct probe_set *ps, int fd, bool perf_event, const char *what);
/*
 * A uprobe running loaded program PROG on BINARY at file offset OFF (PID > 0:
 * that process only), REF_CTR the file offset of a semaphore the kernel
 * counts while it is attached (0: none); WHAT names it in messages.
 */
int probe_uprobe_attach(struct probe_set *ps, int prog, bool retprobe, const char *binary,
			uint64_t off, int pid, uint32_t ref_ctr, const char *what);

/* probe_set_buffers.c */
/* Deliver what OWNER's perf and ring buffers still hold, then close them. */
void probe_buffers_close(struct probe_set *ps, const void *owner);
/* Close every buffer of PS, delivering nothing more. */
void probe_buffers_free(struct probe_set *ps);

#endif
