// SPDX-License-Identifier: GPL-2.0
/*
 * The application's own sections of the configuration file (app, logging,
 * daemon, output, metrics, control, kernel, filters), read with the getters into a
 * struct config. monitors.* is left to the monitors.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/config.h"
#include "util/log.h"

void config__init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->duration = 0;
	cfg->stats_interval = 0;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->log_target = LOG_TARGET_AUTO;
	cfg->pid_file = strdup(DAEMON_PID_FILE);
	cfg->stop_timeout = 10;
	cfg->format = OUTPUT_AUTO;
	cfg->output_file = NULL;
	cfg->output_dir = strdup("output");	/* NULL only when out of memory */
	cfg->include_header = true;
	cfg->csv_delimiter = ',';
	cfg->buffer_size = 256;
	cfg->flush_interval = 1;
	cfg->transport = TRANSPORT_AUTO;
	cfg->perf_pages = 64;
	cfg->ringbuf_pages = 128;
	cfg->wakeup_events = 1;
	cfg->headers = strdup("auto");	/* NULL (with pid_file) only when out of memory */
	cfg->btf = true;
	cfg->config_dir = strdup(CONFIG_DIR);
}

static void sinks_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		free(cfg->sinks[i].file);
		free(cfg->sinks[i].dir);
	}
	free(cfg->sinks);
	cfg->sinks = NULL;
	cfg->n_sinks = 0;
}

void config__free(struct config *cfg)
{
	if (cfg->programs)
		free(cfg->programs->kids);
	free(cfg->programs);
	for (size_t i = 0; i < cfg->n_dropins; i++)
		cfg_doc__free(cfg->dropins[i]);
	free(cfg->dropins);
	free(cfg->config_dir);
	cfg_doc__free(cfg->doc);
	free(cfg->output_file);
	free(cfg->output_dir);
	sinks_free(cfg);
	free(cfg->log_file);
	free(cfg->pid_file);
	free(cfg->headers);
	free(cfg->metrics_listen);
	free(cfg->control_socket);
	strv_free(cfg->comms);
	strv_free(cfg->users);
	strv_free(cfg->pids);
	strv_free(cfg->tgids);
	strv_free(cfg->cgroups);
	/* Harmless to free twice, and nothing dangles into the freed tree. */
	memset(cfg, 0, sizeof(*cfg));
}

/* Keep the first error, except that running out of memory trumps it. */
static void merge_err(int *err, int ret)
{
	if (ret && (!*err || ret == -ENOMEM))
		*err = ret;
}

static int load_app(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "app", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_double(sec, "duration", 0, 31536000, &cfg->duration));
	merge_err(&err, cfg_get_double(sec, "stats_interval", 0, 86400,
				       &cfg->stats_interval));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

/* A string key that, when given, must not be empty (a path). */
static int get_path(struct cfg_node *map, const char *key, const char *what, char **out)
{
	int err = cfg_get_string(map, key, out);

	if (!err && *out && !**out) {
		cfg_node__error(cfg_node__get(map, key), "expected %s, got \"\"", what);
		err = -EINVAL;
	}
	return err;
}

static int load_logging(struct config *cfg, struct cfg_node *root)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	static const char *const targets[] = {
		[LOG_TARGET_AUTO] = "auto",
		[LOG_TARGET_STDERR] = "stderr",
		[LOG_TARGET_SYSLOG] = "syslog",
		[LOG_TARGET_FILE] = "file",
		NULL,
	};
	struct cfg_node *sec;
	enum log_level level;
	int err, ret, idx = -1;

	err = cfg_get_map(root, "logging", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_enum(sec, "level", levels, &idx));
	if (idx >= 0 && !log_level_parse(levels[idx], &level))
		cfg->log_level = (int)level;
	ret = cfg_get_enum(sec, "target", targets, &cfg->log_target);
	merge_err(&err, ret);
	merge_err(&err, get_path(sec, "file", "a file name", &cfg->log_file));
	if (!ret && cfg->log_target == LOG_TARGET_FILE && !cfg->log_file) {
		cfg_node__error(cfg_node__get(sec, "target"), "\"file\" needs logging.file");
		merge_err(&err, -EINVAL);
	} else if (!ret && cfg->log_target != LOG_TARGET_FILE && cfg->log_file) {
		cfg_node__error(cfg_node__get(sec, "file"),
				"only used with logging.target: file");
		merge_err(&err, -EINVAL);
	}
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

