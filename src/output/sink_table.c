// SPDX-License-Identifier: GPL-2.0
/*
 * A console table, like the bcc tools: the columns each monitor declares
 * (struct table_column), a MONITOR column first when several run, a
 * monitor's header line before its first row and again every screenful.
 * Every line is cut to the terminal's width, counted in display columns;
 * control characters are escaped so a row stays one line.
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
	unsigned long line;	/* lines written before it; ULONG_MAX: never */
	bool printed;
};

struct sink_table {
	struct sink_lines out;	/* whole lines */
	struct strbuf row;	/* the line being built */
	struct strbuf cell;	/* a value, cleaned */
	struct strbuf raw;	/* a value, as it came */
	unsigned long pending;	/* rows in out */
	unsigned long lines;	/* lines written (headers too) */
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

static size_t column_width(const struct table_column *c)
{
	size_t h = strlen(c->header);

	return (size_t)c->width > h ? (size_t)c->width : h;
}

/* The row (or a header) as one line: cut to the width, then into out. */
static int table_line(struct sink_table *t)
{
	size_t len = t->row.len;
	int err;

	if (t->width)
		len = text_cut(t->row.buf, t->row.len, t->width, NULL);
	/* A cut in the padding leaves blanks at the end. */
	while (len < t->row.len && len && t->row.buf[len - 1] == ' ')
		len--;
	err = strbuf_add(&t->out.buf, t->row.buf, len);
	if (!err)
		err = strbuf_addc(&t->out.buf, '\n');
	strbuf_reset(&t->row);
	t->lines++;
	return err;
}

static int table_monitor_cell(struct sink_table *t, const char *mon, size_t len)
{
	if (!t->monitor_width)
		return 0;
	return add_cell(&t->row, mon, len, t->monitor_width, COLUMN_LEFT, false);
}

static struct table_header *header_get(struct sink_table *t, const struct table_column *cols)
{
	struct table_header *h;

	for (size_t i = 0; i < t->n_headers; i++)
		if (t->headers[i].cols == cols)
			return &t->headers[i];
	if (ARRAY_GROW(t->headers, t->cap_headers, t->n_headers))
		return NULL;
	h = &t->headers[t->n_headers++];
	*h = (struct table_header){ .cols = cols };
	return h;
}

/* A monitor's header before its first row, and again a screenful later. */
static int table_header(struct sink *s, struct sink_table *t, const struct table_column *cols)
{
	struct table_header *h = header_get(t, cols);
	int err = 0;

	if (!h)
		return -ENOMEM;
	if (h->printed && (!t->height || t->lines - h->line < t->height))
		return 0;
	if (h->printed)
		table_measure(s, t);	/* the terminal may have been resized */
	if (t->monitor_width)
		err = add_cell(&t->row, "MONITOR", 7, t->monitor_width, COLUMN_LEFT, false);
	for (const struct table_column *c = cols; c->header && !err; c++)
		err = add_cell(&t->row, c->header, strlen(c->header), column_width(c), c->align,
			       !c[1].header);
	if (!err) {
		h->printed = true;
		h->line = t->lines;
		err = table_line(t);
	}
	return err;
}

static const struct field *field_get(const struct record *rec, const char *key)
{
	for (size_t i = 0; i < rec->n; i++)
		if (!strcmp(rec->fields[i].key, key))
			return &rec->fields[i];
	return NULL;
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
	int err = 0;

	mon = record_get_str(rec, "monitor", &mlen);
	type = record_get_str(rec, "type", &tlen);
	for (size_t i = 0; mon && i < s->n_mons && !m; i++)
		if (strlen(s->mons[i].name) == mlen && !memcmp(s->mons[i].name, mon, mlen))
			m = &s->mons[i];
	if (m && type && tlen == 5 && !memcmp(type, "event", 5))
		cols = m->columns;
	else if (m && type && tlen == 7 && !memcmp(type, "summary", 7))
		cols = m->summary_columns;
	if (!mon) {
		mon = "";
		mlen = 0;
	}
	strbuf_reset(&t->row);
	if (cols)
		err = table_header(s, t, cols);
	if (!err)
		err = table_monitor_cell(t, mon, mlen);
	for (const struct table_column *c = cols; c && c->header && !err; c++) {
		err = cell_text(t, rec, field_get(rec, c->key));
		if (!err)
			err = add_cell(&t->row, t->cell.buf, t->cell.len, column_width(c), c->align,
				       !c[1].header);
	}
	if (!cols && !err)
		err = table_pairs(t, rec);
	if (!err)
		err = table_line(t);
	/* Whole lines only: the header it printed, if any, and the row. */
	if (!err)
		err = sink_lines__mark(s, &t->out, rec);
	if (err) {
		sink_lines__unmark(&t->out);
		strbuf_reset(&t->row);
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
