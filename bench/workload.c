// SPDX-License-Identifier: GPL-2.0
/*
 * workload KIND N [--rate R]: a fixed amount of one kind of work, timed.
 * Prints "KIND N ops X ns/op Y ops/s" (and "target R ops/s" when paced).
 * The benchmarks run it alone and under a tracer to see what tracing costs.
 *   getppid   N getppid() calls
 *   open      N openat + close of /dev/null
 *   openrel   N openat + close of "null" from the cwd /dev (a relative path:
 *             the open monitor's full_path walks the cwd in the kernel)
 *   rw        N 1-byte read() from /dev/zero, each followed by a 1-byte
 *             write() to /dev/null
 *   pagefault N fresh anonymous pages touched (mmap'd 64 MiB at a time)
 *   exec      N fork + exec of /bin/true
 *   lock      N pthread_mutex_lock + pthread_mutex_unlock of one mutex, never
 *             contended (the lock monitor's uprobes: one acquisition each)
 *   build     N compiles of a small C file by cc -O1 (exec of cc, cc1 and as,
 *             header opens and reads, page faults, writes, mostly CPU): a
 *             mixed load like a developer's machine or a CI runner
 *   pingpong  N round trips of one byte over two pipes to a forked child of
 *             the same name: two wakeups and two context switches each (the
 *             schedule monitor's events)
 * --rate R paces the work at R ops/s: batches of PACE_PERIOD_NS worth of
 * ops, then a sleep to the next batch's due time, so the pacing costs one
 * clock read per batch. A generator more than PACE_MAX_LAG_NS behind (it was
 * preempted, or tracing made each op slower than 1/R) does not catch up in a
 * burst; the rate it achieved is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PACE_PERIOD_NS 200000L	/* 200 us of work per batch */
#define PACE_MAX_LAG_NS 1000000L	/* later than this: no catching up */
#define CHUNK_BYTES (64L << 20)

/* A literal the first open() may not have faulted in: touched before timing. */
static const char dev_null[] = "/dev/null";

enum kind { GETPPID, OPEN, RW, PAGEFAULT, EXEC, BUILD, OPENREL, LOCK, PINGPONG };

static const char *const kind_names[] = {
	[GETPPID] = "getppid", [OPEN] = "open", [RW] = "rw", [PAGEFAULT] = "pagefault",
	[EXEC] = "exec", [BUILD] = "build", [OPENREL] = "openrel", [LOCK] = "lock",
	[PINGPONG] = "pingpong",
};

static pthread_mutex_t work_mutex = PTHREAD_MUTEX_INITIALIZER;

