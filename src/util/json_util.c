// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "util/json_util.h"
#include "util/strbuf.h"
#include "util/utf8.h"

json_t *json_string_lossy(const char *s, size_t maxlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, maxlen), i = 0, n;
	struct strbuf sb = STRBUF_INIT;
	json_t *str;

	while (i < len && (n = utf8_seq_len(p + i, len - i)))
		i += n;
	if (i == len)
		return json_stringn_nocheck(s, len);
	/* Worst case: every byte becomes U+FFFD. */
	if (strbuf_grow(&sb, len * UTF8_REPLACEMENT_LEN))
		return NULL;
	str = json_stringn_nocheck(sb.buf, utf8_repair(sb.buf, s, len));
	strbuf_release(&sb);
	return str;
}
