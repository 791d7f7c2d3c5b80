// SPDX-License-Identifier: GPL-2.0
/*
 * src/bpf/probe_set.c, probe_set_buffers.c and probe_set_maps.c are the only
 * files that include libbcc's headers and call it: libbcc's -1 (or NULL) and
 * errno become -errno in them, and nowhere else sees libbcc.
 */
/*
 * This one: a probe set's lifetime, its compile, its programs' loads,
 * attaches and detaches. Buffers and polling are in probe_set_buffers.c,
 * reads and writes of its maps in probe_set_maps.c.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/bcc_syms.h>
#include <bcc/libbpf.h>

#include "bpf/kernel.h"
#include "util/log.h"
#include "bpf/probe_set_int.h"

#define VERIFIER_LOG_SIZE (16u << 20)
/* "uretprobe PATH:SYMBOL" */
#define PATH_MAX_WHAT 4352

/* "0-3,5" -> list; returns count or -errno. */
int cpu_list_read(const char *path, int **cpus)
{
	char buf[1024], *p, *tok, *save = NULL;
	int n = 0, *v = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (p = buf; (tok = strtok_r(p, ",\n", &save)); p = NULL) {
		int a, b;

		if (sscanf(tok, "%d-%d", &a, &b) != 2) {
			if (sscanf(tok, "%d", &a) != 1)
				continue;
			b = a;
		}
		for (int c = a; c <= b; c++) {
			int *grown = realloc(v, (n + 1) * sizeof(*v));

			if (!grown) {
				free(v);
				return -ENOMEM;
			}
			v = grown;
			v[n++] = c;
		}
	}
	*cpus = v;
	return n;
}

struct probe_set *probe_set__new(const struct kernel_info *ki)
{
	struct probe_set *ps = calloc(1, sizeof(*ps));
	int *cpus = NULL, n;

	if (!ps)
		return NULL;
	ps->ki = ki;
	n = cpu_list_read("/sys/devices/system/cpu/possible", &cpus);
	free(cpus);
	ps->n_possible_cpus = n > 0 ? n : 1;
	return ps;
}

static void attachment_close(struct attachment *a)
{
	if (a->perf_event)
		bpf_close_perf_event_fd(a->fd);
	else
		close(a->fd);
	if (a->kprobe_event && a->uprobe)
		bpf_detach_uprobe(a->kprobe_event);
	else if (a->kprobe_event)
		bpf_detach_kprobe(a->kprobe_event);
	free(a->kprobe_event);
	free(a->what);
}

static void prog_close(struct prog *p)
{
	close(p->fd);
	free(p->name);
}

void probe_set__free(struct probe_set *ps)
{
	if (!ps)
		return;
	probe_buffers_free(ps);
	for (size_t i = ps->n_att; i-- > 0;)
		attachment_close(&ps->att[i]);
	free(ps->att);
	for (size_t i = 0; i < ps->n_progs; i++)
		prog_close(&ps->progs[i]);
	free(ps->progs);
	for (size_t i = 0; i < ps->n_tables; i++) {
		close(ps->tables[i].fd);
		free(ps->tables[i].name);
	}
	free(ps->tables);
	for (size_t i = 0; i < ps->n_functions; i++)
		free(ps->functions[i]);
	free(ps->functions);
	if (ps->mod)
		bpf_module_destroy(ps->mod);
	strbuf_release(&ps->src);
	free(ps);
}

int probe_set__add_source(struct probe_set *ps, const char *text)
{
	int err = strbuf_adds(&ps->src, text);

	if (!err && ps->src.len && ps->src.buf[ps->src.len - 1] != '\n')
		err = strbuf_addc(&ps->src, '\n');
	return err;
}

const char *probe_set__source(const struct probe_set *ps)
{
	return ps->src.buf ? ps->src.buf : "";
}

/*
 * What the rest of the run needs from the module, kept apart from it: the
 * tables (fds duplicated) and the program names. Then the compiler can go.
 */
static int module_index(struct probe_set *ps)
{
	size_t n_tables = bpf_num_tables(ps->mod), n_fn = bpf_num_functions(ps->mod);

	ps->tables = calloc(n_tables ? n_tables : 1, sizeof(*ps->tables));
	ps->functions = calloc(n_fn ? n_fn : 1, sizeof(*ps->functions));
	if (!ps->tables || !ps->functions)
		return -ENOMEM;
	for (size_t i = 0; i < n_tables; i++) {
		struct table *t = &ps->tables[ps->n_tables];
		int fd = bpf_table_fd_id(ps->mod, i);

		if (fd < 0)
			continue;
		t->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (t->fd < 0)
			return -errno;
		t->name = strdup(bpf_table_name(ps->mod, i));
		t->key_size = bpf_table_key_size_id(ps->mod, i);
		t->value_size = bpf_table_leaf_size_id(ps->mod, i);
		t->type = bpf_table_type_id(ps->mod, i);
		ps->n_tables++;
		if (!t->name)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n_fn; i++) {
		ps->functions[i] = strdup(bpf_function_name(ps->mod, i));
		if (!ps->functions[i])
			return -ENOMEM;
		ps->n_functions++;
	}
	return 0;
}


