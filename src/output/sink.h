/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SINK_H
#define EBPFMON_SINK_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct monitor_inst;
struct record;
struct sink;

/* One output format behind one small interface. */
struct sink_ops {
	const char *name;
	int (*open)(struct sink *s);
	int (*write_record)(struct sink *s, const struct record *rec);
	int (*flush)(struct sink *s);
	/* After the file (if any) was reopened; csv starts new files. */
	int (*reopen)(struct sink *s);
	void (*close)(struct sink *s);
};

/* What a table or csv sink knows of a monitor of the run. */
struct sink_monitor {
	const char *name;
	const struct table_column *columns;		/* events */
	const struct table_column *summary_columns;	/* summary rows */
	bool summary;					/* its main record type */
};

/*
 * One sink of the run. The session holds the first; sink__write, __flush,
 * __reopen and __close act on it and every one after it.
 */
struct sink {
	const struct sink_ops *ops;
	char *path;		/* NULL: stdout (csv: its directory) */
	bool include_header;	/* csv */
	char csv_delimiter;	/* csv */
	int fd;
	bool tty;		/* fd is a terminal */
	unsigned long max_records;	/* records held before a write */
	double flush_interval;	/* seconds */
	double last_flush;	/* CLOCK_MONOTONIC seconds */
	const struct sink_monitor *mons;	/* the monitors of the run */
	size_t n_mons;
	void *priv;
	struct sink *next;
};

/*
 * Open the sinks the config names (output.sinks, or the output section),
 * for the run's enabled monitors in insts. NULL with errno set after an
 * error line.
 */
struct sink *sink__open(const struct config *cfg, struct monitor_inst *const *insts,
			size_t n_insts);
/* Write rec to every sink: 0 or the first error. */
int sink__write(struct sink *s, const struct record *rec);
/* Write what every sink holds. */
int sink__flush(struct sink *s);
/* The same for the sinks whose flush_interval is over (the loop's timer). */
int sink__flush_due(struct sink *s);
/* Flush, reopen every file (logrotate's SIGHUP), csv: new files. */
int sink__reopen(struct sink *s);
void sink__close(struct sink *s);

/*
 * Write all of buf to fd unless an earlier write failed (*failed): the first
 * failure is reported once, naming WHERE, and stays in *failed, so a sink
 * whose file is gone keeps refusing. Returns *failed.
 */
int sink_write_once(int fd, const char *where, const char *buf, size_t len, int *failed);
/* The sink's monitor of that name; NULL when not in the run. */
const struct sink_monitor *sink_monitor_find(const struct sink *s, const char *name);
/* The record's string field KEY (borrowed, not NUL-terminated); NULL if none. */
const char *record_get_str(const struct record *rec, const char *key, size_t *len);

extern const struct sink_ops sink_json_ops;
extern const struct sink_ops sink_csv_ops;
extern const struct sink_ops sink_table_ops;
extern const struct sink_ops sink_none_ops;	/* output.format none: no output */

/* A table sink's column, declared by each monitor (arrays end with { NULL }). */
enum column_align {
	COLUMN_LEFT,
	COLUMN_RIGHT,
};

struct table_column {
	const char *header;
	const char *key;	/* record key; a time shows as HH:MM:SS, a list joined by spaces */
	int width;		/* at least the header's; a longer value pushes the row right */
	enum column_align align;
};

#endif
