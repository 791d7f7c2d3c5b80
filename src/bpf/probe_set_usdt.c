// SPDX-License-Identifier: GPL-2.0
/*
 * src/bpf/probe_set*.c are the only files that include libbcc's headers and
 * call it: libbcc's -1 (or NULL) and errno become -errno in them.
 */
/*
 * This one: USDT probes (SystemTap SDT notes) through libbcc's USDT API.
 * libbcc finds the probe, its locations, its semaphore and each argument's
 * spec ("8@%rbp", "-4@112(%rsp)"); the code reading the arguments is made
 * here from those specs, and the semaphore is the kernel's uprobe reference
 * counter (ref_ctr_offset, 4.20+), for two reasons measured on libbcc 0.26:
 * bcc_usdt_enable_probe refuses a probe with a semaphore on a path context
 * (it sets semaphores through /proc/PID/mem, so it needs a pid), and a
 * semaphore the kernel counts is dropped by the kernel when the uprobe goes,
 * even if this process dies: no traced process is left paying for probes.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_syms.h>
#include <bcc/bcc_usdt.h>
#include <bcc/libbpf.h>

#include "util/log.h"
#include "bpf/probe_set_int.h"

#define USDT_MAX_LOCATIONS	64

struct usdt_location {
	char *bin_path;		/* the file the uprobe goes on (/proc/PID/root/... for a pid) */
	uint64_t offset;	/* file offset of the probe's nop */
	struct bcc_usdt_argument args[USDT_MAX_ARGS];
	char *base[USDT_MAX_ARGS], *index[USDT_MAX_ARGS];	/* register names, ours */
};

struct usdt_probe {
	char *provider, *name;
	int pid;
	int n_args;
	uint64_t semaphore;	/* file offset of the semaphore in bin_path; 0: none */
	int n_locations;
	struct usdt_location loc[USDT_MAX_LOCATIONS];
};

/* bcc_usdt_foreach's callback takes no context: the search in progress. */
static __thread struct usdt_probe *usdt_search;

static void usdt_semaphore_cb(struct bcc_usdt *u)
{
	struct usdt_probe *p = usdt_search;

	if (p && !strcmp(u->provider, p->provider) && !strcmp(u->name, p->name) && u->semaphore)
		p->semaphore = u->semaphore_offset;
}

void usdt_probe__free(struct usdt_probe *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_locations; i++) {
		free(p->loc[i].bin_path);
		for (int j = 0; j < USDT_MAX_ARGS; j++) {
			free(p->loc[i].base[j]);
			free(p->loc[i].index[j]);
		}
	}
	free(p->provider);
	free(p->name);
	free(p);
}

/* The location's address (an ELF virtual address) as a file offset. */
static int usdt_file_offset(const char *bin_path, uint64_t addr, uint64_t *offset)
{
	struct bcc_symbol sym = { 0 };
	struct bcc_symbol_option opt = {
		.use_debug_file = 0,
		.check_debug_file_crc = 0,
		.lazy_symbolize = 1,
		.use_symbol_type = 0,
	};

	if (bcc_resolve_symname(bin_path, NULL, addr, 0, &opt, &sym) < 0)
		return -ENOENT;
	*offset = sym.offset;
	free((void *)sym.module);
	return 0;
}

static int usdt_location_read(void *ctx, struct usdt_probe *p, int i)
{
	struct usdt_location *l = &p->loc[i];
	struct bcc_usdt_location bl;
	int err;

	if (bcc_usdt_get_location(ctx, p->provider, p->name, i, &bl))
		return -ENOENT;
	l->bin_path = strdup(bl.bin_path);
	if (!l->bin_path)
		return -ENOMEM;
	err = usdt_file_offset(l->bin_path, bl.address, &l->offset);
	for (int a = 0; !err && a < p->n_args; a++) {
		struct bcc_usdt_argument *arg = &l->args[a];

		if (bcc_usdt_get_argument(ctx, p->provider, p->name, i, a, arg))
			return -EINVAL;
		/* libbcc's strings live in the context, which goes. */
		if (arg->base_register_name && !(l->base[a] = strdup(arg->base_register_name)))
			return -ENOMEM;
		if (arg->index_register_name && !(l->index[a] = strdup(arg->index_register_name)))
			return -ENOMEM;
		if (arg->valid & BCC_USDT_ARGUMENT_DEREF_IDENT)
			err = -EOPNOTSUPP;	/* a global symbol's address: not done here */
		arg->deref_ident = NULL;
		arg->base_register_name = l->base[a];
		arg->index_register_name = l->index[a];
	}
	return err;
}