void probe_set__release_compiler(struct probe_set *ps)
{
	if (!ps->mod)
		return;
	bpf_module_destroy(ps->mod);
	ps->mod = NULL;
	/* Their heap is free now: hand it back to the system too. */
	malloc_trim(0);
}

int probe_set__compile(struct probe_set *ps)
{
	char **cflags = NULL, **grown;
	int ncflags = 0, saved_stdout = -1, err;

	err = kernel_info__apply_headers(ps->ki, &cflags, &ncflags);
	if (err)
		goto cleanup;
	/*
	 * No debug info: libbcc asks clang for it only to give the maps BTF,
	 * which nothing here needs, and it cost 18% of the compile (all six
	 * tracepoint monitors: 480 -> 430 ms).
	 */
	grown = realloc(cflags, (ncflags + 1) * sizeof(*cflags));
	if (!grown || !(grown[ncflags] = strdup("-g0"))) {
		if (grown)
			cflags = grown;
		err = -ENOMEM;
		goto cleanup;
	}
	cflags = grown;
	ncflags++;
	for (int i = 0; i < ncflags; i++)
		pr_debug("probe: clang flag %s", cflags[i]);
	/* libbcc prints some diagnostics on stdout, which carries only data. */
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	errno = 0;
	ps->mod = bpf_module_create_c_from_string(probe_set__source(ps), 0,
						  (const char **)cflags, ncflags, true, NULL);
	err = ps->mod ? 0 : (errno ? -errno : -EINVAL);
	fflush(stdout);
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	if (err)
		pr_err("probe: compiling the probes failed (clang's messages above; "
		       "--dump-probe MONITOR shows the source)");
	else
		err = module_index(ps);
cleanup:
	for (int i = 0; i < ncflags; i++)
		free(cflags[i]);
	free(cflags);
	return err;
}

static struct prog *prog_find(struct probe_set *ps, const char *fn)
{
	for (size_t i = 0; i < ps->n_progs; i++)
		if (!strcmp(ps->progs[i].name, fn))
			return &ps->progs[i];
	return NULL;
}

int probe_prog_load(struct probe_set *ps, const char *fn, int prog_type)
{
	struct prog *p = prog_find(ps, fn), *grown;
	void *start;
	size_t size;
	char *log = NULL, *name;
	int debug = log_get_level() >= LOG_LEVEL_DEBUG;
	int fd;

	if (p && !p->owner)
		p->owner = ps->owner;
	if (p)
		return p->fd;
	if (!ps->mod)
		return -EINVAL;
	start = bpf_function_start(ps->mod, fn);
	size = bpf_function_size(ps->mod, fn);
	if (!start) {
		pr_err("probe: no program %s in the compiled probes", fn);
		return -ENOENT;
	}
	if (debug)
		log = malloc(VERIFIER_LOG_SIZE);
	errno = 0;
	fd = bcc_func_load(ps->mod, prog_type, fn, start, size, bpf_module_license(ps->mod),
			   bpf_module_kern_version(ps->mod), log ? 1 : 0, log,
			   log ? VERIFIER_LOG_SIZE : 0, NULL, -1);
	fd = bcc_err(fd);
	/* On a failed load libbcc prints the verifier's log in full itself. */
	if (fd >= 0 && log && log[0])
		pr_debug("probe: verifier log for %s:\n%s", fn, log);
	free(log);
	if (fd < 0) {
		pr_err("probe: failed to load %s: %s", fn, strerror(-fd));
		return fd;
	}
	grown = realloc(ps->progs, (ps->n_progs + 1) * sizeof(*grown));
	name = strdup(fn);
	if (!grown || !name) {
		if (grown)
			ps->progs = grown;
		free(name);
		close(fd);
		return -ENOMEM;
	}
	ps->progs = grown;
	ps->progs[ps->n_progs++] = (struct prog){ .name = name, .fd = fd, .owner = ps->owner };
	return fd;
}

