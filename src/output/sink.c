// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/clock.h"
#include "util/fdio.h"
#include "util/log.h"
#include "core/monitor.h"
#include "output/record.h"
#include "output/sink.h"

static const struct sink_ops *const sink_kinds[] = {
	[OUTPUT_JSON] = &sink_json_ops,
	[OUTPUT_CSV] = &sink_csv_ops,
	[OUTPUT_TABLE] = &sink_table_ops,
	[OUTPUT_NONE] = &sink_none_ops,
};

/*
 * output.format none (metrics only): records go nowhere. A sink like the
 * others, so a reload can switch to or from it like any format.
 */
/* Opening and flushing: nothing to do. */
static int none_noop(struct sink *s)
{
	(void)s;
	return 0;
}

static int none_write_record(struct sink *s, const struct record *rec)
{
	(void)s;
	(void)rec;
	return 0;
}

static void none_close(struct sink *s)
{
	(void)s;
}

const struct sink_ops sink_none_ops = {
	.name = "none",
	.open = none_noop,
	.write_record = none_write_record,
	.flush = none_noop,
	.close = none_close,
};

int sink_write_once(int fd, const char *where, const char *buf, size_t len, int *failed)
{
	int err;

	if (*failed || !len)
		return *failed;
	err = fd_write_all(fd, buf, len);
	if (err) {
		*failed = err;
		pr_err("output: write to %s failed: %s", where, strerror(-err));
	}
	return err;
}

const struct sink_monitor *sink_monitor_find(const struct sink *s, const char *name)
{
	for (size_t i = 0; i < s->n_mons; i++)
		if (!strcmp(s->mons[i].name, name))
			return &s->mons[i];
	return NULL;
}

const char *record_get_str(const struct record *rec, const char *key, size_t *len)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct field *f = &rec->fields[i];

		if ((f->kind == FIELD_STR || f->kind == FIELD_ARENA_STR) && !strcmp(f->key, key))
			return record__field_str(rec, f, len);
	}
	return NULL;
}

/* The run's monitors, copied: the descriptors are static, the instances may go. */
static struct sink_monitor *monitors_copy(struct monitor_inst *const *insts, size_t n,
					  size_t *n_out)
{
	struct sink_monitor *m = calloc(n + 1, sizeof(*m));

	*n_out = 0;
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!insts[i]->enabled)
			continue;
		m[*n_out] = (struct sink_monitor){
			.name = insts[i]->mon->name,
			.columns = insts[i]->mon->columns,
			.summary_columns = insts[i]->mon->summary_columns,
			.summary = insts[i]->summary,
		};
		(*n_out)++;
	}
	return m;
}

static void sink_free(struct sink *s)
{
	if (s->path && s->fd >= 0 && s->ops != &sink_csv_ops)
		close(s->fd);
	free(s->path);
	free(s);
}

static struct sink *sink_open_one(const struct sink_config *sc, const struct sink_monitor *mons,
				  size_t n_mons)
{
	struct sink *s = calloc(1, sizeof(*s));
	int format = sc->format, err = 0;

	if (!s)
		return NULL;
	s->fd = STDOUT_FILENO;
	s->max_records = sc->buffer_size;
	s->flush_interval = sc->flush_interval;
	s->last_flush = clock_mono_s();
	s->include_header = sc->include_header;
	s->csv_delimiter = sc->csv_delimiter;
	s->mons = mons;
	s->n_mons = n_mons;
	if (format == OUTPUT_CSV) {
		s->fd = -1;
		s->path = strdup(sc->dir);
		if (!s->path)
			err = -ENOMEM;
	} else if (sc->file && format != OUTPUT_NONE) {
		s->path = strdup(sc->file);
		if (!s->path) {
			err = -ENOMEM;
			goto fail;
		}
		s->fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (s->fd < 0) {
			err = -errno;
			pr_err("output: cannot open %s: %s", s->path, strerror(errno));
		}
	}
	if (err)
		goto fail;
	s->tty = s->fd >= 0 && isatty(s->fd);
	/* Unset: a person reads a terminal, a program reads a pipe or a file. */
	if (format == OUTPUT_AUTO)
		format = s->tty ? OUTPUT_TABLE : OUTPUT_JSON;
	s->ops = sink_kinds[format];
	err = s->ops->open(s);
	if (err)
		goto fail;
	return s;
fail:
	sink_free(s);
	errno = -err;
	return NULL;
}

struct sink *sink__open(const struct config *cfg, struct monitor_inst *const *insts,
			size_t n_insts)
{
	const struct sink_config *scs;
	struct sink_config one;
	struct sink *head = NULL, **tail = &head, *s;
	struct sink_monitor *mons;
	size_t n_mons, n;
	int err = 0;

	mons = monitors_copy(insts, n_insts, &n_mons);
	if (!mons)
		return NULL;
	n = config__sinks(cfg, &one, &scs);
	for (size_t i = 0; i < n; i++) {
		s = sink_open_one(&scs[i], mons, n_mons);
		if (!s) {
			err = -errno;
			break;
		}
		*tail = s;
		tail = &s->next;
	}
	/* The first sink owns the monitors' copy (freed in sink__close). */
	if (err && head)
		sink__close(head);
	else if (err)
		free(mons);
	errno = -err;
	return err ? NULL : head;
}

int sink__write(struct sink *s, const struct record *rec)
{
	int err = 0, ret;

	for (; s; s = s->next) {
		ret = s->ops->write_record(s, rec);
		if (ret && !err)
			err = ret;
	}
	return err;
}

/* Flush one sink now, due or not. */
static int sink_flush_now(struct sink *s, double now)
{
	s->last_flush = now;
	return s->ops->flush(s);
}

static int sinks_flush(struct sink *s, bool all)
{
	double now = clock_mono_s();
	int err = 0, ret;

	for (; s; s = s->next) {
		/* The loop's timer runs a little late or early: a quarter of slack. */
		if (!all && now - s->last_flush < s->flush_interval * 0.75)
			continue;
		ret = sink_flush_now(s, now);
		if (ret && !err)
			err = ret;
	}
	return err;
}

int sink__flush(struct sink *s)
{
	return sinks_flush(s, true);
}

int sink__flush_due(struct sink *s)
{
	return sinks_flush(s, false);
}

static int sink_reopen_one(struct sink *s)
{
	int fd, err;

	err = sink_flush_now(s, clock_mono_s());
	if (err)
		return err;
	if (s->path && s->ops != &sink_csv_ops) {
		fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0) {
			err = -errno;
			pr_err("output: cannot reopen %s: %s", s->path, strerror(errno));
			return err;
		}
		close(s->fd);
		s->fd = fd;
		s->tty = isatty(fd);
	}
	return s->ops->reopen ? s->ops->reopen(s) : 0;
}

int sink__reopen(struct sink *s)
{
	int err = 0, ret;

	for (; s; s = s->next) {
		ret = sink_reopen_one(s);
		if (ret && !err)
			err = ret;
	}
	return err;
}

void sink__close(struct sink *s)
{
	struct sink_monitor *mons = s ? (struct sink_monitor *)s->mons : NULL;
	struct sink *next;

	for (; s; s = next) {
		next = s->next;
		sink_flush_now(s, 0);
		s->ops->close(s);
		sink_free(s);
	}
	free(mons);
}
