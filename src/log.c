// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static enum log_level current_level = LOG_LEVEL_INFO;
static bool to_syslog;

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

void log_use_syslog(bool on)
{
	if (on && !to_syslog)
		openlog("ebpfmon-bcc", LOG_PID, LOG_DAEMON);
	to_syslog = on;
}

void log_print(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	if (to_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		/* One write per message keeps lines whole when stderr is shared. */
		char *msg = NULL;
		int n = vasprintf(&msg, fmt, ap);

		if (n >= 0)
			fprintf(stderr, "%s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
		free(msg);
	}
	va_end(ap);
	errno = saved;
}
