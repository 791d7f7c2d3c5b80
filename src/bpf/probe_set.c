// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#include "bpf/kernel.h"
#include "util/log.h"
#include "bpf/probe_set.h"
#include "util/strbuf.h"

#define VERIFIER_LOG_SIZE (16u << 20)

struct attachment {
	int fd;			/* closing it detaches */
	bool perf_event;	/* a perf event fd, disabled before it is closed */
	char *kprobe_event;	/* libbcc's kprobe event name, removed after */
	char *what;
	const void *owner;	/* the monitor it was attached for */
};

/* A loaded program; loaded before its attach when its type shows in its name. */
struct prog {
	char *name;
	int fd;
	const void *owner;	/* NULL: loaded, not yet attached */
};

/* A table of the compiled probes, with our own fd: it outlives the module. */
struct table {
	char *name;
	int fd;
	size_t key_size, value_size;
};

/*
 * One BPF ring buffer: libbcc's reader for it, and the session's callback.
 * A read stops after one ring's worth of bytes, as a perf buffer's read stops
 * at the head it saw: libbpf's own loop goes on while the producer keeps up,
 * and a reader that never returns would never see a signal or a timer.
 */
struct ring {
	struct ring_buffer *rb;
	probe_sample_fn sample;
	void *ctx;
	const void *owner;
	size_t budget;		/* the ring's size in bytes */
	size_t taken;		/* bytes delivered by the current read */
	int records;		/* records delivered by the current read */
};

struct probe_set {
	const struct kernel_info *ki;
	struct strbuf src;
	void *mod;		/* libbcc's BPF module; NULL once the compiler is released */
	struct table *tables;
	size_t n_tables;
	char **functions;	/* every program the compile produced */
	size_t n_functions;
	struct prog *progs;
	size_t n_progs;
	struct attachment *att;
	size_t n_att;
	struct perf_reader **readers;
	const void **reader_owners;	/* in the order of readers */
	int n_readers;
	struct ring **rings;
	struct pollfd *ring_pfds;	/* the rings' map fds, in the order of rings */
	int n_rings;
	int n_possible_cpus;
	const void *owner;	/* what is attached or opened now is this monitor's */
};

/* libbcc reports -1 (or NULL) and errno; turn that into -errno once, here. */
static int bcc_err(int ret)
{
	if (ret >= 0)
		return ret;
	return errno ? -errno : -EINVAL;
}

/* "0-3,5" -> list; returns count or -errno. */
static int cpu_list_read(const char *path, int **cpus)
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
	if (a->kprobe_event)
		bpf_detach_kprobe(a->kprobe_event);
	free(a->kprobe_event);
	free(a->what);
}

static void prog_close(struct prog *p)
{
	close(p->fd);
	free(p->name);
}

static void ring_free(struct ring *r)
{
	bpf_free_ringbuf(r->rb);
	free(r);
}

void probe_set__free(struct probe_set *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < ps->n_readers; i++)
		perf_reader_free(ps->readers[i]);
	free(ps->readers);
	free(ps->reader_owners);
	for (int i = 0; i < ps->n_rings; i++)
		ring_free(ps->rings[i]);
	free(ps->rings);
	free(ps->ring_pfds);
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

static const struct table *table_find(const struct probe_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n_tables; i++)
		if (!strcmp(ps->tables[i].name, name))
			return &ps->tables[i];
	return NULL;
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

/* Load FN (once: probe_set__load_known may have) for the current owner; fd or -errno. */
static int prog_load(struct probe_set *ps, const char *fn, int prog_type)
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
			fd = prog_load(ps, fn, BPF_PROG_TYPE_TRACEPOINT);
		else if (!strncmp(fn, "raw_tracepoint__", 16))
			fd = prog_load(ps, fn, BPF_PROG_TYPE_RAW_TRACEPOINT);
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

