// SPDX-License-Identifier: GPL-2.0
/*
 * A console table, like the bcc tools: the columns each monitor declares
 * (struct table_column), a MONITOR column first when several run. Events:
 * a monitor's header line before its first row and again a screenful
 * later (counted in terminal rows, a wrapped line is several). Summaries:
 * each interval starts with its time, "[HH:MM:SS]" as syscount prints it,
 * and the header; the rows leave their TIME column out. Nothing is cut: a value wider than its column pushes the
 * row right and the last column (a path, argv) runs long, as execsnoop
 * lets it; the terminal wraps it. Control characters are escaped so a row
 * stays one line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"
#include "output/record.h"
#include "output/sink.h"
#include "output/sink_fmt.h"

/* When a header line was last printed for one set of columns. */
struct table_header {
	const struct table_column *cols;
	const char *mon;	/* summaries: the monitor's, an interval each */
	unsigned long line;	/* terminal rows written before it */
	uint64_t last_ns;	/* summaries: the ts of the last row (its interval's) */
	bool printed;
};

struct sink_table {
	struct sink_lines out;	/* whole lines */
	struct strbuf row;	/* the line being built */
	struct strbuf head;	/* the header lines it needs */
	struct strbuf cell;	/* a value, cleaned */
	struct strbuf raw;	/* a value, as it came */
	unsigned long pending;	/* rows in out */
	unsigned long lines;	/* terminal rows written (headers too) */
	size_t width, height;	/* 0: unlimited */
	size_t monitor_width;	/* the MONITOR column's; 0: one monitor, no column */
	struct table_header *headers;
	size_t n_headers, cap_headers;
};

/* The terminal's size, else $COLUMNS/$LINES, else 80x24 on a tty, unlimited in a file. */
static void table_measure(struct sink *s, struct sink_table *t)
{
	struct winsize ws = { 0 };
	const char *env;
	bool got = s->fd >= 0 && !ioctl(s->fd, TIOCGWINSZ, &ws);

	t->width = got && ws.ws_col ? ws.ws_col : 0;
	t->height = got && ws.ws_row ? ws.ws_row : 0;
	if (!t->width && (env = getenv("COLUMNS")) && atol(env) > 0)
		t->width = atol(env);
	if (!t->height && (env = getenv("LINES")) && atol(env) > 0)
		t->height = atol(env);
	if (!t->width && s->tty)
		t->width = 80;
	if (!t->height && s->tty)
		t->height = 24;
}

static int table_open(struct sink *s)
{
	struct sink_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	s->priv = t;
	table_measure(s, t);
	if (s->n_mons > 1) {
		t->monitor_width = strlen("MONITOR");
		for (size_t i = 0; i < s->n_mons; i++)
			if (strlen(s->mons[i].name) > t->monitor_width)
				t->monitor_width = strlen(s->mons[i].name);
	}
	return 0;
}

static int add_blanks(struct strbuf *row, size_t n)
{
	if (strbuf_grow(row, n))
		return -ENOMEM;
	memset(row->buf + row->len, ' ', n);
	row->len += n;
	row->buf[row->len] = 0;
	return 0;
}

/* Append text padded to width (the last column unpadded when left aligned). */
static int add_cell(struct strbuf *row, const char *text, size_t len, size_t width,
		    enum column_align align, bool last)
{
	size_t w = text_width(text, len), pad = w < width ? width - w : 0;
	int err = 0;

	if (row->len)
		err = strbuf_addc(row, ' ');
	if (!err && align == COLUMN_RIGHT)
		err = add_blanks(row, pad);
	if (!err)
		err = strbuf_add(row, text, len);
	if (!err && align == COLUMN_LEFT && !last)
		err = add_blanks(row, pad);
	return err;
}

/* A summary row's time is its interval's, on the "[HH:MM:SS]" line above it. */
static bool column_shown(const struct table_column *c, bool summary)
{
	return !summary || strcmp(c->key, "ts");
}

static size_t column_width(const struct table_column *c)
{
	size_t h = strlen(c->header);

	return (size_t)c->width > h ? (size_t)c->width : h;
}

/* Terminal rows a line takes: the terminal wraps a long one. */
static size_t line_rows(const struct sink_table *t, const struct strbuf *line)
{
	size_t cols = t->width && line->len > t->width ? text_width(line->buf, line->len) : 0;

	return cols > t->width ? (cols + t->width - 1) / t->width : 1;
}

