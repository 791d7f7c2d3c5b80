// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/json_util.c (json_string_lossy, format_rfc3339_ns,
 * errno_name) and the JSON lines sink (src/sink.c, src/sink_json.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config/config.h"
#include "util/errnames.h"
#include "util/json_util.h"
#include "util/log.h"
#include "output/record.h"
#include "output/sink.h"
#include "output/sink_fmt.h"
#include <glob.h>
#include "util/strbuf.h"
#include "util/timefmt.h"
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
 * format_rfc3339_ns, errno_name
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

static void test_errno_name(void)
{
	is_str(errno_name(2), "ENOENT", "errno_name(2)");
	is_str(errno_name(ENOENT), "ENOENT", "errno_name(ENOENT)");
	is_str(errno_name(EACCES), "EACCES", "errno_name(EACCES)");
	is_str(errno_name(E2BIG), "E2BIG", "errno_name(E2BIG)");
	is_str(errno_name(ENOEXEC), "ENOEXEC", "errno_name(ENOEXEC)");
	is_str(errno_name(0), NULL, "errno_name(0) is NULL");
	is_str(errno_name(-2), NULL, "errno_name(-2) is NULL");
	is_str(errno_name(100000), NULL, "errno_name(100000) is NULL");
}

/* ---------------------------------------------------------------------------
 * Records and their JSON encoding (the per-event hot path)
 */

/* The record encodes to exactly WANT, and jansson loads it back as an object. */
static void encodes_to(const struct record *rec, const char *want, const char *name)
{
	struct strbuf out = STRBUF_INIT;
	json_t *back;
	int err = record__encode_json(rec, &out);

	char what[256];

	snprintf(what, sizeof(what), "%s: encodes", name);
	is_int(err, 0, what);
	snprintf(what, sizeof(what), "%s: bytes", name);
	is_str(out.buf ? out.buf : "", want, what);
	/* As jq does: integers past 64 bits signed load as reals. */
	back = json_loadb(out.buf ? out.buf : "", out.len, JSON_DECODE_INT_AS_REAL, NULL);
	ok(json_is_object(back), "%s: loads back as an object", name);
	json_decref(back);
	strbuf_release(&out);
}

static void test_record(void)
{
	static const char *const names[] = { "O_RDONLY", "O_CLOEXEC", "we\"ird" };
	struct record rec = { 0 };
	struct strbuf out = STRBUF_INIT;
	char big[600], tmp[8] = "tmp";

	record__int(&rec, "a", INT64_MIN);
	record__int(&rec, "b", -1);
	record__uint(&rec, "c", UINT64_MAX);
	record__int(&rec, "d", 0);
	record__bool(&rec, "e", false);
	record__null(&rec, "f");
	record__str(&rec, "g", NULL);
	encodes_to(&rec, "{\"a\":-9223372036854775808,\"b\":-1,\"c\":18446744073709551615,"
		   "\"d\":0,\"e\":false,\"f\":null,\"g\":null}", "integers, bool, nulls");

	record__reset(&rec);
	record__real(&rec, "r1", 3);
	record__real(&rec, "r2", 0.125);
	record__real(&rec, "r3", 1e300);
	record__real(&rec, "r4", 0.0 / 0.0);
	record__real(&rec, "r5", 1.0000171350002347);
	encodes_to(&rec, "{\"r1\":3.0,\"r2\":0.125,\"r3\":1e+300,\"r4\":null,"
		   "\"r5\":1.00001713500023}", "reals: 15 digits, integral ones stay reals, NaN null");

	record__reset(&rec);
	record__str(&rec, "s", "tab\tnl\ncr\rq\"bs\\ \x01\x1f\x7f/");
	record__strn(&rec, "n", "abc\0def", 8);
	record__strn(&rec, "m", "abcdef", 3);
	record__strn(&rec, "u", "ok\xc3\xa9 bad\xff\xc3 end", 32);
	record__strn(&rec, "o", "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 16);
	encodes_to(&rec, "{\"s\":\"tab\\tnl\\ncr\\rq\\\"bs\\\\ \\u0001\\u001f\x7f/\","
		   "\"n\":\"abc\",\"m\":\"abc\",\"u\":\"ok\xc3\xa9 bad" FFFD FFFD " end\","
		   "\"o\":\"" FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD "\"}",
		   "strings: escapes, NUL and length cuts, lossy UTF-8 (overlong, surrogate, > U+10FFFF)");

	record__reset(&rec);
	record__strcpy(&rec, "c", tmp, sizeof(tmp));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	record__strf(&rec, "f", "%s", big);
	record__strf(&rec, "h", "0x%llx", 0xdeadbeefull);
	strcpy(tmp, "gone");
	ok(record__encode_json(&rec, &out) == 0 && strstr(out.buf, "\"c\":\"tmp\"") &&
	   strstr(out.buf, "\"h\":\"0xdeadbeef\"") && strlen(out.buf) > sizeof(big),
	   "strcpy and strf copy into the record (600-byte strf too)");
	strbuf_release(&out);

	record__reset(&rec);
	record__strv(&rec, "v", names, 3);
	record__strv(&rec, "e", names, 0);
	record__time(&rec, "ts", 1763790671123456789ull);
	record__json(&rec, "j", json_pack("[{s:i}]", "lo", 1));
	record__json(&rec, "k", NULL);
	encodes_to(&rec, "{\"v\":[\"O_RDONLY\",\"O_CLOEXEC\",\"we\\\"ird\"],\"e\":[],"
		   "\"ts\":\"2025-11-22T05:51:11.123456789Z\",\"j\":[{\"lo\":1}],\"k\":null}",
		   "string arrays, RFC 3339 time, nested jansson values");

	record__reset(&rec);
	record__int(&rec, "uid", 0);
	record__str(&rec, "user", "root");
	record__nullify(&rec, "user");
	record__nullify(&rec, "extra");
	encodes_to(&rec, "{\"uid\":0,\"user\":null,\"extra\":null}",
		   "nullify replaces a field in place, or adds it");

	record__reset(&rec);
	record__int(&rec, "n", 1);
	rec.err = -ENOMEM;
	strbuf_adds(&out, "kept");
	is_int(record__encode_json(&rec, &out), -ENOMEM, "a failed record does not encode");
	is_str(out.buf, "kept", "and leaves the output as it was");
	strbuf_release(&out);
	record__release(&rec);
}

/* ---------------------------------------------------------------------------
 * The JSON lines sink
 */

static struct record *rec_n(struct record *rec, int n)
{
	record__reset(rec);
	record__int(rec, "n", n);
	return rec;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/*
 * Every line of TEXT ends with '\n' and parses as a JSON object; returns
 * how many lines parsed.
 */
static size_t parse_lines(const char *text, json_t **recs, size_t max)
{
	size_t n = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		json_t *rec;

		if (!nl)
			return n;	/* a partial line */
		rec = json_loadb(text, nl - text, 0, NULL);
		if (!json_is_object(rec)) {
			json_decref(rec);
			return n;
		}
		if (n < max)
			recs[n] = rec;
		else
			json_decref(rec);
		n++;
		text = nl + 1;
	}
	return n;
}

static void test_sink(void)
{
	struct config cfg;
	struct sink *s;
	char *path, *path2, *text, *err;
	struct record written[8] = { 0 }, rec = { 0 };
	json_t *read[8], *expect[3];
	struct capture c;
	size_t n;
	int e, same;

	memset(&cfg, 0, sizeof(cfg));
	cfg.format = OUTPUT_JSON;
	path = fmt("%s/out.json", tmpdir);
	cfg.output_file = path;
	cfg.buffer_size = 3;

	s = sink__open(&cfg, NULL, 0);
	if (!ok(s != NULL, "sink__open on a new file")) {
		free(path);
		return;
	}
	ok(s->path && !strcmp(s->path, path) && s->fd > STDERR_FILENO,
	   "sink__open: own copy of the path, own fd");

	rec_n(&written[0], 1);
	record__strn(&written[1], "comm", "bad\xff\xc3\xa9", 16);
	record__json(&written[1], "argv", json_pack("[ss]", "a b", "q\"\n"));
	record__int(&written[2], "pid", 42);
	record__null(&written[2], "error");
	record__bool(&written[2], "ok", true);
	rec_n(&written[3], 4);
	rec_n(&written[4], 5);
	rec_n(&written[5], 6);
	expect[0] = json_pack("{s:i}", "n", 1);
	expect[1] = json_pack("{s:s, s:[ss]}", "comm", "bad" FFFD "\xc3\xa9", "argv", "a b", "q\"\n");
	expect[2] = json_pack("{s:i, s:n, s:b}", "pid", 42, "error", "ok", 1);

	is_int(sink__write(s, &written[0]), 0, "write 1: 0");
	is_int(sink__write(s, &written[1]), 0, "write 2: 0");
	text = read_file(path);
	is_str(text, "", "two records held: file still empty");
	free(text);

	is_int(sink__write(s, &written[2]), 0, "write 3: 0");
	text = read_file(path);
	is_str(text,
	       "{\"n\":1}\n"
	       "{\"comm\":\"bad" FFFD "\xc3\xa9\",\"argv\":[\"a b\",\"q\\\"\\n\"]}\n"
	       "{\"pid\":42,\"error\":null,\"ok\":true}\n",
	       "third record: three complete lines");
	n = parse_lines(text, read, 8);
	is_int(n, 3, "three lines, each ends with a newline and parses");
	same = n == 3;
	for (size_t i = 0; i < n && i < 3; i++) {
		same &= json_equal(read[i], expect[i]);
		json_decref(read[i]);
	}
	for (size_t i = 0; i < 3; i++)
		json_decref(expect[i]);
	ok(same, "the lines load back equal to the records");
	free(text);

	is_int(sink__write(s, &written[3]), 0, "write 4: 0");
	text = read_file(path);
	is_int(count_lines(text), 3, "fourth record held");
	free(text);
	is_int(sink__flush(s), 0, "sink__flush: 0");
	text = read_file(path);
	is_int(count_lines(text), 4, "sink__flush wrote the held record");
	ok(text[0] && text[strlen(text) - 1] == '\n', "file ends with a newline");
	n = parse_lines(text, read, 8);
	is_int(n, 4, "four lines parse");
	for (size_t i = 0; i < n && i < 8; i++)
		json_decref(read[i]);
	free(text);
	is_int(sink__flush(s), 0, "sink__flush with nothing held: 0");
	text = read_file(path);
	is_int(count_lines(text), 4, "empty flush writes nothing");
	free(text);

	/* A record that could not be built whole: refused, nothing buffered. */
	rec_n(&rec, 7);
	rec.err = -ENOMEM;
	is_int(sink__write(s, &rec), -ENOMEM, "a record with an error is refused");
	record__release(&rec);
	sink__flush(s);
	text = read_file(path);
	is_int(count_lines(text), 4, "refused record not written");
	free(text);

	/* reopen: held records go to the old file, new ones to the new one. */
	path2 = fmt("%s/out.json.1", tmpdir);
	is_int(sink__write(s, &written[4]), 0, "write 5: 0");
	if (rename(path, path2)) {
		perror("rename");
		exit(2);
	}
	is_int(sink__reopen(s), 0, "sink__reopen: 0");
	text = read_file(path2);
	is_int(count_lines(text), 5, "reopen flushed to the rotated file");
	ok(strstr(text, "{\"n\":5}\n") != NULL, "record 5 in the rotated file");
	free(text);
	is_int(sink__write(s, &written[5]), 0, "write 6: 0");
	sink__close(s);
	text = read_file(path);
	is_str(text, "{\"n\":6}\n", "sink__close flushed record 6 into the new file");
	free(text);

	/* O_APPEND: existing content stays; buffer_size 1 writes at once. */
	cfg.buffer_size = 1;
	s = sink__open(&cfg, NULL, 0);
	ok(s != NULL, "sink__open on an existing file");
	if (s) {
		is_int(sink__write(s, &written[0]), 0, "buffer_size 1: write");
		text = read_file(path);
		is_str(text, "{\"n\":6}\n{\"n\":1}\n", "buffer_size 1: appended at once");
		free(text);
		sink__close(s);
	}
	unlink(path);
	unlink(path2);
	free(path2);

	/* Open errors. */
	path2 = fmt("%s/no/such/dir.json", tmpdir);
	cfg.output_file = path2;
	capture_begin(&c);
	errno = 0;
	s = sink__open(&cfg, NULL, 0);
	e = errno;
	err = capture_end(&c);
	ok(s == NULL, "sink__open in a missing directory: NULL");
	is_int(e, ENOENT, "sink__open in a missing directory: ENOENT");
	text = fmt("output: cannot open %s: No such file or directory\n", path2);
	is_str(err, text, "sink__open in a missing directory: error line");
	free(text);
	free(err);
	free(path2);

	/* Write errors: reported once, sticky. */
	if (access("/dev/full", W_OK) == 0) {
		cfg.output_file = "/dev/full";
		cfg.buffer_size = 1;
		s = sink__open(&cfg, NULL, 0);
		ok(s != NULL, "sink__open /dev/full");
		if (s) {
			capture_begin(&c);
			is_int(sink__write(s, &written[0]), -ENOSPC, "/dev/full: -ENOSPC");
			is_int(sink__write(s, &written[3]), -ENOSPC, "/dev/full: still -ENOSPC");
			is_int(sink__flush(s), -ENOSPC, "/dev/full: flush -ENOSPC");
			sink__close(s);
			err = capture_end(&c);
			is_str(err, "output: write to /dev/full failed: No space left on device\n",
			       "/dev/full: one error line");
			free(err);
		}
	} else {
		printf("ok %d - # SKIP no writable /dev/full\n", ++tap_n);
	}

	/* stdout: never closed by the sink. */
	cfg.output_file = NULL;
	s = sink__open(&cfg, NULL, 0);
	ok(s && !s->path && s->fd == STDOUT_FILENO, "no output file: stdout");
	sink__close(s);
	ok(fcntl(STDOUT_FILENO, F_GETFD) >= 0, "stdout still open after sink__close");

	for (size_t i = 0; i < 6; i++)
		record__release(&written[i]);
	free(path);
}

/* ---------------------------------------------------------------------------
 * CSV cells and table text (src/sink_fmt.c)
 */

static char *cell(const char *s, size_t len, char delim)
{
	struct strbuf out = STRBUF_INIT;

	if (csv_cell(&out, s, len, delim))
		return NULL;
	return strbuf_detach(&out);
}

static void is_cell(const char *s, size_t len, char delim, const char *want, const char *name)
{
	char *got = cell(s, len, delim);

	is_str(got, want, name);
	free(got);
}

static char *clean(const char *s, size_t len)
{
	struct strbuf out = STRBUF_INIT;

	if (text_clean(&out, s, len))
		return NULL;
	return strbuf_detach(&out);
}

static void test_text(void)
{
	struct record rec = { 0 };
	struct strbuf out = STRBUF_INIT;
	const char *cjk = "\xe4\xb8\xad\xe6\x96\x87x";	/* two wide characters, then x */
	const char *combining = "e\xcc\x81" "a";	/* e + U+0301, a */
	char *got;
	size_t cols, n;

	is_cell("plain", 5, ',', "plain", "csv: plain text unquoted");
	is_cell("", 0, ',', "", "csv: empty");
	is_cell("a,b", 3, ',', "\"a,b\"", "csv: the delimiter quotes");
	is_cell("a,b", 3, ';', "a,b", "csv: another delimiter's comma does not");
	is_cell("a;b", 3, ';', "\"a;b\"", "csv: ';' as the delimiter quotes");
	is_cell("a\tb", 3, '\t', "\"a\tb\"", "csv: tab as the delimiter quotes");
	is_cell("say \"hi\"", 8, ',', "\"say \"\"hi\"\"\"", "csv: quotes doubled");
	is_cell("a\nb", 3, ',', "\"a\nb\"", "csv: LF quotes");
	is_cell("a\rb", 3, ',', "\"a\rb\"", "csv: CR quotes");
	is_cell(" lead", 5, ',', " lead", "csv: a leading space kept as is");
	is_cell("=1+1", 4, ',', "=1+1", "csv: a leading = kept as is");
	is_cell("\xff" "a\xc3\xa9", 4, ',', "\xef\xbf\xbd" "a\xc3\xa9",
		"csv: not UTF-8 becomes U+FFFD, UTF-8 kept");
	is_cell("\xed\xa0\x80,", 4, ',', "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd,\"",
		"csv: a surrogate is three U+FFFD, quoted for the comma");

	got = clean("a\nb\rc\td\x01" "e\x7f", 10);
	is_str(got, "a\\nb\\rc\\td?e?", "table: CR, LF, tab escaped, other controls '?'");
	free(got);
	got = clean("\xc2\x85x\xfe", 4);
	is_str(got, "?x\xef\xbf\xbd", "table: C1 control '?', not UTF-8 U+FFFD");
	free(got);

	is_int(text_width(cjk, strlen(cjk)), 5, "width: two CJK characters and x are 5 columns");
	is_int(text_width(combining, strlen(combining)), 2, "width: a combining accent is 0");
	n = text_cut(cjk, strlen(cjk), 3, &cols);
	is_int(n, 3, "cut to 3 columns: one CJK character (3 bytes), not half of the next");
	is_int(cols, 2, "cut to 3 columns: 2 columns used");
	n = text_cut(cjk, strlen(cjk), 4, &cols);
	is_int(n, 6, "cut to 4 columns: both CJK characters");
	n = text_cut("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 2, &cols);
	is_int(n, 4, "cut: two 2-byte characters in 2 columns");
	n = text_cut("\xf0\x9f\x98\x80" "ab", 6, 1, &cols);
	is_int(n, 0, "cut: a wide emoji does not fit in 1 column");
	n = text_cut("abc", 3, 10, &cols);
	is_int(n, 3, "cut: short text whole");

	/* Values as text: null, bools, nested JSON, argv. */
	record__null(&rec, "n");
	record__bool(&rec, "b", true);
	record__int(&rec, "i", -3);
	record__json(&rec, "argv", json_pack("[s,s,s]", "/bin/x", "a b", "c\"d"));
	record__json(&rec, "hist", json_pack("[{s:i}]", "lo", 1));
	field_text(&rec, &rec.fields[0], &out, false);
	is_str(out.buf ? out.buf : "", "", "csv text: null is empty");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[0], &out, true);
	is_str(out.buf, "-", "table text: null is -");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[1], &out, false);
	is_str(out.buf, "true", "text: bool true");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[2], &out, false);
	is_str(out.buf, "-3", "text: negative int");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[3], &out, false);
	is_str(out.buf, "[\"/bin/x\",\"a b\",\"c\\\"d\"]", "csv text: argv is its compact JSON");
	got = cell(out.buf, out.len, ',');
	is_str(got, "\"[\"\"/bin/x\"\",\"\"a b\"\",\"\"c\\\"\"d\"\"]\"", "csv: argv cell quoted");
	free(got);
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[3], &out, true);
	is_str(out.buf, "/bin/x a b c\"d", "table text: argv joined by spaces");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[4], &out, true);
	is_str(out.buf, "[{\"lo\":1}]", "table text: other nested values as JSON");
	strbuf_release(&out);
	record__release(&rec);
}

