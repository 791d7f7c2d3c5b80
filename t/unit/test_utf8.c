// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the lossy UTF-8 repair (src/util/utf8.h): the decoder, and
 * its users json_string_lossy (src/util/json_util.c), the records' JSON
 * strings (src/output/record.c) and CSV cells (src/output/sink_fmt.c),
 * against a reference made from Unicode's table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "output/record.h"
#include "output/sink_fmt.h"
#include "util/json_util.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "tap.h"
#include "testutil.h"

#define FFFD "\xef\xbf\xbd"

/* ---------------------------------------------------------------------------
 * Helpers
 */

/* Bytes as "\xNN" escapes for diagnostics; one of a few static buffers. */
static const char *hex(const char *s, size_t len)
{
	static char bufs[4][512];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < len && off + 5 < sizeof(bufs[0]); i++)
		off += snprintf(buf + off, sizeof(bufs[0]) - off, "\\x%02x",
				(unsigned char)s[i]);
	return buf;
}

/* ---------------------------------------------------------------------------
 * json_string_lossy
 */

/*
 * json_string_lossy(in, maxlen) must be exactly want (want_len bytes), and
 * dump to valid JSON that loads back to the same bytes.
 */
static void lossy_is(const char *name, const char *in, size_t maxlen, const char *want,
		     size_t want_len)
{
	json_t *s = json_string_lossy(in, maxlen), *arr, *back;
	const char *got = s ? json_string_value(s) : NULL;
	size_t got_len = s ? json_string_length(s) : 0;
	char *dump;

	if (!ok(got && got_len == want_len && !memcmp(got, want, want_len), "lossy: %s", name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? hex(got, got_len) : "(null)",
		       hex(want, want_len));
	arr = json_array();
	json_array_append(arr, s);
	dump = json_dumps(arr, JSON_COMPACT);
	back = dump ? json_loads(dump, 0, NULL) : NULL;
	ok(dump && back && json_equal(arr, back), "lossy: %s: json_dumps valid, loads back",
	   name);
	free(dump);
	json_decref(back);
	json_decref(arr);
	json_decref(s);
}

#define LOSSY(name, in, maxlen, want) \
	lossy_is(name, in, maxlen, want, sizeof(want) - 1)
/* The whole literal, NULs included. */
#define LOSSY_ALL(name, in, want) \
	lossy_is(name, in, sizeof(in) - 1, want, sizeof(want) - 1)

/*
 * Reference: the well-formed sequences of Unicode table 3-7; every other
 * byte becomes U+FFFD on its own.
 */
static size_t ref_seq_len(const unsigned char *s, size_t avail)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		size_t n;
	} forms[] = {
		{ 0x00, 0x7f, 0, 0, 1 },
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};

	for (size_t f = 0; f < ARRAY_SIZE(forms); f++) {
		if (s[0] < forms[f].lo0 || s[0] > forms[f].hi0)
			continue;
		if (forms[f].n > avail)
			return 0;
		if (forms[f].n == 1)
			return 1;
		if (s[1] < forms[f].lo1 || s[1] > forms[f].hi1)
			return 0;
		for (size_t i = 2; i < forms[f].n; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return forms[f].n;
	}
	return 0;
}

static size_t ref_lossy(const unsigned char *in, size_t maxlen, char *out)
{
	size_t len = strnlen((const char *)in, maxlen), o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = ref_seq_len(in + i, len - i);

		if (n) {
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, FFFD, 3);
			o += 3;
			i++;
		}
	}
	return o;
}

/* Compare with the reference; 1 when equal, else print the input once. */
static int lossy_matches_ref(const unsigned char *in, size_t len, int *reported)
{
	char want[64];
	size_t want_len = ref_lossy(in, len, want);
	json_t *s = json_string_lossy((const char *)in, len);
	int same = s && json_string_length(s) == want_len &&
		   !memcmp(json_string_value(s), want, want_len);

	if (!same && !(*reported)++)
		printf("# first mismatch: in '%s' got '%s' want '%s'\n",
		       hex((const char *)in, len),
		       s ? hex(json_string_value(s), json_string_length(s)) : "(null)",
		       hex(want, want_len));
	json_decref(s);
	return same;
}