static int load_daemon(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "daemon", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, get_path(sec, "pid_file", "a file name", &cfg->pid_file));
	merge_err(&err, cfg_get_double(sec, "stop_timeout", 0.1, 3600, &cfg->stop_timeout));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

static const char *const output_formats[] = {
	[OUTPUT_JSON] = "json",
	[OUTPUT_CSV] = "csv",
	[OUTPUT_TABLE] = "table",
	[OUTPUT_NONE] = "none",
	NULL,
};

static const char *const on_errors[] = {
	[ON_ERROR_EXIT] = "exit",
	[ON_ERROR_DROP] = "drop",
	NULL,
};

/*
 * Standard output by name: "-", or /dev/stdout (a symbolic link, which an
 * output file never follows: the name means fd 1, so it is fd 1).
 */
static bool file_is_stdout(const char *file)
{
	return !strcmp(file, "-") || !strcmp(file, "/dev/stdout");
}

/* output.file or a sink's file: stdout is NULL. */
static int get_file(struct cfg_node *map, const char *key, char **out)
{
	int err = cfg_get_string(map, key, out);

	if (!err && *out && file_is_stdout(*out)) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* A directory for csv files: no ".." component, so nothing lands outside it. */
static int get_dir(struct cfg_node *map, const char *key, char **out)
{
	struct cfg_node *node = cfg_node__get(map, key);
	char buf[CFG_SHOW_SIZE];
	int err;

	err = cfg_get_string(map, key, out);
	if (err || !node || node->kind != CFG_SCALAR || node->null)
		return err;
	if (!**out || !output_dir_safe(*out)) {
		cfg_node__error(node, "expected a directory without a \"..\" component, got \"%s\"",
				cfg_value_show(node->value, buf, sizeof(buf)));
		return -EINVAL;
	}
	return 0;
}

bool output_dir_safe(const char *dir)
{
	const char *p = dir;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += *p == '/';
	}
	return true;
}

