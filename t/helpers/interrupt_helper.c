// SPDX-License-Identifier: GPL-2.0
/*
 * interrupt_helper MODE ARGS: makes interrupts (and migrations) on demand for
 * t/interrupt.t.
 *   net MB          moves MB MiB over a TCP connection to itself on 127.0.0.1:
 *                   loopback packets are received in NET_RX softirqs, mostly
 *                   run in this process's context (when it re-enables bottom
 *                   halves after sending)
 *   disk DIR MB     writes and reads back MB MiB of DIR/irq-disk.$PID with
 *                   O_DIRECT, so every request completes with a device hardirq;
 *                   exits 2 when DIR refuses O_DIRECT (tmpfs)
 *   migrate N       pins itself to CPU 0, then 1, then 0 ... N moves, spinning
 *                   50 ms on each, and checks it ran where it was pinned
 *   spin MS         busy-loops MS milliseconds
 * Prints what it did on stdout; exit 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void spin(double ms)
{
	double end = now_ms() + ms;
	volatile unsigned long n = 0;

	while (now_ms() < end)
		n++;
}

static int net(long mb)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	static char buf[CHUNK];
	int l, c, s;
	long total = mb << 20, moved = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &alen) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a))) {
		perror("interrupt_helper: net setup");
		return 1;
	}
	s = accept(l, NULL, NULL);
	if (s < 0) {
		perror("interrupt_helper: accept");
		return 1;
	}
	/* One chunk out, the same chunk in: never more than the buffers hold. */
	while (moved < total) {
		ssize_t n = write(c, buf, CHUNK), got = 0;

		if (n <= 0) {
			perror("interrupt_helper: write");
			return 1;
		}
		while (got < n) {
			ssize_t r = read(s, buf, CHUNK);

			if (r <= 0) {
				perror("interrupt_helper: read");
				return 1;
			}
			got += r;
		}
		moved += n;
	}
	printf("net %ld bytes\n", moved);
	close(s);
	close(c);
	close(l);
	return 0;
}

static int disk(const char *dir, long mb)
{
	char path[4096];
	void *buf;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/irq-disk.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0) {
		fprintf(stderr, "interrupt_helper: %s: O_DIRECT: %s\n", path, strerror(errno));
		return 2;
	}
	if (posix_memalign(&buf, 4096, CHUNK)) {
		close(fd);
		unlink(path);
		return 1;
	}
	memset(buf, 'x', CHUNK);
	for (long i = 0; i < (mb << 20) / CHUNK && !rc; i++)
		if (write(fd, buf, CHUNK) != CHUNK)
			rc = errno == EINVAL ? 2 : 1;
	fsync(fd);
	for (long i = 0; i < (mb << 20) / CHUNK && !rc; i++)
		if (pread(fd, buf, CHUNK, i * CHUNK) != CHUNK)
			rc = 1;
	if (rc)
		fprintf(stderr, "interrupt_helper: %s: %s\n", path, strerror(errno));
	else
		printf("disk %ld MiB\n", mb);
	free(buf);
	close(fd);
	unlink(path);
	return rc;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int migrate(int n)
{
	int cpu = 0;

	if (pin(0)) {
		perror("interrupt_helper: sched_setaffinity");
		return 1;
	}
	spin(50);
	for (int i = 0; i < n; i++) {
		cpu = !cpu;
		if (pin(cpu)) {
			perror("interrupt_helper: sched_setaffinity");
			return 1;
		}
		spin(50);
		if (sched_getcpu() != cpu) {
			fprintf(stderr, "interrupt_helper: on cpu %d, pinned to %d\n",
				sched_getcpu(), cpu);
			return 1;
		}
	}
	printf("migrate %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "net"))
		return net(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "disk"))
		return disk(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "migrate"))
		return migrate(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "spin")) {
		spin(atof(argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: interrupt_helper net MB | disk DIR MB | migrate N | spin MS\n");
	return 1;
}
