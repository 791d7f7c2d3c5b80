// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines. Whole lines are collected in memory and written with write(2)
 * only at line boundaries, so a reader (or a kill) never sees half a line;
 * a write that fails part way is cut back to the last whole line.
 */
#include <errno.h>
#include <stdlib.h>

#include "output/record.h"
#include "output/sink.h"

struct sink_json {
	struct sink_lines lines;
	unsigned long pending;	/* records held */
};

static int json_open(struct sink *s)
{
	s->priv = calloc(1, sizeof(struct sink_json));
	return s->priv ? 0 : -ENOMEM;
}

static int json_flush(struct sink *s)
{
	struct sink_json *j = s->priv;

	j->pending = 0;
	return sink_lines__write(s, &j->lines, s->fd, s->path ? s->path : "stdout");
}

static int json_write_record(struct sink *s, const struct record *rec)
{
	struct sink_json *j = s->priv;
	int err;

	err = record__encode_json(rec, &j->lines.buf);
	if (!err)
		err = strbuf_addc(&j->lines.buf, '\n');
	if (!err)
		err = sink_lines__mark(s, &j->lines, rec);
	if (err) {
		sink_lines__unmark(&j->lines);
		return err;
	}
	if (++j->pending >= s->max_records)
		json_flush(s);
	return 0;
}

static void json_close(struct sink *s)
{
	struct sink_json *j = s->priv;

	sink_lines__release(s, &j->lines);
	free(j);
}

const struct sink_ops sink_json_ops = {
	.name = "json",
	.open = json_open,
	.write_record = json_write_record,
	.flush = json_flush,
	.close = json_close,
};
