/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_ERRNAMES_H
#define EBPFMON_ERRNAMES_H

#include <string.h>

/* "ENOENT" for 2; NULL when unknown. */
static inline const char *errno_name(int err)
{
	return err > 0 ? strerrorname_np(err) : NULL;
}

#endif
