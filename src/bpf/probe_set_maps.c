// SPDX-License-Identifier: GPL-2.0
/*
 * src/bpf/probe_set.c, probe_set_buffers.c and probe_set_maps.c are the only
 * files that include libbcc's headers and call it: libbcc's -1 (or NULL) and
 * errno become -errno in them, and nowhere else sees libbcc.
 */
/*
 * This one: a probe set's maps read, walked, drained and updated through the
 * fds the set keeps (they outlive libbcc's module).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bcc/libbpf.h>

#include "bpf/probe_set_int.h"

static const struct table *table_find(const struct probe_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n_tables; i++)
		if (!strcmp(ps->tables[i].name, name))
			return &ps->tables[i];
	return NULL;
}


/*
 * One entry read and deleted in one call (hash maps, 5.14+), so a count a
 * program adds between a lookup and a delete is not lost with the entry;
 * else (older kernels) a lookup, then a delete. False: the entry is gone.
 */
static bool read_and_delete(struct probe_set *ps, int fd, void *key, void *values)
{
	if (!ps->no_lookup_and_delete) {
		if (bpf_lookup_and_delete(fd, key, values) == 0)
			return true;
		if (errno == ENOENT)
			return false;
		ps->no_lookup_and_delete = true;
	}
	if (bpf_lookup_elem(fd, key, values) < 0)
		return false;
	bpf_delete_elem(fd, key);
	return true;
}

/* Every entry of a hash table to fn; deleted as it is read when drain. */
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

		if (drain && read_and_delete(ps, fd, key, values))
			fn(ctx, key, values, n_values, stride);
		else if (!drain && bpf_lookup_elem(fd, key, values) == 0)
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

int probe_set__clear(struct probe_set *ps, const char *table)
{
	const struct table *t = table_find(ps, table);
	unsigned char *key = NULL, *next = NULL, *zero = NULL;
	int err = 0;

	if (!t)
		return -ENOENT;
	key = malloc(t->key_size);
	next = malloc(t->key_size);
	/* Per-CPU or not, a buffer of one value per possible CPU holds what an update reads. */
	zero = calloc(ps->n_possible_cpus, (t->value_size + 7) & ~(size_t)7);
	if (!key || !next || !zero) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Deleting the key just read restarts the walk: first key each time. */
	for (bool first = true;;) {
		if (bpf_get_next_key(t->fd, first ? NULL : key, next) < 0)
			break;
		memcpy(key, next, t->key_size);
		if (bpf_delete_elem(t->fd, key) == 0) {
			first = true;
			continue;
		}
		if (errno != EINVAL) {
			err = -errno;
			goto cleanup;
		}
		/* An array: its entries cannot go, they are zeroed. */
		if (bpf_update_elem(t->fd, key, zero, 0) < 0) {
			err = -errno;
			goto cleanup;
		}
		first = false;
	}
cleanup:
	free(key);
	free(next);
	free(zero);
	return err;
}

int probe_set__table_fd(struct probe_set *ps, const char *table)
{
	const struct table *t = table_find(ps, table);

	return t ? t->fd : -ENOENT;
}

int probe_set__table_info(struct probe_set *ps, const char *table, size_t *key_size,
			  size_t *value_size, bool *percpu)
{
	const struct table *t = table_find(ps, table);

	if (!t)
		return -ENOENT;
	*key_size = t->key_size;
	*value_size = t->value_size;
	*percpu = t->type == BPF_MAP_TYPE_PERCPU_HASH || t->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		  t->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	return 0;
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
