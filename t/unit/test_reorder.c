// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the reorder window (src/core/reorder.c): samples held in a
 * heap by timestamp and released in order once the window is over, equal
 * timestamps in arrival order, the size limit, late samples, growth.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/reorder.h"
#include "core/session.h"
#include "tap.h"
#include "testutil.h"

/* What a test pushes: its timestamp again and an id saying which push it was. */
struct sample {
	uint64_t ts;
	uint32_t id;
	uint32_t pad;
};

/* What the release callback saw, in order. */
struct released {
	struct sample *v;
	size_t n, cap;
	size_t bad_size, unaligned, bad_ctx, bad_arg;
};

static int ctx_token, arg_token;

static void on_release(void *ctx, const void *data, size_t size, void *arg)
{
	struct released *out = arg == &arg_token ? ctx : NULL;

	if (!out) {
		fprintf(stderr, "on_release: arg %p is not the one pushed\n", arg);
		exit(2);
	}
	if (size != sizeof(struct sample))
		out->bad_size++;
	if ((uintptr_t)data % 8)
		out->unaligned++;
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->v = realloc(out->v, out->cap * sizeof(*out->v));
		if (!out->v) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(&out->v[out->n++], data, sizeof(struct sample));
}

static int push(struct reorder *r, struct released *out, uint64_t ts, uint32_t id)
{
	struct sample s = { .ts = ts, .id = id };

	return reorder__push(r, ts, out, &s, sizeof(s), on_release, &arg_token);
}

static void release(struct reorder *r, uint64_t now)
{
	reorder__release(r, now, on_release, &arg_token);
}

/* The ids released, as "1,2,3", for comparisons that show what went wrong. */
static const char *ids(const struct released *out)
{
	static char buf[4096];
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < out->n && off + 12 < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s%u", i ? "," : "",
				out->v[i].id);
	return buf;
}

static void released_reset(struct released *out)
{
	free(out->v);
	memset(out, 0, sizeof(*out));
}

static void test_empty(void)
{
	struct reorder r = { .window_ns = 100 };
	struct released out = { 0 };

	release(&r, 1000);
	release(&r, UINT64_MAX);
	is_int(out.n, 0, "empty: releasing nothing calls nothing");
	reorder__free(&r);
	ok(!r.heap && !r.n && !r.cap, "empty: free of a heap never used");
	reorder__free(&r);
	ok(!r.heap && !r.n && !r.cap, "empty: free twice");
}

static void test_order(void)
{
	struct reorder r = { .window_ns = 100 };
	struct released out = { 0 };
	const uint64_t ts[] = { 30, 10, 50, 20, 40 };

	for (size_t i = 0; i < ARRAY_SIZE(ts); i++)
		is_int(push(&r, &out, ts[i], (uint32_t)ts[i]), 0, nm("order: push ts %llu",
								      (unsigned long long)ts[i]));
	is_int(r.n, 5, "order: five held");
	is_int(out.n, 0, "order: nothing released by a push");
	ok(r.heap[0]->ts == 10, "order: the oldest is on top");
	release(&r, 1000);
	is_str(ids(&out), "10,20,30,40,50", "order: released by timestamp");
	is_int(r.n, 0, "order: none held after");
	ok(!out.bad_size && !out.unaligned, "order: each sample whole and 8-byte aligned");
	is_int(r.released_ts, 50, "order: released_ts is the newest released");
	is_int(r.late, 0, "order: none late");
	reorder__free(&r);
	released_reset(&out);
}

