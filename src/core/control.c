// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (src/core/control.h): a non-blocking AF_UNIX listener
 * and its clients, served from the event loop's poll. One request line per
 * connection, one reply line, then the server closes it. Every action is
 * logged with the peer's uid and pid and written as a "control" record, so a
 * reader of the output knows when collection started and stopped, for what.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "core/activity.h"
#include "core/control.h"
#include "core/control_proto.h"
#include "core/session.h"
#include "output/sink.h"
#include "util/clock.h"
#include "util/log.h"

struct control_client {
	int fd;
	struct ucred peer;
	double since;			/* CLOCK_MONOTONIC seconds of the accept */
	size_t len;
	char buf[CONTROL_MSG_MAX + 2];	/* the line, its newline, one byte too many */
};

/* A --time deadline, by monitor (its instance changes at a reload). */
struct control_deadline {
	const struct monitor *mon;
	double due;
	double time_s;
};

struct control {
	struct session *s;
	char *path;
	int fd;
	dev_t dev;			/* the socket file we made, removed only if still it */
	ino_t ino;
	struct control_client clients[CONTROL_CLIENTS_MAX];
	size_t n_clients;
	struct control_deadline deadlines[CONTROL_MONITORS_MAX];
	size_t n_deadlines;
	bool finish;
};

/* Another program answers on PATH: it is in use, not stale. */
static bool socket_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return true;	/* cannot tell: better not remove it */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	live = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno != ECONNREFUSED;
	close(fd);
	return live;
}

/* What is at PATH may be replaced: nothing, or a socket nobody serves. */
static int path_claim(const char *path, bool chosen)
{
	enum log_level level = chosen ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN;
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		log_print(level, "control: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		log_print(level, "control: %s is a symbolic link; refusing to use it as the control "
			  "socket", path);
		return -EPERM;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_print(level, "control: %s exists and is not a socket; refusing to replace it",
			  path);
		return -EEXIST;
	}
	if (socket_live(path)) {
		if (chosen)
			pr_err("control: %s is in use by another program (control.socket, "
			       "--control-socket)", path);
		else
			pr_warn("control: %s is in use by another program; this run has no control "
				"socket (set control.socket or --control-socket)", path);
		return -EADDRINUSE;
	}
	/* A socket left by a program that died: ours to replace. */
	if (unlink(path) && errno != ENOENT) {
		log_print(level, "control: cannot remove the stale socket %s: %s", path,
			  strerror(errno));
		return -errno;
	}
	pr_info("control: removed the stale socket %s", path);
	return 0;
}