/* A row (or a header) as one line into out, whole. */
static int table_line(struct sink_table *t, struct strbuf *line)
{
	int err;

	while (line->len && line->buf[line->len - 1] == ' ')
		line->buf[--line->len] = 0;
	err = strbuf_add(&t->out.buf, line->buf ? line->buf : "", line->len);
	if (!err)
		err = strbuf_addc(&t->out.buf, '\n');
	t->lines += line_rows(t, line);
	strbuf_reset(line);
	return err;
}

static int table_monitor_cell(struct sink_table *t, const char *mon, size_t len)
{
	if (!t->monitor_width)
		return 0;
	return add_cell(&t->row, mon, len, t->monitor_width, COLUMN_LEFT, false);
}

static struct table_header *header_get(struct sink_table *t, const struct table_column *cols,
				      const char *mon)
{
	struct table_header *h;

	for (size_t i = 0; i < t->n_headers; i++)
		if (t->headers[i].cols == cols && t->headers[i].mon == mon)
			return &t->headers[i];
	if (ARRAY_GROW(t->headers, t->cap_headers, t->n_headers))
		return NULL;
	h = &t->headers[t->n_headers++];
	*h = (struct table_header){ .cols = cols, .mon = mon };
	return h;
}

static const struct field *field_get(const struct record *rec, const char *key)
{
	for (size_t i = 0; i < rec->n; i++)
		if (!strcmp(rec->fields[i].key, key))
			return &rec->fields[i];
	return NULL;
}

/*
 * Whether a summary row starts an interval: every record of one collect
 * carries the collect's time (monitor_inst__collect), the next interval's
 * another.
 */
static bool interval_starts(struct table_header *h, const struct record *rec)
{
	const struct field *ts = field_get(rec, "ts");
	uint64_t now = ts && ts->kind == FIELD_TIME ? ts->v.u : 0;
	bool starts = !h->printed || now != h->last_ns;

	h->last_ns = now;
	return starts;
}

/* A summary interval's first line: a blank line after earlier output, then its time. */
static int table_interval(struct sink_table *t, const struct record *rec, const char *mon)
{
	const struct field *ts = field_get(rec, "ts");
	int err = 0;

	if (t->lines)
		err = table_line(t, &t->head);
	if (!err)
		err = strbuf_addc(&t->head, '[');
	if (!err && ts)
		err = field_text(rec, ts, &t->head, true);
	if (!err)
		err = strbuf_addc(&t->head, ']');
	if (!err && t->monitor_width)
		err = strbuf_addf(&t->head, " %s", mon);
	return err ? err : table_line(t, &t->head);
}

/*
 * A monitor's header, before the row in t->row: events, before the first
 * row and again when the row would not be on one screen with it; summaries
 * (mon set), at each interval, after its time.
 */
static int table_header(struct sink *s, struct sink_table *t, const struct table_column *cols,
			const struct record *rec, const char *mon)
{
	struct table_header *h = header_get(t, cols, mon);
	int err = 0;

	if (!h)
		return -ENOMEM;
	if (mon ? !interval_starts(h, rec)
		: h->printed && (!t->height ||
				 t->lines - h->line + line_rows(t, &t->row) <= t->height))
		return 0;
	if (h->printed)
		table_measure(s, t);	/* the terminal may have been resized */
	if (mon)
		err = table_interval(t, rec, mon);
	if (t->monitor_width && !err)
		err = add_cell(&t->head, "MONITOR", 7, t->monitor_width, COLUMN_LEFT, false);
	for (const struct table_column *c = cols; c->header && !err; c++)
		if (column_shown(c, mon))
			err = add_cell(&t->head, c->header, strlen(c->header), column_width(c),
				       c->align, !c[1].header);
	if (!err) {
		h->printed = true;
		h->line = t->lines;
		err = table_line(t, &t->head);
	}
	return err;
}

/* A field's text, cleaned for one line, in t->cell. */
static int cell_text(struct sink_table *t, const struct record *rec, const struct field *f)
{
	int err;

	strbuf_reset(&t->cell);
	strbuf_reset(&t->raw);
	if (!f)
		return strbuf_addc(&t->cell, '-');
	err = field_text(rec, f, &t->raw, true);
	if (!err)
		err = text_clean(&t->cell, t->raw.buf ? t->raw.buf : "", t->raw.len);
	return err;
}

