// SPDX-License-Identifier: GPL-2.0
/*
 * --daemon and its PID file, --daemon-status, --daemon-stop, and sd_notify.
 * The starter waits on a socket until the daemon is attached, like sshd and
 * chronyd, so its exit status says whether the daemon really runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "core/daemon.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/trust.h"

#define STOP_POLL_NS 100000000L		/* --daemon-stop looks every 100 ms */
#define KILL_WAIT_S 5.0			/* after SIGKILL, for the kernel to tear it down */

static int starter_fd = -1;		/* pipe to the starter until ready */
static int pid_fd = -1;			/* the locked PID file */
static char *pid_path;

/* The starter's side: one byte from the daemon, 0 for ready, else its exit code. */
static void starter_wait(int fd, pid_t child)
{
	unsigned char code = 1;
	ssize_t n;

	do
		n = read(fd, &code, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		pr_err("daemon: exited before it was ready");
		code = 1;
	}
	waitpid(child, NULL, 0);	/* the middle process, gone already */
	/* _exit: the daemon owns everything this process inherited. */
	_exit(code);
}

int daemon__detach(void)
{
	int fds[2], err = 0;
	pid_t pid;

	/*
	 * A socket, not a pipe: send(MSG_NOSIGNAL) to a starter that is gone
	 * (Ctrl-C) fails with EPIPE instead of raising SIGPIPE, so the signal
	 * dispositions stay the event loop's alone.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)) {
		err = -errno;
		pr_err("daemon: socketpair: %s", strerror(errno));
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		pr_err("daemon: fork: %s", strerror(errno));
		goto fail;
	}
	if (pid > 0) {
		close(fds[1]);
		starter_wait(fds[0], pid);
	}
	close(fds[0]);
	fds[0] = -1;
	/* A new session: no controlling terminal, no SIGHUP when it closes. */
	setsid();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		pr_err("daemon: fork: %s", strerror(errno));
		goto fail;
	}
	if (pid > 0)
		_exit(0);	/* not a session leader: can never gain a terminal again */
	umask(027);
	starter_fd = fds[1];
	return 0;
fail:
	if (fds[0] >= 0)
		close(fds[0]);
	close(fds[1]);
	return err;
}

static pid_t pid_parse(const char *buf)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v <= 0 || v > INT_MAX)
		return 0;
	return v;
}

/* The pid in an open PID file; 0 when it holds none. */
static pid_t pid_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	return pid_parse(buf);
}

/*
 * Still the file at PATH (not a symbolic link put there since)? A stale-file
 * cleanup may have unlinked it after our open.
 */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !lstat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * The pid file opened without following a symbolic link (in a directory
 * others can write, one could point it at any file root then truncates),
 * and refused unless it is a regular file owned by us or root (by us alone
 * with only_ours: the daemon writes it). -errno after one line; none for
 * -ENOENT and -EEXIST, which the callers expect.
 */
static int pid_file_open(const char *path, int flags, bool only_ours)
{
	struct stat st;
	int fd, err;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		err = -errno;
		if (errno == ELOOP)
			pr_err("daemon: the pid file %s is a symbolic link; refusing", path);
		else if (errno != ENOENT && errno != EEXIST)
			pr_err("daemon: %s %s: %s", (flags & O_ACCMODE) == O_RDONLY ?
			       "cannot read the pid file" : "cannot open the pid file", path,
			       strerror(errno));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		pr_err("daemon: the pid file %s is %s, not a regular file; refusing", path,
		       file_type_name(st.st_mode));
		err = -EINVAL;
	} else if (st.st_uid != geteuid() && (only_ours || st.st_uid != 0)) {
		pr_err("daemon: the pid file %s is owned by uid %u, not uid %s%u; refusing", path,
		       (unsigned)st.st_uid, only_ours || !geteuid() ? "" : "0 or ",
		       (unsigned)geteuid());
		err = -EPERM;
	} else if (only_ours && st.st_nlink != 1) {
		/* A hard link to a file of ours elsewhere, made by someone else. */
		pr_err("daemon: the pid file %s has %u links; refusing", path,
		       (unsigned)st.st_nlink);
		err = -EPERM;
	} else {
		return fd;
	}
	close(fd);
	return err;
}

