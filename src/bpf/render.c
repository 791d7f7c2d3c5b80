// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/embedded.h"
#include "util/log.h"
#include "bpf/render.h"
#include "util/strbuf.h"
#include "util/trust.h"

#define RENDER_MAX_DEPTH 8

static char *resource_dir;

int render_vars__set(struct render_vars *rv, const char *name, const char *fmt, ...)
{
	char *value = NULL, **names, **values;
	va_list ap;
	int n, err = 0;

	va_start(ap, fmt);
	n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	for (size_t i = 0; i < rv->n; i++) {
		if (!strcmp(rv->names[i], name)) {
			free(rv->values[i]);
			rv->values[i] = value;
			return 0;
		}
	}
	names = realloc(rv->names, (rv->n + 1) * sizeof(*names));
	if (!names) {
		err = -ENOMEM;
		goto fail;
	}
	rv->names = names;
	values = realloc(rv->values, (rv->n + 1) * sizeof(*values));
	if (!values) {
		err = -ENOMEM;
		goto fail;
	}
	rv->values = values;
	rv->names[rv->n] = strdup(name);
	if (!rv->names[rv->n]) {
		err = -ENOMEM;
		goto fail;
	}
	rv->values[rv->n++] = value;
	return 0;
fail:
	free(value);
	return err;
}

const char *render_vars__get(const struct render_vars *rv, const char *name)
{
	if (!rv)
		return NULL;
	for (size_t i = 0; i < rv->n; i++)
		if (!strcmp(rv->names[i], name))
			return rv->values[i];
	return NULL;
}

void render_vars__free(struct render_vars *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		free(rv->names[i]);
		free(rv->values[i]);
	}
	free(rv->names);
	free(rv->values);
	memset(rv, 0, sizeof(*rv));
}

void resource_set_dir(const char *dir)
{
	free(resource_dir);
	resource_dir = dir ? strdup(dir) : NULL;
}

/*
 * A regular file's text; NULL with errno set otherwise (ENOENT, EISDIR, EIO,
 * EPERM: another user can write it, said on one line).
 */
static char *file_slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	int fd, err = 0;
	ssize_t n;

	/* Checked as a whole by resource_check_dir(); each file again as read. */
	fd = trust_open(path, "--probe-dir", !trust_insecure());
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (strbuf_add(&sb, chunk, n)) {
			err = ENOMEM;
			break;
		}
	}
	close(fd);
	if (err) {
		strbuf_release(&sb);
		errno = err;
		return NULL;
	}
	return strbuf_detach(&sb);
}

int resource_check_dir(void)
{
	static const char *const subdirs[] = { "probes", "templates" };
	char path[4096];
	struct stat st;
	int err;

	if (!resource_dir)
		return 0;
	/* The directory and what it holds, its probes/ and templates/ too. */
	err = trust_check_tree(resource_dir, 1, "--probe-dir");
	for (size_t i = 0; !err && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", resource_dir, subdirs[i]);
		if (!stat(path, &st) && S_ISDIR(st.st_mode))
			err = trust_check_tree(path, 1, "--probe-dir");
	}
	return err;
}

char *resource_load(const char *name)
{
	static const char *const subdirs[] = { "", "probes/", "templates/" };
	const struct embedded_file *ef;
	char path[4096];
	char *text;

	if (resource_dir) {
		for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s%s", resource_dir, subdirs[i], name);
			text = file_slurp(path);
			if (text)
				return text;
			if (errno != ENOENT && errno != EISDIR)
				return NULL;
		}
		errno = ENOENT;
		return NULL;
	}
	for (ef = embedded_files; ef->name; ef++) {
		if (!strcmp(ef->name, name)) {
			text = malloc(ef->len + 1);
			if (!text)
				return NULL;
			memcpy(text, ef->data, ef->len);
			text[ef->len] = 0;
			return text;
		}
	}
	errno = ENOENT;
	return NULL;
}

static int line_of(const char *text, const char *p)
{
	int line = 1;

	for (; text < p; text++)
		line += *text == '\n';
	return line;
}

static int render_into(struct strbuf *out, const char *name, const char *text,
		       const struct render_ctx *ctx, const struct render_vars *item,
		       int depth);

