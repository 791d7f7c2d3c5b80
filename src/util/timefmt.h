/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_TIMEFMT_H
#define EBPFMON_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The text of one second, formatted again only when the second changes:
 * events come in bursts within one second, and gmtime_r/localtime_r and
 * strftime cost more than the rest of a timestamp. One per call site (not
 * shared between threads).
 */
struct second_cache {
	time_t secs;		/* -1: nothing yet */
	size_t len;
	char text[32];
};

#define SECOND_CACHE_INIT { .secs = -1 }

/*
 * strftime(fmt) of secs in UTC, or in local time: the cached text, its length
 * in *len (0 when strftime failed).
 */
const char *second_cache__format(struct second_cache *c, time_t secs, const char *fmt,
				 bool local, size_t *len);

/* "2026-11-22T05:51:11.123456789Z"; buf of at least 31 bytes. */
void format_rfc3339_ns(uint64_t realtime_ns, char *buf, size_t len);

#endif
