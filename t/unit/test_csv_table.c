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
#include "core/monitor.h"
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
	record__json(&rec, "top", json_pack("[{s:s,s:i},{s:s,s:i}]", "syscall", "read", "count", 21,
					    "syscall", "a b", "count", -2));
	record__json(&rec, "notpairs", json_pack("[{s:s,s:i},{s:i,s:s}]", "syscall", "read",
						 "count", 2, "count", 1, "syscall", "x"));
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
	is_str(out.buf, "/bin/x a b c\"d", "csv text: argv joined by spaces, as the table shows it");
	got = cell(out.buf, out.len, ',');
	is_str(got, "\"/bin/x a b c\"\"d\"", "csv: the joined argv quoted for its quote");
	free(got);
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[3], &out, true);
	is_str(out.buf, "/bin/x a b c\"d", "table text: argv joined by spaces");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[4], &out, true);
	is_str(out.buf, "[{\"lo\":1}]", "table text: other nested values as JSON");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[5], &out, false);
	is_str(out.buf, "read:21 a b:-2", "csv text: {name, count} pairs as name:count words");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[6], &out, true);
	is_str(out.buf, "[{\"syscall\":\"read\",\"count\":2},{\"count\":1,\"syscall\":\"x\"}]",
	       "table text: a list of other objects as JSON");
	strbuf_release(&out);
	record__release(&rec);
}

/* Hostile arguments in a csv cell: one line, valid UTF-8, RFC 4180 quoting. */
static void test_argv_cell(void)
{
	static const char *const strv[] = { "nginx", "-g", "daemon off;" };
	struct record rec = { 0 };
	struct strbuf out = STRBUF_INIT;
	char *got;

	record__json(&rec, "argv", json_pack("[s,s,s,s,s,s,s,s]", "/bin/echo", "a,b",
					     "say \"hi\"", "two\nlines", "cr\rtab\t",
					     "esc\x1b[31m", "", "bell\x07"));
	/* json_string_lossy would give U+FFFD: a raw byte string tests the cleaning. */
	json_array_append_new(rec.fields[0].v.json, json_stringn_nocheck("\xff\xfe-bad", 6));
	record__json(&rec, "empty", json_array());
	record__json(&rec, "nums", json_pack("[i,i]", 1, 2));
	record__strv(&rec, "strv", strv, 3);
	field_text(&rec, &rec.fields[0], &out, false);
	got = cell(out.buf, out.len, ',');
	is_str(got, "\"/bin/echo a,b say \"\"hi\"\" two\\nlines cr\\rtab\\t esc?[31m  bell? "
		    "\xef\xbf\xbd\xef\xbf\xbd-bad\"",
	       "csv: argv joined, quoted for the comma, quotes doubled, LF/CR/tab escaped, "
	       "other controls '?', not UTF-8 U+FFFD: one line");
	free(got);
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[0], &out, true);
	ok(out.buf && strstr(out.buf, "a,b say \"hi\" two\\nlines"),
	   "table text: the same joined argv");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[1], &out, false);
	is_int(out.len, 0, "csv text: an empty list is empty (the sink writes \"\")");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[2], &out, false);
	is_str(out.buf, "[1,2]", "csv text: a list of numbers stays JSON");
	strbuf_reset(&out);
	field_text(&rec, &rec.fields[3], &out, false);
	is_str(out.buf, "nginx -g daemon off;", "csv text: a string list joined as the user guide shows");
	got = cell(out.buf, out.len, ';');
	is_str(got, "\"nginx -g daemon off;\"", "csv: ';' as the delimiter quotes it");
	free(got);
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
/* A csv sink writing to TMPDIR/SUB (*dir), stderr captured. */
static struct sink *csv_open(struct config *cfg, struct capture *c, const char *sub, char **dir)
{
	config__init_defaults(cfg);
	cfg->format = OUTPUT_CSV;
	free(cfg->output_dir);
	cfg->output_dir = *dir = fmt("%s/%s", tmpdir, sub);
	capture_begin(c);
	return sink__open(cfg, NULL, 0, NULL);
}

