// SPDX-License-Identifier: GPL-2.0
/* Refuse what another user can write, before root reads or compiles it: see trust.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/trust.h"

#define WHY_SIZE 160

static bool insecure;

void trust_set_insecure(bool on)
{
	insecure = on;
}

bool trust_insecure(void)
{
	return insecure;
}

const char *file_type_name(unsigned int mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	default: return "of an unknown type";
	}
}

/* Whoever can replace the program file runs as us already: (uid_t)-1 if unknown. */
static uid_t exe_owner(void)
{
	static uid_t owner = (uid_t)-1;
	static bool known;
	struct stat st;

	if (!known) {
		known = true;
		if (!stat("/proc/self/exe", &st))
			owner = st.st_uid;
	}
	return owner;
}

static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid() || uid == exe_owner();
}

/* Why st cannot be trusted, in buf; NULL when it can. */
static const char *st_problem(const struct stat *st, char *buf, size_t size)
{
	uid_t me = geteuid(), exe = exe_owner();
	int n;

	if (!owner_trusted(st->st_uid)) {
		n = snprintf(buf, size, "is owned by uid %u, not by root", (unsigned)st->st_uid);
		if (me && n > 0 && (size_t)n < size)
			n += snprintf(buf + n, size - n, " or uid %u", (unsigned)me);
		if (exe != (uid_t)-1 && exe && exe != me && n > 0 && (size_t)n < size)
			snprintf(buf + n, size - n, " or uid %u (the program's owner)",
				 (unsigned)exe);
		return buf;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return NULL;
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return NULL;
	snprintf(buf, size, "is writable by group/others (mode %04o%s)",
		 (unsigned)(st->st_mode & 07777), S_ISDIR(st->st_mode) ? ", no sticky bit" : "");
	return buf;
}

/*
 * One line about path (ctx: "above FILE", ...): -EPERM, or 1 under
 * --insecure-config (let through, warned once: the checks stop there).
 */
static int verdict(const char *what, const char *path, const char *ctx, const char *why)
{
	if (insecure) {
		pr_warn("%s: %s%s%s%s %s; using it anyway (--insecure-config)", what, path,
			ctx ? " (" : "", ctx ? ctx : "", ctx ? ")" : "", why);
		return 1;
	}
	pr_err("%s: %s%s%s%s %s; refusing (--insecure-config to override)", what, path,
	       ctx ? " (" : "", ctx ? ctx : "", ctx ? ")" : "", why);
	return -EPERM;
}

/* Every directory above the resolved path real, up to /; shown names the file. */
static int check_dirs_above(const char *real, const char *what, const char *shown)
{
	char why[WHY_SIZE], ctx[PATH_MAX + 16];
	const char *problem;
	char *dir, *slash;
	struct stat st;
	int err = 0;

	dir = strdup(real);
	if (!dir)
		return -ENOMEM;
	snprintf(ctx, sizeof(ctx), "above %s", shown);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash || (slash == dir && !dir[1]))
			break;
		slash[slash == dir] = 0;	/* "/a" leaves "/" */
		if (stat(dir, &st)) {
			err = -errno;
			pr_err("%s: cannot check %s: %s", what, dir, strerror(errno));
			break;
		}
		problem = st_problem(&st, why, sizeof(why));
		if (problem) {
			err = verdict(what, dir, ctx, problem);
			break;	/* the first problem decides */
		}
	}
	free(dir);
	return err;
}

int trust_check_fd(int fd, const char *path, const char *what)
{
	char why[WHY_SIZE], *real = NULL;
	const char *problem;
	struct stat st, at;
	int err;

	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("%s: cannot check %s: %s", what, path, strerror(errno));
		return err;
	}
	problem = st_problem(&st, why, sizeof(why));
	if (problem)
		return verdict(what, path, NULL, problem) < 0 ? -EPERM : 0;
	real = realpath(path, NULL);
	if (!real) {
		err = -errno;
		pr_err("%s: cannot check %s: %s", what, path, strerror(errno));
		return err;
	}
	/* The directories checked must be those of the file read. */
	if (stat(real, &at) || at.st_dev != st.st_dev || at.st_ino != st.st_ino)
		err = verdict(what, path, NULL, "was replaced while it was being opened");
	else
		err = check_dirs_above(real, what, path);
	free(real);
	return err < 0 ? err : 0;
}

/* nftw() takes no context: the walk in progress. */
static struct {
	const char *what;
	int depth;
	int err;
} walk;

/* A symbolic link in a tree: where it points, and the directories above that. */
static int check_link(const char *path)
{
	char why[WHY_SIZE], ctx[PATH_MAX + 16];
	const char *problem;
	struct stat st;
	char *real;
	int err = 0;

	real = realpath(path, NULL);
	if (!real)
		return 0;	/* dangling or a loop: nothing is read through it */
	snprintf(ctx, sizeof(ctx), "the target of %s", path);
	if (stat(real, &st))
		err = 0;	/* gone since: nothing is read through it either */
	else if ((problem = st_problem(&st, why, sizeof(why))))
		err = verdict(walk.what, real, ctx, problem);
	else
		err = check_dirs_above(real, walk.what, path);
	free(real);
	return err;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char why[WHY_SIZE];
	const char *problem;
	int err = 0;

	if (type == FTW_SL) {
		err = check_link(path);
	} else if (type == FTW_F || type == FTW_D || type == FTW_DNR) {
		problem = st_problem(st, why, sizeof(why));
		if (problem)
			err = verdict(walk.what, path, NULL, problem);
	}
	if (err) {
		walk.err = err < 0 ? err : 0;
		return FTW_STOP;	/* refused, or let through after its warning */
	}
	if (type == FTW_D && walk.depth >= 0 && ftw->level >= walk.depth)
		return FTW_SKIP_SUBTREE;
	return FTW_CONTINUE;
}

int trust_check_tree(const char *dir, int depth, const char *what)
{
	char *real;
	int err;

	real = realpath(dir, NULL);
	if (!real) {
		err = -errno;
		pr_err("%s: cannot check %s: %s", what, dir, strerror(errno));
		return err;
	}
	err = check_dirs_above(real, what, dir);
	if (!err) {
		walk.what = what;
		walk.depth = depth;
		walk.err = 0;
		if (nftw(real, walk_one, 16, FTW_PHYS | FTW_ACTIONRETVAL) < 0) {
			err = -errno;
			pr_err("%s: cannot check %s: %s", what, dir, strerror(errno));
		} else {
			err = walk.err;
		}
	}
	free(real);
	return err < 0 ? err : 0;
}

int trust_open(const char *path, const char *what, bool check)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	/* A FIFO would block the read for ever, a device is no file of ours. */
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s: %s is %s, not a regular file; refusing", what, path,
		       file_type_name(st.st_mode));
		err = -EINVAL;
		goto fail;
	}
	err = check ? trust_check_fd(fd, path, what) : 0;
	if (err)
		goto fail;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}
