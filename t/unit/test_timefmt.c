// SPDX-License-Identifier: GPL-2.0
/* Unit tests for time formatting (src/util/timefmt.c): RFC 3339 and the per-second cache. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"
#include "tap.h"
#include "testutil.h"

/* ---------------------------------------------------------------------------
 * format_rfc3339_ns
 */

static void ts_is(uint64_t ns, const char *want)
{
	char buf[40];

	memset(buf, 'X', sizeof(buf));
	format_rfc3339_ns(ns, buf, 32);
	is_str(buf, want, nm("format_rfc3339_ns(%llu)", (unsigned long long)ns));
	ok(buf[32] == 'X', "format_rfc3339_ns(%llu): stays within len",
	   (unsigned long long)ns);
}

static void test_time(void)
{
	char buf[31];

	ts_is(0, "1970-01-01T00:00:00.000000000Z");
	ts_is(1, "1970-01-01T00:00:00.000000001Z");
	ts_is(999999999, "1970-01-01T00:00:00.999999999Z");
	ts_is(1000000000, "1970-01-01T00:00:01.000000000Z");
	ts_is(1700000000123456789ull, "2023-11-14T22:13:20.123456789Z");
	ts_is(1709208000000000500ull, "2024-02-29T12:00:00.000000500Z");
	ts_is(4102444800000000000ull, "2100-01-01T00:00:00.000000000Z");
	ts_is(UINT64_MAX, "2554-07-21T23:34:33.709551615Z");

	/* The longest output is 30 characters: 31 bytes are enough. */
	format_rfc3339_ns(1700000000123456789ull, buf, sizeof(buf));
	is_str(buf, "2023-11-14T22:13:20.123456789Z", "format_rfc3339_ns: 31-byte buffer");

	/* UTC whatever TZ says. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	format_rfc3339_ns(1700000000123456789ull, buf, sizeof(buf));
	is_str(buf, "2023-11-14T22:13:20.123456789Z", "format_rfc3339_ns: UTC under TZ");
	unsetenv("TZ");
	tzset();
}

/* ---------------------------------------------------------------------------
 * The per-second cache
 */

static void test_second_cache(void)
{
	struct second_cache c = SECOND_CACHE_INIT;
	const char *text;
	size_t len;

	/* A POSIX TZ (UTC-5 all year): no tz database needed. */
	setenv("TZ", "EST5", 1);
	tzset();
	text = second_cache__format(&c, 1700000000, "%H:%M:%S", false, &len);
	is_str(text, "22:13:20", "second_cache: UTC");
	is_int(len, 8, "second_cache: its length");
	text = second_cache__format(&c, 1700000000, "ignored within the second", false, &len);
	is_str(text, "22:13:20", "second_cache: the same second is not formatted again");
	text = second_cache__format(&c, 1700000001, "%H:%M:%S", true, &len);
	is_str(text, "17:13:21", "second_cache: the next second, local time");
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	test_time();
	test_second_cache();
	return done_testing();
}
