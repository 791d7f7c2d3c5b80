// SPDX-License-Identifier: GPL-2.0
/*
 * threads_helper: a process of four threads whose events a test can tell
 * apart, for the --pid/--tgid filters (t/e2e/filters.t).
 *
 * Usage: threads_helper REPORT GO PREFIX CALLS
 * Starts three threads and waits; writes "pid P tids T0 T1 T2 T3" (T0 the
 * main thread, P == T0) to REPORT (whole, by a rename), then blocks reading
 * from the FIFO GO (opened read-write, so without waiting for a writer, before
 * the report is written: no open of it comes after). Then each thread i (0 the main one) makes CALLS
 * openat(AT_FDCWD, "PREFIX-i", O_RDONLY) calls (PREFIX names nothing: each
 * fails with ENOENT) and nothing else the test looks at; the main thread
 * joins the others and exits 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4

static const char *prefix;
static long calls;
static pid_t tids[NTHREADS];
static pthread_barrier_t started, go;

static void opens(int i)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s-%d", prefix, i);
	for (long n = 0; n < calls; n++)
		syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
}

static void *thread(void *arg)
{
	int i = (int)(long)arg;

	tids[i] = syscall(SYS_gettid);
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&go);
	opens(i);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	char tmp[4096], c;
	int fifo;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: threads_helper REPORT GO PREFIX CALLS\n");
		return 2;
	}
	prefix = argv[3];
	calls = atol(argv[4]);
	tids[0] = syscall(SYS_gettid);
	pthread_barrier_init(&started, NULL, NTHREADS);
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (long i = 1; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, thread, (void *)i))
			return 1;
	pthread_barrier_wait(&started);
	fifo = open(argv[2], O_RDWR);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (fifo < 0 || !f)
		return 1;
	fprintf(f, "pid %d tids %d %d %d %d\n", (int)getpid(), tids[0], tids[1], tids[2],
		tids[3]);
	if (fclose(f) || rename(tmp, argv[1]))
		return 1;
	if (read(fifo, &c, 1) != 1)
		return 1;
	pthread_barrier_wait(&go);
	opens(0);
	for (int i = 1; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
