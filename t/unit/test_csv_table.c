// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for CSV and table output: cells and terminal text
 * (src/output/sink_fmt.c) and the csv sink (src/output/sink_csv.c).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config/config.h"
#include "util/log.h"
#include "output/record.h"
#include "output/sink.h"
#include "output/sink_fmt.h"
#include "util/strbuf.h"
#include "tap.h"
#include "testutil.h"

/* ---------------------------------------------------------------------------
 * CSV cells and table text (src/output/sink_fmt.c)
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
	s = sink__open(&cfg, NULL, 0, NULL);
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
	tmpdir_setup("test_csv_table");

	test_text();
	test_csv_sink();

	rmdir(tmpdir);
	return done_testing();
}