static void test_lossy(void)
{
	static const unsigned char interesting[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
		0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	const size_t ni = sizeof(interesting);
	char nonul[4] = { 'a', 'b', 'c', 'd' };
	unsigned char in[4];
	unsigned long bad;
	int reported;

	LOSSY("ASCII", "hello, world", 64, "hello, world");
	LOSSY("ASCII with control chars and quotes", "a\tb\"c\\d\x01", 64, "a\tb\"c\\d\x01");
	LOSSY("empty", "", 16, "");
	LOSSY("2-byte U+00E9", "caf\xc3\xa9", 64, "caf\xc3\xa9");
	LOSSY("3-byte U+20AC", "\xe2\x82\xac" "5", 64, "\xe2\x82\xac" "5");
	LOSSY("4-byte U+1F600", "x\xf0\x9f\x98\x80y", 64, "x\xf0\x9f\x98\x80y");
	LOSSY("boundaries U+0080 U+07FF U+0800 U+D7FF U+E000 U+FFFF U+10000 U+10FFFF",
	      "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
	      "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 64,
	      "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
	      "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	LOSSY("U+FFFD itself is kept", FFFD, 64, FFFD);

	LOSSY("0xff", "a\xff" "b", 64, "a" FFFD "b");
	LOSSY("0xfe 0xff", "\xfe\xff", 64, FFFD FFFD);
	LOSSY("lone continuation 0x80", "\x80", 64, FFFD);
	LOSSY("continuation after ASCII", "ab\xbf", 64, "ab" FFFD);
	LOSSY("truncated 3-byte at the end", "x\xe2\x82", 64, "x" FFFD FFFD);
	LOSSY("truncated 4-byte at the end", "\xf0\x9f\x98", 64, FFFD FFFD FFFD);
	LOSSY("truncated 2-byte at the end", "ok\xc3", 64, "ok" FFFD);
	LOSSY("truncated sequence then ASCII", "\xe2\x82" "x", 64, FFFD FFFD "x");
	LOSSY("lead byte then ASCII", "\xc3(", 64, FFFD "(");
	LOSSY("overlong 0xc0 0xaf", "\xc0\xaf", 64, FFFD FFFD);
	LOSSY("overlong 0xc1 0xbf", "\xc1\xbf", 64, FFFD FFFD);
	LOSSY("overlong 3-byte 0xe0 0x80 0xaf", "\xe0\x80\xaf", 64, FFFD FFFD FFFD);
	LOSSY("overlong 4-byte 0xf0 0x8f 0xbf 0xbf", "\xf0\x8f\xbf\xbf", 64,
	      FFFD FFFD FFFD FFFD);
	LOSSY("surrogate 0xed 0xa0 0x80", "\xed\xa0\x80", 64, FFFD FFFD FFFD);
	LOSSY("surrogate U+DFFF 0xed 0xbf 0xbf", "\xed\xbf\xbf", 64, FFFD FFFD FFFD);
	LOSSY("past U+10FFFF 0xf4 0x90 0x80 0x80", "\xf4\x90\x80\x80", 64,
	      FFFD FFFD FFFD FFFD);
	LOSSY("0xf5 lead", "\xf5\x80\x80\x80", 64, FFFD FFFD FFFD FFFD);
	LOSSY("valid, invalid, valid", "\xc3\xa9\xff\xe2\x82\xac", 64,
	      "\xc3\xa9" FFFD "\xe2\x82\xac");

	LOSSY_ALL("stops at NUL", "ab\0cd", "ab");
	LOSSY_ALL("stops at NUL after an invalid byte", "\xff\0\xff", FFFD);
	LOSSY_ALL("NUL first", "\0abc", "");
	LOSSY("stops at maxlen", "abcdef", 3, "abc");
	LOSSY("maxlen 0", "abc", 0, "");
	LOSSY("maxlen cuts a 2-byte sequence", "\xc3\xa9", 1, FFFD);
	LOSSY("maxlen cuts a 3-byte sequence", "a\xe2\x82\xac", 3, "a" FFFD FFFD);
	LOSSY("maxlen cuts a 4-byte sequence", "\xf0\x9f\x98\x80", 3, FFFD FFFD FFFD);
	LOSSY("maxlen at a sequence end", "\xc3\xa9\xc3\xa9", 2, "\xc3\xa9");
	/* A full comm[] without NUL: nothing past maxlen may be read (ASan). */
	lossy_is("no NUL within maxlen", nonul, sizeof(nonul), "abcd", 4);

	/* Exact JSON text, raw and escaped. */
	{
		json_t *arr = json_array();
		char *dump;

		json_array_append_new(arr, json_string_lossy("a\xff\"\x01\xf0\x9f\x98\x80", 64));
		dump = json_dumps(arr, JSON_COMPACT);
		is_str(dump, "[\"a" FFFD "\\\"\\u0001\xf0\x9f\x98\x80\"]", "json_dumps: exact text");
		free(dump);
		dump = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
		is_str(dump, "[\"a\\uFFFD\\\"\\u0001\\uD83D\\uDE00\"]",
		       "json_dumps JSON_ENSURE_ASCII: exact text");
		free(dump);
		json_decref(arr);
	}

	/* Against the reference, exhaustively for short inputs. */
	bad = 0;
	reported = 0;
	for (unsigned int a = 0; a < 256; a++) {
		in[0] = a;
		bad += !lossy_matches_ref(in, 1, &reported);
		for (unsigned int b = 0; b < 256; b++) {
			in[1] = b;
			bad += !lossy_matches_ref(in, 2, &reported);
		}
	}
	is_int(bad, 0, "all 1- and 2-byte inputs match the reference");

	bad = 0;
	reported = 0;
	for (unsigned int a = 0xc0; a < 256; a++) {
		in[0] = a;
		for (size_t b = 0; b < ni; b++) {
			in[1] = interesting[b];
			for (size_t c = 0; c < ni; c++) {
				in[2] = interesting[c];
				bad += !lossy_matches_ref(in, 3, &reported);
				for (size_t d = 0; d < ni; d++) {
					in[3] = interesting[d];
					bad += !lossy_matches_ref(in, 4, &reported);
				}
			}
		}
	}
	is_int(bad, 0, "3- and 4-byte inputs from interesting bytes match the reference");

	/* Every 3-byte sequence with a 3-byte lead, all second and third bytes. */
	bad = 0;
	reported = 0;
	for (unsigned int a = 0xe0; a <= 0xef; a++) {
		in[0] = a;
		for (unsigned int b = 0x01; b < 256; b++) {
			in[1] = b;
			for (unsigned int c = 0x01; c < 256; c++) {
				in[2] = c;
				bad += !lossy_matches_ref(in, 3, &reported);
			}
		}
	}
	is_int(bad, 0, "all 3-byte inputs with a 0xe0..0xef lead match the reference");
}

/* ---------------------------------------------------------------------------
 * The decoder itself, and the encoders that use it
 */

/* utf8_seq_len and utf8_decode agree with the reference; 1 when they do. */
static int decode_matches_ref(const unsigned char *in, size_t len, int *reported)
{
	size_t want = ref_seq_len(in, len);
	uint32_t cp;
	size_t n = utf8_decode(in, len, &cp);
	int same = n == want && utf8_seq_len(in, len) == want && (n || cp == 0xfffd);

	if (!same && !(*reported)++)
		printf("# first mismatch: in '%s' got %zu want %zu\n",
		       hex((const char *)in, len), n, want);
	return same;
}

/*
 * JSON strings and CSV cells repair bytes as json_string_lossy does (inputs
 * with nothing to escape or quote); 1 when they do.
 */
static int encoders_match_ref(const unsigned char *in, size_t len, int *reported)
{
	struct strbuf json = STRBUF_INIT, csv = STRBUF_INIT;
	char want[64], quoted[72];
	size_t want_len = ref_lossy(in, len, want);
	int same;

	quoted[0] = '"';
	memcpy(quoted + 1, want, want_len);
	quoted[want_len + 1] = '"';
	same = !json_encode_bytes(&json, (const char *)in, len) && json.len == want_len + 2 &&
	       !memcmp(json.buf, quoted, want_len + 2) &&
	       !csv_cell(&csv, (const char *)in, len, ',') && csv.len == want_len &&
	       !memcmp(csv.buf, want, want_len);
	if (!same && !(*reported)++)
		printf("# first mismatch: in '%s' json '%s' csv '%s'\n",
		       hex((const char *)in, len), json.buf ? hex(json.buf, json.len) : "",
		       csv.buf ? hex(csv.buf, csv.len) : "");
	strbuf_release(&json);
	strbuf_release(&csv);
	return same;
}

static void test_decode(void)
{
	/* No NUL, nothing JSON escapes or CSV quotes: only what UTF-8 repairs. */
	static const unsigned char interesting[] = {
		0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
		0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	const size_t ni = sizeof(interesting);
	unsigned char in[4];
	unsigned long bad = 0, bad_enc = 0;
	int reported = 0, reported_enc = 0;
	uint32_t cp;

	is_int(utf8_decode((const unsigned char *)"A", 1, &cp), 1, "decode: ASCII is 1 byte");
	is_int(cp, 'A', "decode: ASCII code point");
	is_int(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2, "decode: U+00E9 is 2 bytes");
	is_int(cp, 0xe9, "decode: U+00E9");
	is_int(utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3,
	       "decode: U+20AC is 3 bytes");
	is_int(cp, 0x20ac, "decode: U+20AC");
	is_int(utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4,
	       "decode: U+10FFFF is 4 bytes");
	is_int(cp, 0x10ffff, "decode: U+10FFFF");
	is_int(utf8_decode((const unsigned char *)"\xe2\x82\xac", 2, &cp), 0,
	       "decode: a sequence cut by avail is invalid");
	is_int(cp, 0xfffd, "decode: invalid gives U+FFFD");

	for (unsigned int a = 1; a < 256; a++) {
		in[0] = a;
		bad += !decode_matches_ref(in, 1, &reported);
		for (unsigned int b = 1; b < 256; b++) {
			in[1] = b;
			bad += !decode_matches_ref(in, 2, &reported);
		}
	}
	for (size_t a = 0; a < ni; a++) {
		in[0] = interesting[a];
		for (size_t b = 0; b < ni; b++) {
			in[1] = interesting[b];
			bad_enc += !encoders_match_ref(in, 2, &reported_enc);
			for (size_t c = 0; c < ni; c++) {
				in[2] = interesting[c];
				bad += !decode_matches_ref(in, 3, &reported);
				bad_enc += !encoders_match_ref(in, 3, &reported_enc);
				for (size_t d = 0; d < ni; d++) {
					in[3] = interesting[d];
					bad += !decode_matches_ref(in, 4, &reported);
					bad_enc += !encoders_match_ref(in, 4, &reported_enc);
				}
			}
		}
	}
	is_int(bad, 0, "utf8_decode and utf8_seq_len match the reference");
	is_int(bad_enc, 0, "JSON strings and CSV cells repair UTF-8 as the reference does");
}

int main(void)
{
	test_lossy();
	test_decode();
	return done_testing();
}
