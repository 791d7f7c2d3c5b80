// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the probe template renderer (src/bpf/render.c). The
 * input is NUL-separated parts:
 *
 *   TEMPLATE \0 VARS \0 GLOBALS \0 ITEM \0 ITEM ...
 *
 * where VARS, GLOBALS and each ITEM are lines NAME=VALUE (a line without
 * '=' is a name with an empty value). The template is rendered with
 * render() and, once per item, with render_repeat(); #include and
 * @REPEAT(file)@ load the embedded probes and templates. OFFSETOF answers
 * from the member's name: "missing*" is not there, "broken*" fails, others
 * are a number, so every path of the callback is reached.
 *
 * FUZZ_VERBOSE=1 keeps the renderer's error lines on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/render.h"
#include "util/log.h"

/* More items than this say nothing new and only take time. */
#define FUZZ_MAX_ITEMS 4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int offset_cb(void *ctx, const char *type, const char *member, char **out)
{
	(void)ctx;
	if (!strncmp(member, "missing", 7))
		return -ENOENT;
	if (!strncmp(member, "broken", 6))
		return -EIO;
	return asprintf(out, "%zu", strlen(type) * 8 + strlen(member)) < 0 ? -ENOMEM : 0;
}

/* Lines NAME=VALUE of TEXT into RV. */
static void vars_parse(struct render_vars *rv, const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;

	if (!copy)
		abort();
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq)
			*eq = '\0';
		if (render_vars__set(rv, line, "%s", eq ? eq + 1 : ""))
			abort();
	}
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!getenv("FUZZ_VERBOSE") && log_open(LOG_TARGET_FILE, "/dev/null"))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_vars vars = { 0 }, globals = { 0 }, items[FUZZ_MAX_ITEMS] = { { 0 } };
	struct render_ctx ctx = {
		.vars = &vars, .globals = &globals, .offset = offset_cb, .items = items,
	};
	/* The parts as C strings: one more NUL closes the last. */
	char *buf = malloc(size + 1), *part, *text;
	size_t n_parts = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	text = buf;
	for (part = buf; part <= buf + size; part += strlen(part) + 1, n_parts++) {
		if (n_parts == 1)
			vars_parse(&vars, part);
		else if (n_parts == 2)
			vars_parse(&globals, part);
		else if (n_parts >= 3 && ctx.n_items < FUZZ_MAX_ITEMS)
			vars_parse(&items[ctx.n_items++], part);
	}

	free(render("fuzz.bpf.c", text, &ctx));
	free(render_repeat("fuzz.bpf.c", text, &ctx, items, ctx.n_items));
	/* Without the callback: OFFSETOF is then an error of its own. */
	ctx.offset = NULL;
	free(render("fuzz.bpf.c", text, &ctx));

	render_vars__free(&vars);
	render_vars__free(&globals);
	for (size_t i = 0; i < ctx.n_items; i++)
		render_vars__free(&items[i]);
	free(buf);
	return 0;
}
