// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/util/cgroup.c: the container id parser, the cgroup2
 * mount from mountinfo, and the id -> path cache by its tree walk (over a
 * plain directory tree: the walk maps inode numbers, as on cgroup2), with
 * its rate limit and depth bound, and hostile directory names.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cgroup.h"
#include "tap.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void container(const char *path, const char *want, const char *name)
{
	char out[CGROUP_CONTAINER_ID_SIZE];
	bool found = cgroup_container_id(path, strlen(path), out);

	is_str(found ? out : NULL, want, name);
}

static void test_container_id(void)
{
	container("/system.slice/docker-" HEX ".scope", HEX, "docker-ID.scope (systemd driver)");
	container("/docker/" HEX, HEX, "/docker/ID (cgroupfs driver)");
	container("/kubepods.slice/kubepods-pod1.slice/cri-containerd-" HEX ".scope", HEX,
		  "cri-containerd-ID.scope");
	container("/machine.slice/libpod-" HEX ".scope/container", HEX,
		  "libpod-ID.scope, with a cgroup below it");
	container("/kubepods/burstable/podabc/" HEX, HEX, "kubepods (cgroupfs): a bare id");
	container("/crio-" HEX ".scope", HEX, "crio-ID.scope");
	container("/docker/" HEX "/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		  "nested: the innermost id");
	container("/", NULL, "the root: none");
	container("/system.slice/nginx.service", NULL, "a service: none");
	container("/docker-" HEX "0.scope", NULL, "65 hex digits: none");
	container("/docker-" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" ".scope",
		  NULL, "upper-case hex: none");
	container("/docker-0123456789abcdef.scope", NULL, "a short id: none");
	container("/libpod-conmon-" HEX ".scope", NULL, "libpod-conmon- (not the container): none");
	container("", NULL, "an empty path: none");
	container("//docker//" HEX "//", HEX, "empty components");
}

static void test_mount_find(const char *dir)
{
	char path[PATH_MAX], out[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	f = fopen(path, "w");
	fputs("22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	      "30 22 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
	      "31 30 0:27 / /sys/fs/cgroup/uni\\040fied rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
	      "32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", f);
	fclose(f);
	is_int(cgroup2_mount_find(path, out, sizeof(out)), 0, "mountinfo: a cgroup2 mount found");
	is_str(out, "/sys/fs/cgroup/uni fied", "mountinfo: its mount point, \\040 unescaped");
	is_int(cgroup2_mount_find(path, out, 8), -ENAMETOOLONG, "mountinfo: no room: -ENAMETOOLONG");
	f = fopen(path, "w");
	fputs("32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", f);
	fclose(f);
	is_int(cgroup2_mount_find(path, out, sizeof(out)), -ENOENT, "mountinfo: v1 only: -ENOENT");
	snprintf(path, sizeof(path), "%s/none", dir);
	is_int(cgroup2_mount_find(path, out, sizeof(out)), -ENOENT, "mountinfo: no file: -ENOENT");
}

static uint64_t ino(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : sb.st_ino;
}

static void test_walk(const char *dir)
{
	char root[PATH_MAX], p[PATH_MAX * 2], got[PATH_MAX], cid[CGROUP_CONTAINER_ID_SIZE];
	const char *hostile = "bad\nname \"q\" \\ \xff";
	struct cgroup_cache_stats st;
	uint64_t deep_id = 0;
	size_t len;

	snprintf(root, sizeof(root), "%s/tree", dir);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/a", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/docker-" HEX ".scope", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s", root, hostile);
	mkdir(p, 0755);
	/* Deeper than the walk goes: the last directory is at depth 40. */
	len = (size_t)snprintf(p, sizeof(p), "%s/deep", root);
	mkdir(p, 0755);
	for (int i = 0; i < 40; i++) {
		len += snprintf(p + len, sizeof(p) - len, "/d");
		mkdir(p, 0755);
	}
	deep_id = ino(p);

	is_int(cgroup_cache_setup(root, false, 60000), 0, "walk: set up over a directory tree");
	is_int(cgroup_path(ino(root), got, sizeof(got), cid), 0, "walk: the root found");
	is_str(got, "/", "walk: the root is /");
	snprintf(p, sizeof(p), "%s/a/docker-" HEX ".scope", root);
	is_int(cgroup_path(ino(p), got, sizeof(got), cid), 0, "walk: a docker scope found");
	is_str(got, "/a/docker-" HEX ".scope", "walk: its path");
	is_str(cid, HEX, "walk: its container id");
	snprintf(p, sizeof(p), "%s/a", root);
	is_int(cgroup_path(ino(p), got, sizeof(got), cid), 0, "walk: /a found");
	is_str(cid, "", "walk: /a has no container id");
	snprintf(p, sizeof(p), "%s/%s", root, hostile);
	is_int(cgroup_path(ino(p), got, sizeof(got), NULL), 0, "walk: a hostile name found");
	is_str(got + 1, hostile, "walk: its bytes as they are (JSON escapes them)");
	cgroup_cache_stats(&st);
	is_int(st.walks, 1, "walk: one walk for all of them (the first filled the cache)");
	is_int(cgroup_path(deep_id, got, sizeof(got), NULL), -ENOENT,
	       "walk: a directory past the depth bound is not found");
	is_int(cgroup_path(0x7fffffffffffull, got, sizeof(got), NULL), -ENOENT,
	       "walk: an unknown id: -ENOENT");
	for (int i = 0; i < 1000; i++)
		cgroup_path(0x7fffffff0000ull + i, got, sizeof(got), NULL);
	cgroup_cache_stats(&st);
	is_int(st.walks, 1, "walk: a flood of unknown ids within the rescan interval: no new walk");
	ok(st.walk_dirs >= 5 && st.walk_dirs <= 4 + CGROUP_WALK_DEPTH,
	   "walk: %llu directories looked at, the deep chain cut at the depth bound",
	   (unsigned long long)st.walk_dirs);
	is_int(cgroup_path(ino(root), got, 1, NULL), -ENOENT, "walk: no room for the path: -ENOENT");

	/* A new directory is found at the next walk once the interval has passed. */
	is_int(cgroup_cache_setup(root, false, 0), 0, "walk: set up again, no interval");
	cgroup_path(ino(root), got, sizeof(got), NULL);
	snprintf(p, sizeof(p), "%s/new", root);
	mkdir(p, 0755);
	is_int(cgroup_path(ino(p), got, sizeof(got), NULL), 0, "walk: a new directory, rescanned");
	is_str(got, "/new", "walk: its path");
	cgroup_cache_stats(&st);
	is_int(st.walks, 2, "walk: two walks");
	is_int(cgroup_path(deep_id, got, sizeof(got), NULL), -ENOENT,
	       "walk: a directory past the depth bound is not found by a walk either");
	cgroup_cache_stats(&st);
	is_int(st.walks, 3, "walk: (that was a third walk)");
	cgroup_cache_free();
}

int main(void)
{
	char dir[] = "/tmp/test_cgroup.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_container_id();
	test_mount_find(dir);
	test_walk(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ok(0, "cleanup");
	return done_testing();
}
