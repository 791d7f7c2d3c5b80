/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONFIG_H
#define EBPFMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * The YAML document as a tree that remembers where every node came from, so
 * every error can name file:line:col and the dotted key path.
 */
enum cfg_kind {
	CFG_SCALAR,
	CFG_MAP,
	CFG_SEQ,
};

struct cfg_node {
	enum cfg_kind kind;
	const char *file;	/* owned by the document */
	char *path;		/* dotted key path, "monitors.exec.max_args"; "[2]" for items */
	char *key;		/* key in the parent mapping, NULL otherwise */
	char *value;		/* CFG_SCALAR only */
	bool quoted;		/* scalar was quoted: a string, never a number or bool */
	bool null;		/* plain scalar "", "~" or "null" */
	bool used;		/* looked up by a parser; unused keys are errors */
	int line, col;		/* 1-based, of the value (of the key for mapping entries' key) */
	int key_line, key_col;
	struct cfg_node **kids;	/* CFG_MAP: values in order; CFG_SEQ: items */
	size_t n_kids;
};

struct cfg_doc {
	char *file;
	struct cfg_node *root;	/* always a CFG_MAP */
};

/*
 * Load and parse a YAML file. Returns NULL with errno set after printing one
 * line such as "ebpfmon.yaml:3:1: yaml syntax error: ..." or
 * "ebpfmon.yaml: empty configuration file". Missing file: ENOENT with
 * "config: cannot open FILE: No such file or directory".
 */
struct cfg_doc *cfg_doc__load(const char *file);
struct cfg_doc *cfg_doc__parse_string(const char *name, const char *text, size_t len);
void cfg_doc__free(struct cfg_doc *doc);

