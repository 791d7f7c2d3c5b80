// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void count_unwritten(struct sink *s, unsigned mon)
{
	if (mon < EBPFMON_MAX_MONITORS && s->unwritten)
		s->unwritten[mon]++;
	s->dropped++;
}

int sink_lines__mark(struct sink *s, struct sink_lines *l, const struct record *rec)
{
	if (ARRAY_GROW(l->lines, l->cap, l->n)) {
		sink_lines__unmark(l);
		return -ENOMEM;
	}
	l->lines[l->n++] = (struct sink_line){
		.end = l->buf.len,
		.mon = rec && rec->mon_id < EBPFMON_MAX_MONITORS ? (int)rec->mon_id : -1,
		.counted = rec && rec->counted,
		.tells = rec ? rec->tells : 0,
	};
	if (rec && rec->tells && rec->mon_id < EBPFMON_MAX_MONITORS)
		s->queued[rec->mon_id] = rec->tells;
	l->marked = l->buf.len;
	return 0;
}

void sink_lines__unmark(struct sink_lines *l)
{
	l->buf.len = l->marked;
	if (l->buf.buf)
		l->buf.buf[l->buf.len] = 0;
}

/*
 * The first K lines went out, the others did not: those are counted (and
 * the lost records among them are to be told again); l emptied.
 */
static void lines_done(struct sink *s, struct sink_lines *l, size_t k)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sink_line *line = &l->lines[i];

		if (i < k && line->tells)
			s->told[line->mon] = line->tells;
		else if (i >= k && line->tells)
			s->queued[line->mon] = s->told[line->mon];
		else if (i >= k && line->counted)
			count_unwritten(s, line->mon);
	}
	l->n = 0;
	l->marked = 0;
	strbuf_reset(&l->buf);
}

/*
 * The last EXTRA bytes written to fd are part of a line: cut them off a
 * regular file whose end they are. A pipe or a terminal cannot take them
 * back; there only a reader that went away (EPIPE, EIO) sees a partial line.
 */
