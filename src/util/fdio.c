// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>

#include "util/fdio.h"

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Nothing written yet no error: retrying would spin. */
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}
