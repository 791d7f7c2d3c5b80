/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_USERS_H
#define EBPFMON_USERS_H

#include <sys/types.h>

/* User name of uid, cached; NULL when the uid has no passwd entry. */
const char *user_name(uid_t uid);
/* "root" or "0" -> uid; 0 or -ENOENT (no such user) / -EINVAL. */
int user_parse(const char *s, uid_t *uid);
void users_cache_free(void);

#endif
