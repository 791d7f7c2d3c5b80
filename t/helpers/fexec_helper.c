// SPDX-License-Identifier: GPL-2.0
/*
 * fexec_helper: execs through a file descriptor for t/e2e/kpath.t. Prints
 * "pid N" first, then for the calls that fail "LABEL RET" (-errno).
 *   fexec_helper fexecve FILE ARGS...  fexecve(2) of FILE, opened O_CLOEXEC
 *                                      (glibc: execveat(fd, "", AT_EMPTY_PATH))
 *   fexec_helper fail DIR NAME FILE    execveat(DIR's fd, NAME, 0) and
 *                                      execveat(FILE's fd, "", AT_EMPTY_PATH),
 *                                      both expected to fail
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static long sys_execveat(int fd, const char *path, char **argv, int flags)
{
	return syscall(SYS_execveat, fd, path, argv, environ, flags);
}

static void report(const char *label, long ret)
{
	printf("%s %ld\n", label, ret < 0 ? -(long)errno : ret);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char *args[] = { "fexec_helper", NULL };
	int fd;

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (argc >= 3 && !strcmp(argv[1], "fexecve")) {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("fexec_helper: open");
			return 1;
		}
		fexecve(fd, argv + 2, environ);
		perror("fexec_helper: fexecve");
		return 1;
	}
	if (argc == 5 && !strcmp(argv[1], "fail")) {
		fd = open(argv[2], O_PATH | O_DIRECTORY);
		report("at", sys_execveat(fd, argv[3], args, 0));
		fd = open(argv[4], O_RDONLY);
		report("empty", sys_execveat(fd, "", args, AT_EMPTY_PATH));
		return 0;
	}
	fprintf(stderr, "usage: fexec_helper fexecve FILE ARGS... | fail DIR NAME FILE\n");
	return 2;
}