int probe_set__load_known(struct probe_set *ps)
{
	const void *owner = ps->owner;
	int err = 0;

	/* Loaded now, they belong to whoever attaches them later. */
	ps->owner = NULL;
	for (size_t i = 0; i < ps->n_functions && !err; i++) {
		const char *fn = ps->functions[i];
		int fd = 0;

		if (!strncmp(fn, "tracepoint__", 12))
			fd = probe_prog_load(ps, fn, BPF_PROG_TYPE_TRACEPOINT);
		else if (!strncmp(fn, "raw_tracepoint__", 16))
			fd = probe_prog_load(ps, fn, BPF_PROG_TYPE_RAW_TRACEPOINT);
		if (fd < 0)
			err = fd;
	}
	ps->owner = owner;
	return err;
}

void probe_set__set_owner(struct probe_set *ps, const void *owner)
{
	ps->owner = owner;
}

int probe_attachment_add(struct probe_set *ps, int fd, bool perf_event, const char *what)
{
	struct attachment *grown = realloc(ps->att, (ps->n_att + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	ps->att = grown;
	ps->att[ps->n_att].fd = fd;
	ps->att[ps->n_att].perf_event = perf_event;
	ps->att[ps->n_att].kprobe_event = NULL;
	ps->att[ps->n_att].uprobe = false;
	ps->att[ps->n_att].what = strdup(what);
	ps->att[ps->n_att].owner = ps->owner;
	ps->n_att++;
	return 0;
}

int probe_set__attach_tracepoint(struct probe_set *ps, const char *category,
				 const char *event)
{
	char fn[256];

	snprintf(fn, sizeof(fn), "tracepoint__%s__%s", category, event);
	return probe_set__attach_tracepoint_prog(ps, fn, category, event);
}

int probe_set__attach_tracepoint_prog(struct probe_set *ps, const char *fn,
				      const char *category, const char *event)
{
	char what[256];
	int prog, fd;

	snprintf(what, sizeof(what), "tracepoint %s:%s", category, event);
	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_TRACEPOINT);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_tracepoint(prog, category, event));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", what);
	return probe_attachment_add(ps, fd, true, what);
}

int probe_set__attach_raw_tracepoint(struct probe_set *ps, const char *event)
{
	char fn[256];

	snprintf(fn, sizeof(fn), "raw_tracepoint__%s", event);
	return probe_set__attach_raw_tracepoint_prog(ps, fn, event);
}

int probe_set__attach_raw_tracepoint_prog(struct probe_set *ps, const char *fn,
					  const char *event)
{
	char what[256];
	int prog, fd;

	snprintf(what, sizeof(what), "raw tracepoint %s", event);
	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_raw_tracepoint(prog, event));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", what);
	return probe_attachment_add(ps, fd, false, what);
}

int probe_set__attach_kprobe(struct probe_set *ps, const char *fn, const char *func,
			     bool retprobe)
{
	char ev[256], what[300];
	int prog, fd, err;

	/* Like libbcc's own names: unique per program and function. */
	snprintf(ev, sizeof(ev), "ebpfmon_%d_%s_%s", (int)getpid(), retprobe ? "r" : "p", func);
	for (char *c = ev; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(what, sizeof(what), "%s %s", retprobe ? "kretprobe" : "kprobe", func);
	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_kprobe(prog, retprobe ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY, ev,
				       func, 0, 0));
	if (fd < 0)
		return fd;
	err = probe_attachment_add(ps, fd, true, what);
	if (!err) {
		ps->att[ps->n_att - 1].kprobe_event = strdup(ev);
		pr_debug("probe: attached %s", what);
	}
	return err;
}

int probe_set__symbol_offset(const char *binary, const char *symbol, int pid, uint64_t *offset)
{
	struct bcc_symbol sym = { 0 };
	/* ELF symbols only: no debug files (slow, and another file to trust). */
	struct bcc_symbol_option opt = {
		.use_debug_file = 0,
		.check_debug_file_crc = 0,
		.lazy_symbolize = 1,
		.use_symbol_type = (1 << STT_FUNC) | (1 << STT_GNU_IFUNC),
	};
	int err;

	errno = 0;
	err = bcc_resolve_symname(binary, symbol, 0, pid > 0 ? pid : 0, &opt, &sym);
	if (err < 0)
		return -ENOENT;	/* libbcc says no more: no file, no ELF or no such symbol */
	*offset = sym.offset;
	free((void *)sym.module);
	return 0;
}

