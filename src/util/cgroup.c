// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 ids (bpf_get_current_cgroup_id(): the kernfs node id, which is
 * also the inode number of the cgroup's directory on a 64-bit kernel) to
 * their paths under the cgroup2 mount, cached. A miss opens the cgroup by
 * its id (open_by_handle_at with a kernfs file handle: one syscall and a
 * readlink); where that is refused, a bounded walk of the tree, at most
 * once per rescan interval, so a flood of unknown ids costs one walk per
 * interval and the rest come out unresolved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cgroup.h"
#include "util/clock.h"

/* The kernfs file handle type (include/linux/exportfs.h). */
#define CGROUP_FILEID_KERNFS	0xfe
#define CGROUP_BUCKETS		1024

struct cgroup_entry {
	struct cgroup_entry *next;
	uint64_t id;
	char *path;			/* NULL: the id is no cgroup (gone) */
	char container_id[CGROUP_CONTAINER_ID_SIZE];
};

static struct {
	pthread_mutex_t lock;
	bool ready;			/* root looked for (found or not) */
	bool by_handle;
	char root[PATH_MAX];		/* "": no cgroup2 mount */
	int root_fd;
	unsigned rescan_ms;
	uint64_t last_walk_ns;
	bool walked;
	struct cgroup_entry *buckets[CGROUP_BUCKETS];
	struct cgroup_cache_stats st;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER, .root_fd = -1 };

static unsigned id_hash(uint64_t id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> 54) % CGROUP_BUCKETS;
}

/* Octal escapes of mountinfo (\040 for a space, ...) undone in place. */
static void mountinfo_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int cgroup2_mount_find(const char *mountinfo, char *out, size_t size)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *mnt = NULL, *tok, *dash;
		int field = 0;

		/* "... - FSTYPE SOURCE OPTS": the fields after the separator. */
		dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		*dash = '\0';
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			if (++field == 5)
				mnt = tok;
		if (!mnt)
			continue;
		mountinfo_unescape(mnt);
		if (strlen(mnt) >= size) {
			err = -ENAMETOOLONG;
			break;
		}
		strcpy(out, mnt);
		err = 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One path component: the id it names, if any. */
static bool component_id(const char *c, size_t len, const char **id)
{
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-", NULL
	};

	if (len > 6 && !memcmp(c + len - 6, ".scope", 6))
		len -= 6;
	for (size_t i = 0; prefixes[i]; i++) {
		size_t plen = strlen(prefixes[i]);

		if (len > plen && !memcmp(c, prefixes[i], plen)) {
			c += plen;
			len -= plen;
			break;
		}
	}
	if (!is_hex64(c, len))
		return false;
	*id = c;
	return true;
}

bool cgroup_container_id(const char *path, size_t len, char out[CGROUP_CONTAINER_ID_SIZE])
{
	size_t end = len;

	/* Innermost first: a container's own cgroup is below its pod's. */
	while (end > 0) {
		size_t start = end;
		const char *id;

		while (start > 0 && path[start - 1] != '/')
			start--;
		if (component_id(path + start, end - start, &id)) {
			memcpy(out, id, 64);
			out[64] = '\0';
			return true;
		}
		end = start ? start - 1 : 0;
	}
	out[0] = '\0';
	return false;
}

static void cache_clear(void)
{
	for (unsigned i = 0; i < CGROUP_BUCKETS; i++) {
		struct cgroup_entry *e = cache.buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e->path);
			free(e);
		}
		cache.buckets[i] = NULL;
	}
	cache.st.entries = 0;
}

