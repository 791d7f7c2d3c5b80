/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the C unit tests: a temporary directory, formatting,
 * reading and writing files, and capturing stderr. All are static inline so
 * that a test that does not use one gets no warning. Failures print why and
 * exit(2), which the TAP driver reports as an error.
 */
#ifndef EBPFMON_TESTUTIL_H
#define EBPFMON_TESTUTIL_H

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The test's own temporary directory, made by tmpdir_setup(). */
static char tmpdir[PATH_MAX];
/* The test's name: the prefix of tmpdir and of write_temp()'s files. */
static const char *tmpdir_prefix;

static inline char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		perror("strdup");
		exit(2);
	}
	return p;
}

/* A malloc'd string formatted like printf. */
static inline char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static inline char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0) {
		perror("vasprintf");
		exit(2);
	}
	va_end(ap);
	return s;
}

/* A test name: formatted into one of a few static buffers, never freed. */
static inline const char *nm(const char *f, ...) __attribute__((format(printf, 1, 2)));
static inline const char *nm(const char *f, ...)
{
	static char bufs[4][256];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return buf;
}

/*
 * Make tmpdir as "$TMPDIR/NAME.XXXXXX" (/tmp without TMPDIR). The test
 * removes it with rmdir() at the end, so it must leave it empty.
 */
static inline void tmpdir_setup(const char *name)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	tmpdir_prefix = name;
	tmpl = fmt("%s/%s.XXXXXX", base && *base ? base : "/tmp", name);
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	free(tmpl);
}

/* Everything from fd's start to its end, malloc'd and NUL-terminated. */
static inline char *read_all(int fd)
{
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf || lseek(fd, 0, SEEK_SET) < 0) {
		perror("read_all");
		exit(2);
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len == 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf) {
				perror("realloc");
				exit(2);
			}
		}
	}
	buf[len] = '\0';
	return buf;
}

static inline char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *text;

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	text = read_all(fd);
	close(fd);
	return text;
}

static inline void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* A new file in tmpdir holding text; returns its malloc'd path. */
static inline char *write_temp(const char *text)
{
	char *path = fmt("%s/%s.XXXXXX", tmpdir, tmpdir_prefix);
	size_t len = strlen(text);
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd)) {
		perror("write_temp");
		exit(2);
	}
	return path;
}

static inline void xmkdir(const char *path)
{
	if (mkdir(path, 0700)) {
		perror(path);
		exit(2);
	}
}

/* stderr redirected into an unlinked file in tmpdir. */
struct capture {
	int saved;
	int fd;
};

static inline void capture_begin(struct capture *c)
{
	char *path = fmt("%s/stderr.XXXXXX", tmpdir);

	fflush(stderr);
	c->fd = mkstemp(path);
	c->saved = dup(STDERR_FILENO);
	if (c->fd < 0 || c->saved < 0 || dup2(c->fd, STDERR_FILENO) < 0) {
		perror("capture_begin");
		exit(2);
	}
	unlink(path);
	free(path);
}

/* Stop capturing; returns what was written to stderr (malloc'd). */
static inline char *capture_end(struct capture *c)
{
	char *out;

	fflush(stderr);
	if (dup2(c->saved, STDERR_FILENO) < 0) {
		perror("capture_end");
		exit(2);
	}
	close(c->saved);
	out = read_all(c->fd);
	close(c->fd);
	return out;
}

#endif
