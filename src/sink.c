// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sink.h"

static const struct sink_ops *const sink_kinds[] = {
	[OUTPUT_JSON] = &sink_json_ops,
};

struct sink *sink__open(const struct config *cfg)
{
	struct sink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->ops = sink_kinds[cfg->format];
	s->fd = STDOUT_FILENO;
	s->max_records = cfg->buffer_size;
	if (cfg->output_file) {
		s->path = strdup(cfg->output_file);
		if (!s->path) {
			err = -ENOMEM;
			goto fail;
		}
		s->fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (s->fd < 0) {
			err = -errno;
			pr_err("output: cannot open %s: %s", s->path, strerror(errno));
			goto fail;
		}
	}
	err = s->ops->open(s);
	if (err)
		goto fail;
	return s;
fail:
	if (s->path && s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	errno = -err;
	return NULL;
}

int sink__write(struct sink *s, const struct record *rec)
{
	return s->ops->write_record(s, rec);
}

int sink__flush(struct sink *s)
{
	return s->ops->flush(s);
}

int sink__reopen(struct sink *s)
{
	int fd, err;

	err = sink__flush(s);
	if (err || !s->path)
		return err;
	fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
		pr_err("output: cannot reopen %s: %s", s->path, strerror(errno));
		return err;
	}
	close(s->fd);
	s->fd = fd;
	return s->ops->reopen ? s->ops->reopen(s) : 0;
}

void sink__close(struct sink *s)
{
	if (!s)
		return;
	sink__flush(s);
	s->ops->close(s);
	if (s->path)
		close(s->fd);
	free(s->path);
	free(s);
}
