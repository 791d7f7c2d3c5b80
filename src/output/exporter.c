// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter: libmicrohttpd, driven through its epoll fd by a
 * thread of ours, serves /metrics; each scrape reads the monitors' kernel
 * metric maps through their .metrics hooks, plus the tool's health and the
 * standard process metrics.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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

/*
 * Connections. libmicrohttpd's inactivity timeout never fires for a client
 * that sends one header line every few seconds, so a handful of such clients
 * held every slot and no scrape got through. Each connection is watched from
 * its accept: it is shut down when no full request came within
 * EXPORTER_HEADER_DEADLINE (kept alive after a response: when the next one
 * is not in once libmicrohttpd's idle timeout is past), when its response is
 * still going after EXPORTER_REQUEST_DEADLINE (a client reading it byte by byte),
 * and, once the connections near the limit, the one waiting longest for a
 * request goes for each newcomer. A scraper sends its request at once, so it
 * is never the one waiting longest. No per-address limit: it would refuse a
 * scraper on the same host as the misbehaving client.
 */
#define EXPORTER_CONNECTIONS	256	/* at most; fewer when RLIMIT_NOFILE is low */
#define EXPORTER_HEADER_DEADLINE	5	/* seconds from accept to a full request */
#define EXPORTER_REQUEST_DEADLINE	30	/* seconds from accept to the response sent */
/* Seconds an idle connection is kept (libmicrohttpd's own timeout). */
#define EXPORTER_TIMEOUT	10
/* Lines about misbehaving clients: at most BURST a WINDOW, then one line for the rest. */
#define EXPORTER_LOG_BURST	10
#define EXPORTER_LOG_WINDOW	60.0	/* seconds */

#define CONTENT_TYPE_METRICS	"text/plain; version=0.0.4; charset=utf-8"

static const char index_html[] =
	"<html>\n<head><title>ebpfmon-bcc exporter</title></head>\n<body>\n"
	"<h1>ebpfmon-bcc exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body>\n</html>\n";

/* A client connection, from its accept to its close. */
struct conn {
	struct conn *prev, *next;
	int fd;
	char peer[INET6_ADDRSTRLEN + 16];
	double since;			/* accepted, or its last response sent */
	bool busy;			/* a request is being answered */
	bool kept;			/* kept alive after a response */
	bool shed;			/* shut down by us: closing */
};

struct ratelimit {
	double start;			/* of the current window */
	unsigned n;			/* lines in it */
	unsigned long suppressed;	/* lines held back in it */
};

struct exporter {
	int fd;				/* the listening socket */
	char address[INET6_ADDRSTRLEN + 16];
	struct MHD_Daemon *daemon;
	struct session *s;
	double start_time;		/* process_start_time_seconds */
	double last_scrape;		/* seconds the previous scrape took */
	uint64_t warned;		/* monitors (by id) whose .metrics failed once */
	pthread_t thread;		/* runs the server; only it touches what follows */
	int stop_fd;			/* eventfd: the thread's stop */
	bool running;
	unsigned limit, shed_at;	/* connections at most; shed from shed_at on */
	struct conn *conns;		/* in accept order */
	unsigned n_conns;		/* not shed */
	struct ratelimit log;
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

/* This process's open file descriptors. */
static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d);
	if (d)
		closedir(d);
	return n;
}

static void process_metrics(struct exporter *e, struct metrics *m)
{
	unsigned long long utime = 0, stime = 0, vsize = 0, rss = 0;
	double fds = open_fds();
	char stat[1024];
	struct rlimit rl;

	/* Fields 14, 15 (utime, stime), 23 (vsize), 24 (rss, pages). */
	sscanf(self_stat(stat, sizeof(stat)),
	       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u "
	       "%llu %llu", &utime, &stime, &vsize, &rss);
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
};

