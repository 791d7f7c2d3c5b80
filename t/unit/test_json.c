// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for JSON output: records and their JSON encoding
 * (src/output/record.c) and the JSON lines sink (src/output/sink.c,
 * src/output/sink_json.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/types.h>

#include "probes/common.h"
#include "config/config.h"
#include "util/log.h"
#include "output/record.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "tap.h"
#include "testutil.h"

#define FFFD "\xef\xbf\xbd"

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

/* One record to the sink: what the run would hear of it (sink__error). */
static int write_rec(struct sink *s, struct record *rec)
{
	sink__write(s, rec);
	return sink__error(s);
}

static void test_sink(void)
{
	struct config cfg;
	struct sink *s;
	char *path, *path2, *text, *err;
	struct record written[8] = { 0 }, rec = { 0 };
	json_t *read[8], *expect[3];
	uint64_t unwritten[EBPFMON_MAX_MONITORS] = { 0 };
	struct capture c;
	size_t n;
	int e, same;

	memset(&cfg, 0, sizeof(cfg));
	cfg.format = OUTPUT_JSON;
	path = fmt("%s/out.json", tmpdir);
	cfg.output_file = path;
	cfg.buffer_size = 3;

	s = sink__open(&cfg, NULL, 0, unwritten);
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

	is_int(write_rec(s, &written[0]), 0, "write 1: 0");
	is_int(write_rec(s, &written[1]), 0, "write 2: 0");
	text = read_file(path);
	is_str(text, "", "two records held: file still empty");
	free(text);

	is_int(write_rec(s, &written[2]), 0, "write 3: 0");
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

	is_int(write_rec(s, &written[3]), 0, "write 4: 0");
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
	rec.counted = true;
	rec.mon_id = 1;
	is_int(write_rec(s, &rec), 0, "a record with an error is refused, the sink goes on");
	is_int(unwritten[1], 1, "the refused record is counted as not written");
	record__release(&rec);
	sink__flush(s);
	text = read_file(path);
	is_int(count_lines(text), 4, "refused record not written");
	free(text);

	/* reopen: held records go to the old file, new ones to the new one. */
	path2 = fmt("%s/out.json.1", tmpdir);
	is_int(write_rec(s, &written[4]), 0, "write 5: 0");
	if (rename(path, path2)) {
		perror("rename");
		exit(2);
	}
	is_int(sink__reopen(s), 0, "sink__reopen: 0");
	text = read_file(path2);
	is_int(count_lines(text), 5, "reopen flushed to the rotated file");
	ok(strstr(text, "{\"n\":5}\n") != NULL, "record 5 in the rotated file");
	free(text);
	is_int(write_rec(s, &written[5]), 0, "write 6: 0");
	sink__close(s);
	text = read_file(path);
	is_str(text, "{\"n\":6}\n", "sink__close flushed record 6 into the new file");
	free(text);

	/* O_APPEND: existing content stays; buffer_size 1 writes at once. */
	cfg.buffer_size = 1;
	s = sink__open(&cfg, NULL, 0, unwritten);
	ok(s != NULL, "sink__open on an existing file");
	if (s) {
		is_int(write_rec(s, &written[0]), 0, "buffer_size 1: write");
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
	s = sink__open(&cfg, NULL, 0, unwritten);
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
		s = sink__open(&cfg, NULL, 0, unwritten);
		ok(s != NULL, "sink__open /dev/full");
		if (s) {
			capture_begin(&c);
			written[0].counted = written[3].counted = true;
			written[0].mon_id = written[3].mon_id = 3;
			is_int(write_rec(s, &written[0]), -ENOSPC, "/dev/full: -ENOSPC");
			is_int(write_rec(s, &written[3]), -ENOSPC, "/dev/full: still -ENOSPC");
			is_int(sink__flush(s), -ENOSPC, "/dev/full: flush -ENOSPC");
			sink__close(s);
			err = capture_end(&c);
			is_str(err, "output: write to /dev/full failed: No space left on device\n",
			       "/dev/full: one error line");
			is_int(unwritten[3], 2, "/dev/full: both records counted as not written");
			free(err);
		}
		/* on_error drop: one warning, the records counted, no error for the run. */
		cfg.on_error = ON_ERROR_DROP;
		s = sink__open(&cfg, NULL, 0, unwritten);
		ok(s != NULL, "sink__open /dev/full, on_error drop");
		if (s) {
			capture_begin(&c);
			is_int(write_rec(s, &written[0]), 0, "drop: no error for the run");
			is_int(write_rec(s, &written[3]), 0, "drop: still none");
			sink__close(s);
			err = capture_end(&c);
			is_str(err, "output: write to /dev/full failed: No space left on device; "
			       "dropping records until it works again (output.on_error: drop)\n",
			       "drop: one warning");
			is_int(unwritten[3], 4, "drop: both records counted as not written");
			free(err);
		}
		cfg.on_error = ON_ERROR_EXIT;
	} else {
		printf("ok %d - # SKIP no writable /dev/full\n", ++tap_n);
	}

	/* stdout: never closed by the sink. */
	cfg.output_file = NULL;
	s = sink__open(&cfg, NULL, 0, unwritten);
	ok(s && !s->path && s->fd == STDOUT_FILENO, "no output file: stdout");
	sink__close(s);
	ok(fcntl(STDOUT_FILENO, F_GETFD) >= 0, "stdout still open after sink__close");

	for (size_t i = 0; i < 6; i++)
		record__release(&written[i]);
	free(path);
}

int main(void)
{
	log_set_level(LOG_LEVEL_INFO);
	tmpdir_setup("test_json");

	test_record();
	test_sink();

	rmdir(tmpdir);
	return done_testing();
}
