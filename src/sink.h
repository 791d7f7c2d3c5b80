/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SINK_H
#define EBPFMON_SINK_H

struct config;
struct record;
struct sink;

/* One output format behind one small interface. */
struct sink_ops {
	const char *name;
	int (*open)(struct sink *s);
	int (*write_record)(struct sink *s, const struct record *rec);
	int (*flush)(struct sink *s);
	int (*reopen)(struct sink *s);
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	char *path;		/* NULL: stdout */
	int fd;
	unsigned long max_records;	/* records held before a write */
	void *priv;
};

/* Open the sink the config names; NULL with errno set after an error line. */
struct sink *sink__open(const struct config *cfg);
int sink__write(struct sink *s, const struct record *rec);
int sink__flush(struct sink *s);
int sink__reopen(struct sink *s);
void sink__close(struct sink *s);

extern const struct sink_ops sink_json_ops;

#endif