/* What build compiles: real headers to open and parse, a little code. */
static const char build_source[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
	"#include <sys/stat.h>\n#include <fcntl.h>\n#include <errno.h>\n#include <time.h>\n"
	"struct item { char name[32]; long v; struct item *next; };\n"
	"static struct item *push(struct item *h, const char *n, long v)\n"
	"{ struct item *i = calloc(1, sizeof(*i)); if (!i) exit(1);\n"
	"  snprintf(i->name, sizeof(i->name), \"%s-%ld\", n, v); i->v = v; i->next = h; return i; }\n"
	"static long sum(const struct item *h) { long s = 0; for (; h; h = h->next) s += h->v * 3 % 7; return s; }\n"
	"int main(int argc, char **argv)\n"
	"{ struct item *h = NULL; struct stat st; for (int i = 0; i < argc * 100; i++) h = push(h, argv[0], i);\n"
	"  if (stat(argv[0], &st) == 0) printf(\"%ld %ld\\n\", (long)st.st_size, sum(h));\n"
	"  return strlen(argv[0]) > 1000 ? errno : 0; }\n";

struct work {
	enum kind kind;
	char build_dir[64];	/* build: the source and the object */
	int fd_in;
	int fd_out;
	long page;
	pid_t child;		/* pingpong: the echoing child */
	char *chunk;		/* pagefault: the current mapping */
	long chunk_pages;
	long chunk_used;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int kind_parse(const char *name, enum kind *kind)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(name, kind_names[i])) {
			*kind = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int work__setup(struct work *w)
{
	int err = 0;

	w->page = sysconf(_SC_PAGESIZE);
	w->chunk_pages = CHUNK_BYTES / w->page;
	w->chunk_used = w->chunk_pages;
	if (w->kind == OPENREL && chdir("/dev"))
		return -errno;
	if (w->kind == RW) {
		w->fd_in = open("/dev/zero", O_RDONLY);
		w->fd_out = open(dev_null, O_WRONLY);
		if (w->fd_in < 0 || w->fd_out < 0)
			err = -errno;
	}
	if (w->kind == PINGPONG) {
		int to[2], from[2];
		char byte;

		if (pipe(to) || pipe(from))
			return -errno;
		w->child = fork();
		if (w->child < 0)
			return -errno;
		if (!w->child) {
			/* Echo each byte until the parent closes its end. */
			close(to[1]);
			close(from[0]);
			while (read(to[0], &byte, 1) == 1 && write(from[1], &byte, 1) == 1)
				;
			_exit(0);
		}
		close(to[0]);
		close(from[1]);
		w->fd_out = to[1];
		w->fd_in = from[0];
	}
	if (w->kind == BUILD) {
		char path[96];
		FILE *f;

		strcpy(w->build_dir, "/tmp/workload-build.XXXXXX");
		if (!mkdtemp(w->build_dir))
			return -errno;
		snprintf(path, sizeof(path), "%s/unit.c", w->build_dir);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		fputs(build_source, f);
		if (fclose(f))
			return -errno;
	}
	/* The first open() must not be the one that faults the path in. */
	(void)*(volatile const char *)dev_null;
	return err;
}

static void work__cleanup(struct work *w)
{
	if (w->build_dir[0]) {
		char path[96];

		snprintf(path, sizeof(path), "%s/unit.c", w->build_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/unit.o", w->build_dir);
		unlink(path);
		rmdir(w->build_dir);
	}
	if (w->chunk)
		munmap(w->chunk, w->chunk_pages * w->page);
	if (w->fd_out >= 0)
		close(w->fd_out);
	if (w->fd_in >= 0)
		close(w->fd_in);
	if (w->child > 0)
		waitpid(w->child, NULL, 0);
}

/* One fresh page per call; a new mapping when the current one is used up. */
static int work__touch_page(struct work *w)
{
	if (w->chunk_used == w->chunk_pages) {
		if (w->chunk)
			munmap(w->chunk, w->chunk_pages * w->page);
		w->chunk = mmap(NULL, w->chunk_pages * w->page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->chunk == MAP_FAILED) {
			w->chunk = NULL;
			return -errno;
		}
		w->chunk_used = 0;
	}
	w->chunk[w->chunk_used++ * w->page] = 1;
	return 0;
}

static int work__run(struct work *w, long n)
{
	char byte;
	int err = 0;

	for (long i = 0; i < n && !err; i++) {
		switch (w->kind) {
		case GETPPID:
			syscall(SYS_getppid);
			break;
		case OPEN:
			close(open(dev_null, O_RDONLY));
			break;
		case OPENREL:
			close(open(dev_null + 5, O_RDONLY));
			break;
		case RW:
			if (read(w->fd_in, &byte, 1) != 1 || write(w->fd_out, &byte, 1) != 1)
				err = -EIO;
			break;
		case PINGPONG:
			byte = 1;
			if (write(w->fd_out, &byte, 1) != 1 || read(w->fd_in, &byte, 1) != 1)
				err = -EIO;
			break;
		case PAGEFAULT:
			err = work__touch_page(w);
			break;
		case LOCK:
			pthread_mutex_lock(&work_mutex);
			pthread_mutex_unlock(&work_mutex);
			break;
		case EXEC:
		case BUILD: {
			pid_t pid = fork();
			int status;

			if (pid < 0) {
				err = -errno;
			} else if (!pid) {
				if (w->kind == EXEC) {
					execl("/bin/true", "true", (char *)NULL);
				} else if (!chdir(w->build_dir)) {
					execlp("cc", "cc", "-O1", "-c", "unit.c", "-o", "unit.o",
					       (char *)NULL);
				}
				_exit(127);
			} else if (waitpid(pid, &status, 0) < 0) {
				err = -errno;
			} else if (w->kind == BUILD && (!WIFEXITED(status) || WEXITSTATUS(status))) {
				err = -ECHILD;
			}
			break;
		}
		}
	}
	return err;
}

/* R ops/s in batches; returns when all n are done. */
static int work__run_paced(struct work *w, long n, double rate)
{
	long batch = rate * PACE_PERIOD_NS / 1e9 + 0.5;
	long long start = now_ns(), done_base = 0;
	int err = 0;

	if (batch < 1)
		batch = 1;
	/* Sleeps end when asked, not up to 50 us later. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	for (long done = 0; done < n && !err;) {
		long b = n - done < batch ? n - done : batch;
		long long due, t;

		err = work__run(w, b);
		done += b;
		due = start + (long long)((done - done_base) * 1e9 / rate);
		t = now_ns();
		if (t < due) {
			struct timespec ts = { due / 1000000000LL, due % 1000000000LL };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		} else if (t - due > PACE_MAX_LAG_NS) {
			/* Behind: start the schedule afresh rather than burst. */
			start = t;
			done_base = done;
		}
	}
	return err;
}

int main(int argc, char **argv)
{
	struct work w = { .fd_in = -1, .fd_out = -1 };
	double rate = 0;
	long long t0, t1;
	int status = 2;
	char *end;
	long n;
	int err;

	if (argc == 5 && !strcmp(argv[3], "--rate"))
		rate = strtod(argv[4], &end);
	if ((argc != 3 && !(argc == 5 && rate > 0 && !*end)) ||
	    (n = strtol(argv[2], &end, 10)) <= 0 || *end || kind_parse(argv[1], &w.kind)) {
		fprintf(stderr, "usage: workload getppid|open|openrel|rw|pagefault|exec|build|lock|pingpong N [--rate OPS_PER_S]\n");
		goto cleanup;
	}
	status = 1;
	err = work__setup(&w);
	if (err)
		goto fail;
	t0 = now_ns();
	err = rate > 0 ? work__run_paced(&w, n, rate) : work__run(&w, n);
	t1 = now_ns();
	if (err)
		goto fail;
	printf("%s %ld ops %.1f ns/op %.0f ops/s", argv[1], n, (double)(t1 - t0) / n,
	       n * 1e9 / (t1 - t0));
	if (rate > 0)
		printf(" target %.0f ops/s", rate);
	printf("\n");
	status = 0;
	goto cleanup;
fail:
	fprintf(stderr, "workload: %s: %s\n", argv[1], strerror(-err));
cleanup:
	work__cleanup(&w);
	return status;
}
