/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_LOG_H
#define EBPFMON_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* logging.target; auto is stderr in the foreground, syslog under --daemon. */
enum log_target {
	LOG_TARGET_AUTO,
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info", "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *level);
/*
 * Send messages to TARGET from now on (FILE: appended to, created 0640, each
 * message one write with a timestamp). Returns 0 or -errno after an error
 * line on the old target.
 */
int log_open(enum log_target target, const char *file);
/* Also copy every message to stderr (a daemon's start, on the terminal). */
void log_tee_stderr(bool on);
/* Open the log file again by its name (logrotate moved it); 0 or -errno. */
int log_reopen(void);
void log_close(void);
void log_print(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Messages are lowercase, one line, with a context prefix ("exec: ..."). */
#define pr_err(...)   log_print(LOG_LEVEL_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_print(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)  log_print(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
