// SPDX-License-Identifier: GPL-2.0
/*
 * CSV: one file per monitor, {dir}/{monitor}_{YYYYmmdd_HHMMSS}.csv, and one
 * per other record type ({monitor}_{type}_{stamp}.csv, e.g. lost), so every
 * file has one set of columns: the keys of its first record. RFC 4180: CRLF
 * line ends, a cell quoted when it holds the delimiter, '"', CR or LF.
 * Files are made lazily, at a monitor's first record of a type; the stamp is
 * the time the sink was opened (or reopened: SIGHUP starts new files).
 * A list of strings (argv) is one cell, its items joined by spaces as the
 * table shows it (sink_fmt.h: field_text).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/record.h"
#include "output/sink.h"
#include "output/sink_fmt.h"

/* Past this many files of one name in one second something is wrong. */
#define CSV_SUFFIX_MAX 1000

struct csv_file {
	char *monitor;
	char *type;		/* NULL: the monitor's main type */
	char *path;
	int fd;			/* -1: could not be made (reported once) */
	const char **cols;	/* record keys are string literals */
	size_t n_cols;
	char **flat;		/* the columns of nested objects' members (system_max_ns) */
	size_t n_flat;
	const char **warned;	/* keys not in the header, reported once */
	size_t n_warned;
	struct sink_lines out;	/* whole rows only */
	int create_err;		/* why fd is -1 */
	double retry_at;	/* on_error drop: CLOCK_MONOTONIC seconds to try again */
};

struct sink_csv {
	struct csv_file *files;
	size_t n_files, cap_files;
	char stamp[32];
	unsigned long pending;	/* rows in the files' buffers */
	struct strbuf cell;
	unsigned long unnamed;	/* records without a usable name, dropped */
};

static void csv_stamp(struct sink_csv *c)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(c->stamp, sizeof(c->stamp), "%Y%m%d_%H%M%S", &tm);
}

/* mkdir -p, new directories 0750 whatever the umask. */
static int mkdir_p(const char *dir)
{
	char *copy = strdup(dir), *p;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; !err; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = 0;
		if (!mkdir(copy, 0750)) {
			if (chmod(copy, 0750))
				err = -errno;
		} else if (errno != EEXIST) {
			err = -errno;
		}
		*p = c;
		if (!c)
			break;
	}
	if (err)
		pr_err("output: cannot make directory %s: %s", copy, strerror(-err));
	free(copy);
	return err;
}

static int csv_open(struct sink *s)
{
	struct sink_csv *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	s->priv = c;
	csv_stamp(c);
	err = mkdir_p(s->path);
	if (err) {
		free(c);
		s->priv = NULL;
	}
	return err;
}

/* Monitor and type names become file names: plain words only. */
static bool name_safe(const char *name, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}

/* Make f's file: 0, or -errno reported as on_error says. */
static int file_create(struct sink *s, struct csv_file *f)
{
	struct sink_csv *c = s->priv;
	int err = 0;

	for (int i = 0; i <= CSV_SUFFIX_MAX; i++) {
		char suffix[16] = "";

		if (i)
			snprintf(suffix, sizeof(suffix), "-%d", i);
		free(f->path);
		if (asprintf(&f->path, "%s/%s%s%s_%s%s.csv", s->path, f->monitor,
			     f->type ? "_" : "", f->type ? f->type : "", c->stamp, suffix) < 0) {
			f->path = NULL;
			return -ENOMEM;
		}
		/* Never clobber or follow a link: a second run in one second gets "-1". */
		f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (f->fd >= 0 || errno != EEXIST)
			break;
	}
	if (f->fd < 0) {
		f->create_err = err = -errno;
		f->retry_at = clock_mono_s() + s->flush_interval;
		sink_fail(s, f->path, err, true);
	}
	return err;
}

/*
 * The header row, before the first row of an empty file: the file is new,
 * or the write that held its header failed and was cut back. Its own line:
 * a row that fails to encode does not take it back.
 */
static int header_add(struct sink *s, struct csv_file *f)
{
	struct stat st;
	int err = 0;

	if (!s->include_header || f->out.n || fstat(f->fd, &st) || st.st_size)
		return 0;
	for (size_t i = 0; i < f->n_cols && !err; i++) {
		if (i)
			err = strbuf_addc(&f->out.buf, s->csv_delimiter);
		if (!err)
			err = csv_cell(&f->out.buf, f->cols[i], strlen(f->cols[i]), s->csv_delimiter);
	}
	if (!err)
		err = strbuf_add(&f->out.buf, "\r\n", 2);
	if (!err)
		err = sink_lines__mark(s, &f->out, NULL);
	return err;
}

