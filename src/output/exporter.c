// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter: libmicrohttpd serves /metrics on its own thread;
 * each scrape reads the monitors' kernel metric maps through their .metrics
 * hooks, plus the tool's health and the standard process metrics.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config/config.h"
#include "output/exporter.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/session.h"

/* Prometheus scrapes one at a time; a few more for people and their curl. */
#define EXPORTER_CONNECTIONS	16
/* Seconds an idle or stuck connection is kept. */
#define EXPORTER_TIMEOUT	10

#define CONTENT_TYPE_METRICS	"text/plain; version=0.0.4; charset=utf-8"

static const char index_html[] =
	"<html>\n<head><title>ebpfmon-bcc exporter</title></head>\n<body>\n"
	"<h1>ebpfmon-bcc exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body>\n</html>\n";

struct exporter {
	int fd;				/* the listening socket */
	char address[INET6_ADDRSTRLEN + 16];
	struct MHD_Daemon *daemon;
	struct session *s;
	double start_time;		/* process_start_time_seconds */
	double last_scrape;		/* seconds the previous scrape took */
	uint64_t warned;		/* monitors (by id) whose .metrics failed once */
};

/*
 * /proc/self/stat from field 3 on (past the comm, which may hold spaces and
 * parentheses); "" when it cannot be read.
 */
static const char *self_stat(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;
	char *p;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] ? p + 2 : "";
}

/* Seconds since the epoch this process started: boot time plus its start tick. */
static double process_start_time(void)
{
	unsigned long long btime = 0, start = 0;
	char line[256], stat[1024];
	FILE *f;

	f = fopen("/proc/stat", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	/* Field 22 (starttime). */
	if (sscanf(self_stat(stat, sizeof(stat)),
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &start) != 1)
		start = 0;
	return btime + (double)start / sysconf(_SC_CLK_TCK);
}

static void process_metrics(struct exporter *e, struct metrics *m)
{
	unsigned long long utime = 0, stime = 0, vsize = 0, rss = 0;
	char stat[1024];
	struct rlimit rl;
	struct dirent *de;
	double fds = 0;
	DIR *d;

	/* Fields 14, 15 (utime, stime), 23 (vsize), 24 (rss, pages). */
	sscanf(self_stat(stat, sizeof(stat)),
	       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u "
	       "%llu %llu", &utime, &stime, &vsize, &rss);
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d)))
		fds += de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d);
	if (d)
		closedir(d);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_cur = 0;

	metrics__family(m, "process_cpu_seconds_total", METRIC_COUNTER,
			"Total user and system CPU time spent in seconds.");
	metrics__sample(m, "process_cpu_seconds_total", NULL,
			(double)(utime + stime) / sysconf(_SC_CLK_TCK));
	metrics__family(m, "process_open_fds", METRIC_GAUGE, "Number of open file descriptors.");
	metrics__sample(m, "process_open_fds", NULL, fds);
	metrics__family(m, "process_max_fds", METRIC_GAUGE,
			"Maximum number of open file descriptors.");
	metrics__sample(m, "process_max_fds", NULL,
			rl.rlim_cur == RLIM_INFINITY ? 1.0 / 0.0 : (double)rl.rlim_cur);
	metrics__family(m, "process_virtual_memory_bytes", METRIC_GAUGE,
			"Virtual memory size in bytes.");
	metrics__sample(m, "process_virtual_memory_bytes", NULL, vsize);
	metrics__family(m, "process_resident_memory_bytes", METRIC_GAUGE,
			"Resident memory size in bytes.");
	metrics__sample(m, "process_resident_memory_bytes", NULL,
			(double)rss * sysconf(_SC_PAGESIZE));
	metrics__family(m, "process_start_time_seconds", METRIC_GAUGE,
			"Start time of the process since unix epoch in seconds.");
	metrics__sample(m, "process_start_time_seconds", NULL, e->start_time);
}

/* Per enabled monitor: whether it runs, and its counters. */
static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
} health[] = {
	{ "ebpfmon_monitor_up", METRIC_GAUGE,
	  "1 when the monitor is attached, 0 when it could not be (--check says why)." },
	{ "ebpfmon_events_total", METRIC_COUNTER,
	  "Records the monitor wrote (events and summaries)." },
	{ "ebpfmon_lost_events_total", METRIC_COUNTER,
	  "Events the kernel dropped because the perf or ring buffer was full." },
};

/* The tool's own health; under s->lock. */
static void health_metrics(struct exporter *e, struct metrics *m)
{
	struct session *s = e->s;
	const char *labels[] = { "monitor", NULL, NULL };
	const char *build[] = { "version", PACKAGE_VERSION, "kernel", s->ki.release,
				"transport", session__ringbuf(s) ? "ringbuf" : "perf", NULL };

	metrics__family(m, "ebpfmon_build_info", METRIC_GAUGE,
			"Always 1: the version, the kernel release and the event transport.");
	metrics__sample(m, "ebpfmon_build_info", build, 1);
	for (size_t k = 0; k < sizeof(health) / sizeof(health[0]); k++) {
		metrics__family(m, health[k].name, health[k].type, health[k].help);
		for (size_t i = 0; i < s->n_insts; i++) {
			struct monitor_inst *inst = s->insts[i];
			/* The event loop counts these while we read. */
			double v = k == 0 ? inst->attached :
				   k == 1 ? __atomic_load_n(&inst->events, __ATOMIC_RELAXED) :
					    __atomic_load_n(&inst->lost, __ATOMIC_RELAXED);

			/* A monitor a reload removed: its counters go on, it is not down. */
			if (!inst->enabled && (k == 0 || (!inst->events && !inst->lost)))
				continue;
			labels[1] = inst->mon->name;
			metrics__sample(m, health[k].name, labels, v);
		}
	}
}

