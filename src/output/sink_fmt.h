/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SINK_FMT_H
#define EBPFMON_SINK_FMT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/record.h"
#include "util/strbuf.h"

/*
 * Text helpers of the csv and table sinks, apart so the unit tests reach
 * them without a run. All return 0 or -ENOMEM unless said otherwise.
 */

/*
 * One CSV cell (RFC 4180): bytes that are not UTF-8 become U+FFFD; quoted
 * when it holds the delimiter, '"', CR or LF, quotes doubled.
 */
int csv_cell(struct strbuf *out, const char *s, size_t len, char delim);

/*
 * Text for one terminal line: lossy UTF-8 as above, "\n", "\r", "\t" written
 * as those two characters, other control characters as '?'.
 */
int text_clean(struct strbuf *out, const char *s, size_t len);

/* Display columns of a code point: 0 (combining), 1, or 2 (wide, East Asian). */
int codepoint_width(uint32_t cp);

/*
 * Bytes of the longest prefix of UTF-8 text s that fits in max_cols display
 * columns (never a partial character); *cols gets its width.
 */
size_t text_cut(const char *s, size_t len, size_t max_cols, size_t *cols);
size_t text_width(const char *s, size_t len);

/*
 * A field's value as text, not yet quoted: null is empty (table: "-"), a
 * list of strings (argv) its items joined by single spaces, each cleaned as
 * text_clean does (an item's own spaces are not marked, as in execsnoop; the
 * json output keeps the list), a time RFC 3339 (table: local HH:MM:SS),
 * numbers, bools, other lists and nested values compact JSON. Strings raw.
 */
int field_text(const struct record *rec, const struct field *f, struct strbuf *out,
	       bool table);

/*
 * Nested objects (a summary row's "system" figures) are flat columns in CSV
 * and table output, PARENT_MEMBER ("system_max_ns"). A field that is such
 * an object; the member a flat column KEY names (NULL: none, or no such
 * field); a member's text as field_text writes values (null: empty, table
 * "-").
 */
bool field_is_object(const struct field *f);
json_t *record_member(const struct record *rec, const char *key);
int member_text(json_t *v, struct strbuf *out, bool table);

#endif
