/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_JSON_UTIL_H
#define EBPFMON_JSON_UTIL_H

#include <stddef.h>

#include <jansson.h>

/* jansson helpers: values for the nested parts of records and for --check. */

/*
 * A JSON string from kernel bytes: stops at the first NUL or at maxlen, and
 * replaces every byte that is not part of valid UTF-8 with U+FFFD
 * (src/util/utf8.h), so a line is always valid JSON.
 */
json_t *json_string_lossy(const char *s, size_t maxlen);

/* Set key to a new reference, ignoring allocation failure of the value. */
static inline void json_set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new_nocheck(obj, key, value ? value : json_null());
}

#endif