/* `#include "x.h"` at the start of a line: inline the rendered resource. */
static int render_include(struct strbuf *out, const char *name, const char *text,
			  const char *p, const char *q, const struct render_ctx *ctx,
			  const struct render_vars *item, int depth)
{
	char inc[256];
	char *sub;
	size_t len = q - p;
	int err;

	if (len >= sizeof(inc)) {
		pr_err("render: %s:%d: include name too long", name, line_of(text, p));
		return -EINVAL;
	}
	memcpy(inc, p, len);
	inc[len] = 0;
	if (depth >= RENDER_MAX_DEPTH) {
		pr_err("render: %s:%d: includes nested too deeply at \"%s\"", name,
		       line_of(text, p), inc);
		return -ELOOP;
	}
	sub = resource_load(inc);
	if (!sub) {
		err = -errno;
		pr_err("render: %s:%d: cannot include \"%s\": %s", name, line_of(text, p),
		       inc, strerror(errno));
		return err;
	}
	err = strbuf_addf(out, "/* ---- %s ---- */\n", inc);
	if (!err)
		err = render_into(out, inc, sub, ctx, item, depth + 1);
	free(sub);
	return err;
}

static int render_items(struct strbuf *out, const char *name, const char *text,
			const struct render_ctx *ctx, const struct render_vars *items,
			size_t n_items, int depth);

/* @REPEAT(file)@: the template file once per item of ctx->items. */
static int render_repeat_file(struct strbuf *out, const char *name, const char *text,
			      const char *at, const char *var, size_t klen,
			      const struct render_ctx *ctx, int depth)
{
	char file[128];
	char *tmpl;
	int err;

	if (klen - 8 >= sizeof(file)) {
		pr_err("render: %s:%d: template name too long", name, line_of(text, at));
		return -EINVAL;
	}
	memcpy(file, var + 7, klen - 8);
	file[klen - 8] = 0;
	/* A template that repeats itself (--probe-dir) would recurse for ever. */
	if (depth >= RENDER_MAX_DEPTH) {
		pr_err("render: %s:%d: templates nested too deeply at \"%s\"", name,
		       line_of(text, at), file);
		return -ELOOP;
	}
	tmpl = resource_load(file);
	if (!tmpl) {
		err = -errno;
		pr_err("render: %s:%d: cannot load template \"%s\": %s", name, line_of(text, at),
		       file, strerror(errno));
		return err;
	}
	err = render_items(out, file, tmpl, ctx, ctx->items, ctx->n_items, depth + 1);
	free(tmpl);
	return err;
}

/*
 * @RENDER(VAR)@: VAR's value rendered as a template itself (a user's program
 * source: its placeholders work), named in errors by VAR_NAME's value.
 */
static int render_var_text(struct strbuf *out, const char *name, const char *text,
			   const char *at, const char *var, size_t klen,
			   const struct render_ctx *ctx, const struct render_vars *item,
			   int depth)
{
	char inner[128], label[160];
	const struct render_vars *sets[] = { item, ctx->vars, ctx->globals };
	const char *value = NULL, *vname = NULL;

	snprintf(inner, sizeof(inner), "%.*s", (int)(klen - 8), var + 7);
	snprintf(label, sizeof(label), "%s_NAME", inner);
	for (size_t i = 0; i < 3; i++) {
		if (!value)
			value = render_vars__get(sets[i], inner);
		if (!vname)
			vname = render_vars__get(sets[i], label);
	}
	if (!value) {
		pr_err("render: %s:%d: unknown placeholder @%s@", name, line_of(text, at), var);
		return -EINVAL;
	}
	if (depth >= RENDER_MAX_DEPTH) {
		pr_err("render: %s:%d: nested too deeply at @%s@", name, line_of(text, at), var);
		return -ELOOP;
	}
	return render_into(out, vname ? vname : inner, value, ctx, item, depth + 1);
}

