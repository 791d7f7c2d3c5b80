// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fdio.h"
#include "util/log.h"

static enum log_level current_level = LOG_LEVEL_INFO;
static enum log_target target = LOG_TARGET_STDERR;
static bool tee_stderr;
static int log_fd = -1;		/* LOG_TARGET_FILE */
static char *log_path;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_parse(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		pr_err("logging: cannot open %s: %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

int log_open(enum log_target to, const char *file)
{
	char *path = NULL;
	int fd = -1;

	if (to == LOG_TARGET_FILE) {
		path = strdup(file);
		if (!path)
			return -ENOMEM;
		fd = file_open(path);
		if (fd < 0) {
			free(path);
			return fd;
		}
	}
	log_close();
	if (to == LOG_TARGET_SYSLOG)
		openlog("ebpfmon-bcc", LOG_PID, LOG_DAEMON);
	log_fd = fd;
	log_path = path;
	target = to;
	return 0;
}

void log_tee_stderr(bool on)
{
	tee_stderr = on && target != LOG_TARGET_STDERR;
}

int log_reopen(void)
{
	int fd;

	if (target != LOG_TARGET_FILE)
		return 0;
	fd = file_open(log_path);
	if (fd < 0)
		return fd;
	close(log_fd);
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (target == LOG_TARGET_SYSLOG)
		closelog();
	if (log_fd >= 0)
		close(log_fd);
	free(log_path);
	log_fd = -1;
	log_path = NULL;
	target = LOG_TARGET_STDERR;
	tee_stderr = false;
}

/* "2026-11-22T11:34:16.123Z ebpfmon-bcc[42]: warn: msg\n": UTC, like the events' ts. */
static void file_print(enum log_level level, const char *msg)
{
	uint64_t now = clock_real_ns();
	time_t secs = now / 1000000000ull;
	struct tm tm;
	char stamp[32], *line = NULL;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per message keeps lines whole when the file or stderr is shared. */
	if (asprintf(&line, "%s.%03uZ ebpfmon-bcc[%d]: %s: %s\n", stamp,
		     (unsigned)(now % 1000000000ull / 1000000), (int)getpid(),
		     level_names[level], msg) >= 0)
		fd_write_all(log_fd, line, strlen(line));
	free(line);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	char *msg = NULL, *line = NULL;
	va_list ap;
	int n;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto cleanup;
	if (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	if (target == LOG_TARGET_SYSLOG)
		syslog(prio[level], "%s", msg);
	else if (target == LOG_TARGET_FILE)
		file_print(level, msg);
	if ((target == LOG_TARGET_STDERR || tee_stderr) && asprintf(&line, "%s\n", msg) >= 0)
		fd_write_all(STDERR_FILENO, line, strlen(line));
cleanup:
	free(line);
	free(msg);
	errno = saved;
}
