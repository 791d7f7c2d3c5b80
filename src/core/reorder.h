/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_REORDER_H
#define EBPFMON_REORDER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A reorder window: samples from different CPUs (and monitors) arrive in
 * batches per buffer, not in time order. Held samples are released in
 * timestamp order once they are WINDOW older than the clock, so anything
 * that arrives less than WINDOW late still comes out in order.
 */
struct reorder_item {
	uint64_t ts;
	void *ctx;		/* the monitor instance */
	uint32_t size;
	uint64_t seq;		/* arrival order among equal timestamps */
	_Alignas(8) unsigned char data[];
};

struct reorder {
	uint64_t window_ns;
	size_t max_items;	/* past this, the oldest is released at once */
	struct reorder_item **heap;
	size_t n, cap;
	uint64_t seq;
	uint64_t released_ts;	/* newest timestamp released so far */
	uint64_t late;		/* arrived older than released_ts: out of order */
};

typedef void (*reorder_release_fn)(void *ctx, const void *data, size_t size, void *arg);

/* Hold a copy of the sample. 0 or -ENOMEM. */
int reorder__push(struct reorder *r, uint64_t ts, void *ctx, const void *data, size_t size,
		  reorder_release_fn fn, void *arg);
/* Release, in order, every sample with ts <= now - window (now: UINT64_MAX for all). */
void reorder__release(struct reorder *r, uint64_t now, reorder_release_fn fn, void *arg);
void reorder__free(struct reorder *r);

#endif
