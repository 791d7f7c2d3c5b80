// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "util/users.h"

#define USER_CACHE_SIZE 256	/* open addressing; a full table stops caching */

struct user_entry {
	uid_t uid;
	char *name;		/* "" for a uid without a passwd entry */
	int used;
};

static struct user_entry cache[USER_CACHE_SIZE];

static char *lookup_name(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		return strdup("");
	return strdup(pw.pw_name);
}

const char *user_name(uid_t uid)
{
	unsigned h = (uid * 2654435761u) % USER_CACHE_SIZE;
	char *name;

	for (unsigned i = 0; i < USER_CACHE_SIZE; i++) {
		struct user_entry *e = &cache[(h + i) % USER_CACHE_SIZE];

		if (e->used && e->uid == uid)
			return e->name && e->name[0] ? e->name : NULL;
		if (!e->used) {
			e->name = lookup_name(uid);
			e->uid = uid;
			e->used = 1;
			return e->name && e->name[0] ? e->name : NULL;
		}
	}
	/* Table full (more than 256 uids seen): reuse the home slot. */
	name = lookup_name(uid);
	free(cache[h].name);
	cache[h].name = name;
	cache[h].uid = uid;
	return name && name[0] ? name : NULL;
}

int user_parse(const char *s, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*end && !errno && v <= 0xfffffffeul && s[0] != '-') {
		*uid = v;
		return 0;
	}
	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) || !res)
		return -ENOENT;
	*uid = pw.pw_uid;
	return 0;
}

void users_cache_free(void)
{
	for (unsigned i = 0; i < USER_CACHE_SIZE; i++) {
		free(cache[i].name);
		cache[i].name = NULL;
		cache[i].used = 0;
	}
}
