/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP producer for the C unit tests, read by automake's tap-driver. */
#ifndef EBPFMON_TAP_H
#define EBPFMON_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#define is_str(got, want, name) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (!ok(g_ && w_ ? !strcmp(g_, w_) : g_ == w_, "%s", name))		\
		printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)",	\
		       w_ ? w_ : "(null)");					\
} while (0)

#define is_int(got, want, name) do {						\
	long long g_ = (got), w_ = (want);					\
	if (!ok(g_ == w_, "%s", name))						\
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);		\
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
