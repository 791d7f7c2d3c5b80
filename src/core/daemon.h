/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_DAEMON_H
#define EBPFMON_DAEMON_H

#include <stdbool.h>

/* LSB init-script status codes, for --daemon-status and --daemon-stop. */
#define DAEMON_EXIT_RUNNING 0
#define DAEMON_EXIT_FAILED 1		/* --daemon-stop could not stop it */
#define DAEMON_EXIT_NOT_RUNNING 3
#define DAEMON_EXIT_UNKNOWN 4		/* the PID file cannot be read, or holds no pid */

/*
 * Fork, setsid, fork. Returns 0 in the daemon (the grandchild) or -errno;
 * the starter never returns: it waits until the daemon calls daemon__ready()
 * (exit 0) or daemon__exit() (exit with that code). stdio stays connected
 * until daemon__ready(), so errors reach the terminal.
 */
int daemon__detach(void);
/*
 * Create PATH 0644, lock it (flock, held for the daemon's life) and write our
 * pid. Another holder: "daemon: already running as pid N (PATH)", -EEXIST.
 * Never through a symbolic link, and a file that was there is changed only
 * if it is a regular file of ours with one link; else one line and -errno.
 */
int daemon__lock_pid_file(const char *path);
/*
 * Every monitor is attached: tell the starter (once), move to / with stdio on
 * /dev/null, and send READY=1 with STATUS to the service manager.
 */
void daemon__ready(const char *status);
/* One sd_notify(3) state ("STOPPING=1"); nothing without libsystemd or NOTIFY_SOCKET. */
void daemon__notify(const char *state);
/*
 * Last thing before exit: a starter still waiting gets CODE, and the PID
 * file goes (only if we hold its lock).
 */
void daemon__exit(int code);

/*
 * --daemon-status: the DAEMON_EXIT_* code; one line on stdout unless quiet.
 * A query: it changes nothing (a stale PID file stays, it is only named).
 */
int daemon__status(const char *pid_file, bool quiet);
/* --daemon-stop: SIGTERM, SIGKILL after timeout seconds; 0, 1 or 4. */
int daemon__stop(const char *pid_file, double timeout, bool quiet);

/* *path made absolute against the working directory (a daemon runs in /). */
int path_make_absolute(char **path);

#endif
