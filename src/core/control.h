/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONTROL_H
#define EBPFMON_CONTROL_H
/*
 * The control socket of a running program (control.socket): status,
 * activate, deactivate and finish from `ebpfmon-bcc ctl`, one JSON line
 * each way (src/core/control_proto.h). Served from the event loop's poll,
 * without blocking it; only root (or the program's own user) is obeyed.
 */
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct session;
struct control;

/* The socket control.socket names when it is not set. */
#define CONTROL_SOCKET_DEFAULT "/run/ebpfmon-bcc.sock"
/* At most this many clients at once; one more is told so and closed. */
#define CONTROL_CLIENTS_MAX 8
/* A client that has not sent its whole line after this long is closed. */
#define CONTROL_IDLE_S 2.0

/*
 * Listen on PATH (NULL: the default, "": none, *out NULL) for S. A symlink
 * or a file that is not a socket is refused; a stale socket is removed. The
 * default path already served by another running program is a warning and
 * no socket; a path set on purpose is an error. 0 or -errno, said.
 */
int control__open(struct control **out, const char *path, struct session *s);
/* The "control: listening on PATH" line, once the monitors run (C NULL: none). */
void control__announce(const struct control *c);
/* Close every client and the socket, and remove it if it is still ours. */
void control__close(struct control *c);
/* The fds to poll into PFDS (at most CONTROL_CLIENTS_MAX + 1); how many. */
size_t control__pollfds(struct control *c, struct pollfd *pfds);
/* Serve what poll found in PFDS (N of them), time out idle clients, run due deadlines. */
void control__handle(struct control *c, const struct pollfd *pfds, size_t n, double now);
/* CLOCK_MONOTONIC seconds of the next thing due (an idle client, a --time); 0: none. */
double control__next_due(const struct control *c);
/* A client asked to finish: the loop stops as on SIGTERM. */
bool control__finishing(const struct control *c);

#endif