int probe_uprobe_attach(struct probe_set *ps, int prog, bool retprobe, const char *binary,
			uint64_t off, int pid, uint32_t ref_ctr, const char *what)
{
	static unsigned serial;
	char ev[256];
	int fd, err;

	/* Unique per run and probe: one symbol may be probed in several libraries. */
	snprintf(ev, sizeof(ev), "ebpfmon_%d_%s_%u", (int)getpid(), retprobe ? "r" : "p",
		 serial++);
	errno = 0;
	fd = bcc_err(bpf_attach_uprobe(prog, retprobe ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY, ev,
				       binary, off, pid > 0 ? pid : -1, ref_ctr));
	if (fd < 0) {
		/*
		 * When the kernel's uprobe PMU refuses it, libbcc falls back to a
		 * tracefs uprobe_events entry, which it leaves behind if that fails too.
		 */
		bpf_detach_uprobe(ev);
		return fd;
	}
	err = probe_attachment_add(ps, fd, true, what);
	if (!err) {
		ps->att[ps->n_att - 1].kprobe_event = strdup(ev);
		ps->att[ps->n_att - 1].uprobe = true;
		pr_debug("probe: attached %s", what);
	} else {
		bpf_close_perf_event_fd(fd);
		bpf_detach_uprobe(ev);
	}
	return err;
}

int probe_set__attach_uprobe(struct probe_set *ps, const char *fn, const char *binary,
			     const char *symbol, uint64_t offset, bool retprobe, int pid)
{
	char what[PATH_MAX_WHAT];
	uint64_t off = offset;
	int prog, err;

	if (symbol) {
		err = probe_set__symbol_offset(binary, symbol, pid, &off);
		if (err)
			return err;
		off += offset;
	}
	if (symbol)
		snprintf(what, sizeof(what), "%s %s:%s", retprobe ? "uretprobe" : "uprobe",
			 binary, symbol);
	else
		snprintf(what, sizeof(what), "%s %s:0x%llx", retprobe ? "uretprobe" : "uprobe",
			 binary, (unsigned long long)off);
	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return prog;
	return probe_uprobe_attach(ps, prog, retprobe, binary, off, pid, 0, what);
}

int probe_set__attach_kfunc(struct probe_set *ps, const char *fn)
{
	int prog, fd;

	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_TRACING);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_kfunc(prog));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", fn);
	return probe_attachment_add(ps, fd, false, fn);
}

bool probe_set__has_program(struct probe_set *ps, const char *fn)
{
	for (size_t i = 0; i < ps->n_functions; i++)
		if (!strcmp(ps->functions[i], fn))
			return true;
	return false;
}

int probe_set__recursion_misses(struct probe_set *ps, const void *owner, uint64_t *n)
{
	struct bpf_prog_info info;
	uint32_t len;
	int err = -ENOENT;

	*n = 0;
	for (size_t i = 0; i < ps->n_progs; i++) {
		if (ps->progs[i].owner != owner)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		err = bcc_err(bpf_obj_get_info_by_fd(ps->progs[i].fd, &info, &len));
		if (err)
			break;
		/* Before 5.12 the kernel fills less and the count stays 0. */
		*n += info.recursion_misses;
	}
	return err;
}

int probe_set__attach_perf_event(struct probe_set *ps, const char *fn, uint32_t type,
				 uint64_t config, uint64_t sample_period)
{
	return probe_set__attach_perf_event_freq(ps, fn, type, config, sample_period, 0);
}

int probe_set__attach_perf_event_freq(struct probe_set *ps, const char *fn, uint32_t type,
				      uint64_t config, uint64_t sample_period,
				      uint64_t sample_freq)
{
	char what[256];
	int prog, *cpus = NULL, n, err = 0;

	prog = probe_prog_load(ps, fn, BPF_PROG_TYPE_PERF_EVENT);
	if (prog < 0)
		return prog;
	n = cpu_list_read("/sys/devices/system/cpu/online", &cpus);
	if (n < 0)
		return n;
	for (int i = 0; i < n && !err; i++) {
		int fd;

		errno = 0;
		fd = bcc_err(bpf_attach_perf_event(prog, type, config, sample_period, sample_freq, -1,
						   cpus[i], -1));
		if (fd < 0) {
			err = fd;
			break;
		}
		snprintf(what, sizeof(what), "perf event %u:%llu on cpu %d", type,
			 (unsigned long long)config, cpus[i]);
		err = probe_attachment_add(ps, fd, true, what);
	}
	if (!err)
		pr_debug("probe: attached %s to perf event %u:%llu on %d cpus", fn, type,
			 (unsigned long long)config, n);
	free(cpus);
	return err;
}

void probe_set__detach(struct probe_set *ps, const void *owner)
{
	size_t n = 0;

	/* Programs off first: then the buffers hold all there will be. */
	for (size_t i = 0; i < ps->n_att; i++) {
		if (ps->att[i].owner == owner)
			attachment_close(&ps->att[i]);
		else
			ps->att[n++] = ps->att[i];
	}
	ps->n_att = n;
	probe_buffers_close(ps, owner);
	n = 0;
	for (size_t i = 0; i < ps->n_progs; i++) {
		if (ps->progs[i].owner == owner)
			prog_close(&ps->progs[i]);
		else
			ps->progs[n++] = ps->progs[i];
	}
	ps->n_progs = n;
}