static int attachment_add(struct probe_set *ps, int fd, bool perf_event, const char *what)
{
	struct attachment *grown = realloc(ps->att, (ps->n_att + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	ps->att = grown;
	ps->att[ps->n_att].fd = fd;
	ps->att[ps->n_att].perf_event = perf_event;
	ps->att[ps->n_att].kprobe_event = NULL;
	ps->att[ps->n_att].what = strdup(what);
	ps->att[ps->n_att].owner = ps->owner;
	ps->n_att++;
	return 0;
}

int probe_set__attach_tracepoint(struct probe_set *ps, const char *category,
				 const char *event)
{
	char fn[256], what[256];
	int prog, fd;

	snprintf(fn, sizeof(fn), "tracepoint__%s__%s", category, event);
	snprintf(what, sizeof(what), "tracepoint %s:%s", category, event);
	prog = prog_load(ps, fn, BPF_PROG_TYPE_TRACEPOINT);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_tracepoint(prog, category, event));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", what);
	return attachment_add(ps, fd, true, what);
}

int probe_set__attach_raw_tracepoint(struct probe_set *ps, const char *event)
{
	char fn[256], what[256];
	int prog, fd;

	snprintf(fn, sizeof(fn), "raw_tracepoint__%s", event);
	snprintf(what, sizeof(what), "raw tracepoint %s", event);
	prog = prog_load(ps, fn, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_raw_tracepoint(prog, event));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", what);
	return attachment_add(ps, fd, false, what);
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
	prog = prog_load(ps, fn, BPF_PROG_TYPE_KPROBE);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_kprobe(prog, retprobe ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY, ev,
				       func, 0, 0));
	if (fd < 0)
		return fd;
	err = attachment_add(ps, fd, true, what);
	if (!err) {
		ps->att[ps->n_att - 1].kprobe_event = strdup(ev);
		pr_debug("probe: attached %s", what);
	}
	return err;
}

int probe_set__attach_kfunc(struct probe_set *ps, const char *fn)
{
	int prog, fd;

	prog = prog_load(ps, fn, BPF_PROG_TYPE_TRACING);
	if (prog < 0)
		return prog;
	errno = 0;
	fd = bcc_err(bpf_attach_kfunc(prog));
	if (fd < 0)
		return fd;
	pr_debug("probe: attached %s", fn);
	return attachment_add(ps, fd, false, fn);
}

bool probe_set__has_program(struct probe_set *ps, const char *fn)
{
	for (size_t i = 0; i < ps->n_functions; i++)
		if (!strcmp(ps->functions[i], fn))
			return true;
	return false;
}

int probe_set__attach_perf_event(struct probe_set *ps, const char *fn, uint32_t type,
				 uint64_t config, uint64_t sample_period)
{
	char what[256];
	int prog, *cpus = NULL, n, err = 0;

	prog = prog_load(ps, fn, BPF_PROG_TYPE_PERF_EVENT);
	if (prog < 0)
		return prog;
	n = cpu_list_read("/sys/devices/system/cpu/online", &cpus);
	if (n < 0)
		return n;
	for (int i = 0; i < n && !err; i++) {
		int fd;

		errno = 0;
		fd = bcc_err(bpf_attach_perf_event(prog, type, config, sample_period, 0, -1,
						   cpus[i], -1));
		if (fd < 0) {
			err = fd;
			break;
		}
		snprintf(what, sizeof(what), "perf event %u:%llu on cpu %d", type,
			 (unsigned long long)config, cpus[i]);
		err = attachment_add(ps, fd, true, what);
	}
	if (!err)
		pr_debug("probe: attached %s to perf event %u:%llu on %d cpus", fn, type,
			 (unsigned long long)config, n);
	free(cpus);
	return err;
}

/* Every entry of a hash table to fn; deleted after it was read when drain. */
static int table_read(struct probe_set *ps, const char *table, bool percpu, bool drain,
		      probe_entry_fn fn, void *ctx)
{
	const struct table *t = table_find(ps, table);
	size_t key_size, value_size, stride;
	unsigned char *keys = NULL, *values = NULL, *grown;
	int fd, n_values, n = 0, cap = 0, err = 0;

	if (!t)
		return -ENOENT;
	fd = t->fd;
	key_size = t->key_size;
	value_size = t->value_size;
	/* The kernel hands per-CPU values out 8-byte aligned, one per possible CPU. */
	stride = percpu ? (value_size + 7) & ~(size_t)7 : value_size;
	n_values = percpu ? ps->n_possible_cpus : 1;
	values = calloc(n_values, stride);
	if (!values) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Keys first, then look up (and delete): deleting while walking skips keys. */
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(keys, (size_t)cap * key_size);
			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			keys = grown;
		}
		if (bpf_get_next_key(fd, n ? keys + (size_t)(n - 1) * key_size : NULL,
				     keys + (size_t)n * key_size) < 0)
			break;
		n++;
	}
	for (int i = 0; i < n; i++) {
		void *key = keys + (size_t)i * key_size;

		if (bpf_lookup_elem(fd, key, values) < 0)
			continue;
		if (drain)
			bpf_delete_elem(fd, key);
		fn(ctx, key, values, n_values, stride);
	}
cleanup:
	free(keys);
	free(values);
	return err ? err : n;
}

int probe_set__drain(struct probe_set *ps, const char *table, bool percpu,
		     probe_entry_fn fn, void *ctx)
{
	return table_read(ps, table, percpu, true, fn, ctx);
}

