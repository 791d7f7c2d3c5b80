// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines. Whole lines are collected in memory and written with write(2)
 * only at line boundaries, so a reader (or a kill) never sees half a line.
 */
#include <errno.h>
#include <stdlib.h>

#include "output/record.h"
#include "output/sink.h"
#include "util/strbuf.h"

struct sink_json {
	struct strbuf buf;
	unsigned long pending;	/* records in buf */
	int failed;		/* first write error, reported once */
};

static int json_open(struct sink *s)
{
	s->priv = calloc(1, sizeof(struct sink_json));
	return s->priv ? 0 : -ENOMEM;
}

static int json_flush(struct sink *s)
{
	struct sink_json *j = s->priv;

	sink_write_once(s->fd, s->path ? s->path : "stdout", j->buf.buf, j->buf.len, &j->failed);
	strbuf_reset(&j->buf);
	j->pending = 0;
	return j->failed;
}

static int json_write_record(struct sink *s, const struct record *rec)
{
	struct sink_json *j = s->priv;
	int err;

	if (j->failed)
		return j->failed;
	err = record__encode_json(rec, &j->buf);
	if (!err)
		err = strbuf_addc(&j->buf, '\n');
	if (err)
		return err;
	if (++j->pending >= s->max_records)
		return json_flush(s);
	return 0;
}

static void json_close(struct sink *s)
{
	struct sink_json *j = s->priv;

	strbuf_release(&j->buf);
	free(j);
}

const struct sink_ops sink_json_ops = {
	.name = "json",
	.open = json_open,
	.write_record = json_write_record,
	.flush = json_flush,
	.close = json_close,
};