int daemon__lock_pid_file(const char *path)
{
	char line[32];
	int fd = -1, err = 0, len;

	for (;;) {
		/* Ours if we create it; one that was there is checked before any change. */
		fd = pid_file_open(path, O_RDWR | O_CREAT | O_EXCL, true);
		if (fd == -EEXIST) {
			fd = pid_file_open(path, O_RDWR, true);
			if (fd == -ENOENT)
				continue;	/* removed in between: create it */
		}
		if (fd < 0) {
			err = fd;
			fd = -1;
			if (err == -ENOENT)
				pr_err("daemon: cannot open the pid file %s: %s", path,
				       strerror(-err));
			goto fail;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			err = errno == EWOULDBLOCK ? -EEXIST : -errno;
			if (err == -EEXIST)
				pr_err("daemon: already running as pid %d (%s)", (int)pid_read(fd),
				       path);
			else
				pr_err("daemon: cannot lock %s: %s", path, strerror(errno));
			goto fail;
		}
		if (same_file(fd, path))
			break;
		close(fd);
	}
	pid_path = strdup(path);
	if (!pid_path) {
		err = -ENOMEM;
		goto fail;
	}
	/* 0644 whatever the umask: status checks by other users read it. */
	len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (fchmod(fd, 0644) || ftruncate(fd, 0) || pwrite(fd, line, len, 0) != len) {
		err = -errno;
		pr_err("daemon: cannot write the pid file %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	pid_fd = fd;
	return 0;
fail:
	free(pid_path);
	pid_path = NULL;
	if (fd >= 0)
		close(fd);
	return err;
}

void daemon__notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void stdio_to_null(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0) {
		pr_warn("daemon: cannot open /dev/null: %s", strerror(errno));
		return;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

void daemon__ready(const char *status)
{
	unsigned char ok = 0;
	char *msg = NULL;

	if (starter_fd >= 0) {
		/* Paths were made absolute before; / keeps no mount busy. */
		if (chdir("/"))
			pr_warn("daemon: chdir /: %s", strerror(errno));
		log_tee_stderr(false);
		stdio_to_null();
		if (send(starter_fd, &ok, 1, MSG_NOSIGNAL) != 1)
			pr_warn("daemon: the starter is gone: %s", strerror(errno));
		close(starter_fd);
		starter_fd = -1;
	}
	if (asprintf(&msg, "READY=1\nSTATUS=%s\nMAINPID=%d", status, (int)getpid()) >= 0)
		daemon__notify(msg);
	free(msg);
}

void daemon__exit(int code)
{
	unsigned char c = code ? code : 1;	/* never "ready" when it is not */

	if (starter_fd >= 0) {
		if (send(starter_fd, &c, 1, MSG_NOSIGNAL) != 1)
			pr_debug("daemon: the starter is gone: %s", strerror(errno));
		close(starter_fd);
		starter_fd = -1;
	}
	/* Last: whoever waits for the file to go knows everything else is done. */
	if (pid_fd >= 0) {
		if (!same_file(pid_fd, pid_path))
			pr_warn("daemon: %s is no longer our pid file; leaving it", pid_path);
		else if (unlink(pid_path) && errno != ENOENT)
			pr_warn("daemon: cannot remove %s: %s", pid_path, strerror(errno));
		close(pid_fd);
		pid_fd = -1;
	}
	free(pid_path);
	pid_path = NULL;
}

/* ---------------------------------------------------------------------------
 * --daemon-status and --daemon-stop
 */

/* /proc/PID/stat: the state letter and the start time in clock ticks after boot. */
static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		err = n < 0 ? -errno : -EIO;
		goto cleanup;
	}
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", state, start) != 2)
		err = -EIO;
cleanup:
	close(fd);
	return err;
}

/* Gone, or a zombie nobody reaped yet (its files, and the lock, are closed). */
static bool pid_gone(pid_t pid)
{
	unsigned long long start;
	char state;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	return !proc_stat(pid, &state, &start) && (state == 'Z' || state == 'X');
}

static double uptime_of(pid_t pid)
{
	unsigned long long start;
	double up = 0;
	char state;
	FILE *f;

	if (proc_stat(pid, &state, &start))
		return -1;
	f = fopen("/proc/uptime", "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lf", &up) != 1)
		up = -1;
	fclose(f);
	return up < 0 ? -1 : up - (double)start / sysconf(_SC_CLK_TCK);
}

/*
 * Who holds the PID file: DAEMON_EXIT_RUNNING with *pid, NOT_RUNNING, or
 * UNKNOWN after an error line (a file that holds no pid: not ours to judge
 * or remove). A stale file (its lock free) is removed only with remove
 * (--daemon-stop), while we hold its lock, so never a new daemon's; a
 * status query changes nothing.
 */
