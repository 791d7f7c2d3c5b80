// SPDX-License-Identifier: GPL-2.0
/*
 * workload KIND N: a fixed amount of one kind of work, timed; prints
 * "KIND N ops NS ns/op". The benchmarks run it alone and under
 * ebpfmon-bcc to measure what the monitor costs.
 *   getppid   N getppid() calls
 *   open      N openat + close of /dev/null
 *   write     N 1-byte write() to /dev/null
 *   read      N 1-byte read() from /dev/zero
 *   io        N 64 KiB write() to a temp file (rewound every 16 MiB)
 *   pagefault N fresh anonymous pages touched (mmap'd in 64 MiB chunks)
 *   exec      N fork + exec of /bin/true
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int run(const char *kind, long n)
{
	static char block[65536];
	long page = sysconf(_SC_PAGESIZE);

	if (!strcmp(kind, "getppid")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(kind, "open")) {
		for (long i = 0; i < n; i++)
			close(open("/dev/null", O_RDONLY));
	} else if (!strcmp(kind, "write")) {
		int fd = open("/dev/null", O_WRONLY);

		for (long i = 0; i < n; i++)
			if (write(fd, block, 1) != 1)
				return 1;
		close(fd);
	} else if (!strcmp(kind, "read")) {
		int fd = open("/dev/zero", O_RDONLY);

		for (long i = 0; i < n; i++)
			if (read(fd, block, 1) != 1)
				return 1;
		close(fd);
	} else if (!strcmp(kind, "io")) {
		char path[] = "/tmp/ebpfmon-workload.XXXXXX";
		int fd = mkstemp(path);

		unlink(path);
		for (long i = 0; i < n; i++) {
			if (i % 256 == 0)
				lseek(fd, 0, SEEK_SET);
			if (write(fd, block, sizeof(block)) != sizeof(block))
				return 1;
		}
		close(fd);
	} else if (!strcmp(kind, "pagefault")) {
		long chunk = (64l << 20) / page;

		for (long done = 0; done < n; done += chunk) {
			long pages = n - done < chunk ? n - done : chunk;
			char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return 1;
			for (long i = 0; i < pages; i++)
				p[i * page] = 1;
			munmap(p, pages * page);
		}
	} else if (!strcmp(kind, "exec")) {
		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (!pid) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			waitpid(pid, NULL, 0);
		}
	} else {
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double t0, t1;
	long n;
	int err;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: workload getppid|open|write|read|io|pagefault|exec N\n");
		return 2;
	}
	t0 = now_ns();
	err = run(argv[1], n);
	t1 = now_ns();
	if (err) {
		fprintf(stderr, "workload: %s failed\n", argv[1]);
		return err;
	}
	printf("%s %ld ops %.1f ns/op\n", argv[1], n, (t1 - t0) / n);
	return 0;
}