/* Equal timestamps leave in the order they came (the seq each item gets). */
static void test_equal(void)
{
	struct reorder r = { .window_ns = 0 };
	struct released out = { 0 };
	struct sample want[300];
	size_t n = 0;
	int err = 0;

	/* ts 3,1,2,3,1,2,... : three runs of equal stamps, interleaved. */
	for (uint32_t id = 0; id < 300; id++)
		err |= push(&r, &out, 1 + (id + 2) % 3, id);
	is_int(err, 0, "equal: 300 pushes succeed");
	release(&r, UINT64_MAX);
	for (uint64_t ts = 1; ts <= 3; ts++)
		for (uint32_t id = 0; id < 300; id++)
			if (1 + (id + 2) % 3 == ts)
				want[n++] = (struct sample){ .ts = ts, .id = id };
	is_int(out.n, 300, "equal: all 300 released");
	ok(out.n == 300 && !memcmp(out.v, want, sizeof(want)),
	   "equal: by timestamp, and in arrival order within one");
	reorder__free(&r);
	released_reset(&out);
}

/* Held until ts <= now - window; UINT64_MAX releases everything. */
static void test_deadline(void)
{
	struct reorder r = { .window_ns = 100 };
	struct released out = { 0 };

	push(&r, &out, 150, 150);
	push(&r, &out, 50, 50);
	push(&r, &out, 250, 250);
	release(&r, 149);
	is_int(out.n, 0, "deadline: now 149: nothing is 100 ns old");
	release(&r, 150);
	is_str(ids(&out), "50", "deadline: now 150: ts 50 (exactly the window) goes");
	release(&r, 249);
	is_str(ids(&out), "50", "deadline: now 249: ts 150 still held");
	release(&r, 250);
	is_str(ids(&out), "50,150", "deadline: now 250: ts 150 goes");
	is_int(r.n, 1, "deadline: ts 250 held");
	release(&r, UINT64_MAX);
	is_str(ids(&out), "50,150,250", "deadline: UINT64_MAX releases the rest");
	released_reset(&out);

	/* A clock younger than the window: only ts 0 is that old. */
	push(&r, &out, 1, 1);
	push(&r, &out, 0, 0);
	release(&r, 50);
	is_str(ids(&out), "0", "deadline: now < window: only ts 0 goes");
	release(&r, 101);
	is_str(ids(&out), "0,1", "deadline: then ts 1 at now 101");
	reorder__free(&r);
	released_reset(&out);

	/* No window: whatever is not newer than now. */
	r = (struct reorder){ .window_ns = 0 };
	push(&r, &out, 7, 7);
	push(&r, &out, 5, 5);
	release(&r, 6);
	is_str(ids(&out), "5", "deadline: window 0: ts <= now goes");
	reorder__free(&r);
	ok(!r.heap && !r.n, "deadline: free with a sample held");
	released_reset(&out);
}

/* Past max_items the oldest held sample goes out at once, from the push. */
static void test_limit(void)
{
	struct reorder r = { .window_ns = 1000000, .max_items = 3 };
	struct released out = { 0 };

	push(&r, &out, 40, 40);
	push(&r, &out, 30, 30);
	push(&r, &out, 20, 20);
	is_int(out.n, 0, "limit: three held, none released");
	push(&r, &out, 25, 25);
	is_str(ids(&out), "20", "limit: the fourth push releases the oldest (20)");
	is_int(r.n, 3, "limit: three held");
	push(&r, &out, 10, 10);
	is_str(ids(&out), "20,10", "limit: the pushed one goes when it is the oldest");
	is_int(r.late, 1, "limit: ts 10 after 20 was out counts as late");
	is_int(r.released_ts, 20, "limit: released_ts stays the newest released");
	push(&r, &out, 20, 99);
	is_int(r.late, 1, "limit: ts equal to released_ts is not late");
	is_str(ids(&out), "20,10,99", "limit: equal to the newest released");
	release(&r, UINT64_MAX);
	is_str(ids(&out), "20,10,99,25,30,40", "limit: the rest in order");
	reorder__free(&r);
	released_reset(&out);
}

