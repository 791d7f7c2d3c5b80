/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONFIG_H
#define EBPFMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The tree and its getters, for the monitors' own sections too. */
#include "config/getters.h"
#include "config/yaml_tree.h"

#define DAEMON_PID_FILE "/run/ebpfmon-bcc.pid"

/* The global sections; monitors.<name> nodes are parsed by each monitor. */
enum output_format {
	OUTPUT_JSON,
	OUTPUT_CSV,
	OUTPUT_TABLE,
	OUTPUT_NONE,		/* no sink: metrics only (needs metrics.listen) */
	OUTPUT_AUTO,		/* unset: a table on a terminal, else json */
};

/* output.on_error: what a failed write does. */
enum output_on_error {
	ON_ERROR_EXIT,		/* say so once and end the run with an error */
	ON_ERROR_DROP,		/* count and drop the records, try again at the next write */
};

/* One output (an output.sinks item, or the output section itself). */
struct sink_config {
	int format;			/* enum output_format */
	int on_error;			/* enum output_on_error */
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
	bool inactive;			/* --inactive: every monitor starts inert */
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
	int on_error;			/* enum output_on_error, output.on_error, default exit */
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
	long long metrics_cgroup_labels;	/* metrics.cgroup_labels: the same for cgroups */
	/* control: the run-time control socket */
	char *control_socket;		/* control.socket, default NULL = /run/ebpfmon-bcc.sock; "": none */
	/* kernel */
	char *headers;			/* kernel.headers: "auto" or a directory, default "auto" */
	bool btf;			/* kernel.btf: auto (true) | off (false) */
	/* filters: the config twin of -p/-u/--pid/--tgid */
	char **comms;			/* filters.comm */
	char **users;			/* filters.user: names or uids */
	char **pids;			/* filters.pid: thread or process ids */
	char **tgids;			/* filters.tgid: process ids */
	char **cgroups;			/* filters.cgroup: cgroup v2 paths */
	/* monitors: mapping of name -> node, each with "enabled" */
	struct cfg_node *monitors;	/* NULL when absent */
	/*
	 * programs: users' own BPF programs, the file's and the drop-ins' items
	 * in order (a sequence node of this struct's own: its kids belong to
	 * the documents); NULL when none has any.
	 */
	struct cfg_node *programs;
	char *config_dir;		/* config_dir: the drop-ins' directory, default /etc/ebpfmon.d; "": none */
	struct cfg_doc **dropins;	/* config_dir/ *.yaml, in name order */
	size_t n_dropins;
};

/* filters.cgroup: at most this many (probes/common.h's EBPFMON_CGROUP_FILTER_SLOTS). */
#define CONFIG_CGROUP_FILTER_MAX 8

#define CONFIG_DIR "/etc/ebpfmon.d"

/*
 * A top-level section a monitor owns beside monitors.<name> (struct monitor's
 * section): its node, the drop-ins' items with the file's; NULL when absent.
 */
struct cfg_node *config__section(const struct config *cfg, const char *name);

void config__init_defaults(struct config *cfg);
/*
 * Load FILE into cfg (defaults first). Parses app, logging, daemon, output,
 * kernel, filters; checks for unknown top-level and section keys; leaves monitors.*
 * to the monitors. Returns 0 or -errno after printing one error line.
 */
int config__load(struct config *cfg, const char *file);
/*
 * The same with the --set assignments SETS ("KEY=VALUE", NULL-terminated,
 * or NULL) put into the tree before it is read (cfg_doc__set); FILE NULL:
 * no file, the built-in defaults (and SETS).
 */
int config__load_set(struct config *cfg, const char *file, char *const *sets);
/* The same from TEXT (LEN bytes, no NUL needed), named NAME in errors. */
int config__load_string(struct config *cfg, const char *name, const char *text, size_t len);
int config__load_string_set(struct config *cfg, const char *name, const char *text, size_t len,
			    char *const *sets);
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