static void csv_done(struct config *cfg, struct record *rec, glob_t *g, char *dir)
{
	globfree(g);
	record__release(rec);
	cfg->output_dir = NULL;
	config__free(cfg);
	free(dir);
}

static void test_csv_sink(void)
{
	struct config cfg;
	struct record rec = { 0 };
	struct capture c;
	struct sink *s;
	char *dir, *path, *text, *err;
	glob_t g;

	s = csv_open(&cfg, &c, "csv/sub", &dir);
	for (int i = 0; i < 3 && s; i++) {
		record__reset(&rec);
		record__str(&rec, "type", "event");
		record__str(&rec, "monitor", "m");
		record__int(&rec, "a", i);
		if (!i)
			record__str(&rec, "b", "x;y");
		else
			record__int(&rec, "c", 3);
		record__json(&rec, "argv", i == 1 ? json_array() :
			     json_pack("[s,s]", "/bin/echo", i ? "a\nb" : "a,b"));
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
	is_str(text, "type,monitor,a,b,argv\r\nevent,m,0,x;y,\"/bin/echo a,b\"\r\n"
		     "event,m,1,,\"\"\r\nevent,m,2,,/bin/echo a\\nb\r\n",
	       "csv: header of the first record, later ones by key, a missing key empty; "
	       "argv joined by spaces, an empty one \"\"");
	free(text);
	text = g.gl_pathc == 2 ? read_file(g.gl_pathv[1]) : NULL;
	is_str(text, "type,monitor,count\r\nlost,m,7\r\n", "csv: lost records in m_lost_STAMP.csv");
	free(text);
	ok(err && strstr(err, "key c is not in the header") &&
	   strstr(err, "key c") == strrstr_compat(err, "key c"),
	   "csv: a key not in the header is warned about once");
	free(err);
	csv_done(&cfg, &rec, &g, dir);
}

/*
 * A nested object (a summary row's "system" figures) is one column per
 * member in CSV, PARENT_MEMBER, in the object's order; null empty, strings
 * quoted as cells are; no warning for the parent's key.
 */
static void test_csv_nested(void)
{
	struct config cfg;
	struct record rec = { 0 };
	struct capture c;
	struct sink *s;
	char *dir, *path, *text, *err;
	glob_t g;

	s = csv_open(&cfg, &c, "csv-nested", &dir);
	for (int i = 0; i < 2 && s; i++) {
		record__reset(&rec);
		record__str(&rec, "type", "event");
		record__str(&rec, "monitor", "n");
		record__int(&rec, "a", i);
		record__json(&rec, "system", i ? json_pack("{s:i,s:n,s:s}", "count", 3, "max_ns",
							 "name", "a,b") :
					       json_pack("{s:i,s:i,s:n}", "count", 1, "max_ns", 9,
							 "name"));
		record__int(&rec, "z", 5);
		sink__write(s, &rec);
	}
	sink__close(s);
	err = capture_end(&c);
	path = fmt("%s/n_*.csv", dir);
	ok(!glob(path, 0, NULL, &g) && g.gl_pathc == 1, "csv nested: one file");
	free(path);
	text = g.gl_pathc == 1 ? read_file(g.gl_pathv[0]) : NULL;
	is_str(text, "type,monitor,a,system_count,system_max_ns,system_name,z\r\n"
		     "event,n,0,1,9,,5\r\nevent,n,1,3,,\"a,b\",5\r\n",
	       "csv nested: a column per member (system_count ...), null empty, a string a cell");
	free(text);
	ok(!err || !strstr(err, "not in the header"), "csv nested: no key warned about");
	free(err);
	csv_done(&cfg, &rec, &g, dir);
}

/* A monitor for the table sink: events with a path last, summary rows. */
static const struct table_column ev_cols[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 5, COLUMN_RIGHT },
	{ "PATH", "path", 0, COLUMN_LEFT },
	{ NULL },
};
static const struct table_column sum_cols[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },	/* the interval's, on the line above */
	{ "NAME", "name", 6, COLUMN_LEFT },
	{ "COUNT", "count", 6, COLUMN_RIGHT },
	{ NULL },
};

