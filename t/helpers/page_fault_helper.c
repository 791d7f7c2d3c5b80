// SPDX-License-Identifier: GPL-2.0
/*
 * page_fault_helper MODE [N] [DIR]: make page faults on demand, print
 * "PID START END FN EXTRA SINCE" (the pid, the mapping the faults are in, hex;
 * the function that touched it, hex; EXTRA as below; SINCE: CLOCK_MONOTONIC
 * in ns, the clock of the events' ts_ns, before the mapping was made), then
 * wait for a line on stdin (or EOF, or a signal) before exiting.
 *
 * Faults in [START, END) before SINCE are not the helper's: ld.so maps
 * /etc/ld.so.cache, reads it and unmaps it before main, and a small mapping
 * made next lands in that hole, so a user-mode read of the cache (accounted)
 * can have the same address as the segv, die or efault page.
 *   anon N      write one byte to each of N fresh anonymous pages (user-mode
 *               faults, minor); EXTRA 0
 *   kread N     read(2) /dev/zero into N fresh anonymous pages (the kernel
 *               faults on them: kernel-mode faults, minor); EXTRA 0
 *   file N DIR  read one byte of each of N pages of a file in DIR, written,
 *               fsync'ed and dropped from the page cache first (major faults);
 *               EXTRA: pages still cached before the reads (should be 0)
 *   segv        write to a PROT_NONE page, catch the SIGSEGV (a user-mode
 *               fault that fails); START END is that page; EXTRA 0
 *   die         print, wait for the line, then write to a PROT_NONE page and
 *               die of the SIGSEGV (START END is that page); no handler
 *   kaddr       write to a kernel address (0xffff888000000000, the direct map)
 *               from user mode, catch the SIGSEGV; START END is that page
 *   efault      read(2) /dev/zero into a PROT_NONE page (a kernel-mode fault
 *               that fails: EFAULT); EXTRA: the errno of the read
 *   threads N   4 threads at once, each writing to its own N / 4 of N fresh
 *               anonymous pages; EXTRA: how many threads
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long page;
static sigjmp_buf segv_jmp;

/* One fault per page: no transparent huge pages, whatever the system says. */
static char *map_anon(long pages, int prot)
{
	char *p = mmap(NULL, pages * page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("page_fault_helper: mmap");
		exit(1);
	}
	madvise(p, pages * page, MADV_NOHUGEPAGE);
	return p;
}

static __attribute__((noinline)) void touch_write(volatile char *p, long pages)
{
	for (long i = 0; i < pages; i++)
		p[i * page] = 1;
}

static __attribute__((noinline)) long touch_read(volatile char *p, long pages)
{
	long sum = 0;

	for (long i = 0; i < pages; i++)
		sum += p[i * page];
	return sum;
}

static long read_zero(char *p, long len)
{
	int fd = open("/dev/zero", O_RDONLY);
	long n;

	if (fd < 0) {
		perror("page_fault_helper: /dev/zero");
		exit(1);
	}
	n = read(fd, p, len);
	close(fd);
	return n < 0 ? -errno : n;
}

/* Pages of [p, p + pages * page) in the page cache. */
static long resident(char *p, long pages)
{
	unsigned char *vec = calloc(pages, 1);
	long n = 0;

	if (!vec || mincore(p, pages * page, vec))
		return -1;
	for (long i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static char *file_pages(long pages, const char *dir, long *cached)
{
	char path[4096], *buf = malloc(page), *p;
	int fd;

	snprintf(path, sizeof(path), "%s/page_fault_helper.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf) {
		perror("page_fault_helper: file");
		exit(1);
	}
	unlink(path);
	memset(buf, 'x', page);
	for (long i = 0; i < pages; i++)
		if (write(fd, buf, page) != page) {
			perror("page_fault_helper: write");
			exit(1);
		}
	/* Clean pages can be dropped; then every read below has to wait for I/O. */
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
		perror("page_fault_helper: fsync/fadvise");
		exit(1);
	}
	p = mmap(NULL, pages * page, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("page_fault_helper: mmap file");
		exit(1);
	}
	/* No read-around: each page is its own major fault. */
	madvise(p, pages * page, MADV_RANDOM);
	*cached = resident(p, pages);
	close(fd);
	free(buf);
	return p;
}

#define HELPER_THREADS 4

struct slice {
	char *p;
	long pages;
};

static void *thread_touch(void *arg)
{
	struct slice *s = arg;

	touch_write(s->p, s->pages);
	return NULL;
}

static void threads_touch(char *p, long pages)
{
	struct slice s[HELPER_THREADS];
	pthread_t t[HELPER_THREADS];

	for (int i = 0; i < HELPER_THREADS; i++) {
		s[i].p = p + i * (pages / HELPER_THREADS) * page;
		s[i].pages = pages / HELPER_THREADS;
		if (pthread_create(&t[i], NULL, thread_touch, &s[i])) {
			fprintf(stderr, "page_fault_helper: pthread_create failed\n");
			exit(1);
		}
	}
	for (int i = 0; i < HELPER_THREADS; i++)
		pthread_join(t[i], NULL);
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0, extra = 0;
	void *fn = NULL;
	char *p = NULL, line[64];
	unsigned long long since = mono_ns();

	page = sysconf(_SC_PAGESIZE);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (!strcmp(mode, "anon") && n > 0) {
		p = map_anon(n, PROT_READ | PROT_WRITE);
		touch_write(p, n);
		fn = (void *)touch_write;
	} else if (!strcmp(mode, "kread") && n > 0) {
		p = map_anon(n, PROT_READ | PROT_WRITE);
		if (read_zero(p, n * page) != n * page) {
			fprintf(stderr, "page_fault_helper: short read of /dev/zero\n");
			return 1;
		}
	} else if (!strcmp(mode, "file") && n > 0 && argc > 3) {
		p = file_pages(n, argv[3], &extra);
		touch_read(p, n);
		fn = (void *)touch_read;
	} else if (!strcmp(mode, "segv")) {
		n = 1;
		p = map_anon(n, PROT_NONE);
		signal(SIGSEGV, on_segv);
		if (!sigsetjmp(segv_jmp, 1))
			touch_write(p, n);
		fn = (void *)touch_write;
	} else if (!strcmp(mode, "die")) {
		n = 1;
		p = map_anon(n, PROT_NONE);
		fn = (void *)touch_write;
	} else if (!strcmp(mode, "kaddr")) {
		n = 1;
		p = (char *)0xffff888000000000ul;
		signal(SIGSEGV, on_segv);
		if (!sigsetjmp(segv_jmp, 1))
			touch_write(p, n);
		fn = (void *)touch_write;
	} else if (!strcmp(mode, "efault")) {
		n = 1;
		p = map_anon(n, PROT_NONE);
		extra = -read_zero(p, page);
	} else if (!strcmp(mode, "threads") && n >= HELPER_THREADS && n % HELPER_THREADS == 0) {
		p = map_anon(n, PROT_READ | PROT_WRITE);
		threads_touch(p, n);
		fn = (void *)touch_write;
		extra = HELPER_THREADS;
	} else {
		fprintf(stderr, "usage: page_fault_helper anon|kread|threads N | file N DIR | segv | "
			"die | kaddr | efault\n");
		return 2;
	}
	printf("%d 0x%lx 0x%lx 0x%lx %ld %llu\n", (int)getpid(), (unsigned long)p,
	       (unsigned long)p + n * page, (unsigned long)fn, extra, since);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	/* The last fault of its life: reported when the process exits. */
	if (!strcmp(mode, "die"))
		touch_write(p, n);
	return 0;
}