int control__open(struct control **out, const char *path, struct session *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool chosen = path != NULL;
	enum log_level level = chosen ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN;
	struct control *c = NULL;
	struct stat st;
	mode_t mask;
	int err;

	*out = NULL;
	if (!path)
		path = CONTROL_SOCKET_DEFAULT;
	if (!*path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("control: %s: a socket path is at most %zu bytes", path,
		       sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;	/* only one chosen can be that long */
	}
	err = path_claim(path, chosen);
	if (err)
		goto cleanup;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		err = -ENOMEM;
		goto cleanup;
	}
	c->s = s;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		log_print(level, "control: socket: %s", strerror(errno));
		goto cleanup;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Made 0600 from the start: no moment when another user may connect. */
	mask = umask(0177);
	err = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(mask);
	if (err) {
		log_print(level, "control: cannot listen on %s: %s", path, strerror(-err));
		goto cleanup;
	}
	if (listen(c->fd, CONTROL_CLIENTS_MAX) || lstat(path, &st)) {
		err = -errno;
		log_print(level, "control: cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto cleanup;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	*out = c;
	return 0;
cleanup:
	if (c && c->fd > 0)
		close(c->fd);
	if (c)
		free(c->path);
	free(c);
	/* The default socket is a convenience: a run goes on without it (said above). */
	if (!chosen && err != -ENOMEM) {
		if (err != -EADDRINUSE)
			pr_warn("control: this run has no control socket (set control.socket or "
				"--control-socket)");
		return 0;
	}
	return err;
}

void control__announce(const struct control *c)
{
	if (c)
		pr_info("control: listening on %s (ebpfmon-bcc ctl --socket %s status)", c->path,
			c->path);
}

static void client_close(struct control *c, size_t i)
{
	close(c->clients[i].fd);
	c->clients[i] = c->clients[--c->n_clients];
}

void control__close(struct control *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->n_clients)
		client_close(c, 0);
	close(c->fd);
	/* Only the file we made: another program may have taken the path since. */
	if (!lstat(c->path, &st) && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	free(c);
}

size_t control__pollfds(struct control *c, struct pollfd *pfds)
{
	if (!c)
		return 0;
	pfds[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (size_t i = 0; i < c->n_clients; i++)
		pfds[i + 1] = (struct pollfd){ .fd = c->clients[i].fd, .events = POLLIN };
	return c->n_clients + 1;
}

bool control__finishing(const struct control *c)
{
	return c && c->finish;
}

double control__next_due(const struct control *c)
{
	double next = 0;

	if (!c)
		return 0;
	for (size_t i = 0; i < c->n_clients; i++)
		if (!next || c->clients[i].since + CONTROL_IDLE_S < next)
			next = c->clients[i].since + CONTROL_IDLE_S;
	for (size_t i = 0; i < c->n_deadlines; i++)
		if (!next || c->deadlines[i].due < next)
			next = c->deadlines[i].due;
	return next;
}

/* One reply line; a client that does not read it loses it (never blocks the loop). */
static void reply_send(int fd, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t len;

	json_decref(reply);
	if (!text)
		return;
	len = strlen(text);
	text[len] = '\n';
	if (send(fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("control: the reply was not sent: %s", strerror(errno));
	free(text);
}

static json_t *reply_error(const char *msg)
{
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static json_t *targets_json(const struct monitor_targets *t)
{
	json_t *o = json_object();

	if (!o || !t)
		return o;
	if (t->pid)
		json_object_set_new(o, "pid", json_integer(t->pid));
	if (t->tgid)
		json_object_set_new(o, "tgid", json_integer(t->tgid));
	if (t->comm[0])
		json_object_set_new(o, "comm", json_stringn(t->comm, strnlen(t->comm,
									     sizeof(t->comm))));
	if (t->cpu >= 0)
		json_object_set_new(o, "cpu", json_integer(t->cpu));
	return o;
}

/* " pid 42 comm bash", for the log line. */
static void targets_text(const struct monitor_targets *t, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (t->pid)
		n += snprintf(buf + n, size - n, " pid %u", t->pid);
	if (t->tgid && n < size)
		n += snprintf(buf + n, size - n, " tgid %u", t->tgid);
	if (t->comm[0] && n < size)
		n += snprintf(buf + n, size - n, " comm %.16s", t->comm);
	if (t->cpu >= 0 && n < size)
		snprintf(buf + n, size - n, " cpu %d", t->cpu);
}

/*
 * The "control" record: not a monitor's (no "monitor" field, mon_id past the
 * last), written to every sink like any other.
 */
static void control_record(struct control *c, const char *action, const char *reason,
			   const char *const *names, size_t n, const struct monitor_targets *t,
			   const struct ucred *peer, double time_s)
{
	struct session *s = c->s;
	struct record *rec = &s->rec;
	uint64_t now = clock_mono_ns();

	if (!s->sink)
		return;
	/*
	 * What the kernel handed over before a stop comes out before the record
	 * that says so (the record is built in s->rec: consume first).
	 */
	if (strcmp(action, "activate")) {
		session__consume(s);
		session__release_held(s, true);
	}
	record__reset(rec);
	rec->mon_id = EBPFMON_MAX_MONITORS;
	record__str(rec, "type", "control");
	record__time(rec, "ts", now + s->mono_to_real_ns);
	record__uint(rec, "ts_ns", now);
	record__str(rec, "action", action);
	if (n)
		record__strv(rec, "monitors", names, n);
	if (t)
		record__json(rec, "targets", targets_json(t));
	if (reason)
		record__str(rec, "reason", reason);
	if (peer)
		record__json(rec, "peer", json_pack("{s:I,s:I}", "uid", (json_int_t)peer->uid,
						    "pid", (json_int_t)peer->pid));
	if (time_s > 0)
		record__real(rec, "time_s", time_s);
	sink__write(s->sink, rec);
	/* Seen at once by whoever follows the output. */
	sink__flush(s->sink);
}

static struct monitor_inst *inst_named(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->n_insts; i++)
		if (s->insts[i]->attached && !strcmp(s->insts[i]->mon->name, name))
			return s->insts[i];
	return NULL;
}

/* The request's monitors, each running: into INSTS, or an error reply. */
static json_t *insts_resolve(struct control *c, const struct control_request *req,
			     struct monitor_inst **insts)
{
	const char *cmd = control_cmd_name(req->cmd);
	char msg[256];

	for (size_t i = 0; i < req->n_monitors; i++) {
		insts[i] = inst_named(c->s, req->monitors[i]);
		if (insts[i])
			continue;
		if (monitor_find(req->monitors[i]))
			snprintf(msg, sizeof(msg), "%s: monitor %s is not running in this program",
				 cmd, req->monitors[i]);
		else
			snprintf(msg, sizeof(msg), "%s: no monitor named %s", cmd,
				 req->monitors[i]);
		return reply_error(msg);
	}
	return NULL;
}

/* A process whose thread group id is TGID exists. */
static bool tgid_exists(uint32_t tgid)
{
	char path[64], line[128];
	bool found = false;
	unsigned v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", tgid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &v) == 1)
			found = v == tgid;
	fclose(f);
	return found;
}

static json_t *targets_check(const struct control_request *req)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	char msg[128];

	/* kill(tid, 0) finds any thread, as --pid matches one. */
	if (req->pid && kill(req->pid, 0) && errno == ESRCH) {
		snprintf(msg, sizeof(msg), "activate: no process or thread with id %u", req->pid);
		return reply_error(msg);
	}
	if (req->tgid && !tgid_exists(req->tgid)) {
		snprintf(msg, sizeof(msg), "activate: no process with id %u", req->tgid);
		return reply_error(msg);
	}
	if (req->cpu >= 0 && cpus > 0 && req->cpu >= cpus) {
		snprintf(msg, sizeof(msg), "activate: no CPU %d (this machine has 0 to %ld)",
			 req->cpu, cpus - 1);
		return reply_error(msg);
	}
	return NULL;
}

static void deadline_set(struct control *c, const struct monitor *mon, double due, double time_s)
{
	size_t i;

	for (i = 0; i < c->n_deadlines && c->deadlines[i].mon != mon; i++)
		;
	if (!due) {
		if (i < c->n_deadlines)
			c->deadlines[i] = c->deadlines[--c->n_deadlines];
		return;
	}
	if (i == c->n_deadlines) {
		if (c->n_deadlines == CONTROL_MONITORS_MAX)
			return;
		c->n_deadlines++;
	}
	c->deadlines[i] = (struct control_deadline){ .mon = mon, .due = due, .time_s = time_s };
}

static json_t *deadline_left(const struct control *c, const struct monitor *mon, double now)
{
	for (size_t i = 0; i < c->n_deadlines; i++)
		if (c->deadlines[i].mon == mon)
			return json_real(c->deadlines[i].due > now ? c->deadlines[i].due - now : 0);
	return json_null();
}

static json_t *do_status(struct control *c, double now)
{
	struct session *s = c->s;
	json_t *list = json_array(), *reply;

	session__read_counters(s);
	for (size_t i = 0; list && i < s->n_insts; i++) {
		const struct monitor_inst *inst = s->insts[i];
		bool active = monitor_inst__active(inst);

		if (!inst->attached)
			continue;
		json_array_append_new(list, json_pack(
			"{s:s,s:b,s:o,s:I,s:I,s:I,s:o}",
			"name", inst->mon->name,
			"active", active,
			"targets", active ? targets_json(monitor_inst__targets(inst)) : json_null(),
			"events", (json_int_t)inst->events,
			"lost", (json_int_t)(inst->lost + inst->table_full + inst->missed),
			"filtered", (json_int_t)inst->filtered,
			"time_left_s", deadline_left(c, inst->mon, now)));
	}
	reply = json_pack("{s:b,s:I,s:o}", "ok", 1, "pid", (json_int_t)getpid(), "monitors",
			  list ? list : json_array());
	return reply ? reply : reply_error("status: out of memory");
}

/* The names, joined by ',' for the log line. */
static void names_text(const struct control_request *req, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < req->n_monitors && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? "," : "", req->monitors[i]);
}

static json_t *monitors_json(const struct control_request *req)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < req->n_monitors; i++)
		json_array_append_new(a, json_string(req->monitors[i]));
	return a;
}

static void names_ptrs(const struct control_request *req, const char **names)
{
	for (size_t i = 0; i < req->n_monitors; i++)
		names[i] = req->monitors[i];
}

static json_t *do_activate(struct control *c, const struct control_request *req,
			   const struct ucred *peer, double now)
{
	struct monitor_inst *insts[CONTROL_MONITORS_MAX];
	struct monitor_targets t, prev[CONTROL_MONITORS_MAX];
	bool was_active[CONTROL_MONITORS_MAX];
	const char *names[CONTROL_MONITORS_MAX];
	char list[512], what[128], msg[256];
	json_t *err;
	size_t i;
	int ret = 0;

	err = insts_resolve(c, req, insts);
	if (!err)
		err = targets_check(req);
	if (err)
		return err;
	monitor_targets__init(&t);
	t.pid = req->pid;
	t.tgid = req->tgid;
	t.cpu = req->cpu;
	memcpy(t.comm, req->comm, sizeof(t.comm));
	for (i = 0; i < req->n_monitors && !ret; i++) {
		was_active[i] = monitor_inst__active(insts[i]);
		prev[i] = *monitor_inst__targets(insts[i]);
		ret = monitor_inst__activate(insts[i], &t);
	}
	if (ret) {
		/* Nothing changes on an error: the ones done go back as they were. */
		snprintf(msg, sizeof(msg), "activate: %s: %s", req->monitors[i - 1],
			 strerror(-ret));
		for (size_t j = 0; j + 1 < i; j++) {
			if (was_active[j])
				monitor_inst__activate(insts[j], &prev[j]);
			else
				monitor_inst__deactivate(insts[j]);
		}
		pr_err("control: %s", msg);
		return reply_error(msg);
	}
	for (i = 0; i < req->n_monitors; i++)
		deadline_set(c, insts[i]->mon, req->time_s > 0 ? now + req->time_s : 0,
			     req->time_s);
	names_text(req, list, sizeof(list));
	targets_text(&t, what, sizeof(what));
	if (req->time_s > 0)
		pr_info("control: uid %u pid %d: activate %s%s for %g s", peer->uid, peer->pid,
			list, what, req->time_s);
	else
		pr_info("control: uid %u pid %d: activate %s%s", peer->uid, peer->pid, list, what);
	names_ptrs(req, names);
	control_record(c, "activate", NULL, names, req->n_monitors, &t, peer, req->time_s);
	return json_pack("{s:b,s:s,s:o,s:o,s:o}", "ok", 1, "action", "activate",
			 "monitors", monitors_json(req), "targets", targets_json(&t),
			 "time_s", req->time_s > 0 ? json_real(req->time_s) : json_null());
}

static json_t *do_deactivate(struct control *c, const struct control_request *req,
			     const struct ucred *peer)
{
	struct monitor_inst *insts[CONTROL_MONITORS_MAX];
	const char *names[CONTROL_MONITORS_MAX];
	char list[512], msg[256];
	json_t *err;
	int ret;

	err = insts_resolve(c, req, insts);
	if (err)
		return err;
	for (size_t i = 0; i < req->n_monitors; i++) {
		ret = monitor_inst__deactivate(insts[i]);
		if (ret) {
			snprintf(msg, sizeof(msg), "deactivate: %s: %s", req->monitors[i],
				 strerror(-ret));
			pr_err("control: %s", msg);
			return reply_error(msg);
		}
		deadline_set(c, insts[i]->mon, 0, 0);
	}
	names_text(req, list, sizeof(list));
	pr_info("control: uid %u pid %d: deactivate %s", peer->uid, peer->pid, list);
	names_ptrs(req, names);
	control_record(c, "deactivate", "request", names, req->n_monitors, NULL, peer, 0);
	return json_pack("{s:b,s:s,s:o}", "ok", 1, "action", "deactivate", "monitors",
			 monitors_json(req));
}

static json_t *request_run(struct control *c, const char *line, size_t len,
			   const struct ucred *peer, double now)
{
	struct control_request req;
	char msg[256];

	if (control_request__parse(line, len, &req, msg, sizeof(msg))) {
		pr_warn("control: uid %u pid %d: %s", peer->uid, peer->pid, msg);
		return reply_error(msg);
	}
	switch (req.cmd) {
	case CONTROL_STATUS:
		pr_debug("control: uid %u pid %d: status", peer->uid, peer->pid);
		return do_status(c, now);
	case CONTROL_ACTIVATE:
		return do_activate(c, &req, peer, now);
	case CONTROL_DEACTIVATE:
		return do_deactivate(c, &req, peer);
	case CONTROL_FINISH:
		pr_info("control: uid %u pid %d: finish", peer->uid, peer->pid);
		control_record(c, "finish", NULL, NULL, 0, NULL, peer, 0);
		c->finish = true;
		return json_pack("{s:b,s:s}", "ok", 1, "action", "finish");
	}
	return reply_error("request: unknown command");
}

/* Say why, close the connection, log it. */
static void client_refuse(struct control *c, size_t i, const char *msg)
{
	struct control_client *cl = &c->clients[i];

	pr_warn("control: uid %u pid %d: %s", cl->peer.uid, cl->peer.pid, msg);
	reply_send(cl->fd, reply_error(msg));
	client_close(c, i);
}

static void accept_all(struct control *c, double now)
{
	socklen_t len = sizeof(struct ucred);
	struct control_client *cl;
	struct ucred peer;
	char msg[160];
	int fd;

	while ((fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		len = sizeof(peer);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len)) {
			pr_warn("control: a client whose credentials cannot be read: %s",
				strerror(errno));
			close(fd);
			continue;
		}
		if (peer.uid != 0 && peer.uid != geteuid()) {
			snprintf(msg, sizeof(msg),
				 "control: refused uid %u: only root may control ebpfmon-bcc",
				 peer.uid);
			pr_warn("%s (pid %d)", msg, peer.pid);
			reply_send(fd, reply_error(msg));
			close(fd);
			continue;
		}
		if (c->n_clients == CONTROL_CLIENTS_MAX) {
			snprintf(msg, sizeof(msg), "control: busy: %d clients already connected",
				 CONTROL_CLIENTS_MAX);
			pr_warn("%s; refused uid %u pid %d", msg, peer.uid, peer.pid);
			reply_send(fd, reply_error(msg));
			close(fd);
			continue;
		}
		cl = &c->clients[c->n_clients++];
		cl->fd = fd;
		cl->peer = peer;
		cl->since = now;
		cl->len = 0;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		pr_warn("control: accept: %s", strerror(errno));
}

/* Read what client I sent; when its line is whole, answer it and close. */
static void client_read(struct control *c, size_t i, double now)
{
	struct control_client *cl = &c->clients[i];
	ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len, 0);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		pr_debug("control: uid %u pid %d: %s", cl->peer.uid, cl->peer.pid, strerror(errno));
		client_close(c, i);
		return;
	}
	cl->len += n;
	nl = memchr(cl->buf, '\n', cl->len);
	if (!nl && cl->len > CONTROL_MSG_MAX) {
		char msg[64];

		snprintf(msg, sizeof(msg), "request: longer than %d bytes", CONTROL_MSG_MAX);
		client_refuse(c, i, msg);
		return;
	}
	if (!nl && n > 0)
		return;		/* more to come */
	if (!nl && !cl->len) {
		pr_debug("control: uid %u pid %d: closed without a request", cl->peer.uid,
			 cl->peer.pid);
		client_close(c, i);
		return;
	}
	/* A line, or what came before the client shut its side: the request. */
	reply_send(cl->fd, request_run(c, cl->buf, nl ? (size_t)(nl - cl->buf) : cl->len,
				       &cl->peer, now));
	client_close(c, i);
}

