/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_STRBUF_H
#define EBPFMON_STRBUF_H

#include <stddef.h>

/* A growable, always NUL-terminated byte buffer. Functions return 0 or -ENOMEM. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addc(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns the buffer (never NULL: "" when empty) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/*
 * Make room for element n of the array *v of *cap elements of size bytes,
 * doubling it (from 64): 0 or -ENOMEM. ARRAY_GROW(v, cap, n) for typed arrays.
 */
int array_grow(void **v, size_t *cap, size_t n, size_t size);
#define ARRAY_GROW(v, cap, n) array_grow((void **)&(v), &(cap), (n), sizeof(*(v)))

#endif
