/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_RENDER_H
#define EBPFMON_RENDER_H

#include <stddef.h>

/*
 * Probe sources are templates: @NAME@ is a variable, @OFFSETOF(type,member)@
 * a struct member offset of the running kernel (an error when unknown),
 * @BTF_OFFSETOF(type,member)@ that offset from BTF or -1 (no BTF, no such
 * member: never an error, the probe tests it in an #if), @REPEAT(file)@ the template
 * file rendered once per item of ctx->items (each item's vars and @INDEX@
 * apply), @RENDER(VAR)@ the value of VAR rendered as a template (named
 * VAR_NAME's value in errors: a user's program), and a line `#include "file.h"` is replaced by that file (from the
 * embedded set, or --probe-dir), itself rendered.
 */
struct render_vars {
	char **names;
	char **values;
	size_t n;
};

int render_vars__set(struct render_vars *rv, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *render_vars__get(const struct render_vars *rv, const char *name);
void render_vars__free(struct render_vars *rv);

/* Resolves OFFSETOF: *out is malloc'd C text (a number, or an offsetof()). */
typedef int (*render_offset_fn)(void *ctx, const char *type, const char *member,
				char **out);

/* Resolves BTF_OFFSETOF: 0 and *off, or -errno (rendered -1). */
typedef int (*render_btf_offset_fn)(void *ctx, const char *type, const char *member,
				    long *off);

struct render_ctx {
	const struct render_vars *vars;		/* looked up first */
	const struct render_vars *globals;	/* then these */
	render_offset_fn offset;
	render_btf_offset_fn btf_offset;
	void *offset_ctx;			/* for both */
	const struct render_vars *items;	/* for @REPEAT(file)@ */
	size_t n_items;
};

/*
 * Render template TEXT (named NAME in errors). Returns malloc'd text, or NULL
 * with errno set after one error line such as
 * "render: NAME.bpf.c:12: unknown placeholder @FOO@".
 */
char *render(const char *name, const char *text, const struct render_ctx *ctx);

/* Expand TEXT once per item, with the item's vars and @INDEX@ (0, 1, ...). */
char *render_repeat(const char *name, const char *text, const struct render_ctx *ctx,
		    const struct render_vars *items, size_t n_items);

/* Probe and template files: embedded at build time, or read from a directory. */
void resource_set_dir(const char *dir);
/*
 * That directory, its probes/ and templates/ and the files in them must be
 * writable by no other user (see util/trust.h): 0 or -EPERM after one line.
 */
int resource_check_dir(void);
/* malloc'd, NUL-terminated; NULL with errno set (ENOENT when unknown). */
char *resource_load(const char *name);

#endif