/* A column's cell: its field, or a member of a nested object (system_max_ns). */
static int column_text(struct sink_table *t, const struct record *rec, const char *key)
{
	const struct field *f = field_get(rec, key);
	json_t *member = f ? NULL : record_member(rec, key);
	int err;

	if (!member)
		return cell_text(t, rec, f);
	strbuf_reset(&t->cell);
	strbuf_reset(&t->raw);
	err = member_text(member, &t->raw, true);
	if (!err)
		err = text_clean(&t->cell, t->raw.buf ? t->raw.buf : "", t->raw.len);
	return err;
}

/* A record with no declared columns: its time, then key=value pairs. */
static int table_pairs(struct sink_table *t, const struct record *rec)
{
	static const char *const skip[] = { "ts", "ts_ns", "monitor", NULL };
	const struct field *ts = field_get(rec, "ts");
	struct strbuf pairs = STRBUF_INIT;
	int err;

	err = cell_text(t, rec, ts);
	if (!err)
		err = add_cell(&t->row, t->cell.buf, t->cell.len, 8, COLUMN_LEFT, false);
	for (size_t i = 0; i < rec->n && !err; i++) {
		const struct field *f = &rec->fields[i];
		bool skipped = false;

		for (size_t k = 0; skip[k]; k++)
			skipped |= !strcmp(f->key, skip[k]);
		if (skipped)
			continue;
		err = cell_text(t, rec, f);
		if (!err && pairs.len)
			err = strbuf_addc(&pairs, ' ');
		if (!err)
			err = strbuf_addf(&pairs, "%s=%s", f->key, t->cell.buf);
	}
	if (!err)
		err = add_cell(&t->row, pairs.buf ? pairs.buf : "", pairs.len, 0, COLUMN_LEFT,
			       true);
	strbuf_release(&pairs);
	return err;
}

static int table_flush(struct sink *s)
{
	struct sink_table *t = s->priv;

	t->pending = 0;
	return sink_lines__write(s, &t->out, s->fd, s->path ? s->path : "stdout");
}

static int table_write_record(struct sink *s, const struct record *rec)
{
	struct sink_table *t = s->priv;
	const struct table_column *cols = NULL;
	const struct sink_monitor *m = NULL;
	const char *mon, *type;
	size_t mlen = 0, tlen = 0;
	bool summary;
	int err = 0;

	mon = record_get_str(rec, "monitor", &mlen);
	type = record_get_str(rec, "type", &tlen);
	for (size_t i = 0; mon && i < s->n_mons && !m; i++)
		if (strlen(s->mons[i].name) == mlen && !memcmp(s->mons[i].name, mon, mlen))
			m = &s->mons[i];
	summary = type && tlen == 7 && !memcmp(type, "summary", 7);
	if (m && type && tlen == 5 && !memcmp(type, "event", 5))
		cols = m->columns;
	else if (m && summary)
		cols = m->summary_columns;
	if (!mon) {
		mon = "";
		mlen = 0;
	}
	strbuf_reset(&t->row);
	strbuf_reset(&t->head);
	err = table_monitor_cell(t, mon, mlen);
	for (const struct table_column *c = cols; c && c->header && !err; c++) {
		if (!column_shown(c, summary))
			continue;
		err = column_text(t, rec, c->key);
		if (!err)
			err = add_cell(&t->row, t->cell.buf, t->cell.len, column_width(c), c->align,
				       !c[1].header);
	}
	if (!cols && !err)
		err = table_pairs(t, rec);
	if (cols && !err)
		err = table_header(s, t, cols, rec, summary ? m->name : NULL);
	if (!err)
		err = table_line(t, &t->row);
	/* Whole lines only: the header it printed, if any, and the row. */
	if (!err)
		err = sink_lines__mark(s, &t->out, rec);
	if (err) {
		sink_lines__unmark(&t->out);
		strbuf_reset(&t->row);
		strbuf_reset(&t->head);
		return err;
	}
	/* A person watches a terminal: every row at once. */
	if (s->tty || ++t->pending >= s->max_records)
		table_flush(s);
	return 0;
}

static int table_reopen(struct sink *s)
{
	struct sink_table *t = s->priv;

	/* A new file starts with headers again. */
	t->n_headers = 0;
	table_measure(s, t);
	return 0;
}

static void table_close(struct sink *s)
{
	struct sink_table *t = s->priv;

	sink_lines__release(s, &t->out);
	strbuf_release(&t->row);
	strbuf_release(&t->head);
	strbuf_release(&t->cell);
	strbuf_release(&t->raw);
	free(t->headers);
	free(t);
}

const struct sink_ops sink_table_ops = {
	.name = "table",
	.open = table_open,
	.write_record = table_write_record,
	.flush = table_flush,
	.reopen = table_reopen,
	.close = table_close,
};
