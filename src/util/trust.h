/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_UTIL_TRUST_H
#define EBPFMON_UTIL_TRUST_H

#include <stdbool.h>

/*
 * What steers a root process must be written by no one else: the
 * configuration (it names the files root writes), --probe-dir and
 * kernel.headers (their C is compiled into the kernel). Like sshd's
 * StrictModes, a file or directory passes when it is owned by root, by
 * the effective user or by the program file's owner (who can replace the
 * program anyway), and is not writable by group or others; a directory
 * writable by others passes with the sticky bit, since then only a
 * file's owner can rename or remove it, and the file's own check covers
 * the rest. Every directory above is checked too, after realpath(3).
 *
 * Each function returns 0, or -EPERM after one line such as
 * "config: /tmp/x/e.yaml is writable by group/others (mode 0666); refusing
 * (--insecure-config to override)"; what is the line's prefix. With
 * trust_set_insecure(true) the line is a warning and they return 0.
 */
void trust_set_insecure(bool insecure);
bool trust_insecure(void);

/* The file open as fd, opened by path, and the directories above it. */
int trust_check_fd(int fd, const char *path, const char *what);
/*
 * The directory dir, the directories above it and what it holds, down to
 * depth levels (-1: all of it); a symbolic link in it is checked where it
 * points (its target and the directories above that).
 */
int trust_check_tree(const char *dir, int depth, const char *what);

/*
 * Open path read-only without blocking on a FIFO: the fd, or -errno
 * (-EISDIR for a directory, silently; -EINVAL after "WHAT: PATH is a FIFO,
 * not a regular file; refusing"; -EPERM when check and trust_check_fd()
 * refuses it). Nothing printed when it cannot be opened at all.
 */
int trust_open(const char *path, const char *what, bool check);

/* "a FIFO", "a directory", ... for "is not a regular file" messages. */
const char *file_type_name(unsigned int mode);

#endif
