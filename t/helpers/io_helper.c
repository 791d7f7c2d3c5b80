// SPDX-License-Identifier: GPL-2.0
/*
 * io_helper: known reads and writes for t/io.t. Prints "PID FD" (one write
 * to stdout), does its I/O, prints "done" (another), then keeps its files
 * open until killed (at most 60 s), so the monitor can still name them.
 *   write FILE TOTAL CHUNK [FD]  TOTAL bytes in write()s of CHUNK (on fd FD,
 *                                moved there by F_DUPFD: no close, no dup2)
 *   all FILE                     write 100, pwrite64 200 at 1000, read 10,
 *                                pread64 20 at 1000, writev 1+2+3, readv 4+5
 *   writev|readv FILE N SIZE     one call with N iovecs of SIZE bytes
 *   badread FD                   read(FD, buf, 10) on a closed fd
 *   slowread                     read(pipe, buf, 100) that a child answers
 *                                with 5 bytes after 300 ms
 *   reuse close|dup2 FILE1 FILE2 write 10 to FILE1 on an fd, make the same
 *                                fd FILE2 (close + open, or dup2), write 20
 *   cloexec FILE1 FILE2          write 10 to FILE1 on close-on-exec fd 40,
 *                                exec "write FILE2 20 20 40" (fd 40 again)
 *   pv FILE                      pwritev 1+2+3+4 at 0, pwritev2 5+6 at 10,
 *                                preadv 7 at 0, preadv2 8+9 at 0
 *   sendfile IN OUT              write 1234 bytes to IN, sendfile them to
 *                                OUT ("PID IN OUT")
 *   splice FILE                  write 300 to pipe P, tee P to pipe Q,
 *                                splice P to FILE ("PID P_READ Q_WRITE FILE
 *                                P_INODE Q_INODE"), exit at once
 *   special                      write 42 to a unix socket, 8 to an eventfd
 *                                ("PID SOCKET EVENTFD SOCKET_INODE"), exit
 *   quick FILE                   write 77 to FILE and exit at once
 * The last three do not hold their fds: by the time the monitor reads their
 * events, /proc no longer has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[1 << 20];

static int die(const char *what)
{
	fprintf(stderr, "io_helper: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* fd moved to the lowest free number >= want, without close or dup2 onto it. */
static int move_fd(int fd, int want, int cmd)
{
	int moved = fcntl(fd, cmd, want);

	if (moved != want)
		die("F_DUPFD");
	close(fd);
	return moved;
}

static int open_rw(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(file);
	return fd;
}

static void announce(int fd)
{
	printf("%d %d\n", (int)getpid(), fd);
	fflush(stdout);
}

static unsigned long ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return (unsigned long)st.st_ino;
}

/* "PID FD... INODE..." in one write: the inodes of the first n_ino fds. */
static void announce_fds(int n, const int *fds, int n_ino)
{
	printf("%d", (int)getpid());
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	for (int i = 0; i < n_ino; i++)
		printf(" %lu", ino_of(fds[i]));
	printf("\n");
	fflush(stdout);
}

/* The calls of 2.6.30+ and 4.6+ with offsets, each moving a known size. */
static void pv(const char *file)
{
	struct iovec w[4] = { { buf, 1 }, { buf, 2 }, { buf, 3 }, { buf, 4 } };
	struct iovec w2[2] = { { buf, 5 }, { buf, 6 } };
	struct iovec r[1] = { { buf, 7 } };
	struct iovec r2[2] = { { buf, 8 }, { buf, 9 } };
	int fd = open_rw(file);

	announce(fd);
	if (pwritev(fd, w, 4, 0) != 10 || pwritev2(fd, w2, 2, 10, 0) != 11 ||
	    preadv(fd, r, 1, 0) != 7 || preadv2(fd, r2, 2, 0, 0) != 17)
		die("pv");
}

static void copies(int argc, char **argv)
{
	const char *cmd = argv[1];
	int fds[3], p[2], q[2];

	if (!strcmp(cmd, "sendfile") && argc == 4) {
		fds[0] = open_rw(argv[2]);
		fds[1] = open_rw(argv[3]);
		announce_fds(2, fds, 0);
		if (write(fds[0], buf, 1234) != 1234 || lseek(fds[0], 0, SEEK_SET) ||
		    sendfile(fds[1], fds[0], NULL, 1234) != 1234)
			die("sendfile");
	} else if (!strcmp(cmd, "splice") && argc == 3) {
		if (pipe(p) || pipe(q))
			die("pipe");
		fds[0] = p[0];
		fds[1] = q[1];
		fds[2] = open_rw(argv[2]);
		announce_fds(3, fds, 2);
		if (write(p[1], buf, 300) != 300 || tee(p[0], q[1], 300, 0) != 300 ||
		    splice(p[0], NULL, fds[2], NULL, 300, 0) != 300)
			die("splice");
	} else if (!strcmp(cmd, "special") && argc == 2) {
		uint64_t one = 1;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p))
			die("socketpair");
		fds[0] = p[0];
		fds[1] = eventfd(0, 0);
		if (fds[1] < 0)
			die("eventfd");
		announce_fds(2, fds, 1);
		if (write(fds[0], buf, 42) != 42 || write(fds[1], &one, 8) != 8)
			die("special");
	} else {
		fprintf(stderr, "io_helper: bad arguments for %s\n", cmd);
		exit(2);
	}
}

