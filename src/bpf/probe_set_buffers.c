// SPDX-License-Identifier: GPL-2.0
/*
 * src/bpf/probe_set.c, probe_set_buffers.c and probe_set_maps.c are the only
 * files that include libbcc's headers and call it: libbcc's -1 (or NULL) and
 * errno become -errno in them, and nowhere else sees libbcc.
 */
/*
 * This one: a probe set's perf and ring buffers, opened, polled, consumed,
 * drained and closed. Every event passes through here on its way to the
 * session's callback.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

#include "util/log.h"
#include "bpf/probe_set_int.h"

static void ring_free(struct ring *r)
{
	bpf_free_ringbuf(r->rb);
	free(r);
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


void probe_buffers_close(struct probe_set *ps, const void *owner)
{
	int m = 0;

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
}

void probe_buffers_free(struct probe_set *ps)
{
	for (int i = 0; i < ps->n_readers; i++)
		perf_reader_free(ps->readers[i]);
	free(ps->readers);
	free(ps->reader_owners);
	for (int i = 0; i < ps->n_rings; i++)
		ring_free(ps->rings[i]);
	free(ps->rings);
	free(ps->ring_pfds);
}


static size_t poll_fds_count(struct probe_set *const *sets, size_t n_sets)
{
	size_t n = 0;

	for (size_t i = 0; i < n_sets; i++)
		n += sets[i]->n_readers + sets[i]->n_rings;
	return n;
}

int probe_set__poll_fds(struct probe_set *const *sets, size_t n_sets, struct pollfd *extra,
			size_t n_extra, int timeout_ms)
{
	size_t n_fds, k = 0;
	struct pollfd *pfds;
	int n, ret = 0;

	/* One set (all but right after a reload): its own poll, no allocation. */
	if (n_sets == 1 && !n_extra)
		return probe_set__poll(sets[0], timeout_ms);
	n_fds = poll_fds_count(sets, n_sets) + n_extra;
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
	for (size_t i = 0; i < n_extra; i++)
		pfds[k + i] = extra[i];
	n = poll(pfds, n_fds, timeout_ms);
	if (n < 0) {
		ret = -errno;
		goto cleanup;
	}
	for (size_t i = 0; i < n_extra; i++)
		extra[i].revents = pfds[k + i].revents;
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