/* What a monitor lost, by the reason its lost records give. */
static void lost_metrics(struct session *s, struct metrics *m)
{
	const char *labels[] = { "monitor", NULL, "reason", NULL, NULL };

	metrics__family(m, "ebpfmon_lost_events_total", METRIC_COUNTER,
			"Events or counts lost: reason buffer (the perf or ring buffer was full), "
			"table_full (a summary table had no row; counted in its (other) rows), "
			"write (a record an output could not write), recursion (runs of its "
			"programs the kernel skipped: another BPF program ran on that CPU).");
	for (size_t i = 0; i < s->n_insts; i++) {
		struct monitor_inst *inst = s->insts[i];
		/* The event loop counts these while we read. */
		uint64_t buffer = __atomic_load_n(&inst->lost, __ATOMIC_RELAXED),
			 full = __atomic_load_n(&inst->table_full, __ATOMIC_RELAXED),
			 write = __atomic_load_n(&s->unwritten[inst->id], __ATOMIC_RELAXED),
			 missed = __atomic_load_n(&inst->missed, __ATOMIC_RELAXED);

		if (!inst->enabled && !buffer && !full && !write && !missed)
			continue;
		labels[1] = inst->mon->name;
		labels[3] = "buffer";
		metrics__sample(m, "ebpfmon_lost_events_total", labels, buffer);
		if (inst->summary) {
			labels[3] = "table_full";
			metrics__sample(m, "ebpfmon_lost_events_total", labels, full);
		}
		labels[3] = "write";
		metrics__sample(m, "ebpfmon_lost_events_total", labels, write);
		labels[3] = "recursion";
		metrics__sample(m, "ebpfmon_lost_events_total", labels, missed);
	}
}

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
					    __atomic_load_n(&inst->events, __ATOMIC_RELAXED);

			/* A monitor a reload removed: its counters go on, it is not down. */
			if (!inst->enabled && (k == 0 || !inst->events))
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
	lost_metrics(e->s, m);
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

/* HOST:PORT of SA ("[HOST]:PORT" for IPv6), or "?". */
static void sockaddr_format(char *buf, size_t size, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else {
		snprintf(buf, size, "?");
	}
}

/* At the end of a window: one line for the lines it held back. */
static void ratelimit_flush(struct ratelimit *rl, double now)
{
	if (now - rl->start < EXPORTER_LOG_WINDOW)
		return;
	if (rl->suppressed)
		pr_warn("metrics: %lu more messages about clients suppressed (%d a minute at most)",
			rl->suppressed, EXPORTER_LOG_BURST);
	*rl = (struct ratelimit){ .start = now };
}

/* Whether one more line may go out now; counts those that may not. */
static bool ratelimit_pass(struct ratelimit *rl, double now)
{
	ratelimit_flush(rl, now);
	if (rl->n < EXPORTER_LOG_BURST) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}

/*
 * A line about a client: so many misbehaving clients make no endless log.
 * Only the server's thread calls it once it runs.
 */
static void __attribute__((format(printf, 2, 3))) client_warn(struct exporter *e,
							      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ratelimit_pass(&e->log, clock_mono_s()))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("metrics: %s", msg);
}

static void conn_shed(struct exporter *e, struct conn *c, const char *why)
{
	c->shed = true;
	e->n_conns--;
	/* libmicrohttpd sees the end of the stream and closes it, on this thread. */
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	client_warn(e, "closed the connection from %s: %s", c->peer, why);
}