/* The last occurrence of needle in hay. */
static const char *strrstr_compat(const char *hay, const char *needle)
{
	const char *last = NULL;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		last = p;
	return last;
}

/* The csv sink on its own: columns fixed by the first record, by key after. */
static void test_csv_sink(void)
{
	struct config cfg;
	struct record rec = { 0 };
	struct capture c;
	struct sink *s;
	char *dir, *path, *text, *err;
	glob_t g;

	config__init_defaults(&cfg);
	cfg.format = OUTPUT_CSV;
	free(cfg.output_dir);
	cfg.output_dir = dir = fmt("%s/csv/sub", tmpdir);
	capture_begin(&c);
	s = sink__open(&cfg, NULL, 0);
	for (int i = 0; i < 3 && s; i++) {
		record__reset(&rec);
		record__str(&rec, "type", "event");
		record__str(&rec, "monitor", "m");
		record__int(&rec, "a", i);
		if (!i)
			record__str(&rec, "b", "x;y");
		else
			record__int(&rec, "c", 3);
		sink__write(s, &rec);
	}
	record__reset(&rec);
	record__str(&rec, "type", "lost");
	record__str(&rec, "monitor", "m");
	record__int(&rec, "count", 7);
	if (s)
		sink__write(s, &rec);
	sink__close(s);
	err = capture_end(&c);
	ok(s != NULL, "csv sink__open");
	path = fmt("%s/m_*.csv", dir);
	ok(!glob(path, 0, NULL, &g) && g.gl_pathc == 2, "csv: one file per monitor and type");
	free(path);
	text = g.gl_pathc == 2 ? read_file(g.gl_pathv[0]) : NULL;	/* sorted: m_2026... first */
	is_str(text, "type,monitor,a,b\r\nevent,m,0,x;y\r\nevent,m,1,\r\nevent,m,2,\r\n",
	       "csv: header of the first record, later ones by key, a missing key empty");
	free(text);
	text = g.gl_pathc == 2 ? read_file(g.gl_pathv[1]) : NULL;
	is_str(text, "type,monitor,count\r\nlost,m,7\r\n", "csv: lost records in m_lost_STAMP.csv");
	free(text);
	ok(err && strstr(err, "key c is not in the header") &&
	   strstr(err, "key c") == strrstr_compat(err, "key c"),
	   "csv: a key not in the header is warned about once");
	free(err);
	globfree(&g);
	record__release(&rec);
	cfg.output_dir = NULL;
	config__free(&cfg);
	free(dir);
}

int main(void)
{
	log_set_level(LOG_LEVEL_INFO);
	tmpdir_setup("test_json");

	test_lossy();
	test_time();
	test_errno_name();
	test_record();
	test_sink();
	test_text();
	test_csv_sink();

	rmdir(tmpdir);
	return done_testing();
}