static int render_placeholder(struct strbuf *out, const char *name, const char *text,
			      const char *at, const char *key, size_t klen,
			      const struct render_ctx *ctx, const struct render_vars *item,
			      int depth)
{
	char var[128], type[64], member[64];
	const char *value = NULL;
	char *off = NULL;
	int err, used = 0;

	if (klen >= sizeof(var))
		goto unknown;
	memcpy(var, key, klen);
	var[klen] = 0;
	if (!strncmp(var, "REPEAT(", 7) && var[klen - 1] == ')' && klen > 8)
		return render_repeat_file(out, name, text, at, var, klen, ctx, depth);
	if (!strncmp(var, "RENDER(", 7) && var[klen - 1] == ')' && klen > 8)
		return render_var_text(out, name, text, at, var, klen, ctx, item, depth);
	/* BTF_OFFSETOF(type,member): the offset, or -1 for the probe's #if. */
	if (sscanf(var, "BTF_OFFSETOF(%63[a-z0-9_],%63[a-z0-9_])%n", type, member, &used) == 2 &&
	    used == (int)klen && strlen(type) < 63 && strlen(member) < 63) {
		long boff = -1;

		if (!ctx->btf_offset || ctx->btf_offset(ctx->offset_ctx, type, member, &boff))
			boff = -1;
		return strbuf_addf(out, "%ld", boff);
	}
	/* The whole placeholder must be OFFSETOF(type,member), nothing more. */
	if (sscanf(var, "OFFSETOF(%63[a-z0-9_],%63[a-z0-9_])%n", type, member, &used) == 2 &&
	    used == (int)klen && strlen(type) < 63 && strlen(member) < 63) {
		if (!ctx->offset) {
			pr_err("render: %s:%d: no struct offsets available for @%s@", name,
			       line_of(text, at), var);
			return -EINVAL;
		}
		err = ctx->offset(ctx->offset_ctx, type, member, &off);
		if (err) {
			pr_err("render: %s:%d: %s.%s: %s", name, line_of(text, at), type,
			       member, err == -ENOENT ? "no such struct member in this kernel"
						      : strerror(-err));
			return err;
		}
		err = strbuf_adds(out, off);
		free(off);
		return err;
	}
	value = render_vars__get(item, var);
	if (!value)
		value = render_vars__get(ctx->vars, var);
	if (!value)
		value = render_vars__get(ctx->globals, var);
	if (value)
		return strbuf_adds(out, value);
unknown:
	pr_err("render: %s:%d: unknown placeholder @%.*s@", name, line_of(text, at),
	       (int)klen, key);
	return -EINVAL;
}

static int is_key_char(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c) || c == '_';
}

static int render_into(struct strbuf *out, const char *name, const char *text,
		       const struct render_ctx *ctx, const struct render_vars *item,
		       int depth)
{
	const char *p = text;
	int err = 0;

	while (*p && !err) {

		if (!strncmp(p, "#include \"", 10)) {
			const char *q = strchr(p + 10, '"');

			if (q && (!strchr(p, '\n') || q < strchr(p, '\n'))) {
				err = render_include(out, name, text, p + 10, q, ctx, item, depth);
				p = strchr(q, '\n');
				p = p ? p + 1 : q + strlen(q);
				if (!err)
					err = strbuf_addc(out, '\n');
				continue;
			}
		}
		/* One line at a time, placeholders replaced. */
		while (*p && *p != '\n' && !err) {
			const char *key = p + 1, *end;

			if (*p != '@') {
				const char *next = p;

				while (*next && *next != '\n' && *next != '@')
					next++;
				err = strbuf_add(out, p, next - p);
				p = next;
				continue;
			}
			if (!strncmp(key, "OFFSETOF(", 9) || !strncmp(key, "BTF_OFFSETOF(", 13) ||
			    !strncmp(key, "REPEAT(", 7) || !strncmp(key, "RENDER(", 7))
				end = strchr(key, '@');
			else
				for (end = key; is_key_char(*end); end++)
					;
			if (end && end > key && *end == '@' &&
			    (!strchr(key, '\n') || end < strchr(key, '\n'))) {
				err = render_placeholder(out, name, text, p, key, end - key, ctx, item,
							 depth);
				p = end + 1;
			} else {
				err = strbuf_addc(out, '@');
				p++;
			}
		}
		if (*p == '\n' && !err) {
			err = strbuf_addc(out, '\n');
			p++;
		}
	}
	return err;
}

char *render(const char *name, const char *text, const struct render_ctx *ctx)
{
	struct strbuf out = STRBUF_INIT;
	int err;

	err = render_into(&out, name, text, ctx, NULL, 0);
	if (err) {
		strbuf_release(&out);
		errno = -err;
		return NULL;
	}
	return strbuf_detach(&out);
}

/* TEXT once per item, with the item's vars and @INDEX@ unless it sets one. */
static int render_items(struct strbuf *out, const char *name, const char *text,
			const struct render_ctx *ctx, const struct render_vars *items,
			size_t n_items, int depth)
{
	int err = 0;

	for (size_t i = 0; i < n_items && !err; i++) {
		struct render_vars item = { 0 };

		for (size_t j = 0; j < items[i].n && !err; j++)
			err = render_vars__set(&item, items[i].names[j], "%s", items[i].values[j]);
		if (!err && !render_vars__get(&item, "INDEX"))
			err = render_vars__set(&item, "INDEX", "%zu", i);
		if (!err)
			err = render_into(out, name, text, ctx, &item, depth);
		render_vars__free(&item);
	}
	return err;
}

char *render_repeat(const char *name, const char *text, const struct render_ctx *ctx,
		    const struct render_vars *items, size_t n_items)
{
	struct strbuf out = STRBUF_INIT;
	int err = render_items(&out, name, text, ctx, items, n_items, 0);

	if (err) {
		strbuf_release(&out);
		errno = -err;
		return NULL;
	}
	return strbuf_detach(&out);
}