static void file_release(struct sink *s, struct csv_file *f)
{
	sink_lines__release(s, &f->out);
	if (f->fd >= 0)
		close(f->fd);
	free(f->monitor);
	free(f->type);
	free(f->path);
	free(f->cols);
	for (size_t i = 0; i < f->n_flat; i++)
		free(f->flat[i]);
	free(f->flat);
	free(f->warned);
}

/*
 * An existing file's, or NULL (*err set) while it could not be made: under
 * on_error drop it is tried again once a flush interval has passed.
 */
static struct csv_file *file_ready(struct sink *s, struct csv_file *f, int *err)
{
	if (f->fd < 0 && s->on_error == ON_ERROR_DROP && !s->error &&
	    clock_mono_s() >= f->retry_at) {
		*err = file_create(s, f);
		return *err ? NULL : f;
	}
	*err = f->fd >= 0 ? 0 : f->create_err;
	return f->fd >= 0 ? f : NULL;
}

/* The file for this monitor and type, made at the first record; NULL (*err set): skip it. */
static struct csv_file *csv_file_get(struct sink *s, const struct record *rec, int *err)
{
	struct sink_csv *c = s->priv;
	const struct sink_monitor *m;
	const char *mon, *type, *main_type;
	size_t mlen = 0, tlen = 0, n = 0;
	struct csv_file *f;

	mon = record_get_str(rec, "monitor", &mlen);
	type = record_get_str(rec, "type", &tlen);
	/* The run's own control records (no monitor's) have no file: the log tells them. */
	if (!mon && type && tlen == 7 && !memcmp(type, "control", 7)) {
		*err = 0;
		return NULL;
	}
	if (!mon || !type || !name_safe(mon, mlen) || !name_safe(type, tlen)) {
		if (!c->unnamed++)
			pr_warn("output: %s: a record without a plain monitor and type name "
				"has no file; such records are left out", s->path);
		*err = -EINVAL;
		return NULL;
	}
	m = NULL;
	for (size_t i = 0; i < s->n_mons && !m; i++)
		if (strlen(s->mons[i].name) == mlen && !memcmp(s->mons[i].name, mon, mlen))
			m = &s->mons[i];
	main_type = m && m->summary ? "summary" : "event";
	if (strlen(main_type) == tlen && !memcmp(main_type, type, tlen))
		type = NULL;
	for (size_t i = 0; i < c->n_files; i++) {
		f = &c->files[i];
		if (strlen(f->monitor) == mlen && !memcmp(f->monitor, mon, mlen) &&
		    (f->type ? type && strlen(f->type) == tlen && !memcmp(f->type, type, tlen)
			     : !type))
			return file_ready(s, f, err);
	}
	if (ARRAY_GROW(c->files, c->cap_files, c->n_files)) {
		*err = -ENOMEM;
		return NULL;
	}
	f = &c->files[c->n_files++];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->create_err = -ENOMEM;	/* until file_create says otherwise */
	f->monitor = strndup(mon, mlen);
	f->type = type ? strndup(type, tlen) : NULL;
	/* A nested object's members are columns of their own, PARENT_MEMBER. */
	for (size_t i = 0; i < rec->n; i++)
		n += field_is_object(&rec->fields[i]) ? json_object_size(rec->fields[i].v.json) : 1;
	f->cols = calloc(n ? n : 1, sizeof(*f->cols));
	f->flat = calloc(n ? n : 1, sizeof(*f->flat));
	if (!f->monitor || (type && !f->type) || !f->cols || !f->flat) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < rec->n; i++) {
		const char *member;
		json_t *v;

		if (!field_is_object(&rec->fields[i])) {
			f->cols[f->n_cols++] = rec->fields[i].key;
			continue;
		}
		json_object_foreach(rec->fields[i].v.json, member, v) {
			if (asprintf(&f->flat[f->n_flat], "%s_%s", rec->fields[i].key, member) < 0) {
				*err = -ENOMEM;
				return NULL;
			}
			f->cols[f->n_cols++] = f->flat[f->n_flat++];
		}
	}
	*err = file_create(s, f);
	return *err ? NULL : f;
}

static const struct field *field_find(const struct record *rec, size_t hint, const char *key)
{
	/* Records of one kind keep their keys' order: the hint is nearly always it. */
	if (hint < rec->n && !strcmp(rec->fields[hint].key, key))
		return &rec->fields[hint];
	for (size_t i = 0; i < rec->n; i++)
		if (!strcmp(rec->fields[i].key, key))
			return &rec->fields[i];
	return NULL;
}