/* The attached monitors' own metrics, in the registry's order; under s->lock. */
static void monitor_metrics(struct exporter *e, struct metrics *m)
{
	struct session *s = e->s;

	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];
		uint64_t bit = 1ull << (inst->id % 64);
		int err;

		if (!inst->attached || !inst->ps || !inst->mon->metrics)
			continue;
		err = inst->mon->metrics(inst, inst->ps, m);
		if (err && !(e->warned & bit)) {
			e->warned |= bit;
			pr_warn("%s: cannot read its metrics: %s", inst->mon->name, strerror(-err));
		}
	}
}

static char *scrape(struct exporter *e, size_t *len)
{
	double start = clock_mono_s();
	struct metrics *m;
	char *text;

	m = metrics__new();
	if (!m)
		return NULL;
	pthread_mutex_lock(&e->s->lock);
	health_metrics(e, m);
	monitor_metrics(e, m);
	pthread_mutex_unlock(&e->s->lock);
	metrics__family(m, "ebpfmon_scrape_duration_seconds", METRIC_GAUGE,
			"Seconds the previous scrape of this exporter took.");
	metrics__sample(m, "ebpfmon_scrape_duration_seconds", NULL, e->last_scrape);
	process_metrics(e, m);
	text = metrics__text(m, len);
	metrics__free(m);
	e->last_scrape = clock_mono_s() - start;
	return text;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
			       const char *type, char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	static const char not_found[] = "404 page not found: try /metrics\n";
	static const char not_allowed[] = "405 method not allowed: GET or HEAD\n";
	static const char failed[] = "500 the scrape failed: out of memory\n";
	struct exporter *e = cls;
	char *text;
	size_t len;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			       (char *)not_allowed, sizeof(not_allowed) - 1,
			       MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/"))
		return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)index_html,
			       sizeof(index_html) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			       (char *)not_found, sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	text = scrape(e, &len);
	if (!text)
		return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
			       (char *)failed, sizeof(failed) - 1, MHD_RESPMEM_PERSISTENT);
	return respond(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, text, len, MHD_RESPMEM_MUST_FREE);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	pr_warn("metrics: %s", msg);
}

/* "HOST:PORT" of the bound socket, so port 0 shows the port it got. */
static void address_format(struct exporter *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(e->fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(e->address, sizeof(e->address), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(e->address, sizeof(e->address), "%s:%u", host, port);
	}
}

struct exporter *exporter__bind(const char *listen_text)
{
	struct sockaddr_storage addr;
	struct exporter *e = NULL;
	const char *why;
	socklen_t len;
	int one = 1, err = 0;

	if (metrics_listen_parse(listen_text, &addr, &len, &why)) {
		pr_err("metrics: %s, got '%s'", why, listen_text);
		err = -EINVAL;
		goto fail;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		err = -ENOMEM;
		goto fail;
	}
	e->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (e->fd < 0 ||
	    /* A restart binds again while the last run's connections sit in TIME_WAIT. */
	    setsockopt(e->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(e->fd, (struct sockaddr *)&addr, len) || listen(e->fd, 64)) {
		err = -errno;
		pr_err("metrics: cannot listen on %s: %s", listen_text, strerror(errno));
		goto fail;
	}
	address_format(e);
	e->start_time = process_start_time();
	return e;
fail:
	if (e && e->fd >= 0)
		close(e->fd);
	free(e);
	errno = -err;
	return NULL;
}

const char *exporter__address(const struct exporter *e)
{
	return e->address;
}

int exporter__start(struct exporter *e, struct session *s)
{
	sigset_t all, old;

	e->s = s;
	/* Signals are the event loop's: the server's thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* poll, not select: the listening socket may be past FD_SETSIZE among BPF fds. */
	e->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				     MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, e,
				     /* First, or MHD logs on its own about the rest. */
				     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
				     MHD_OPTION_LISTEN_SOCKET, e->fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)EXPORTER_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EXPORTER_TIMEOUT,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!e->daemon) {
		pr_err("metrics: cannot start the HTTP server on %s", e->address);
		return -EIO;
	}
	pr_debug("metrics: serving http://%s/metrics", e->address);
	return 0;
}

void exporter__free(struct exporter *e)
{
	if (!e)
		return;
	/*
	 * Stopping joins the server's thread (no scrape runs past this) and
	 * closes the listening socket it was given.
	 */
	if (e->daemon)
		MHD_stop_daemon(e->daemon);
	else
		close(e->fd);
	free(e);
}
