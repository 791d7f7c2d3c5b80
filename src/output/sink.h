/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_SINK_H
#define EBPFMON_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "probes/common.h"
#include "util/strbuf.h"

struct config;
struct monitor_inst;
struct record;
struct sink;

/* One output format behind one small interface. */
struct sink_ops {
	const char *name;
	int (*open)(struct sink *s);
	/*
	 * Take rec (and write what is held when it is time): 0, or -errno when
	 * rec is not taken (sink__write counts it as unwritten). A failed write
	 * is not returned: sink_lines__write deals with it.
	 */
	int (*write_record)(struct sink *s, const struct record *rec);
	/* Write what is held (whatever became of it: see sink_lines__write). */
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
	int on_error;		/* enum output_on_error */
	/*
	 * Set once, then every record is refused (and counted): -EPIPE, the
	 * reader went away; else the write error that ends the run (on_error exit).
	 */
	int error;
	bool dropping;		/* on_error drop: writes fail (said once) */
	unsigned long dropped;	/* records dropped since */
	uint64_t *unwritten;	/* the session's, by monitor id; NULL: not counted */
	/*
	 * By monitor id: the unwritten total the last lost record (reason
	 * write) this sink wrote told, and the one it holds to write.
	 */
	uint64_t told[EBPFMON_MAX_MONITORS], queued[EBPFMON_MAX_MONITORS];
	int fd;
	bool tty;		/* fd is a terminal */
	bool pollable;		/* fd is a pipe, socket or terminal: its reader can go */
	double next_poll;	/* CLOCK_MONOTONIC seconds of the next look at it */
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
 * for the run's enabled monitors in insts; the records they cannot write
 * are counted in unwritten[monitor id] (EBPFMON_MAX_MONITORS of them; may
 * be NULL). NULL with errno set after an error line.
 */
struct sink *sink__open(const struct config *cfg, struct monitor_inst *const *insts,
			size_t n_insts, uint64_t *unwritten);
/* Write rec to every sink (one that cannot counts it as unwritten). */
void sink__write(struct sink *s, const struct record *rec);
/* The same for this one sink only. */
void sink__write_one(struct sink *s, const struct record *rec);
/*
 * Records of monitor ID not written (TOTAL in all) that this one sink has no
 * lost record about yet, written or held: 0 when it has (or cannot take one).
 */
uint64_t sink__untold(const struct sink *s, unsigned id, uint64_t total);
/*
 * Whether the run goes on: 0; -EPIPE when a sink's reader went away (a
 * closed pipe, seen from poll(2) even before a write fails); or the write
 * error of a sink whose on_error is exit (reported).
 */
int sink__error(struct sink *s);
/* Write what every sink holds. */
int sink__flush(struct sink *s);
/* The same for the sinks whose flush_interval is over (the loop's timer). */
int sink__flush_due(struct sink *s);
/* Flush, reopen every file (logrotate's SIGHUP), csv: new files. */
int sink__reopen(struct sink *s);
void sink__close(struct sink *s);

/*
 * Whole lines held for one file, and whose record each is, so that a failed
 * write knows which records did not reach the file (a CSV cell may hold a
 * line feed: the ends are remembered, not searched for).
 */
struct sink_line {
	size_t end;		/* in buf */
	uint64_t tells;		/* a lost record with reason write: its total */
	int mon;		/* the record's monitor id; -1: none (a header) */
	bool counted;		/* in its monitor's events */
};

struct sink_lines {
	struct strbuf buf;
	struct sink_line *lines;
	size_t n, cap;
	size_t marked;		/* buf up to here belongs to a marked line */
};

/*
 * What was added to l->buf since the last mark is one line (or a header
 * and a row) of rec (NULL: of no record). 0, or -ENOMEM and it is taken back.
 */
int sink_lines__mark(struct sink *s, struct sink_lines *l, const struct record *rec);
/* Take back what was added since the last mark (a record that failed to encode). */
void sink_lines__unmark(struct sink_lines *l);
/*
 * Write the held lines to fd (WHERE names it) and empty l. A write that
 * fails never leaves part of a line: in a regular file it is cut back to
 * the last whole line (ftruncate); elsewhere (a pipe, a terminal) only a
 * reader that went away sees part of one. The lines not written are counted
 * as unwritten, and the failure handled as s->on_error says (sink_fail).
 * Returns s->error.
 */
int sink_lines__write(struct sink *s, struct sink_lines *l, int fd, const char *where);
/* Count what l still holds as unwritten, and free it. */
void sink_lines__release(struct sink *s, struct sink_lines *l);
/*
 * Writing to WHERE (or creating it) failed with err: -EPIPE, the reader
 * went away (a debug line; the run ends, status 0); else as on_error says.
 * exit: one error line, and the sink refuses everything from now on;
 * drop: one warning until writing works again, and the records are dropped.
 */
void sink_fail(struct sink *s, const char *where, int err, bool create);
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
