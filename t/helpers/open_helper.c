// SPDX-License-Identifier: GPL-2.0
/*
 * open_helper: makes open events on demand for t/open.t, with raw syscalls so
 * the op and flags are exactly what the test expects (glibc's open() is
 * openat). Prints "pid N", then one "LABEL RET" line per call (RET: the fd,
 * closed again, or -errno).
 *   open_helper all DIR    every case below; DIR holds "exists", a symlink
 *                          "link" to it, and "pathfile" (a path, NUL-ended)
 *   open_helper path P...  openat(AT_FDCWD, P, O_RDONLY) for each P
 *   open_helper at DIR P...  openat(DIRFD, P, O_RDONLY), DIRFD an O_PATH fd of DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

static long report(const char *label, long ret)
{
	if (ret < 0)
		ret = -errno;
	printf("%s %ld\n", label, ret);
	fflush(stdout);
	return ret;
}

static void done(long fd)
{
	if (fd >= 0)
		close(fd);
}

static char *join(const char *dir, const char *name)
{
	static char buf[8][4096];
	static int n;
	char *p = buf[n++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static long sys_openat2(int dfd, const char *path, unsigned long long flags,
			unsigned long long mode, unsigned long long resolve)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = mode;
	how.resolve = resolve;
	return syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

static int all(const char *dir)
{
	long dfd;
	char *p;

	done(report("open", syscall(SYS_open, join(dir, "exists"), O_RDONLY)));
	done(report("missing", syscall(SYS_openat, AT_FDCWD, join(dir, "missing"),
				       O_RDONLY | O_CLOEXEC)));
	done(report("create", syscall(SYS_openat, AT_FDCWD, join(dir, "new"),
				      O_CREAT | O_EXCL | O_WRONLY, 0640)));
	done(report("create_again", syscall(SYS_openat, AT_FDCWD, join(dir, "new"),
					    O_CREAT | O_EXCL | O_WRONLY, 0640)));
	dfd = report("dir", syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY));
	done(report("relative", syscall(SYS_openat, (int)dfd, "exists",
					O_RDWR | O_APPEND | O_NOFOLLOW)));
	done(report("openat2", sys_openat2(AT_FDCWD, join(dir, "exists"), O_RDONLY | O_CLOEXEC,
					   0, RESOLVE_NO_SYMLINKS)));
	done(report("openat2_link", sys_openat2(AT_FDCWD, join(dir, "link"), O_RDONLY, 0,
						RESOLVE_NO_SYMLINKS)));
	done(report("openat2_creat", sys_openat2((int)dfd, "made2",
						 O_CREAT | O_WRONLY | O_TRUNC, 0600,
						 RESOLVE_BENEATH | RESOLVE_NO_XDEV)));
	done(dfd);
	done(report("sync", syscall(SYS_openat, AT_FDCWD, join(dir, "new"), O_WRONLY | O_SYNC)));
	done(report("tmpfile", syscall(SYS_openat, AT_FDCWD, dir, O_TMPFILE | O_RDWR, 0600)));
	/* open and openat drop flag bits they do not know; the tracepoint has them. */
	done(report("unknown", syscall(SYS_openat, AT_FDCWD, join(dir, "exists"),
				       O_RDONLY | O_NONBLOCK | 0x40000000)));
	done(report("efault", syscall(SYS_open, (char *)1, O_RDONLY)));
	done(report("openat2_efault", syscall(SYS_openat2, AT_FDCWD, join(dir, "exists"),
					      (void *)1, sizeof(struct open_how))));
	/*
	 * A path in a page of a file mapped a moment ago and never touched: not
	 * readable at syscall entry, only once the kernel has faulted it in.
	 */
	dfd = open(join(dir, "pathfile"), O_RDONLY);
	p = dfd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, (int)dfd, 0);
	if (p == MAP_FAILED) {
		perror("open_helper: pathfile");
		return 1;
	}
	done(report("unfaulted", syscall(SYS_openat, AT_FDCWD, p, O_RDONLY)));
	munmap(p, 4096);
	done(dfd);
	return 0;
}

int main(int argc, char **argv)
{
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (argc == 3 && !strcmp(argv[1], "all"))
		return all(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "path")) {
		for (int i = 2; i < argc; i++)
			done(report("path", syscall(SYS_openat, AT_FDCWD, argv[i], O_RDONLY)));
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "at")) {
		long dfd = report("dir", open(argv[2], O_PATH | O_DIRECTORY));

		for (int i = 3; i < argc; i++)
			done(report("at", syscall(SYS_openat, (int)dfd, argv[i], O_RDONLY)));
		done(dfd);
		return 0;
	}
	fprintf(stderr, "usage: open_helper all DIR | path PATH... | at DIR PATH...\n");
	return 2;
}