static void table_record(struct sink *s, struct record *rec, const char *mon, const char *type,
			 uint64_t ts, const char *key, const char *val)
{
	record__reset(rec);
	record__str(rec, "type", type);
	record__time(rec, "ts", ts);
	record__str(rec, "monitor", mon);
	record__int(rec, "pid", 42);
	record__str(rec, key, val);
	record__int(rec, "count", 7);
	record__real(rec, "interval_s", 1.0);
	sink__write(s, rec);
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

/*
 * The table sink in a 30x8 "terminal" ($COLUMNS, $LINES): paths whole, a
 * header again a screenful later counted in wrapped rows, a summary's
 * header once per interval after its time.
 */
static void test_table_sink(void)
{
	const char *path = "/usr/lib/locale/C.UTF-8/LC_CTYPE/and/more";	/* 41 bytes */
	struct monitor mev = { .name = "ev", .columns = ev_cols };
	struct monitor msum = { .name = "sum", .summary_columns = sum_cols };
	struct monitor_inst iev = { .mon = &mev, .enabled = true };
	struct monitor_inst isum = { .mon = &msum, .enabled = true, .summary = true };
	struct monitor_inst *insts[] = { &iev, &isum };
	uint64_t t0 = 1700000000ull * 1000000000ull;
	struct record rec = { 0 };
	struct config cfg;
	struct sink *s;
	char *file, *text, *line, *row;
	size_t rows = 0, worst = 0;
	bool whole = true;

	config__init_defaults(&cfg);
	cfg.format = OUTPUT_TABLE;
	cfg.output_file = file = fmt("%s/table.txt", tmpdir);
	setenv("COLUMNS", "30", 1);
	setenv("LINES", "8", 1);
	s = sink__open(&cfg, insts, 2, NULL);
	ok(s != NULL, "table sink__open");
	for (int i = 0; i < 8 && s; i++)
		table_record(s, &rec, "ev", "event", t0 + i * 1000000ull, "path", path);
	/* Two intervals of three rows: one collect's rows share its time. */
	for (int k = 0; k < 2 && s; k++)
		for (int i = 0; i < 3; i++)
			table_record(s, &rec, "sum", "summary", t0 + (k + 1) * 1000000000ull,
				     "name", "read");
	sink__close(s);
	unsetenv("COLUMNS");
	unsetenv("LINES");
	text = read_file(file);
	ok(text != NULL, "the table file");
	/* Each ev row: 8 + 1 + 7 + 1 + 5 + 1 + 41 = 64 columns, 3 rows of 30. */
	for (line = text; line && *line; line = row ? row + 1 : NULL) {
		row = strchr(line, '\n');
		if (!strncmp(line, "ev ", 3))
			whole &= row && row - line > 41 && !strncmp(row - 41, path, 41);
		if (!strncmp(line, "MONITOR TIME", 12)) {
			worst = rows > worst ? rows : worst;
			rows = 0;
		}
		rows += row && row - line > 30 ? (row - line + 29) / 30 : 1;
		if (!strncmp(line, "[", 1))
			break;
	}
	ok(whole, "table: a path in the last column is whole, past the 30 columns");
	ok(count_lines(text, "MONITOR TIME") == 4 && worst == 7,
	   "table: ev's header again before a row that would leave the screen (8 terminal "
	   "rows; each row wraps to 3): one header per two rows");
	is_int(count_lines(text, "["), 2, "table: a summary's two intervals start with their time");
	is_int(count_lines(text, "MONITOR NAME"), 2, "table: the summary's header once per interval");
	ok(text && strstr(text, "\n\n[") && strstr(text, "] sum\nMONITOR NAME    COUNT\nsum     read        7\n"),
	   "table: a blank line, [HH:MM:SS] and the monitor, the header, the rows (no TIME)");
	free(text);
	record__release(&rec);
	cfg.output_file = NULL;
	config__free(&cfg);
	unlink(file);
	free(file);
}

int main(void)
{
	log_set_level(LOG_LEVEL_INFO);
	tmpdir_setup("test_csv_table");

	test_text();
	test_argv_cell();
	test_csv_sink();
	test_csv_nested();
	test_table_sink();

	rmdir(tmpdir);
	return done_testing();
}