int probe_set__usdt_find(const char *binary, int pid, const char *provider, const char *name,
			 struct usdt_probe **out)
{
	struct usdt_probe *p = calloc(1, sizeof(*p));
	struct bcc_usdt_location bl;
	struct bcc_usdt_argument arg;
	void *ctx = NULL;
	int err = 0, n;

	*out = NULL;
	if (!binary && pid <= 0) {
		free(p);
		return -EINVAL;	/* no binary, no process: nothing to look in */
	}
	if (!p)
		return -ENOMEM;
	p->provider = strdup(provider);
	p->name = strdup(name);
	p->pid = pid > 0 ? pid : 0;
	if (!p->provider || !p->name) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
		err = -ESRCH;
		goto cleanup;
	}
	if (binary && access(binary, R_OK)) {
		err = -errno;
		goto cleanup;
	}
	errno = 0;
	ctx = pid > 0 ? bcc_usdt_new_frompid(pid, binary) : bcc_usdt_new_frompath(binary);
	if (!ctx) {
		err = errno ? -errno : -ENOEXEC;	/* libbcc says no more: not an ELF file */
		goto cleanup;
	}
	for (n = 0; n < USDT_MAX_LOCATIONS && !bcc_usdt_get_location(ctx, provider, name, n, &bl);
	     n++)
		;
	if (!n) {
		err = -ENODATA;		/* no such probe in it */
		goto cleanup;
	}
	for (p->n_args = 0; p->n_args < USDT_MAX_ARGS &&
	     !bcc_usdt_get_argument(ctx, provider, name, 0, p->n_args, &arg); p->n_args++)
		;
	for (int i = 0; i < n && !err; i++) {
		err = usdt_location_read(ctx, p, i);
		p->n_locations++;
	}
	if (err)
		goto cleanup;
	usdt_search = p;
	bcc_usdt_foreach(ctx, usdt_semaphore_cb);
	usdt_search = NULL;
	*out = p;
	p = NULL;
cleanup:
	if (ctx)
		bcc_usdt_close(ctx);
	usdt_probe__free(p);
	return err;
}

int usdt_probe__n_args(const struct usdt_probe *p)
{
	return p->n_args;
}

int usdt_probe__n_locations(const struct usdt_probe *p)
{
	return p->n_locations;
}

/* A register name as libbcc gives it (a struct pt_regs member): it goes into C text. */
static bool usdt_reg_ok(const char *r)
{
	if (!r || !*r || strlen(r) > 8)
		return false;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9')))
			return false;
	return true;
}