/* The session's own limit: SESSION_REORDER_MAX samples held, no more. */
static void test_session_limit(void)
{
	struct reorder r = { .window_ns = 1000000000, .max_items = SESSION_REORDER_MAX };
	struct released out = { 0 };
	size_t early_ok = 1, order_ok = 1;
	int err = 0;

	/* Newest first, so the heap works; ids are the timestamps. */
	for (uint32_t i = 0; i < SESSION_REORDER_MAX + 10; i++)
		err |= push(&r, &out, SESSION_REORDER_MAX + 10 - i, SESSION_REORDER_MAX + 10 - i);
	is_int(err, 0, "session limit: every push succeeds");
	is_int(r.n, SESSION_REORDER_MAX, "session limit: SESSION_REORDER_MAX held");
	is_int(out.n, 10, "session limit: 10 released by pushes");
	/* Each push past the limit releases the sample it brought: the oldest. */
	for (size_t i = 0; i < out.n && i < 10; i++)
		early_ok &= out.v[i].id == 10 - i;
	ok(early_ok, "session limit: the oldest of each moment, 10 down to 1 (%s)", ids(&out));
	release(&r, UINT64_MAX);
	is_int(out.n, SESSION_REORDER_MAX + 10, "session limit: the rest released");
	for (size_t i = 11; i < out.n; i++)
		order_ok &= out.v[i].ts == out.v[i - 1].ts + 1;
	ok(order_ok && out.v[10].ts == 11, "session limit: the rest from 11 up, in order");
	reorder__free(&r);
	released_reset(&out);
}

/* Many samples in a scrambled order: the heap grows and still sorts. */
static void test_growth(void)
{
	struct reorder r = { .window_ns = 10 };
	struct released out = { 0 };
	const uint32_t n = 10000;
	size_t sorted = 1;
	int err = 0;

	/* 7919 is prime and coprime with n: a permutation of 0..n-1. */
	for (uint32_t i = 0; i < n; i++)
		err |= push(&r, &out, (uint64_t)(i * 7919u % n) + 1000, i * 7919u % n);
	is_int(err, 0, "growth: 10000 pushes succeed");
	is_int(r.n, n, "growth: 10000 held");
	ok(r.cap >= r.n, "growth: capacity %zu holds them", r.cap);
	release(&r, 1000 + n / 2 + 10);
	is_int(out.n, n / 2 + 1, "growth: half (ts <= now - window) released");
	release(&r, UINT64_MAX);
	is_int(out.n, n, "growth: all released");
	for (size_t i = 0; i < out.n; i++)
		sorted &= out.v[i].id == i;
	ok(sorted, "growth: released in timestamp order");
	ok(!out.bad_size && !out.unaligned, "growth: every sample whole and aligned");
	reorder__free(&r);
	released_reset(&out);
}

/* A push copies the sample: the caller's buffer is reused at once. */
static void test_copy(void)
{
	struct reorder r = { .window_ns = 0 };
	struct released out = { 0 };
	struct sample s = { .ts = 5, .id = 1 };
	unsigned char odd[3] = { 1, 2, 3 };

	is_int(reorder__push(&r, 5, &out, &s, sizeof(s), on_release, &arg_token), 0,
	       "copy: push");
	s.id = 2;
	release(&r, UINT64_MAX);
	is_str(ids(&out), "1", "copy: the sample as it was pushed");
	released_reset(&out);

	/* Any size, even 0, and the context comes back with it. */
	is_int(reorder__push(&r, 1, &ctx_token, odd, 0, on_release, &arg_token), 0,
	       "copy: push of an empty sample");
	is_int(reorder__push(&r, 2, &ctx_token, odd, sizeof(odd), on_release, &arg_token), 0,
	       "copy: push of a 3-byte sample");
	ok(r.heap[0]->ctx == &ctx_token && r.heap[0]->size == 0, "copy: ctx and size 0 kept");
	ok(r.n == 2 && r.heap[1]->size == 3 && !memcmp(r.heap[1]->data, odd, 3),
	   "copy: 3 bytes kept");
	reorder__free(&r);
	ok(!r.heap && !r.n, "copy: held samples freed without a release");
}

int main(void)
{
	test_empty();
	test_order();
	test_equal();
	test_deadline();
	test_limit();
	test_session_limit();
	test_growth();
	test_copy();
	return done_testing();
}
