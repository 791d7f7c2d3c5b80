/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portrait: a process whose life the process-portrait monitors (keytime,
 * lock, resource, sysseq, schedule) must describe, with known figures.
 *
 * Phase 1 (this image): fork (the child exits 0 at once), vfork (the same),
 * start three threads with pthread_create that take one mutex HOLDS times in
 * all, holding it HOLD_MS each while the others wait for it, and (with
 * --cross) one mutex locked on one thread and unlocked on another; then
 * exec itself for phase 2.
 * Phase 2 (after the exec): sleep SLEEP_MS, read and write BYTES bytes
 * through a file in TMPDIR in 4096-byte calls, burn BURN_MS of CPU, exit with
 * EXIT.
 *
 * What it did is written as one JSON object per line to the --report file
 * (appended; both phases), so a test compares the monitors' figures with
 * the program's own: pids and tids, the mutex's address, and /proc/self/stat
 * utime+stime (clock ticks) around the burn with the wall time it took.
 *
 * Usage: portrait [--report FILE] [--holds N] [--hold-ms MS] [--sleep-ms MS]
 *                 [--bytes N] [--burn-ms MS] [--exit CODE] [--cross]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *report_path;
static long holds = 5, hold_ms = 50, sleep_ms = 200, burn_ms = 300, bytes = 65536;
static int exit_code = 7, cross;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cross_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t barrier;
static long holds_left;
static pid_t tids[3];

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (!report_path)
		return;
	f = fopen(report_path, "a");
	if (!f) {
		perror(report_path);
		exit(100);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms_(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* utime + stime of this process, in clock ticks (fields 14 and 15). */
static long long cpu_ticks(void)
{
	char buf[1024], *p;
	long long utime = 0, stime = 0;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld",
			 &utime, &stime) != 2)
		return -1;
	return utime + stime;
}

static void *locker(void *arg)
{
	long i = (long)arg;

	tids[i] = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&barrier);
	for (;;) {
		pthread_mutex_lock(&mutex);
		if (holds_left <= 0) {
			pthread_mutex_unlock(&mutex);
			break;
		}
		holds_left--;
		/* Held while the other threads wait in pthread_mutex_lock. */
		sleep_ms_(hold_ms);
		pthread_mutex_unlock(&mutex);
		/* Let another thread take it next. */
		sleep_ms_(5);
	}
	pthread_barrier_wait(&barrier);
	/* Thread 0 locks the cross mutex; thread 1 unlocks it (a normal mutex allows it). */
	if (cross && i == 0)
		pthread_mutex_lock(&cross_mutex);
	pthread_barrier_wait(&barrier);
	if (cross && i == 1) {
		sleep_ms_(20);
		pthread_mutex_unlock(&cross_mutex);
	}
	return NULL;
}

static int phase1(char **argv)
{
	pthread_t th[3];
	pid_t child, vchild;
	char self[4096];
	ssize_t n;
	int status;

	child = fork();
	if (child < 0)
		return perror("fork"), 1;
	if (!child)
		_exit(0);
	waitpid(child, &status, 0);
	vchild = vfork();
	if (vchild < 0)
		return perror("vfork"), 1;
	if (!vchild)
		_exit(0);
	waitpid(vchild, &status, 0);

	holds_left = holds;
	pthread_barrier_init(&barrier, NULL, 3);
	for (long i = 0; i < 3; i++)
		if (pthread_create(&th[i], NULL, locker, (void *)i))
			return fprintf(stderr, "pthread_create failed\n"), 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	report("{\"phase\":1,\"pid\":%d,\"fork_child\":%d,\"vfork_child\":%d,"
	       "\"threads\":[%d,%d,%d],\"mutex\":\"%#lx\",\"cross_mutex\":\"%#lx\","
	       "\"holds\":%ld,\"hold_ms\":%ld}",
	       getpid(), child, vchild, tids[0], tids[1], tids[2],
	       (unsigned long)&mutex, (unsigned long)&cross_mutex, holds, hold_ms);

	/*
	 * Phase 2 in a new image: the same program, the same options. By its
	 * own path, not /proc/self/exe: the kernel names the new comm after the
	 * path's last component, and a filter by comm must still see phase 2.
	 */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return perror("/proc/self/exe"), 1;
	self[n] = 0;
	setenv("PORTRAIT_PHASE", "2", 1);
	execv(self, argv);
	perror(self);
	return 1;
}

static int phase2(void)
{
	char path[4096], buf[4096];
	const char *dir = getenv("TMPDIR");
	long written = 0, nread = 0;
	uint64_t t0, t1;
	long long c0, c1;
	volatile uint64_t x = 0;
	int fd;

	sleep_ms_(sleep_ms);

	snprintf(path, sizeof(path), "%s/portrait.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return perror(path), 1;
	unlink(path);
	memset(buf, 'p', sizeof(buf));
	while (written < bytes) {
		size_t n = bytes - written < (long)sizeof(buf) ? bytes - written : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w <= 0)
			return perror("write"), 1;
		written += w;
	}
	lseek(fd, 0, SEEK_SET);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0)
			return perror("read"), 1;
		if (!r)
			break;
		nread += r;
	}
	close(fd);

	c0 = cpu_ticks();
	t0 = now_ns();
	while (now_ns() - t0 < (uint64_t)burn_ms * 1000000ull)
		for (int i = 0; i < 10000; i++)
			x += i;
	t1 = now_ns();
	c1 = cpu_ticks();
	report("{\"phase\":2,\"pid\":%d,\"read_bytes\":%ld,\"write_bytes\":%ld,"
	       "\"sleep_ms\":%ld,\"burn_start_ns\":%llu,\"burn_end_ns\":%llu,"
	       "\"burn_ticks\":%lld,\"clk_tck\":%ld,\"exit_code\":%d}",
	       getpid(), nread, written, sleep_ms, (unsigned long long)t0,
	       (unsigned long long)t1, c1 - c0, sysconf(_SC_CLK_TCK), exit_code);
	return exit_code;
}

int main(int argc, char **argv)
{
	const char *phase = getenv("PORTRAIT_PHASE");

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--cross")) {
			cross = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "portrait: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--report"))
			report_path = v;
		else if (!strcmp(a, "--holds"))
			holds = atol(v);
		else if (!strcmp(a, "--hold-ms"))
			hold_ms = atol(v);
		else if (!strcmp(a, "--sleep-ms"))
			sleep_ms = atol(v);
		else if (!strcmp(a, "--bytes"))
			bytes = atol(v);
		else if (!strcmp(a, "--burn-ms"))
			burn_ms = atol(v);
		else if (!strcmp(a, "--exit"))
			exit_code = atoi(v);
		else {
			fprintf(stderr, "portrait: unknown option %s\n", a);
			return 2;
		}
	}
	if (phase && !strcmp(phase, "2"))
		return phase2();
	return phase1(argv);
}