static struct cgroup_entry *cache_get(uint64_t id)
{
	for (struct cgroup_entry *e = cache.buckets[id_hash(id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

/* PATH NULL: known gone. A full cache starts over (FLUSH), or takes no more. */
static struct cgroup_entry *cache_put(uint64_t id, const char *path, bool flush)
{
	struct cgroup_entry *e;
	unsigned h = id_hash(id);

	if (cache.st.entries >= CGROUP_CACHE_MAX) {
		if (!flush)
			return NULL;
		cache_clear();
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (path) {
		e->path = strdup(path);
		if (!e->path) {
			free(e);
			return NULL;
		}
		cgroup_container_id(path, strlen(path), e->container_id);
	}
	e->id = id;
	e->next = cache.buckets[h];
	cache.buckets[h] = e;
	cache.st.entries++;
	return e;
}

static int root_open(const char *root)
{
	char found[PATH_MAX];
	int err;

	cache.ready = true;
	cache.root[0] = '\0';
	if (!root) {
		err = cgroup2_mount_find("/proc/self/mountinfo", found, sizeof(found));
		if (err)
			return err;
		root = found;
	}
	if (strlen(root) >= sizeof(cache.root))
		return -ENAMETOOLONG;
	cache.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cache.root_fd < 0)
		return -errno;
	strcpy(cache.root, root);
	/* "/" as the mount: its paths are the paths already. */
	if (!strcmp(cache.root, "/"))
		cache.root[0] = '\0';
	return 0;
}

/*
 * By the kernel's file handle: 0 (PATH filled), -ESTALE/-ENOENT (no such
 * cgroup, for good: ids are never reused), other -errno (cannot tell).
 */
static int lookup_handle(uint64_t id, char *path, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = CGROUP_FILEID_KERNFS } };
	char link[64], target[PATH_MAX];
	size_t rlen = strlen(cache.root);
	struct stat sb;
	ssize_t n;
	int fd, err = 0;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	cache.st.handles++;
	fd = open_by_handle_at(cache.root_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	/* Cut at the buffer: longer than a path can be written. */
	if ((size_t)n >= sizeof(target) - 1) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	target[n] = '\0';
	/* Under the mount as this process sees it, and that very directory. */
	if (fstat(fd, &sb) || (uint64_t)sb.st_ino != id || strncmp(target, cache.root, rlen) ||
	    (target[rlen] && target[rlen] != '/')) {
		err = -EXDEV;
		goto cleanup;
	}
	if ((size_t)snprintf(path, size, "%s", target[rlen] ? target + rlen : "/") >= size)
		err = -ENAMETOOLONG;
cleanup:
	close(fd);
	return err;
}

struct walk {
	uint64_t want;
	char *path;			/* the current directory, relative to the root */
	size_t len;
	bool found;
	char *out;
	size_t out_size;
};

/* DIRFD's subdirectories (DEPTH below the root), each cached; recursion bounded by depth. */
static void walk_dir(struct walk *w, int fd0, int depth)
{
	DIR *d = fdopendir(fd0);
	struct dirent *de;

	if (!d) {
		close(fd0);
		return;
	}
	while ((de = readdir(d)) && cache.st.walk_dirs < CGROUP_WALK_DIRS) {
		size_t nlen = strlen(de->d_name), old = w->len;
		struct stat sb;
		int fd;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (old + 1 + nlen >= PATH_MAX)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &sb)) {
			close(fd);
			continue;
		}
		cache.st.walk_dirs++;
		w->path[old] = '/';
		memcpy(w->path + old + 1, de->d_name, nlen + 1);
		w->len = old + 1 + nlen;
		if (!cache_get(sb.st_ino))
			cache_put(sb.st_ino, w->path, false);
		if ((uint64_t)sb.st_ino == w->want && snprintf(w->out, w->out_size, "%s", w->path) <
		    (int)w->out_size)
			w->found = true;
		if (depth + 1 < CGROUP_WALK_DEPTH)
			walk_dir(w, fd, depth + 1);
		else
			close(fd);
		w->len = old;
		w->path[old] = '\0';
	}
	closedir(d);
}

/* The whole tree (within the bounds) into the cache; 0 when ID was found in it. */
static int lookup_walk(uint64_t id, char *out, size_t size)
{
	char path[PATH_MAX] = "";
	struct walk w = { .want = id, .path = path, .out = out, .out_size = size };
	uint64_t now = clock_mono_ns();
	struct stat sb;
	int fd;

	if (cache.walked && now - cache.last_walk_ns < cache.rescan_ms * 1000000ull)
		return -EAGAIN;
	cache.walked = true;
	cache.last_walk_ns = now;
	cache.st.walks++;
	cache.st.walk_dirs = 0;
	if (!fstat(cache.root_fd, &sb)) {
		if (!cache_get(sb.st_ino))
			cache_put(sb.st_ino, "/", false);
		if ((uint64_t)sb.st_ino == id && snprintf(out, size, "/") < (int)size)
			w.found = true;
	}
	fd = openat(cache.root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		walk_dir(&w, fd, 0);
	return w.found ? 0 : -ENOENT;
}

/* Nothing cached, no root, no walk yet. */
static void cache_reset(void)
{
	cache_clear();
	if (cache.root_fd >= 0)
		close(cache.root_fd);
	cache.root_fd = -1;
	cache.ready = false;
	cache.walked = false;
}

static int cache_setup_locked(const char *root, bool by_handle, unsigned rescan_ms)
{
	cache_reset();
	cache.by_handle = by_handle;
	cache.rescan_ms = rescan_ms;
	memset(&cache.st, 0, sizeof(cache.st));
	return root_open(root);
}

int cgroup_cache_setup(const char *root, bool by_handle, unsigned rescan_ms)
{
	int err;

	pthread_mutex_lock(&cache.lock);
	err = cache_setup_locked(root, by_handle, rescan_ms);
	pthread_mutex_unlock(&cache.lock);
	return err;
}

int cgroup_path(uint64_t id, char *path, size_t size, char *container_id)
{
	struct cgroup_entry *e;
	char found[PATH_MAX];
	int err;

	pthread_mutex_lock(&cache.lock);
	if (!cache.ready)
		cache_setup_locked(NULL, true, CGROUP_RESCAN_MS);
	e = cache_get(id);
	if (e) {
		cache.st.hits++;
	} else {
		cache.st.misses++;
		err = -ENOENT;
		if (cache.root_fd < 0)
			goto out;
		if (cache.by_handle) {
			err = lookup_handle(id, found, sizeof(found));
			/* Gone (ids are never reused), or a path too long to give: for good. */
			if (err == -ESTALE || err == -ENOENT || err == -ENAMETOOLONG) {
				e = cache_put(id, NULL, true);
				goto out;
			}
			/* Refused (no handles here, another namespace): walk from now on. */
			if (err)
				cache.by_handle = false;
		}
		if (err)
			err = lookup_walk(id, found, sizeof(found));
		if (err)
			goto out;
		e = cache_get(id);
		if (!e)
			e = cache_put(id, found, true);
	}
out:
	err = e && e->path && strlen(e->path) < size ? 0 : -ENOENT;
	if (!err) {
		strcpy(path, e->path);
		if (container_id)
			strcpy(container_id, e->container_id);
	}
	pthread_mutex_unlock(&cache.lock);
	return err;
}

void cgroup_cache_stats(struct cgroup_cache_stats *st)
{
	pthread_mutex_lock(&cache.lock);
	*st = cache.st;
	pthread_mutex_unlock(&cache.lock);
}

void cgroup_cache_free(void)
{
	pthread_mutex_lock(&cache.lock);
	cache_reset();
	pthread_mutex_unlock(&cache.lock);
}

int cgroup_open(const char *path)
{
	char root[PATH_MAX], full[PATH_MAX * 2];
	struct statfs sfs;
	const char *p;
	int fd, err;

	/* No way out of the mount, and no empty path. */
	for (p = path; *p; p++)
		if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') &&
		    (!p[2] || p[2] == '/'))
			return -EINVAL;
	if (!*path)
		return -EINVAL;
	err = cgroup2_mount_find("/proc/self/mountinfo", root, sizeof(root));
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	snprintf(full, sizeof(full), "%s/%s", root, path[0] == '/' ? path + 1 : path);
	fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
