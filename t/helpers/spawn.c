// SPDX-License-Identifier: GPL-2.0
/*
 * spawn [--execveat] N PROGRAM [ARG]...: fork and exec PROGRAM N times, one
 * after the other, and print how many execs succeeded and failed. The test
 * suite uses it to make real exec events quickly.
 * --execveat uses execveat(AT_FDCWD, ...) instead of execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	long n, ok = 0, failed = 0;
	struct timespec t0, t1;
	int use_execveat = 0;
	char *end;

	if (argc > 1 && !strcmp(argv[1], "--execveat")) {
		use_execveat = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: spawn [--execveat] N PROGRAM [ARG]...\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "spawn: N: expected a count, got '%s'\n", argv[1]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("spawn: fork");
			return 1;
		}
		if (pid == 0) {
			if (use_execveat)
				syscall(SYS_execveat, AT_FDCWD, argv[2], argv + 2, environ, 0);
			else
				execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("spawn: waitpid");
			return 1;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			failed++;
		else
			ok++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("spawned %ld ok %ld failed %ld seconds %.3f\n", n, ok, failed,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
