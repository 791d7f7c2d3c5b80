/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_JSON_UTIL_H
#define EBPFMON_JSON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * A JSON string from kernel bytes: stops at the first NUL or at maxlen, and
 * replaces every byte that is not part of valid UTF-8 with U+FFFD, so a line
 * is always valid JSON.
 */
json_t *json_string_lossy(const char *s, size_t maxlen);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* "2026-11-22T05:51:11.123456789Z"; buf of at least 32 bytes. */
void format_rfc3339_ns(uint64_t realtime_ns, char *buf, size_t len);

/* "ENOENT" for 2; NULL when unknown. */
const char *errno_name(int err);

/* Set key to a new reference, ignoring allocation failure of the value. */
static inline void json_set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new_nocheck(obj, key, value ? value : json_null());
}

#endif
