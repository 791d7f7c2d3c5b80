// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>

#include "util/json_util.h"
#include "util/strbuf.h"

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *json_string_lossy(const char *s, size_t maxlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, maxlen), i = 0;
	struct strbuf sb = STRBUF_INIT;
	json_t *str;

	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (!n)
			break;
		i += n;
	}
	if (i == len)
		return json_stringn_nocheck(s, len);
	for (i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n) {
			strbuf_add(&sb, p + i, n);
			i += n;
		} else {
			strbuf_add(&sb, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	str = json_stringn_nocheck(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return str;
}

void format_rfc3339_ns(uint64_t realtime_ns, char *buf, size_t len)
{
	/* Events come in bursts within one second: format the date part once. */
	static time_t cached_secs = -1;
	static char cached[24];
	static size_t cached_len;
	time_t secs = realtime_ns / 1000000000ull;
	uint32_t ns = realtime_ns % 1000000000ull;
	char *p;

	if (len < cached_len + 12) {
		if (len)
			buf[0] = 0;
		return;
	}
	if (secs != cached_secs) {
		struct tm tm;

		gmtime_r(&secs, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_secs = secs;
	}
	memcpy(buf, cached, cached_len);
	p = buf + cached_len;
	*p++ = '.';
	for (int i = 8; i >= 0; i--) {
		p[i] = '0' + ns % 10;
		ns /= 10;
	}
	p[9] = 'Z';
	p[10] = 0;
}

const char *errno_name(int err)
{
	return err > 0 ? strerrorname_np(err) : NULL;
}
