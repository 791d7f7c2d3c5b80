// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "util/timefmt.h"

const char *second_cache__format(struct second_cache *c, time_t secs, const char *fmt,
				 bool local, size_t *len)
{
	if (secs != c->secs) {
		struct tm tm;

		if (local)
			localtime_r(&secs, &tm);
		else
			gmtime_r(&secs, &tm);
		c->len = strftime(c->text, sizeof(c->text), fmt, &tm);
		c->secs = secs;
	}
	*len = c->len;
	return c->text;
}

void format_rfc3339_ns(uint64_t realtime_ns, char *buf, size_t len)
{
	static struct second_cache date = SECOND_CACHE_INIT;
	time_t secs = realtime_ns / 1000000000ull;
	uint32_t ns = realtime_ns % 1000000000ull;
	const char *date_text;
	size_t date_len;
	char *p;

	date_text = second_cache__format(&date, secs, "%Y-%m-%dT%H:%M:%S", false, &date_len);
	/* The date, '.', nine digits, 'Z' and the NUL. */
	if (len < date_len + 12) {
		if (len)
			buf[0] = 0;
		return;
	}
	memcpy(buf, date_text, date_len);
	p = buf + date_len;
	*p++ = '.';
	for (int i = 8; i >= 0; i--) {
		p[i] = '0' + ns % 10;
		ns /= 10;
	}
	p[9] = 'Z';
	p[10] = 0;
}