/* Print "file:line:col: path: message" as one pr_err line. */
void cfg_node__error(const struct cfg_node *node, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same, at the position of the node's key (for "unknown ..." errors). */
void cfg_node__key_error(const struct cfg_node *node, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Child of a mapping by key (marks it used); NULL when absent. */
struct cfg_node *cfg_node__get(struct cfg_node *map, const char *key);

/*
 * Typed getters on a mapping entry. An absent key or a null value leaves
 * *out untouched (the caller's default) and returns 0. A present but wrong
 * value prints one error line and returns -EINVAL.
 */
int cfg_get_bool(struct cfg_node *map, const char *key, bool *out);
int cfg_get_int(struct cfg_node *map, const char *key, long long min, long long max,
		long long *out);
/* Non-negative decimal seconds, e.g. "0.5"; range in seconds. */
int cfg_get_double(struct cfg_node *map, const char *key, double min, double max,
		   double *out);
/* *out is replaced with a malloc'd copy (old value freed). */
int cfg_get_string(struct cfg_node *map, const char *key, char **out);
/* One of choices (NULL-terminated); *out is the index. */
int cfg_get_enum(struct cfg_node *map, const char *key, const char *const *choices,
		 int *out);
/* A sequence of scalars, or one scalar; *out is a NULL-terminated malloc'd vector. */
int cfg_get_strv(struct cfg_node *map, const char *key, char ***out);
/* A mapping (or absent/null: *out = NULL). Wrong kind: error. */
int cfg_get_map(struct cfg_node *map, const char *key, struct cfg_node **out);

/*
 * The subtree as one string (keys, kinds, values; no places), to tell
 * whether two configs say the same; malloc'd, NULL with errno set.
 */
char *cfg_node__dump(const struct cfg_node *node);

/* Every key of map not looked up is "unknown key": one line each; -EINVAL. */
int cfg_node__check_unused(const struct cfg_node *map);

void strv_free(char **v);
size_t strv_len(char *const *v);

#define DAEMON_PID_FILE "/run/ebpfmon-bcc.pid"

/* The global sections; monitors.<name> nodes are parsed by each monitor. */
enum output_format {
	OUTPUT_JSON,
	OUTPUT_CSV,
	OUTPUT_TABLE,
	OUTPUT_NONE,		/* no sink: metrics only (needs metrics.listen) */
	OUTPUT_AUTO,		/* unset: a table on a terminal, else json */
};

/* One output (an output.sinks item, or the output section itself). */
struct sink_config {
	int format;			/* enum output_format */
	char *file;			/* json, table: NULL = stdout */
	char *dir;			/* csv: one file per monitor in here */
	bool include_header;		/* csv: header row of the first record's keys */
	char csv_delimiter;		/* csv: one byte, not '"', CR or LF */
	long long buffer_size;		/* records held before a write */
	double flush_interval;		/* seconds */
};

/* output.transport: how events leave the kernel. */
enum output_transport {
	TRANSPORT_AUTO,		/* the ring buffer where the kernel has one, else perf */
	TRANSPORT_PERF,
	TRANSPORT_RINGBUF,
};

struct config {
	struct cfg_doc *doc;
	/* app */
	double duration;		/* app.duration, seconds, 0 = run until signalled */
	double stats_interval;		/* app.stats_interval, seconds, 0 = only at exit */
	/* logging */
	int log_level;			/* enum log_level, logging.level, default info */
	int log_target;			/* enum log_target, logging.target, default auto */
	char *log_file;			/* logging.file: required for target file */
	/* daemon */
	char *pid_file;			/* daemon.pid_file, default /run/ebpfmon-bcc.pid */
	double stop_timeout;		/* daemon.stop_timeout, seconds, 0.1..3600, default 10 */
	/* output */
	int format;			/* enum output_format, output.format, default auto */
	char *output_file;		/* output.file, default NULL = stdout ("-" too) */
	char *output_dir;		/* output.dir (csv), default "output" */
	bool include_header;		/* output.include_header (csv), default true */
	char csv_delimiter;		/* output.csv_delimiter, default ',' */
	struct sink_config *sinks;	/* output.sinks; NULL: one sink from the keys above */
	size_t n_sinks;
	long long buffer_size;		/* output.buffer_size: records held before a write, 1..65536, default 256 */
	double flush_interval;		/* output.flush_interval, seconds, 0.01..3600, default 1 */
	int transport;			/* enum output_transport, output.transport, default auto */
	long long perf_pages;		/* output.perf_pages per CPU, power of two 1..4096, default 64 */
	long long ringbuf_pages;	/* output.ringbuf_pages per monitor, power of two 1..65536, default 128 */
	long long wakeup_events;	/* output.wakeup_events, 1..10000, default 1 */
	double reorder_window;		/* output.reorder_window, seconds, 0..10, default 0 = off */
	/* metrics: the Prometheus exporter */
	char *metrics_listen;		/* metrics.listen "HOST:PORT", default NULL = off */
	long long metrics_comm_labels;	/* metrics.comm_labels: top-N comm label values, 0..1000, default 0 = none */
	/* kernel */
	char *headers;			/* kernel.headers: "auto" or a directory, default "auto" */
	bool btf;			/* kernel.btf: auto (true) | off (false) */
	/* filters: the config twin of -p/-u/--pid */
	char **comms;			/* filters.comm */
	char **users;			/* filters.user: names or uids */
	char **pids;			/* filters.pid */
	/* monitors: mapping of name -> node, each with "enabled" */
	struct cfg_node *monitors;	/* NULL when absent */
};

void config__init_defaults(struct config *cfg);
/*
 * Load FILE into cfg (defaults first). Parses app, logging, daemon, output,
 * kernel, filters; checks for unknown top-level and section keys; leaves monitors.*
 * to the monitors. Returns 0 or -errno after printing one error line.
 */
int config__load(struct config *cfg, const char *file);
void config__free(struct config *cfg);
/*
 * -f/--format and -o/--output (either may be NULL): they replace output.sinks
 * with one sink. -o is the directory for csv. 0 or -EINVAL after an error line.
 */
int config__set_output(struct config *cfg, const char *format, const char *output);
/*
 * metrics.listen, --metrics-listen: "IPV4:PORT", "[IPV6]:PORT", ":PORT" (all
 * IPv4 addresses) or "localhost:PORT"; port 0 picks a free one. 0, or
 * -EINVAL with *why saying what is wrong.
 */
int metrics_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			 const char **why);
/* The metrics-only run (output.format none) has somewhere to go: 0 or -EINVAL. */
int config__check_metrics(struct config *cfg, bool format_flag);
/* A csv dir has no ".." component (checked before any file is made in it). */
bool output_dir_safe(const char *dir);
/* The sinks to open: output.sinks, or the one the output section describes. */
size_t config__sinks(const struct config *cfg, struct sink_config *one,
		     const struct sink_config **sinks);

#endif
