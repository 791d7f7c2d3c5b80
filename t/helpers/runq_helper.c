/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runq_helper: run-queue waits on demand, for the schedule monitor's test.
 *
 *   runq_helper sleep N US   sleep US microseconds N times (N wakeups), then
 *                            print the wall time it took in ns and exit 0
 *   runq_helper burn MS      spin on the CPU for MS milliseconds, exit 0
 *   runq_helper fork N       fork N children one after the other, each
 *                            sleeping 1 ms then exiting: N threads that wait
 *                            on a run queue (their first run, the wakeup
 *                            after the sleep) and exit mid-interval
 *
 * Pinned to one CPU with burners (taskset), each wakeup of the sleeper waits
 * on the run queue behind them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long start = now_ns();

	if (argc == 4 && !strcmp(argv[1], "sleep")) {
		long n = atol(argv[2]), us = atol(argv[3]);
		struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

		for (long i = 0; i < n; i++)
			while (nanosleep(&ts, NULL) && errno == EINTR)
				;
		printf("%llu\n", now_ns() - start);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "burn")) {
		unsigned long long end = start + atol(argv[2]) * 1000000ull;
		volatile unsigned long spin = 0;

		while (now_ns() < end)
			for (int i = 0; i < 10000; i++)
				spin++;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "fork")) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (!pid) {
				struct timespec ts = { 0, 1000000 };

				nanosleep(&ts, NULL);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
		}
		return 0;
	}
	fprintf(stderr, "usage: runq_helper sleep N US | burn MS | fork N\n");
	return 2;
}
