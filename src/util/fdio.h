/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_FDIO_H
#define EBPFMON_FDIO_H

#include <stddef.h>

/*
 * Write all len bytes of buf to fd, going on after short writes and EINTR:
 * 0 or -errno.
 */
int fd_write_all(int fd, const void *buf, size_t len);
/*
 * The same, saying in *done how many bytes went out before an error. A
 * non-blocking fd is waited for (poll) as if it blocked.
 */
int fd_write_part(int fd, const void *buf, size_t len, size_t *done);

#endif