/* Shed the connections past their deadline; NOW from clock_mono_s(). */
static void conns_check(struct exporter *e, double now)
{
	char why[96];

	for (struct conn *c = e->conns; c; c = c->next) {
		if (c->shed)
			continue;
		if (c->kept && !c->busy && now - c->since > EXPORTER_TIMEOUT + 1) {
			/*
			 * Idle, libmicrohttpd would have closed it: a client
			 * sending the next request's headers bit by bit.
			 */
			snprintf(why, sizeof(why),
				 "no full request within %d s of the last response",
				 EXPORTER_TIMEOUT + 1);
			conn_shed(e, c, why);
		} else if (!c->kept && !c->busy && now - c->since >= EXPORTER_HEADER_DEADLINE) {
			snprintf(why, sizeof(why), "no full request within %d s",
				 EXPORTER_HEADER_DEADLINE);
			conn_shed(e, c, why);
		} else if (c->busy && now - c->since >= EXPORTER_REQUEST_DEADLINE) {
			snprintf(why, sizeof(why), "its response still going after %d s",
				 EXPORTER_REQUEST_DEADLINE);
			conn_shed(e, c, why);
		}
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct exporter *e = cls;
	const union MHD_ConnectionInfo *info;
	struct conn *c = *ctx, *oldest = NULL;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!c)
			return;
		if (c->prev)
			c->prev->next = c->next;
		else
			e->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		if (!c->shed)
			e->n_conns--;
		free(c);
		*ctx = NULL;
		return;
	}
	/* Untracked without memory: libmicrohttpd's own timeout still holds. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = info ? info->connect_fd : -1;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sockaddr_format(c->peer, sizeof(c->peer), info ? info->client_addr : NULL);
	c->since = clock_mono_s();
	for (struct conn *o = e->conns; o; o = o->next)
		if (!o->shed && !o->busy && (!oldest || o->since < oldest->since))
			oldest = o;
	c->next = e->conns;
	if (c->next)
		c->next->prev = c;
	e->conns = c;
	e->n_conns++;
	*ctx = c;
	if (e->n_conns > e->shed_at && oldest) {
		char why[96];

		snprintf(why, sizeof(why), "%u connections open, it waited longest for a request",
			 e->n_conns);
		conn_shed(e, oldest, why);
	}
}

static struct conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* A response sent (or a request given up): the wait for the next one starts. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = conn_of(conn);

	(void)cls;
	(void)con_cls;
	(void)toe;
	if (c) {
		c->busy = false;
		c->kept = true;
		c->since = clock_mono_s();
	}
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
	struct conn *c = conn_of(conn);
	char *text;
	size_t len;

	/* The request is in: its deadline now is the response's. */
	if (c)
		c->busy = true;
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

/*
 * MSG as one plain line: no HTML (libmicrohttpd quotes the body of the error
 * pages it sends), no control characters, no run of spaces, no final period,
 * lowercase first as our messages are.
 */
static void plain_line(char *msg)
{
	char *w = msg;
	bool tag = false;

	for (const char *r = msg; *r; r++) {
		if (*r == '<' && (r[1] == '/' || r[1] == '!' || isalpha((unsigned char)r[1])))
			tag = true;
		else if (*r == '>' && tag)
			tag = false;
		else if (!tag && !((unsigned char)*r <= ' ' && (w == msg || w[-1] == ' ')))
			*w++ = (unsigned char)*r < ' ' ? ' ' : *r;
	}
	while (w > msg && (w[-1] == ' ' || w[-1] == '.'))
		w--;
	*w = 0;
	if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
		msg[0] += 'a' - 'A';
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	struct exporter *e = cls;
	char msg[512];
	va_list aq;

	va_copy(aq, ap);
	/* "Error processing request (HTTP response code is %u ('%s'))...": the page is HTML. */
	if (strstr(fmt, "response code is %u")) {
		unsigned code = va_arg(aq, unsigned);

		snprintf(msg, sizeof(msg), "refused a request with HTTP %u %s", code,
			 MHD_get_reason_phrase_for(code));
	} else {
		vsnprintf(msg, sizeof(msg), fmt, aq);
		plain_line(msg);
	}
	va_end(aq);
	client_warn(e, "%s", msg);
}

