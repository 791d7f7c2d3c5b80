/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_UTF8_H
#define EBPFMON_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * UTF-8 from the kernel's bytes, which may be anything: every byte that is
 * not part of a well-formed sequence (Unicode table 3-7: no overlong forms,
 * surrogates or values past U+10FFFF, none cut short) becomes U+FFFD on its
 * own. JSON, CSV and table text all repair text so. Inline: the JSON
 * encoder runs this for every non-ASCII byte of every event.
 */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */
#define UTF8_REPLACEMENT_LEN 3

/*
 * The sequence at s (avail > 0 bytes): its length (1..4) and code point, or
 * 0 and U+FFFD when s does not start a well-formed one.
 */
static inline size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;

	*cp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, *cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, *cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, *cp = c & 0x07;
	else
		goto invalid;
	if (n > avail)
		goto invalid;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto invalid;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		goto invalid;
	return n;
invalid:
	*cp = 0xfffd;
	return 0;
}

/* Length of the well-formed sequence at s (1..4), or 0. */
static inline size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;

	return utf8_decode(s, avail, &cp);
}

/*
 * Write the n bytes at s that utf8_decode measured to *w, or U+FFFD for
 * n == 0; *w moves past them. Returns the input bytes used (n, or 1).
 */
static inline size_t utf8_put(char **w, const unsigned char *s, size_t n)
{
	if (!n) {
		memcpy(*w, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
		*w += UTF8_REPLACEMENT_LEN;
		return 1;
	}
	memcpy(*w, s, n);
	*w += n;
	return n;
}

/*
 * The character at s, or U+FFFD for a byte that starts none, to *w (room for
 * 4 bytes); returns the input bytes used (at least 1).
 */
static inline size_t utf8_copy_lossy(char **w, const unsigned char *s, size_t avail)
{
	return utf8_put(w, s, utf8_seq_len(s, avail));
}

/*
 * The LEN bytes at S as valid UTF-8 at DST (room for 3 * LEN + 1 bytes),
 * NUL-terminated; returns its length.
 */
static inline size_t utf8_repair(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *w = dst;

	for (size_t i = 0; i < len;)
		i += utf8_copy_lossy(&w, p + i, len - i);
	*w = 0;
	return w - dst;
}

#endif
