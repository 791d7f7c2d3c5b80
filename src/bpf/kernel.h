/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_KERNEL_H
#define EBPFMON_KERNEL_H

#include <stdbool.h>

struct btf;
struct config;

/* Facts about the running kernel: one place answers "can this kernel do X?". */
struct kernel_info {
	char release[65];
	char machine[65];
	unsigned major, minor;

	bool privileged;		/* root, or CAP_BPF + CAP_PERFMON */
	char privileged_why[128];
	bool bpf_ok;			/* bpf(BPF_MAP_CREATE) works */
	char bpf_why[128];

	bool tracefs_ok;
	bool tracefs_mounted_by_us;
	char tracefs[64];		/* "/sys/kernel/tracing" */
	char tracefs_why[160];

	bool btf_wanted;		/* kernel.btf: auto */
	struct btf *btf;		/* vmlinux BTF, NULL when absent or off */
	char btf_why[160];

	bool headers_ok;
	char *headers_build;		/* tree with include/generated */
	char *headers_source;		/* tree with include/linux (Debian's -common) */
	char headers_how[256];		/* which tree, and how it was found */
	char headers_why[256];
	unsigned headers_major, headers_minor;
	bool headers_match;		/* headers are of this kernel's major.minor */

	bool kprobes;			/* tracefs kprobe_events */
	char kprobes_why[160];
	bool raw_tracepoints;		/* BPF_PROG_TYPE_RAW_TRACEPOINT loads (4.17) */
	char raw_tracepoints_why[160];
	bool fentry;			/* an fentry program on a BTF function loads */
	char fentry_why[200];
	bool ringbuf;			/* BPF_MAP_TYPE_RINGBUF (5.8+) can be created */
	char ringbuf_why[160];
};

/*
 * Gather the facts; mounts tracefs when it is missing and we may. Errors
 * found here are facts (recorded with their reason), not failures: returns
 * 0, or -errno only when memory runs out, or -EPERM when kernel.headers
 * names a tree another user can write (one line, see util/trust.h).
 */
int kernel_info__probe(struct kernel_info *ki, const struct config *cfg);
void kernel_info__free(struct kernel_info *ki);

bool kernel_info__has_tracepoint(const struct kernel_info *ki, const char *category,
				 const char *event);

/* Struct offsets can be trusted: BTF, or headers of this kernel. */
bool kernel_info__offsets_trusted(const struct kernel_info *ki);
const char *kernel_info__offsets_source(const struct kernel_info *ki);
/* Byte offset of type.member from BTF, members of anonymous structs included. */
int kernel_info__btf_offset(const struct kernel_info *ki, const char *type,
			    const char *member, long *off);

/* The size of struct TYPE from BTF: 0 or -errno (-ENODATA: no BTF, -ENOENT: no such struct). */
int kernel_info__btf_sizeof(const struct kernel_info *ki, const char *type, long *size);
/* The value of enumerator NAME from BTF: 0 or -errno (-ENODATA: no BTF, -ENOENT: none). */
int kernel_info__btf_enum_value(const struct kernel_info *ki, const char *name, long long *value);
/*
 * Paths from the kernel (probes/kpath.h) need BTF offsets of these members:
 * NULL when this kernel gives them all, else why not (for --check).
 */
const char *kernel_info__kpath_why(const struct kernel_info *ki);
/* The reason a walk failed, from its KPATH_F_* flags; NULL when it did not. */
const char *kpath_flags_error(unsigned flags);

/* Environment and extra clang flags libbcc needs to use the chosen headers. */
int kernel_info__apply_headers(const struct kernel_info *ki, char ***cflags, int *ncflags);

#endif