int probe_set__walk(struct probe_set *ps, const char *table, bool percpu,
		    probe_entry_fn fn, void *ctx)
{
	return table_read(ps, table, percpu, false, fn, ctx);
}

int probe_set__table_fd(struct probe_set *ps, const char *table)
{
	const struct table *t = table_find(ps, table);

	return t ? t->fd : -ENOENT;
}

int probe_set__update(struct probe_set *ps, const char *table, const void *key,
		      const void *value)
{
	int fd = probe_set__table_fd(ps, table);

	if (fd < 0)
		return fd;
	errno = 0;
	if (bpf_update_elem(fd, (void *)key, (void *)value, 0) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

/* Add one key's per-CPU values, N_WORDS u64 each, word by word into sums. */
static void percpu_values_add(const struct probe_set *ps, const uint64_t *values,
			      size_t n_words, uint64_t *sums)
{
	for (int cpu = 0; cpu < ps->n_possible_cpus; cpu++)
		for (size_t w = 0; w < n_words; w++)
			sums[w] += values[(size_t)cpu * n_words + w];
}

/* The same for KEY, read into values (room for one value per possible CPU). */
static int percpu_add(struct probe_set *ps, int fd, uint32_t key, size_t n_words,
		      uint64_t *values, uint64_t *sums)
{
	errno = 0;
	if (bpf_lookup_elem(fd, &key, values) < 0)
		return errno ? -errno : -EINVAL;
	percpu_values_add(ps, values, n_words, sums);
	return 0;
}

/*
 * Keys 0.. of an array in one BPF_MAP_LOOKUP_BATCH, not one lookup per key:
 * exec's and open's 256 errno slots each made a scrape cost 0.1 ms more CPU.
 * -errno when the kernel has no batch operations (before 5.6) or they fail.
 */
static int percpu_array_batch(struct probe_set *ps, int fd, size_t n_keys, size_t n_words,
			      uint64_t *sums)
{
	size_t per_key = (size_t)ps->n_possible_cpus * n_words;
	__u32 count = n_keys, out = 0, *keys = calloc(n_keys, sizeof(*keys));
	uint64_t *values = calloc(n_keys * per_key, sizeof(*values));
	int err = 0;

	if (!keys || !values) {
		err = -ENOMEM;
		goto cleanup;
	}
	errno = 0;
	/* ENOENT: the array ends before n_keys; what it had is there. */
	if (bpf_lookup_batch(fd, NULL, &out, keys, values, &count) < 0 && errno != ENOENT) {
		err = errno ? -errno : -EINVAL;
		goto cleanup;
	}
	for (__u32 i = 0; i < count; i++)
		if (keys[i] < n_keys)
			percpu_values_add(ps, values + i * per_key, n_words,
					  sums + (size_t)keys[i] * n_words);
cleanup:
	free(values);
	free(keys);
	return err;
}

int probe_set__percpu_sum(struct probe_set *ps, const char *table, uint32_t key,
			  uint64_t *sum)
{
	int fd = probe_set__table_fd(ps, table);
	uint64_t *values;
	int err;

	if (fd < 0)
		return fd;
	values = calloc(ps->n_possible_cpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	*sum = 0;
	err = percpu_add(ps, fd, key, 1, values, sum);
	free(values);
	return err;
}

int probe_set__percpu_array_sums(struct probe_set *ps, const char *table, uint64_t *sums,
				 size_t n_sums)
{
	const struct table *t = table_find(ps, table);
	size_t n_words, n_keys;
	uint64_t *values;
	int err = 0;

	if (!t)
		return -ENOENT;
	n_words = t->value_size / sizeof(uint64_t);
	if (!n_words || t->value_size % sizeof(uint64_t) || n_sums % n_words)
		return -EINVAL;
	n_keys = n_sums / n_words;
	memset(sums, 0, n_sums * sizeof(*sums));
	if (!percpu_array_batch(ps, t->fd, n_keys, n_words, sums))
		return 0;
	memset(sums, 0, n_sums * sizeof(*sums));
	values = calloc((size_t)ps->n_possible_cpus * n_words, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (size_t key = 0; key < n_keys && !err; key++)
		err = percpu_add(ps, t->fd, key, n_words, values, sums + key * n_words);
	free(values);
	return err;
}

int probe_set__open_perf_buffer(struct probe_set *ps, const char *table,
				probe_sample_fn sample, probe_lost_fn lost, void *ctx,
				int pages, int wakeup_events)
{
	int map_fd = probe_set__table_fd(ps, table);
	int *cpus = NULL, n, err = 0;

	if (map_fd < 0) {
		pr_err("probe: no perf output table %s", table);
		return map_fd;
	}
	n = cpu_list_read("/sys/devices/system/cpu/online", &cpus);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct bcc_perf_buffer_opts opts = {
			.pid = -1,
			.cpu = cpus[i],
			.wakeup_events = wakeup_events,
		};
		struct perf_reader **grown;
		const void **owners;
		struct perf_reader *r;
		int rfd;

		errno = 0;
		r = bpf_open_perf_buffer_opts(sample, lost, ctx, pages, &opts);
		if (!r) {
			err = errno ? -errno : -EINVAL;
			pr_err("probe: cannot open a perf buffer of %d pages on cpu %d: %s",
			       pages, cpus[i], strerror(-err));
			break;
		}
		grown = realloc(ps->readers, (ps->n_readers + 1) * sizeof(*grown));
		if (grown)
			ps->readers = grown;
		owners = realloc(ps->reader_owners, (ps->n_readers + 1) * sizeof(*owners));
		if (owners)
			ps->reader_owners = owners;
		if (!grown || !owners) {
			perf_reader_free(r);
			err = -ENOMEM;
			break;
		}
		ps->reader_owners[ps->n_readers] = ps->owner;
		ps->readers[ps->n_readers++] = r;
		rfd = perf_reader_fd(r);
		errno = 0;
		if (bpf_update_elem(map_fd, &cpus[i], &rfd, 0) < 0) {
			err = errno ? -errno : -EINVAL;
			pr_err("probe: cannot connect the perf buffer of cpu %d: %s", cpus[i],
			       strerror(-err));
			break;
		}
	}
	free(cpus);
	return err;
}

/* libbcc's ring buffer callback: the session's, with the read's budget. */
static int ring_sample(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;

	r->sample(r->ctx, data, (int)size);
	r->records++;
	r->taken += size + 8;	/* the kernel's record header */
	return r->taken >= r->budget ? -EAGAIN : 0;
}

int probe_set__open_ring_buffer(struct probe_set *ps, const char *table,
				probe_sample_fn sample, void *ctx)
{
	int map_fd = probe_set__table_fd(ps, table);
	struct ring **rings, *r = NULL;
	struct pollfd *pfds;
	int err;

	if (map_fd < 0) {
		pr_err("probe: no ring buffer table %s", table);
		err = map_fd;
		goto cleanup;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		err = -ENOMEM;
		goto cleanup;
	}
	r->sample = sample;
	r->ctx = ctx;
	r->owner = ps->owner;
	r->budget = bpf_table_max_entries(ps->mod, table);
	errno = 0;
	r->rb = bpf_new_ringbuf(map_fd, ring_sample, r);
	if (!r->rb) {
		err = errno ? -errno : -EINVAL;
		pr_err("probe: cannot open the ring buffer %s: %s", table, strerror(-err));
		goto cleanup;
	}
	err = -ENOMEM;
	rings = realloc(ps->rings, (ps->n_rings + 1) * sizeof(*rings));
	if (!rings)
		goto cleanup;
	ps->rings = rings;
	pfds = realloc(ps->ring_pfds, (ps->n_rings + 1) * sizeof(*pfds));
	if (!pfds)
		goto cleanup;
	ps->ring_pfds = pfds;
	/* A ring buffer map's fd is readable while the ring holds records. */
	pfds[ps->n_rings] = (struct pollfd){ .fd = map_fd, .events = POLLIN };
	rings[ps->n_rings++] = r;
	pr_debug("probe: ring buffer %s: %zu bytes", table, r->budget);
	r = NULL;
	err = 0;
cleanup:
	if (r)
		ring_free(r);	/* a NULL rb is fine */
	return err;
}

/* Read the rings that are ready (all when ready is false); records or -errno. */
static int rings_read(struct probe_set *ps, bool ready)
{
	int n = 0;

	for (int i = 0; i < ps->n_rings; i++) {
		struct ring *r = ps->rings[i];
		int ret;

		if (ready && !(ps->ring_pfds[i].revents & POLLIN))
			continue;
		r->taken = 0;
		r->records = 0;
		ret = bpf_consume_ringbuf(r->rb);
		/* -EAGAIN from ring_sample: the budget is spent, the rest waits. */
		if (ret < 0 && r->taken < r->budget)
			return ret;
		n += r->records;
	}
	return n;
}

static int rings_poll(struct probe_set *ps, int timeout_ms)
{
	int n = poll(ps->ring_pfds, ps->n_rings, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? rings_read(ps, true) : 0;
}

int probe_set__poll(struct probe_set *ps, int timeout_ms)
{
	int n;

	if (ps->n_rings)
		return rings_poll(ps, timeout_ms);
	if (!ps->n_readers) {
		usleep(timeout_ms * 1000);
		return 0;
	}
	errno = 0;
	n = perf_reader_poll(ps->n_readers, ps->readers, timeout_ms);
	return n < 0 ? (errno ? -errno : -EINTR) : n;
}

int probe_set__consume(struct probe_set *ps)
{
	if (ps->n_rings)
		return rings_read(ps, false) < 0 ? -EIO : 0;
	if (!ps->n_readers)
		return 0;
	return perf_reader_consume(ps->n_readers, ps->readers) < 0 ? -EIO : 0;
}

/* Read one ring until it is empty: its producers are gone. */
static int ring_drain(struct ring *r)
{
	int ret;

	do {
		r->taken = 0;
		r->records = 0;
		ret = bpf_consume_ringbuf(r->rb);
		if (ret < 0 && r->taken < r->budget)
			return ret;
	} while (r->records);
	return 0;
}

void probe_set__detach(struct probe_set *ps, const void *owner)
{
	size_t n = 0;
	int m = 0;

	/* Programs off first: then the buffers hold all there will be. */
	for (size_t i = 0; i < ps->n_att; i++) {
		if (ps->att[i].owner == owner)
			attachment_close(&ps->att[i]);
		else
			ps->att[n++] = ps->att[i];
	}
	ps->n_att = n;
	for (int i = 0; i < ps->n_readers; i++) {
		if (ps->reader_owners[i] != owner) {
			ps->reader_owners[m] = ps->reader_owners[i];
			ps->readers[m++] = ps->readers[i];
			continue;
		}
		perf_reader_consume(1, &ps->readers[i]);
		perf_reader_free(ps->readers[i]);
	}
	ps->n_readers = m;
	m = 0;
	for (int i = 0; i < ps->n_rings; i++) {
		if (ps->rings[i]->owner != owner) {
			ps->ring_pfds[m] = ps->ring_pfds[i];
			ps->rings[m++] = ps->rings[i];
			continue;
		}
		if (ring_drain(ps->rings[i]))
			pr_warn("probe: reading the last of a ring buffer failed");
		ring_free(ps->rings[i]);
	}
	ps->n_rings = m;
	n = 0;
	for (size_t i = 0; i < ps->n_progs; i++) {
		if (ps->progs[i].owner == owner)
			prog_close(&ps->progs[i]);
		else
			ps->progs[n++] = ps->progs[i];
	}
	ps->n_progs = n;
}

static size_t poll_fds_count(struct probe_set *const *sets, size_t n_sets)
{
	size_t n = 0;

	for (size_t i = 0; i < n_sets; i++)
		n += sets[i]->n_readers + sets[i]->n_rings;
	return n;
}

int probe_set__poll_many(struct probe_set *const *sets, size_t n_sets, int timeout_ms)
{
	size_t n_fds, k = 0;
	struct pollfd *pfds;
	int n, ret = 0;

	/* One set (all but right after a reload): its own poll, no allocation. */
	if (n_sets == 1)
		return probe_set__poll(sets[0], timeout_ms);
	n_fds = poll_fds_count(sets, n_sets);
	if (!n_fds) {
		usleep(timeout_ms * 1000);
		return 0;
	}
	pfds = calloc(n_fds, sizeof(*pfds));
	if (!pfds)
		return -ENOMEM;
	for (size_t i = 0; i < n_sets; i++) {
		for (int j = 0; j < sets[i]->n_readers; j++)
			pfds[k++] = (struct pollfd){ .fd = perf_reader_fd(sets[i]->readers[j]),
						     .events = POLLIN };
		for (int j = 0; j < sets[i]->n_rings; j++)
			pfds[k++] = sets[i]->ring_pfds[j];
	}
	n = poll(pfds, n_fds, timeout_ms);
	if (n < 0) {
		ret = -errno;
		goto cleanup;
	}
	k = 0;
	for (size_t i = 0; i < n_sets && n; i++) {
		struct probe_set *ps = sets[i];

		for (int j = 0; j < ps->n_readers; j++, k++)
			if (pfds[k].revents & POLLIN)
				perf_reader_event_read(ps->readers[j]);
		for (int j = 0; j < ps->n_rings; j++, k++)
			ps->ring_pfds[j].revents = pfds[k].revents;
		if (ps->n_rings) {
			int r = rings_read(ps, true);

			if (r < 0 && !ret)
				ret = r;
		}
	}
	if (!ret)
		ret = n;
cleanup:
	free(pfds);
	return ret;
}