static void cut_partial(int fd, size_t extra, const char *where)
{
	struct stat st;
	off_t pos = lseek(fd, 0, SEEK_CUR);

	if (pos < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	if (st.st_size != pos || pos < (off_t)extra || ftruncate(fd, pos - extra) ||
	    lseek(fd, pos - extra, SEEK_SET) < 0)
		pr_warn("output: cannot cut the partial line off the end of %s: %s", where,
			st.st_size != pos ? "another writer wrote after it" : strerror(errno));
}

void sink_fail(struct sink *s, const char *where, int err, bool create)
{
	char what[PATH_MAX + 64];

	snprintf(what, sizeof(what), create ? "cannot create %s: %s" : "write to %s failed: %s",
		 where, strerror(-err));
	if (err == -EPIPE) {
		/* Like a tool killed by SIGPIPE, with its exit summary. */
		if (!s->error)
			pr_debug("output: the reader of %s went away", where);
		s->error = err;
	} else if (s->on_error == ON_ERROR_DROP) {
		if (!s->dropping)
			pr_warn("output: %s; dropping records until it works again "
				"(output.on_error: drop)", what);
		s->dropping = true;
	} else if (!s->error) {
		pr_err("output: %s", what);
		s->error = err;
	}
}

int sink_lines__write(struct sink *s, struct sink_lines *l, int fd, const char *where)
{
	size_t done = 0, whole = 0, k = 0;
	int err;

	if (s->error || !l->buf.len) {
		lines_done(s, l, s->error ? 0 : l->n);
		return s->error;
	}
	err = fd_write_part(fd, l->buf.buf, l->buf.len, &done);
	if (!err) {
		if (s->dropping)
			pr_info("output: writing to %s again, after %lu records dropped", where,
				s->dropped);
		s->dropping = false;
		s->dropped = 0;
		lines_done(s, l, l->n);
		return 0;
	}
	while (k < l->n && l->lines[k].end <= done)
		whole = l->lines[k++].end;
	if (done > whole)
		cut_partial(fd, done - whole, where);
	lines_done(s, l, k);
	sink_fail(s, where, err, false);
	return s->error;
}

void sink_lines__release(struct sink *s, struct sink_lines *l)
{
	lines_done(s, l, 0);
	strbuf_release(&l->buf);
	free(l->lines);
	memset(l, 0, sizeof(*l));
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
			.columns = insts[i]->columns ? insts[i]->columns : insts[i]->mon->columns,
			.summary_columns = insts[i]->summary_columns ? insts[i]->summary_columns :
					   insts[i]->mon->summary_columns,
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

/*
 * The json or table file, appended to. Never through a symbolic link: one
 * planted in a world-writable directory would send root's output onto any
 * file (fs.protected_symlinks covers sticky directories only). And only
 * where lines belong: a regular file, a FIFO or a character device such as
 * /dev/null. An fd, or -errno after one error line naming PATH.
 */
static int output_file_open(const char *path, bool again)
{
	const char *re = again ? "re" : "";	/* "cannot reopen" at SIGHUP */
	struct stat st;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
		if ((err == -ELOOP || err == -EACCES) && !lstat(path, &st) && S_ISLNK(st.st_mode))
			pr_err("output: cannot %sopen %s: it is a symbolic link, which is never "
			       "followed; name the file itself", re, path);
		else
			pr_err("output: cannot %sopen %s: %s", re, path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("output: cannot %sopen %s: %s", re, path, strerror(-err));
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		pr_err("output: cannot %sopen %s: not a regular file, FIFO or character device",
		       re, path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* The fd's reader can go away (and poll(2) then says so): a pipe, a socket, a terminal. */
static bool fd_pollable(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd);
}

static struct sink *sink_open_one(const struct sink_config *sc, const struct sink_monitor *mons,
				  size_t n_mons, uint64_t *unwritten)
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
	s->on_error = sc->on_error;
	s->unwritten = unwritten;
	/* A sink opened by a reload tells only the losses from now on. */
	for (size_t i = 0; unwritten && i < EBPFMON_MAX_MONITORS; i++)
		s->told[i] = s->queued[i] = unwritten[i];
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
		s->fd = output_file_open(s->path, false);
		if (s->fd < 0)
			err = s->fd;
	}
	if (err)
		goto fail;
	s->tty = s->fd >= 0 && isatty(s->fd);
	s->pollable = format != OUTPUT_NONE && fd_pollable(s->fd);
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
			size_t n_insts, uint64_t *unwritten)
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
		s = sink_open_one(&scs[i], mons, n_mons, unwritten);
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

void sink__write_one(struct sink *s, const struct record *rec)
{
	/* A sink that failed (or lost its reader) takes nothing more. */
	if ((s->error || rec->err || s->ops->write_record(s, rec)) && rec->counted)
		count_unwritten(s, rec->mon_id);
}

void sink__write(struct sink *s, const struct record *rec)
{
	for (; s; s = s->next)
		sink__write_one(s, rec);
}

uint64_t sink__untold(const struct sink *s, unsigned id, uint64_t total)
{
	if (s->error || s->ops == &sink_none_ops || id >= EBPFMON_MAX_MONITORS ||
	    total <= s->queued[id])
		return 0;
	return total - s->queued[id];
}

int sink__error(struct sink *s)
{
	double now = clock_mono_s();
	int err = 0;

	for (; s; s = s->next) {
		/*
		 * A pipe whose reader closed it is POLLERR at once: the run ends
		 * without waiting for an event to write (as a tool killed by
		 * SIGPIPE would). Looked at a few times a second at most.
		 */
		if (s->pollable && !s->error && now >= s->next_poll) {
			struct pollfd pfd = { .fd = s->fd };

			s->next_poll = now + 0.1;
			if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP))) {
				pr_debug("output: the reader of %s went away",
					 s->path ? s->path : "stdout");
				s->error = -EPIPE;
			}
		}
		if (s->error && (!err || err == -EPIPE))
			err = s->error;
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
	int fd;

	sink_flush_now(s, clock_mono_s());
	if (s->path && s->ops != &sink_csv_ops) {
		/* Refused (a link planted there): the open file stays, said once. */
		fd = output_file_open(s->path, true);
		if (fd < 0)
			return fd;
		close(s->fd);
		s->fd = fd;
		s->tty = isatty(fd);
		s->pollable = fd_pollable(fd);
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