/* One argument into argv[I] as a u64, sign-extended when its spec says signed. */
static int usdt_gen_arg(struct strbuf *out, const struct bcc_usdt_argument *a, int i)
{
	int size = a->size < 0 ? -a->size : a->size;
	const char *cast;
	int err;

	switch (a->size) {
	case 1: cast = "(__u64)(__u8)"; break;
	case -1: cast = "(__u64)(__s64)(__s8)"; break;
	case 2: cast = "(__u64)(__u16)"; break;
	case -2: cast = "(__u64)(__s64)(__s16)"; break;
	case 4: cast = "(__u64)(__u32)"; break;
	case -4: cast = "(__u64)(__s64)(__s32)"; break;
	case 8: case -8: cast = "(__u64)"; break;
	default: return -EOPNOTSUPP;
	}
	if (((a->valid & BCC_USDT_ARGUMENT_BASE_REGISTER_NAME) &&
	     !usdt_reg_ok(a->base_register_name)) ||
	    ((a->valid & BCC_USDT_ARGUMENT_INDEX_REGISTER_NAME) &&
	     !usdt_reg_ok(a->index_register_name)))
		return -EOPNOTSUPP;
	if (!(a->valid & BCC_USDT_ARGUMENT_BASE_REGISTER_NAME)) {
		if (!(a->valid & BCC_USDT_ARGUMENT_CONSTANT))
			return -EOPNOTSUPP;
		return strbuf_addf(out, "\targv[%d] = %s%lldLL;\n", i, cast, a->constant);
	}
	if (!(a->valid & BCC_USDT_ARGUMENT_DEREF_OFFSET))
		return strbuf_addf(out, "\targv[%d] = %sctx->%s;\n", i, cast, a->base_register_name);
	/* A value in memory: base + offset (+ index * scale), read from the process. */
	err = strbuf_addf(out, "\t{\n\t\t__u64 a = (__u64)ctx->%s + (%d)", a->base_register_name,
			  a->deref_offset);
	if (!err && (a->valid & BCC_USDT_ARGUMENT_INDEX_REGISTER_NAME))
		err = strbuf_addf(out, " + (__u64)ctx->%s * %d", a->index_register_name,
				  (a->valid & BCC_USDT_ARGUMENT_SCALE) ? a->scale : 1);
	if (!err)
		err = strbuf_addf(out, ";\n\t\t__u%d v = 0;\n\n"
				  "\t\tbpf_probe_read_user(&v, %d, (void *)a);\n"
				  "\t\targv[%d] = %sv;\n\t}\n", size * 8, size, i, cast);
	return err;
}

/* S with every byte but [A-Za-z0-9_.:/+-] as '?'. */
static int usdt_comment_add(struct strbuf *out, const char *s)
{
	int err = 0;

	for (; *s && !err; s++) {
		char c = *s;
		bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("_.:/+-", c);

		err = strbuf_addc(out, safe ? c : '?');
	}
	return err;
}

int usdt_probe__gen_args(const struct usdt_probe *p, int loc, const char *fn, struct strbuf *out)
{
	const struct usdt_location *l;
	int err;

	if (loc < 0 || loc >= p->n_locations)
		return -EINVAL;
	for (const char *c = fn; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return -EINVAL;
	l = &p->loc[loc];
	/* Names from the ELF notes and the file's path, as C comment text: no "*\/" in it. */
	err = strbuf_adds(out, "/* ");
	err |= usdt_comment_add(out, p->provider);
	err |= strbuf_addc(out, ':');
	err |= usdt_comment_add(out, p->name);
	err |= strbuf_adds(out, " at ");
	err |= usdt_comment_add(out, l->bin_path);
	if (!err)
		err = strbuf_addf(out, "+0x%llx */\n"
				  "static __always_inline int %s(struct pt_regs *ctx, __u64 *argv)\n{\n",
				  (unsigned long long)l->offset, fn);
	for (int i = 0; !err && i < p->n_args; i++)
		err = usdt_gen_arg(out, &l->args[i], i);
	if (!err)
		err = strbuf_addf(out, "\treturn %d;\n}\n", p->n_args);
	return err;
}

int probe_set__attach_usdt(struct probe_set *ps, const char *fn, const struct usdt_probe *p,
			   int loc)
{
	const struct usdt_location *l;
	char what[PATH_MAX + 300];
	int prog;

	if (loc < 0 || loc >= p->n_locations)
		return -EINVAL;
	l = &p->loc[loc];
	snprintf(what, sizeof(what), "usdt %s:%s at %s+0x%llx", p->provider, p->name, l->bin_path,
		 (unsigned long long)l->offset);
	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return prog;
	return probe_uprobe_attach(ps, prog, false, l->bin_path, l->offset, p->pid,
				   (uint32_t)p->semaphore, what);
}