/* Keys the header does not have: warned once per file and key, then dropped. */
static void warn_extra_keys(struct csv_file *f, const struct record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		const char *key = rec->fields[i].key;
		bool known = false;

		for (size_t j = 0; j < f->n_cols && !known; j++)
			known = !strcmp(f->cols[j], key) ||
				(field_is_object(&rec->fields[i]) &&
				 !strncmp(f->cols[j], key, strlen(key)) &&
				 f->cols[j][strlen(key)] == '_');
		for (size_t j = 0; j < f->n_warned && !known; j++)
			known = !strcmp(f->warned[j], key);
		if (known)
			continue;
		pr_warn("output: %s: key %s is not in the header; its values are left out",
			f->path, key);
		if (!(f->n_warned & (f->n_warned + 1))) {
			const char **grown = realloc(f->warned, (2 * f->n_warned + 1) * sizeof(*grown));

			if (!grown)
				continue;
			f->warned = grown;
		}
		f->warned[f->n_warned++] = key;
	}
}

/* Strings and lists of strings (argv, joined by spaces): "" when empty. */
static bool field_is_text(const struct field *f)
{
	return f->kind == FIELD_STR || f->kind == FIELD_ARENA_STR || f->kind == FIELD_STRV ||
	       (f->kind == FIELD_JSON && json_is_array(f->v.json));
}

static int csv_flush(struct sink *s)
{
	struct sink_csv *c = s->priv;

	for (size_t i = 0; i < c->n_files; i++)
		if (c->files[i].fd >= 0)
			sink_lines__write(s, &c->files[i].out, c->files[i].fd, c->files[i].path);
	c->pending = 0;
	return s->error;
}

static int csv_write_record(struct sink *s, const struct record *rec)
{
	struct sink_csv *c = s->priv;
	struct csv_file *f;
	size_t matched = 0;
	int err = 0;

	f = csv_file_get(s, rec, &err);
	if (!f)
		return err;
	err = header_add(s, f);
	if (err) {
		sink_lines__unmark(&f->out);
		return err;
	}
	for (size_t i = 0; i < f->n_cols && !err; i++) {
		const struct field *fld = field_find(rec, i, f->cols[i]);
		json_t *member = fld ? NULL : record_member(rec, f->cols[i]);
		const char *str;
		size_t len;

		if (i)
			err = strbuf_addc(&f->out.buf, s->csv_delimiter);
		if (!err && member) {
			strbuf_reset(&c->cell);
			err = member_text(member, &c->cell, false);
			if (!err && c->cell.len)
				err = csv_cell(&f->out.buf, c->cell.buf, c->cell.len, s->csv_delimiter);
			continue;
		}
		if (err || !fld)
			continue;
		matched++;
		if (fld->kind == FIELD_STR || fld->kind == FIELD_ARENA_STR) {
			str = record__field_str(rec, fld, &len);
		} else {
			strbuf_reset(&c->cell);
			err = field_text(rec, fld, &c->cell, false);
			str = c->cell.buf;
			len = c->cell.len;
		}
		/* "" is an empty string (or list), an empty cell null. */
		if (!err && !len && field_is_text(fld))
			err = strbuf_add(&f->out.buf, "\"\"", 2);
		else if (!err && len)
			err = csv_cell(&f->out.buf, str, len, s->csv_delimiter);
	}
	if (!err)
		err = strbuf_add(&f->out.buf, "\r\n", 2);
	if (!err)
		err = sink_lines__mark(s, &f->out, rec);
	if (err) {
		/* Whole rows only. */
		sink_lines__unmark(&f->out);
		return err;
	}
	if (matched < rec->n)
		warn_extra_keys(f, rec);
	if (++c->pending >= s->max_records)
		csv_flush(s);
	return 0;
}

static void csv_files_close(struct sink *s, struct sink_csv *c)
{
	for (size_t i = 0; i < c->n_files; i++)
		file_release(s, &c->files[i]);
	c->n_files = 0;
}

static int csv_reopen(struct sink *s)
{
	struct sink_csv *c = s->priv;

	/* Per-run files rotate by starting new ones, with the time of the reopen. */
	csv_files_close(s, c);
	csv_stamp(c);
	return mkdir_p(s->path);
}

static void csv_close(struct sink *s)
{
	struct sink_csv *c = s->priv;

	csv_files_close(s, c);
	free(c->files);
	strbuf_release(&c->cell);
	free(c);
}

const struct sink_ops sink_csv_ops = {
	.name = "csv",
	.open = csv_open,
	.write_record = csv_write_record,
	.flush = csv_flush,
	.reopen = csv_reopen,
	.close = csv_close,
};