/* The server's thread: libmicrohttpd's epoll fd, the deadlines, the stop. */
static void *exporter_thread(void *arg)
{
	struct exporter *e = arg;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(e->daemon,
							       MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd pfd[2] = {
		{ .fd = info ? info->epoll_fd : -1, .events = POLLIN },
		{ .fd = e->stop_fd, .events = POLLIN },
	};

	while (!(pfd[1].revents & POLLIN)) {
		MHD_UNSIGNED_LONG_LONG ms;
		int timeout = -1;

		if (MHD_get_timeout(e->daemon, &ms) == MHD_YES)
			timeout = ms < INT_MAX ? (int)ms : INT_MAX;
		/* Deadlines to watch: look again within a second. */
		if ((e->conns || e->log.suppressed) && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			pr_err("metrics: poll failed: %s; the exporter stops", strerror(errno));
			break;
		}
		MHD_run(e->daemon);
		conns_check(e, clock_mono_s());
		ratelimit_flush(&e->log, clock_mono_s());
	}
	return NULL;
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
	e->stop_fd = -1;
	e->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (e->fd < 0 ||
	    /* A restart binds again while the last run's connections sit in TIME_WAIT. */
	    setsockopt(e->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(e->fd, (struct sockaddr *)&addr, len) || listen(e->fd, 64)) {
		err = -errno;
		pr_err("metrics: cannot listen on %s: %s", listen_text, strerror(errno));
		goto fail;
	}
	/* HOST:PORT as bound, so port 0 shows the port it got. */
	len = sizeof(addr);
	if (!getsockname(e->fd, (struct sockaddr *)&addr, &len))
		sockaddr_format(e->address, sizeof(e->address), (struct sockaddr *)&addr);
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


/*
 * Connections at most: EXPORTER_CONNECTIONS, or half of the descriptors
 * RLIMIT_NOFILE leaves (a reload opens more for its probes), 8 at least.
 */
static unsigned connection_limit(void)
{
	unsigned long room = EXPORTER_CONNECTIONS * 2ul, used = open_fds() + 32;
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		room = rl.rlim_cur > used ? rl.rlim_cur - used : 0;
	room /= 2;
	return room < 8 ? 8 : room > EXPORTER_CONNECTIONS ? EXPORTER_CONNECTIONS : room;
}

int exporter__start(struct exporter *e, struct session *s)
{
	sigset_t all, old;
	int err;

	e->s = s;
	e->limit = connection_limit();
	/* Room for newcomers while the shed ones close. */
	e->shed_at = e->limit - e->limit / 8;
	e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->stop_fd < 0) {
		err = -errno;
		pr_err("metrics: cannot start the HTTP server on %s: %s", e->address,
		       strerror(errno));
		return err;
	}
	/* No thread of its own: ours runs it, with the deadlines. */
	e->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				     on_request, e,
				     /* First, or MHD logs on its own about the rest. */
				     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, e,
				     MHD_OPTION_LISTEN_SOCKET, e->fd,
				     MHD_OPTION_CONNECTION_LIMIT, e->limit,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EXPORTER_TIMEOUT,
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, e,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
				     MHD_OPTION_END);
	if (!e->daemon) {
		pr_err("metrics: cannot start the HTTP server on %s", e->address);
		return -EIO;
	}
	/* Signals are the event loop's: the server's thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&e->thread, NULL, exporter_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pr_err("metrics: cannot start the HTTP server's thread: %s", strerror(-err));
		return err;
	}
	e->running = true;
	pr_debug("metrics: serving http://%s/metrics (%u connections at most)", e->address,
		 e->limit);
	return 0;
}

void exporter__free(struct exporter *e)
{
	uint64_t one = 1;

	if (!e)
		return;
	/* Joined first: no scrape runs past this, and MHD is ours alone. */
	if (e->running && write(e->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(e->thread, NULL);
	ratelimit_flush(&e->log, e->log.start + EXPORTER_LOG_WINDOW);
	/* Stopping closes the connections and the listening socket it was given. */
	if (e->daemon)
		MHD_stop_daemon(e->daemon);
	else
		close(e->fd);
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	free(e);
}
