// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "util/fdio.h"

int fd_write_part(int fd, const void *buf, size_t len, size_t *done)
{
	const char *p = buf;
	int err = 0;

	*done = 0;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A non-blocking fd we were given: wait as a blocking one would. */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				err = -errno;
				break;
			}
			continue;
		}
		if (n < 0) {
			err = -errno;
			break;
		}
		/* Nothing written yet no error: retrying would spin. */
		if (!n) {
			err = -EIO;
			break;
		}
		p += n;
		len -= n;
		*done += n;
	}
	return err;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	size_t done;

	return fd_write_part(fd, buf, len, &done);
}
