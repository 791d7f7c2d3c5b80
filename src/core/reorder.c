// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/reorder.h"
#include "util/strbuf.h"

static int item_before(const struct reorder_item *a, const struct reorder_item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void sift_up(struct reorder *r, size_t i)
{
	struct reorder_item *it = r->heap[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (!item_before(it, r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = it;
}

static void sift_down(struct reorder *r, size_t i)
{
	struct reorder_item *it = r->heap[i];

	for (;;) {
		size_t kid = 2 * i + 1;

		if (kid >= r->n)
			break;
		if (kid + 1 < r->n && item_before(r->heap[kid + 1], r->heap[kid]))
			kid++;
		if (!item_before(r->heap[kid], it))
			break;
		r->heap[i] = r->heap[kid];
		i = kid;
	}
	r->heap[i] = it;
}

static void release_top(struct reorder *r, reorder_release_fn fn, void *arg)
{
	struct reorder_item *it = r->heap[0];

	r->heap[0] = r->heap[--r->n];
	if (r->n)
		sift_down(r, 0);
	if (it->ts > r->released_ts)
		r->released_ts = it->ts;
	fn(it->ctx, it->data, it->size, arg);
	free(it);
}

int reorder__push(struct reorder *r, uint64_t ts, void *ctx, const void *data, size_t size,
		  reorder_release_fn fn, void *arg)
{
	struct reorder_item *it;

	if (ts < r->released_ts)
		r->late++;
	if (ARRAY_GROW(r->heap, r->cap, r->n))
		return -ENOMEM;
	it = malloc(sizeof(*it) + size);
	if (!it)
		return -ENOMEM;
	it->ts = ts;
	it->ctx = ctx;
	it->size = size;
	it->seq = r->seq++;
	memcpy(it->data, data, size);
	r->heap[r->n] = it;
	sift_up(r, r->n++);
	if (r->max_items && r->n > r->max_items)
		release_top(r, fn, arg);
	return 0;
}

void reorder__release(struct reorder *r, uint64_t now, reorder_release_fn fn, void *arg)
{
	uint64_t limit = now == UINT64_MAX ? UINT64_MAX :
			 now > r->window_ns ? now - r->window_ns : 0;

	while (r->n && r->heap[0]->ts <= limit)
		release_top(r, fn, arg);
}

void reorder__free(struct reorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->heap[i]);
	free(r->heap);
	r->heap = NULL;
	r->n = r->cap = 0;
}