/* One byte that cannot be confused with quoting or a line end (or start UTF-8). */
static int get_delimiter(struct cfg_node *map, const char *key, char *out)
{
	struct cfg_node *node;
	char buf[CFG_SHOW_SIZE];
	const char *v;
	int err;

	err = cfg_get_scalar(map, key, &node);
	if (err || !node)
		return err;
	v = node->value;
	if (strlen(v) != 1 || *v == '"' || *v == '\r' || *v == '\n' || (unsigned char)*v >= 0x80) {
		cfg_node__error(node, "expected one ASCII character other than '\"', CR or LF, got \"%s\"",
				cfg_value_show(v, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = *v;
	return 0;
}

/* Keys that only one format takes, refused on a sink of another format. */
static int sink_key_check(struct cfg_node *item, int format)
{
	static const char *const csv_only[] = { "dir", "include_header", "csv_delimiter", NULL };
	int err = 0;

	for (size_t i = 0; csv_only[i]; i++) {
		struct cfg_node *node = cfg_node__get(item, csv_only[i]);

		if (node && format != OUTPUT_CSV) {
			cfg_node__key_error(node, "only a csv sink takes this key");
			err = -EINVAL;
		}
	}
	if (cfg_node__get(item, "file") && format == OUTPUT_CSV) {
		cfg_node__key_error(cfg_node__get(item, "file"),
				    "a csv sink writes files in its dir, it takes no file");
		err = -EINVAL;
	}
	return err;
}

/* Two sinks writing to one place would interleave: the second is an error. */
static int sink_clash_check(const struct config *cfg, const struct sink_config *sc,
			    struct cfg_node *item)
{
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		const struct sink_config *o = &cfg->sinks[i];
		struct cfg_node *where;

		if ((sc->format == OUTPUT_CSV) != (o->format == OUTPUT_CSV))
			continue;
		if (sc->format == OUTPUT_CSV ? strcmp(sc->dir, o->dir) :
		    (sc->file || o->file) && (!sc->file || !o->file || strcmp(sc->file, o->file)))
			continue;
		where = cfg_node__get(item, sc->format == OUTPUT_CSV ? "dir" : "file");
		cfg_node__error(where ? where : item, "sink %zu writes to the same %s as sink %zu",
				cfg->n_sinks + 1,
				sc->format == OUTPUT_CSV ? "directory" : sc->file ? "file" : "stdout",
				i + 1);
		return -EINVAL;
	}
	return 0;
}

static int load_sink(struct config *cfg, struct cfg_node *item, struct sink_config *sc)
{
	int err = 0;

	*sc = (struct sink_config){
		.format = OUTPUT_AUTO,
		.include_header = cfg->include_header,
		.csv_delimiter = cfg->csv_delimiter,
		.buffer_size = cfg->buffer_size,
		.flush_interval = cfg->flush_interval,
		.on_error = cfg->on_error,
	};
	sc->dir = strdup(cfg->output_dir);
	if (!sc->dir)
		return -ENOMEM;
	if (item->kind != CFG_MAP) {
		cfg_node__error(item, "expected a mapping such as { format: json, file: FILE }");
		return -EINVAL;
	}
	merge_err(&err, cfg_get_enum(item, "format", output_formats, &sc->format));
	if (!err && sc->format == OUTPUT_NONE) {
		cfg_node__error(cfg_node__get(item, "format"),
				"none is only for output.format (no sinks at all)");
		err = -EINVAL;
	}
	if (err)
		return err;
	merge_err(&err, sink_key_check(item, sc->format));
	merge_err(&err, get_file(item, "file", &sc->file));
	merge_err(&err, get_dir(item, "dir", &sc->dir));
	merge_err(&err, cfg_get_bool(item, "include_header", &sc->include_header));
	merge_err(&err, get_delimiter(item, "csv_delimiter", &sc->csv_delimiter));
	merge_err(&err, cfg_get_int(item, "buffer_size", 1, 65536, &sc->buffer_size));
	merge_err(&err, cfg_get_double(item, "flush_interval", 0.01, 3600, &sc->flush_interval));
	merge_err(&err, cfg_get_enum(item, "on_error", on_errors, &sc->on_error));
	merge_err(&err, cfg_node__check_unused(item));
	if (!err)
		err = sink_clash_check(cfg, sc, item);
	return err;
}

/* output.sinks: after the output keys, whose values are the sinks' defaults. */
static int load_sinks(struct config *cfg, struct cfg_node *sec)
{
	struct cfg_node *seq = cfg_node__get(sec, "sinks");
	int err = 0;

	if (!seq || (seq->kind == CFG_SCALAR && seq->null))
		return 0;
	if (seq->kind != CFG_SEQ || !seq->n_kids) {
		cfg_node__error(seq, "expected a list of sinks such as [{ format: json }]");
		return -EINVAL;
	}
	cfg->sinks = calloc(seq->n_kids, sizeof(*cfg->sinks));
	if (!cfg->sinks)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n_kids; i++) {
		struct sink_config *sc = &cfg->sinks[cfg->n_sinks];
		int ret = load_sink(cfg, seq->kids[i], sc);

		cfg->n_sinks++;
		merge_err(&err, ret);
		/* The event loop flushes as often as the most eager sink wants. */
		if (!ret && sc->flush_interval < cfg->flush_interval)
			cfg->flush_interval = sc->flush_interval;
	}
	return err;
}

static int load_output(struct config *cfg, struct cfg_node *root)
{
	static const char *const transports[] = {
		[TRANSPORT_AUTO] = "auto",
		[TRANSPORT_PERF] = "perf",
		[TRANSPORT_RINGBUF] = "ringbuf",
		NULL,
	};
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "output", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_enum(sec, "format", output_formats, &cfg->format));
	merge_err(&err, get_file(sec, "file", &cfg->output_file));
	merge_err(&err, get_dir(sec, "dir", &cfg->output_dir));
	merge_err(&err, cfg_get_bool(sec, "include_header", &cfg->include_header));
	merge_err(&err, get_delimiter(sec, "csv_delimiter", &cfg->csv_delimiter));
	merge_err(&err, cfg_get_int(sec, "buffer_size", 1, 65536, &cfg->buffer_size));
	merge_err(&err, cfg_get_double(sec, "flush_interval", 0.01, 3600,
				       &cfg->flush_interval));
	merge_err(&err, cfg_get_enum(sec, "on_error", on_errors, &cfg->on_error));
	merge_err(&err, cfg_get_enum(sec, "transport", transports, &cfg->transport));
	merge_err(&err, cfg_get_pow2(sec, "perf_pages", 4096, &cfg->perf_pages));
	merge_err(&err, cfg_get_pow2(sec, "ringbuf_pages", 65536, &cfg->ringbuf_pages));
	merge_err(&err, cfg_get_int(sec, "wakeup_events", 1, 10000, &cfg->wakeup_events));
	merge_err(&err, cfg_get_double(sec, "reorder_window", 0, 10, &cfg->reorder_window));
	if (!err)
		err = load_sinks(cfg, sec);
	if (!err && cfg->format == OUTPUT_NONE && cfg->n_sinks) {
		cfg_node__error(cfg_node__get(sec, "format"),
				"none writes no output, yet output.sinks names some");
		err = -EINVAL;
	}
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

int config__set_output(struct config *cfg, const char *format, const char *output)
{
	int fmt = cfg->format;
	char *copy = NULL;

	if (!format && !output)
		return 0;
	if (format) {
		for (fmt = 0; output_formats[fmt] && strcmp(output_formats[fmt], format); fmt++)
			;
		if (!output_formats[fmt]) {
			pr_err("--format: expected json, csv, table or none, got '%s'", format);
			return -EINVAL;
		}
	}
	if (output && fmt == OUTPUT_NONE) {
		pr_err("--output: none writes no output, got '%s'", output);
		return -EINVAL;
	}
	if (output && fmt == OUTPUT_CSV && !output_dir_safe(output)) {
		pr_err("--output: expected a directory without a \"..\" component, got '%s'", output);
		return -EINVAL;
	}
	if (output && (fmt == OUTPUT_CSV ? strcmp(output, "-") : !file_is_stdout(output)) &&
	    !(copy = strdup(output)))
		return -ENOMEM;
	cfg->format = fmt;
	if (output && fmt == OUTPUT_CSV) {
		free(cfg->output_dir);
		cfg->output_dir = copy ? copy : strdup(".");
	} else if (output) {
		free(cfg->output_file);
		cfg->output_file = copy;
	}
	sinks_free(cfg);
	return 0;
}

size_t config__sinks(const struct config *cfg, struct sink_config *one,
		     const struct sink_config **sinks)
{
	if (cfg->n_sinks) {
		*sinks = cfg->sinks;
		return cfg->n_sinks;
	}
	*one = (struct sink_config){
		.format = cfg->format,
		.file = cfg->output_file,
		.dir = cfg->output_dir,
		.include_header = cfg->include_header,
		.csv_delimiter = cfg->csv_delimiter,
		.buffer_size = cfg->buffer_size,
		.flush_interval = cfg->flush_interval,
		.on_error = cfg->on_error,
	};
	*sinks = one;
	return 1;
}

int metrics_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			 const char **why)
{
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	const char *colon = strrchr(text, ':'), *port_text;
	char host[INET6_ADDRSTRLEN + 2];
	size_t host_len;
	char *end;
	long port;

	memset(addr, 0, sizeof(*addr));
	*why = "expected HOST:PORT such as 127.0.0.1:9435 or [::1]:9435";
	if (!colon || (text[0] == '[' && colon[-1] != ']'))
		return -EINVAL;
	host_len = colon - text;
	port_text = colon + 1;
	if (host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, host_len);
	host[host_len] = 0;
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!isdigit((unsigned char)*port_text) || *end || errno || port > 65535) {
		*why = "expected a port from 0 to 65535 after the last ':'";
		return -EINVAL;
	}
	*why = "expected an IPv4 address, [IPv6 address] or localhost before the port";
	if (host[0] == '[') {
		host[host_len - 1] = 0;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	*len = sizeof(*in);
	if (!host[0]) {
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (!strcmp(host, "localhost")) {
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

/* control.socket: a path, or "" for no control socket at all. */
static int load_control(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec;
	int err;

	err = cfg_get_map(root, "control", &sec);
	if (err || !sec)
		return err;
	merge_err(&err, cfg_get_string(sec, "socket", &cfg->control_socket));
	/* struct sockaddr_un's sun_path: 108 bytes with the NUL. */
	if (cfg->control_socket && strlen(cfg->control_socket) > 107) {
		cfg_node__error(cfg_node__get(sec, "socket"), "a socket path is at most 107 bytes");
		merge_err(&err, -EINVAL);
	}
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

static int load_metrics(struct config *cfg, struct cfg_node *root)
{
	struct sockaddr_storage addr;
	struct cfg_node *sec;
	char buf[CFG_SHOW_SIZE];
	const char *why;
	socklen_t len;
	int err, ret;

	err = cfg_get_map(root, "metrics", &sec);
	if (err || !sec)
		return err;
	ret = cfg_get_string(sec, "listen", &cfg->metrics_listen);
	merge_err(&err, ret);
	if (!ret && cfg->metrics_listen &&
	    metrics_listen_parse(cfg->metrics_listen, &addr, &len, &why)) {
		cfg_node__error(cfg_node__get(sec, "listen"), "%s, got \"%s\"", why,
				cfg_value_show(cfg->metrics_listen, buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}
	merge_err(&err, cfg_get_int(sec, "comm_labels", 0, 1000, &cfg->metrics_comm_labels));
	merge_err(&err, cfg_get_int(sec, "cgroup_labels", 0, 1000, &cfg->metrics_cgroup_labels));
	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

int config__check_metrics(struct config *cfg, bool format_flag)
{
	struct cfg_node *node;

	if (cfg->format != OUTPUT_NONE || cfg->metrics_listen)
		return 0;
	node = format_flag || !cfg->doc ? NULL :
	       cfg_node__get(cfg_node__get(cfg->doc->root, "output"), "format");
	if (node)
		cfg_node__error(node, "none writes nothing without metrics.listen "
				"(or --metrics-listen)");
	else
		pr_err("-f none: nothing would come out without metrics.listen or "
		       "--metrics-listen");
	return -EINVAL;
}

static int load_kernel(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec, *node;
	char buf[CFG_SHOW_SIZE];
	int err, ret;

	err = cfg_get_map(root, "kernel", &sec);
	if (err || !sec)
		return err;

	ret = cfg_get_string(sec, "headers", &cfg->headers);
	merge_err(&err, ret);
	if (!ret && cfg->headers && !*cfg->headers) {
		node = cfg_node__get(sec, "headers");
		cfg_node__error(node, "expected \"auto\" or a directory, got \"\"");
		merge_err(&err, -EINVAL);
	}

	ret = cfg_get_scalar(sec, "btf", &node);
	merge_err(&err, ret);
	if (!ret && node) {
		bool on;

		if (!cfg_node__parse_bool(node, &on)) {
			cfg->btf = on;
		} else if (!strcmp(node->value, "auto")) {
			cfg->btf = true;
		} else if (!strcmp(node->value, "off")) {
			cfg->btf = false;
		} else {
			cfg_node__error(node, "expected one of: auto, off; got \"%s\"",
					cfg_value_show(node->value, buf, sizeof(buf)));
			merge_err(&err, -EINVAL);
		}
	}

	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}

/* The node that item i of a strv came from: a list item, or the one scalar. */
static struct cfg_node *strv_item_node(struct cfg_node *node, size_t i)
{
	return node->kind == CFG_SEQ && i < node->n_kids ? node->kids[i] : node;
}

/* filters.KEY: a list of WHAT, each a positive int. */
static int load_ids(struct cfg_node *sec, const char *key, const char *what, char ***out)
{
	struct cfg_node *node;
	char buf[CFG_SHOW_SIZE];
	int err, ret;

	err = ret = cfg_get_strv(sec, key, out);
	node = cfg_node__get(sec, key);
	for (size_t i = 0; !ret && node && *out && (*out)[i]; i++) {
		const char *s = (*out)[i];
		unsigned long long id = 0;
		bool good = *s && *s != '0';

		for (const char *p = s; good && *p; p++) {
			good = isdigit((unsigned char)*p);
			id = id * 10 + (unsigned long long)(*p - '0');
			good = good && id <= INT_MAX;
		}
		if (good)
			continue;
		cfg_node__error(strv_item_node(node, i),
				"expected %s (a positive integer), got \"%s\"", what,
				cfg_value_show(s, buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}
	return err;
}

static int load_filters(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *sec, *node;
	char buf[CFG_SHOW_SIZE];
	int err, ret;

	err = cfg_get_map(root, "filters", &sec);
	if (err || !sec)
		return err;

	ret = cfg_get_strv(sec, "comm", &cfg->comms);
	merge_err(&err, ret);
	node = cfg_node__get(sec, "comm");
	for (size_t i = 0; !ret && node && cfg->comms && cfg->comms[i]; i++) {
		if (strlen(cfg->comms[i]) <= 15)
			continue;
		cfg_node__error(strv_item_node(node, i),
				"process names are at most 15 characters (the kernel's comm), "
				"got \"%s\"",
				cfg_value_show(cfg->comms[i], buf, sizeof(buf)));
		merge_err(&err, -EINVAL);
	}

	merge_err(&err, cfg_get_strv(sec, "user", &cfg->users));

	merge_err(&err, load_ids(sec, "pid", "a thread or process id", &cfg->pids));
	merge_err(&err, load_ids(sec, "tgid", "a process id", &cfg->tgids));

	/* A list only: a path may hold a comma. Whether each exists: filters_resolve. */
	node = cfg_node__get(sec, "cgroup");
	if (node && node->kind != CFG_SEQ && !(node->kind == CFG_SCALAR && node->null)) {
		node->used = true;
		cfg_node__error(node, "expected a list of cgroup v2 paths ([/a/b, ...])");
		merge_err(&err, -EINVAL);
	} else {
		merge_err(&err, cfg_get_strv(sec, "cgroup", &cfg->cgroups));
	}
	if (strv_len(cfg->cgroups) > CONFIG_CGROUP_FILTER_MAX) {
		cfg_node__error(node, "at most %d cgroups, got %zu", CONFIG_CGROUP_FILTER_MAX,
				strv_len(cfg->cgroups));
		merge_err(&err, -EINVAL);
	}

	merge_err(&err, cfg_node__check_unused(sec));
	return err;
}


struct cfg_node *config__section(const struct config *cfg, const char *name)
{
	return !strcmp(name, "programs") ? cfg->programs : NULL;
}

/* SEQ's items appended to cfg->programs (made on first use). */
static int programs_add(struct config *cfg, struct cfg_node *seq)
{
	struct cfg_node **grown;

	if (!cfg->programs) {
		cfg->programs = calloc(1, sizeof(*cfg->programs));
		if (!cfg->programs)
			return -ENOMEM;
		*cfg->programs = (struct cfg_node){ .kind = CFG_SEQ, .file = seq->file,
						    .path = seq->path, .key = seq->key,
						    .line = seq->line, .col = seq->col,
						    .key_line = seq->key_line,
						    .key_col = seq->key_col, .used = true };
	}
	if (!seq->n_kids)
		return 0;
	grown = realloc(cfg->programs->kids,
			(cfg->programs->n_kids + seq->n_kids) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memcpy(grown + cfg->programs->n_kids, seq->kids, seq->n_kids * sizeof(*grown));
	cfg->programs->kids = grown;
	cfg->programs->n_kids += seq->n_kids;
	return 0;
}

/* programs: a sequence of mappings, each a monitor's to read. */
static int load_programs(struct config *cfg, struct cfg_node *root)
{
	struct cfg_node *seq = cfg_node__get(root, "programs");

	if (!seq || seq->null)
		return 0;
	if (seq->kind != CFG_SEQ) {
		cfg_node__error(seq, "expected a list of programs");
		return -EINVAL;
	}
	return programs_add(cfg, seq);
}

static int yaml_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".yaml");
}

/*
 * The drop-ins: config_dir/ *.yaml in name order, each trusted as the main
 * file is (util/trust.h: cfg_doc__load refuses one others can write), each
 * holding only programs: more items for the list. A missing directory is
 * no drop-ins.
 */
static int load_dropins(struct config *cfg)
{
	struct dirent **names = NULL;
	int n, err = 0;

	if (!cfg->config_dir || !*cfg->config_dir)
		return 0;
	n = scandir(cfg->config_dir, &names, yaml_name, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		pr_err("config: cannot read the drop-in directory %s: %s", cfg->config_dir,
		       strerror(errno));
		return err;
	}
	cfg->dropins = calloc(n ? n : 1, sizeof(*cfg->dropins));
	if (!cfg->dropins)
		err = -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		struct cfg_doc *doc;
		char *path;

		if (asprintf(&path, "%s/%s", cfg->config_dir, names[i]->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		doc = cfg_doc__load(path);
		free(path);
		if (!doc) {
			err = errno == ENOMEM ? -ENOMEM : -EINVAL;
			break;
		}
		cfg->dropins[cfg->n_dropins++] = doc;
		merge_err(&err, load_programs(cfg, doc->root));
		for (size_t j = 0; j < doc->root->n_kids; j++) {
			if (doc->root->kids[j]->used)
				continue;
			cfg_node__key_error(doc->root->kids[j],
					    "unknown key in a drop-in (only programs:)");
			merge_err(&err, -EINVAL);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

/* The sections of the loaded cfg->doc: 0 or the first -errno, reported. */
static int config_parse(struct config *cfg)
{
	struct cfg_node *root = cfg->doc->root;
	int err = 0;

	merge_err(&err, load_app(cfg, root));
	merge_err(&err, load_logging(cfg, root));
	merge_err(&err, load_daemon(cfg, root));
	merge_err(&err, load_output(cfg, root));
	merge_err(&err, load_metrics(cfg, root));
	merge_err(&err, load_control(cfg, root));
	merge_err(&err, load_kernel(cfg, root));
	merge_err(&err, load_filters(cfg, root));
	merge_err(&err, cfg_get_map(root, "monitors", &cfg->monitors));
	merge_err(&err, cfg_get_string(root, "config_dir", &cfg->config_dir));
	merge_err(&err, load_programs(cfg, root));
	merge_err(&err, cfg_node__check_unused(root));
	if (!err)
		err = load_dropins(cfg);
	return err;
}

/*
 * The defaults, TEXT (or else FILE, or else no file) as the document and
 * SETS over it: 0 or -errno, reported.
 */
static int config_load(struct config *cfg, const char *file, const char *text, size_t len,
		       char *const *sets)
{
	int err = 0;

	config__init_defaults(cfg);
	if (!cfg->headers || !cfg->pid_file) {
		pr_err("config: out of memory");
		return -ENOMEM;
	}
	cfg->doc = text ? cfg_doc__parse_string(file, text, len) :
		   file ? cfg_doc__load(file) : cfg_doc__new();
	if (!cfg->doc) {
		if (!text && !file)
			pr_err("config: out of memory");
		return -errno;
	}
	for (size_t i = 0; !err && sets && sets[i]; i++)
		err = cfg_doc__set(cfg->doc, sets[i]);
	return err ? err : config_parse(cfg);
}

int config__load(struct config *cfg, const char *file)
{
	return config_load(cfg, file, NULL, 0, NULL);
}

int config__load_set(struct config *cfg, const char *file, char *const *sets)
{
	return config_load(cfg, file, NULL, 0, sets);
}

int config__load_string(struct config *cfg, const char *name, const char *text, size_t len)
{
	return config_load(cfg, name, text ? text : "", len, NULL);
}

int config__load_string_set(struct config *cfg, const char *name, const char *text, size_t len,
			    char *const *sets)
{
	return config_load(cfg, name, text ? text : "", len, sets);
}
