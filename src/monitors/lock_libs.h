/* SPDX-License-Identifier: GPL-2.0 */
/* The lock monitor's C libraries: which files hold the pthread lock functions it probes. */
#ifndef EBPFMON_MONITORS_LOCK_LIBS_H
#define EBPFMON_MONITORS_LOCK_LIBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_node;

/* A function probed: its entry runs program entry; a lock call's return runs lock_return. */
struct lock_fn {
	const char *symbol;
	const char *entry;
	bool lock;		/* a lock call (timed to its return), not an unlock */
	bool optional;		/* missing is no loss worth a verdict */
};

#define LOCK_FN_COUNT 14
extern const struct lock_fn lock_fns[LOCK_FN_COUNT];

#define LOCK_LIBS_MAX 8

struct lock_lib {
	char *path;		/* resolved: no symbolic link */
	uint32_t have;		/* bit i: lock_fns[i] found in it, at off[i] */
	uint64_t off[LOCK_FN_COUNT];	/* file offsets */
	bool glibc;		/* it has gnu_get_libc_version */
};

struct lock_libs {
	struct lock_lib v[LOCK_LIBS_MAX];
	size_t n;
	char why[400];		/* what was missing, "; "-joined, for a verdict */
};

/*
 * Find the libraries: LIBS (monitors.lock.libs, at NODE) when given, each
 * refused when another user can write it (trust.h); else what the processes
 * of PIDS map, else ldconfig's libc.so.6 (glibc 2.34+), or libpthread.so.0
 * (older). A file or function missing is only said in out->why. 0, or
 * -errno (-EPERM: a file refused, said).
 */
int lock_libs_find(struct lock_libs *out, char *const *libs, const uint32_t *pids,
		   size_t n_pids);
void lock_libs_release(struct lock_libs *libs);

#endif