static int pid_file_check(const char *path, pid_t *pid, bool remove, bool quiet)
{
	int fd, ret = DAEMON_EXIT_NOT_RUNNING;

	*pid = 0;
	fd = pid_file_open(path, O_RDONLY, false);
	if (fd == -ENOENT)
		return DAEMON_EXIT_NOT_RUNNING;
	if (fd < 0)
		return DAEMON_EXIT_UNKNOWN;
	if (!flock(fd, remove ? LOCK_EX | LOCK_NB : LOCK_SH | LOCK_NB)) {
		/* Nobody holds it: the daemon that wrote it is dead. */
		if (!same_file(fd, path))
			goto cleanup;	/* removed already */
		if (!pid_read(fd)) {
			pr_err("daemon: the pid file %s holds no pid", path);
			ret = DAEMON_EXIT_UNKNOWN;
		} else if (!remove) {
			if (!quiet)
				pr_info("daemon: %s is stale (its lock is free)", path);
		} else if (unlink(path) && errno != ENOENT) {
			pr_warn("daemon: cannot remove the stale pid file %s: %s", path,
				strerror(errno));
		} else if (!quiet) {
			pr_info("daemon: removed the stale pid file %s", path);
		}
		goto cleanup;
	}
	*pid = pid_read(fd);
	if (!*pid) {
		pr_err("daemon: %s is locked but holds no pid", path);
		ret = DAEMON_EXIT_UNKNOWN;
	} else if (!pid_gone(*pid)) {
		ret = DAEMON_EXIT_RUNNING;
	}
cleanup:
	close(fd);
	return ret;
}

int daemon__status(const char *pid_file, bool quiet)
{
	pid_t pid;
	double up;
	int ret = pid_file_check(pid_file, &pid, false, quiet);

	if (quiet || ret == DAEMON_EXIT_UNKNOWN)
		return ret;
	if (ret == DAEMON_EXIT_NOT_RUNNING) {
		printf("ebpfmon-bcc is not running\n");
		return ret;
	}
	up = uptime_of(pid);
	if (up < 0)
		up = 0;
	printf("ebpfmon-bcc is running as pid %d, up %lluh%02um%02us\n", (int)pid,
	       (unsigned long long)up / 3600, (unsigned)((unsigned long long)up / 60 % 60),
	       (unsigned)((unsigned long long)up % 60));
	return ret;
}

/* Poll every 100 ms for up to timeout seconds. */
static bool wait_gone(pid_t pid, double timeout)
{
	const struct timespec step = { 0, STOP_POLL_NS };
	double until = clock_mono_s() + timeout;

	while (!pid_gone(pid)) {
		if (clock_mono_s() >= until)
			return false;
		nanosleep(&step, NULL);
	}
	return true;
}

int daemon__stop(const char *pid_file, double timeout, bool quiet)
{
	pid_t pid, again;
	int ret;

	ret = pid_file_check(pid_file, &pid, true, quiet);
	if (ret == DAEMON_EXIT_UNKNOWN)
		return ret;
	if (ret == DAEMON_EXIT_NOT_RUNNING) {
		/* Like start-stop-daemon --oknodo: the wanted state holds. */
		if (!quiet)
			printf("ebpfmon-bcc is not running\n");
		return 0;
	}
	if (kill(pid, SIGTERM)) {
		pr_err("daemon: cannot signal pid %d: %s", (int)pid, strerror(errno));
		return errno == EPERM ? DAEMON_EXIT_UNKNOWN : DAEMON_EXIT_FAILED;
	}
	if (!wait_gone(pid, timeout)) {
		pr_warn("daemon: pid %d still running %gs after SIGTERM, sending SIGKILL", (int)pid,
			timeout);
		kill(pid, SIGKILL);
		if (!wait_gone(pid, KILL_WAIT_S)) {
			pr_err("daemon: pid %d survived SIGKILL", (int)pid);
			return DAEMON_EXIT_FAILED;
		}
	}
	/* Killed, it could not remove its PID file: the lock is free, so this does. */
	pid_file_check(pid_file, &again, true, true);
	if (!quiet)
		printf("ebpfmon-bcc stopped (pid %d)\n", (int)pid);
	return 0;
}

int path_make_absolute(char **path)
{
	/* The directory it was started in: a reload, run in /, resolves the same way. */
	static char cwd[PATH_MAX];
	char *abs = NULL;

	if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (!*path || **path == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}