/* --time ran out: deactivated, said and recorded as any deactivation. */
static void deadlines_run(struct control *c, double now)
{
	for (size_t i = 0; i < c->n_deadlines; ) {
		struct control_deadline d = c->deadlines[i];
		struct monitor_inst *inst;

		if (now < d.due) {
			i++;
			continue;
		}
		c->deadlines[i] = c->deadlines[--c->n_deadlines];
		inst = inst_named(c->s, d.mon->name);
		if (!inst)
			continue;
		if (monitor_inst__deactivate(inst)) {
			pr_err("control: %s: cannot deactivate it at the end of its %g s",
			       d.mon->name, d.time_s);
			continue;
		}
		pr_info("control: deactivate %s: its %g s ran out", d.mon->name, d.time_s);
		control_record(c, "deactivate", "time", &d.mon->name, 1, NULL, NULL, d.time_s);
	}
}

void control__handle(struct control *c, const struct pollfd *pfds, size_t n, double now)
{
	if (!c)
		return;
	/* The clients first: pfds[1..] are theirs, in order, until one closes. */
	for (size_t k = n; k-- > 1; ) {
		size_t i = k - 1;

		if (i < c->n_clients && c->clients[i].fd == pfds[k].fd && pfds[k].revents)
			client_read(c, i, now);
	}
	for (size_t i = c->n_clients; i-- > 0; ) {
		char msg[64];

		if (now < c->clients[i].since + CONTROL_IDLE_S)
			continue;
		snprintf(msg, sizeof(msg), "request: none received in %g s", CONTROL_IDLE_S);
		client_refuse(c, i, msg);
	}
	if (n && (pfds[0].revents & POLLIN))
		accept_all(c, now);
	deadlines_run(c, now);
}
