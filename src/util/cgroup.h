/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CGROUP_H
#define EBPFMON_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A container id: 64 lowercase hex digits and a NUL. */
#define CGROUP_CONTAINER_ID_SIZE 65

/*
 * Bounds of the cgroup2 tree walk (the fallback when the kernel cannot open
 * a cgroup by its id): directories this deep or past this many are not
 * looked at, and one walk at most per CGROUP_RESCAN_MS, however many ids miss.
 */
#define CGROUP_WALK_DEPTH	32
#define CGROUP_WALK_DIRS	65536
#define CGROUP_RESCAN_MS	1000
/* Cached ids (found or known gone) at most; a full cache starts over. */
#define CGROUP_CACHE_MAX	8192

/*
 * The cgroup2 (unified) mount point in MOUNTINFO (a /proc/PID/mountinfo
 * file), the first one listed, into OUT: 0, -ENOENT (none), -ENAMETOOLONG,
 * or -errno of the read.
 */
int cgroup2_mount_find(const char *mountinfo, char *out, size_t size);

/*
 * The container id in a cgroup path: the innermost component that is 64
 * hex digits alone (/docker/ID, cgroupfs kubepods) or after docker-,
 * cri-containerd-, crio- or libpod- and before an optional ".scope"
 * (systemd). True and OUT filled when there is one.
 */
bool cgroup_container_id(const char *path, size_t len, char out[CGROUP_CONTAINER_ID_SIZE]);

/*
 * The v2 path of cgroup ID relative to the cgroup2 mount ("/" for its root),
 * any bytes the directory names hold, into PATH (and its container id, or
 * "", into CONTAINER_ID when not NULL): 0, or -ENOENT when the id is not
 * (or no longer) a cgroup, there is no cgroup2 mount, or the lookup is rate
 * limited. Cached; thread-safe (the event loop and the exporter both ask).
 */
int cgroup_path(uint64_t id, char *path, size_t size, char *container_id);

/*
 * Resolve ids under ROOT (NULL: the cgroup2 mount from /proc/self/mountinfo),
 * by the kernel's cgroup file handles when BY_HANDLE, else only by walking
 * the tree for the directory whose inode number is the id, at most once per
 * RESCAN_MS. Drops the cache. Tests point it at any directory tree.
 */
int cgroup_cache_setup(const char *root, bool by_handle, unsigned rescan_ms);

struct cgroup_cache_stats {
	uint64_t hits, misses;		/* lookups answered from the cache or not */
	uint64_t walks;			/* tree walks done */
	uint64_t walk_dirs;		/* directories the last walk looked at */
	uint64_t handles;		/* opens by file handle */
	size_t entries;
};

/*
 * Open cgroup PATH (relative to the cgroup2 mount; a leading "/" or not):
 * an fd, or -ENOENT (no such directory), -ENODEV (no cgroup2 mount),
 * -EINVAL (a ".." component, or not a cgroup2 directory), -errno.
 */
int cgroup_open(const char *path);

void cgroup_cache_stats(struct cgroup_cache_stats *st);
void cgroup_cache_free(void);

#endif