static void hold(void)
{
	printf("done\n");
	fflush(stdout);
	alarm(60);
	for (;;)
		pause();
}

static int vec(int argc, char **argv, bool write)
{
	struct iovec iov[64];
	int fd, n, size;

	if (argc != 5)
		return 2;
	n = atoi(argv[3]);
	size = atoi(argv[4]);
	if (n < 1 || n > 64 || size < 1 || (long)n * size > (long)sizeof(buf))
		return 2;
	fd = write ? open_rw(argv[2]) : open(argv[2], O_RDONLY);
	if (fd < 0)
		die(argv[2]);
	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){ buf + (long)i * size, size };
	announce(fd);
	if ((write ? writev(fd, iov, n) : readv(fd, iov, n)) < 0)
		die(write ? "writev" : "readv");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int fd;

	memset(buf, 'x', sizeof(buf));
	if (!strcmp(cmd, "write") && (argc == 5 || argc == 6)) {
		long total = atol(argv[3]), chunk = atol(argv[4]);

		if (chunk < 1 || chunk > (long)sizeof(buf))
			return 2;
		fd = open_rw(argv[2]);
		if (argc == 6)
			fd = move_fd(fd, atoi(argv[5]), F_DUPFD);
		announce(fd);
		for (long done = 0; done < total; done += chunk)
			if (write(fd, buf, total - done < chunk ? total - done : chunk) < 0)
				die("write");
	} else if (!strcmp(cmd, "all") && argc == 3) {
		struct iovec w[3] = { { buf, 1 }, { buf, 2 }, { buf, 3 } };
		struct iovec r[2] = { { buf, 4 }, { buf, 5 } };

		fd = open_rw(argv[2]);
		announce(fd);
		if (write(fd, buf, 100) != 100 || pwrite(fd, buf, 200, 1000) != 200 ||
		    lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, 10) != 10 ||
		    pread(fd, buf, 20, 1000) != 20 || writev(fd, w, 3) != 6 ||
		    readv(fd, r, 2) != 9)
			die("all");
	} else if (!strcmp(cmd, "writev") || !strcmp(cmd, "readv")) {
		int err = vec(argc, argv, cmd[0] == 'w');

		if (err)
			return err;
	} else if (!strcmp(cmd, "badread") && argc == 3) {
		fd = atoi(argv[2]);
		announce(fd);
		if (read(fd, buf, 10) >= 0 || errno != EBADF)
			die("badread: expected EBADF");
	} else if (!strcmp(cmd, "slowread") && argc == 2) {
		int p[2];
		pid_t child;

		if (pipe(p))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			usleep(300000);
			_exit(write(p[1], "hello", 5) != 5);
		}
		announce(p[0]);
		if (read(p[0], buf, 100) != 5)
			die("slowread");
		waitpid(child, NULL, 0);
	} else if (!strcmp(cmd, "cloexec") && argc == 4) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			die("/proc/self/exe");
		self[n] = 0;
		fd = move_fd(open_rw(argv[2]), 40, F_DUPFD_CLOEXEC);
		announce(fd);
		if (write(fd, buf, 10) != 10)
			die("write");
		/* The real path: exec'ing /proc/self/exe would make comm "exe". */
		execl(self, "io_helper", "write", argv[3], "20", "20", "40", (char *)NULL);
		die("exec");
	} else if (!strcmp(cmd, "reuse") && argc == 5) {
		fd = open_rw(argv[3]);
		announce(fd);
		if (write(fd, buf, 10) != 10)
			die("write");
		if (!strcmp(argv[2], "close")) {
			close(fd);
			if (open_rw(argv[4]) != fd)
				die("reopen on the same fd");
		} else {
			int other = open_rw(argv[4]);

			if (dup2(other, fd) != fd)
				die("dup2");
			close(other);
		}
		if (write(fd, buf, 20) != 20)
			die("write");
	} else if (!strcmp(cmd, "pv") && argc == 3) {
		pv(argv[2]);
	} else if (!strcmp(cmd, "sendfile")) {
		copies(argc, argv);
	} else if (!strcmp(cmd, "splice") || !strcmp(cmd, "special") ||
		   (!strcmp(cmd, "quick") && argc == 3)) {
		if (cmd[0] == 'q') {
			fd = open_rw(argv[2]);
			announce(fd);
			if (write(fd, buf, 77) != 77)
				die("write");
		} else {
			copies(argc, argv);
		}
		/* Gone before the monitor reads the events: /proc cannot name the fds. */
		printf("done\n");
		fflush(stdout);
		return 0;
	} else {
		fprintf(stderr, "usage: io_helper write|all|writev|readv|badread|slowread|reuse|cloexec|"
			"pv|sendfile|splice|special|quick ...\n");
		return 2;
	}
	hold();
	return 0;
}
