// SPDX-License-Identifier: GPL-2.0
/*
 * block: block IO requests from queueing to completion, as bcc's
 * biolatency and biosnoop measure them, from the block tracepoints alone
 * (no kprobe, no struct request offsets): block_rq_insert (queued for the
 * scheduler or the dispatch list; a request issued directly has none),
 * block_rq_issue (handed to the driver), block_rq_requeue (given back by the
 * driver, issued again later) and block_rq_complete.
 *
 * A request is told by (dev, op, sector), biosnoop's key on tracepoints:
 * none of the tracepoints gives the request itself. The op keeps a flush
 * (sector 0) apart from a read of sector 0. A partial completion (fewer
 * bytes than the request's) moves the entry to the sector after the
 * completed part, where the rest completes.
 *
 * The filters apply to the task that queued the request (insert) or, with no
 * insert, issued it: the one biosnoop shows. An IO the filters drop has no
 * entry, so no event, row or metric.
 */
#include "block.h"

#define BLOCK_MON_ID @MON_ID@
/* Metrics only (EBPFMON_EVENTS 0): neither events nor summary rows. */
#define BLOCK_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define BLOCK_EVENTS (!@SUMMARY@ && EBPFMON_EVENTS)
/* latency: total -- the rows' and metrics' latency from the insert, else from the issue. */
#define BLOCK_TOTAL_LATENCY @TOTAL_LATENCY@
/* devices: the dev_t values kept (1: all). */
#define BLOCK_DEV_PASS(d) (@DEV_FILTER@)

/* block_start.flags */
#define BLOCK_S_REQUEUED 0x1

struct block_rq_key {
	u32 dev;
	u32 op;
	u64 sector;
};

struct block_start {
	u64 insert_ns;		/* 0: no insert seen */
	u64 issue_ns;		/* 0: not issued (yet, or again since a requeue) */
	u32 bytes;		/* the request's, at issue */
	u32 left;		/* bytes not completed yet */
	u32 flags;
	u32 pad;
	u64 sector;		/* its first (a partial completion moves the key) */
	struct ebpfmon_hdr hdr;	/* who queued (or issued) it */
};

/*
 * Requests in flight. An issue that finds it full is counted as lost
 * (ebpfmon_lost): that request is not measured.
 */
BPF_HASH(block_start, struct block_rq_key, struct block_start, @MAX_ENTRIES@);

/*
 * The op from rwbs: an optional 'F' (REQ_PREFLUSH), then the op's letter
 * (R, W, D, F for REQ_OP_FLUSH, N for none of these), then flags (F for
 * FUA, A, S, M). 'F' first is the flag when an op letter follows it.
 */
static __always_inline u32 block_op(const char *rwbs)
{
	char c = rwbs[0], d = rwbs[1];

	if (c == 'F' && (d == 'R' || d == 'W' || d == 'D' || d == 'F' || d == 'N'))
		c = d;
	switch (c) {
	case 'R':
		return BLOCK_OP_READ;
	case 'W':
		return BLOCK_OP_WRITE;
	case 'F':
		return BLOCK_OP_FLUSH;
	case 'D':
		return BLOCK_OP_DISCARD;
	}
	return BLOCK_OP_OTHER;
}

/* The devices filter, counted as filtered where it drops a request. */
static __always_inline int block_dev_pass(u32 d)
{
	if (BLOCK_DEV_PASS(d))
		return 1;
	ebpfmon_count_filtered(BLOCK_MON_ID);
	return 0;
}

/*
 * The request's key into K: 0, or -1 when the devices filter drops it
 * (FILTER). Issue and insert give blk_rq_trace_sector(), 0 for a request with
 * no sector set (a flush); complete gives blk_rq_pos(), (sector_t)-1 there.
 */
static __always_inline int block_key(struct block_rq_key *k, u32 dev, u64 sector,
				     const char *rwbs, int filter)
{
	if (filter && !block_dev_pass(dev))
		return -1;
	k->dev = dev;
	k->op = block_op(rwbs);
	k->sector = sector == (u64)-1 ? 0 : sector;
	return 0;
}

/* A new entry for a request queued (insert) or issued now; 0 or -1 (filtered, full). */
static __always_inline int block_start_new(struct block_rq_key *k, u32 bytes, int issued)
{
	struct block_start s = {};
	u64 now;

	if (ebpfmon_hdr_fill(&s.hdr, BLOCK_MON_ID))
		return -1;
	now = s.hdr.ts_ns;
	if (issued)
		s.issue_ns = now;
	else
		s.insert_ns = now;
	s.bytes = s.left = bytes;
	s.sector = k->sector;
	if (!block_start.update(k, &s))
		return 0;
	/*
	 * Lost only when its issue finds no room: an insert that found none
	 * is tried again there (its request then has no queue_ns), so each
	 * request is measured or lost, once.
	 */
	if (issued)
		ebpfmon_count_lost(BLOCK_MON_ID);
	return -1;
}

/* Request K of BYTES queued (block_rq_insert, ISSUED 0) or issued (block_rq_issue, 1). */
static __always_inline void block_started(struct block_rq_key *k, u32 bytes, int issued)
{
	struct block_start *s = block_start.lookup(k);

	/*
	 * Inserted again after a requeue: its queue time runs from the first.
	 * Issued after its insert, or again after a requeue: issued now. An
	 * entry already issued and not requeued is one whose completion went
	 * by unseen: a new request.
	 */
	if (s && (s->flags & BLOCK_S_REQUEUED) && !issued)
		return;
	if (s && issued && (!s->issue_ns || (s->flags & BLOCK_S_REQUEUED))) {
		s->issue_ns = bpf_ktime_get_ns();
		s->bytes = s->left = bytes;
		return;
	}
	block_start_new(k, bytes, issued);
}

TRACEPOINT_PROBE(block, block_rq_insert)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct block_rq_key k = {};

	if (!block_key(&k, args->dev, args->sector, args->rwbs, 1))
		block_started(&k, args->bytes, 0);
	return 0;
}

TRACEPOINT_PROBE(block, block_rq_issue)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct block_rq_key k = {};

	if (!block_key(&k, args->dev, args->sector, args->rwbs, 1))
		block_started(&k, args->bytes, 1);
	return 0;
}

TRACEPOINT_PROBE(block, block_rq_requeue)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct block_rq_key k = {};
	struct block_start *s;

	block_key(&k, args->dev, args->sector, args->rwbs, 0);
	s = block_start.lookup(&k);
	if (!s)
		return 0;
	/* Back in the queue: its queue time runs from its first insert (or issue). */
	if (!s->insert_ns)
		s->insert_ns = s->issue_ns;
	s->issue_ns = 0;
	s->flags |= BLOCK_S_REQUEUED;
	return 0;
}

#if BLOCK_SUMMARY || EBPFMON_METRICS
/* Zeroed values for new rows: too large for the stack. Never written. */
BPF_ARRAY(block_zero, struct block_stats, 1);
#endif

#if BLOCK_SUMMARY
BPF_TABLE("percpu_hash", struct block_key, struct block_stats, block_stats, BLOCK_ROWS);
/*
 * Requests the table had no row for: how many, and their figures
 * (cumulative; max stays 0: the host takes the growth).
 */
BPF_PERCPU_ARRAY(block_full, u64, 1);
BPF_PERCPU_ARRAY(block_over, struct block_stats, 1);

static __always_inline void block_summary_add(struct block_key *key, u64 lat, u64 queue_ns,
					      int queued, u32 bytes, s32 error)
{
	struct block_stats *s, *zero;
	u32 z = 0;

	zero = block_zero.lookup(&z);
	if (!zero)
		return;
	s = block_stats.lookup_or_try_init(key, zero);
	if (!s) {
		u64 *n = block_full.lookup(&z);

		if (n)
			(*n)++;
		s = block_over.lookup(&z);
		if (!s)
			return;
	} else if (lat > s->max_ns) {
		s->max_ns = lat;
	}
	s->count++;
	s->bytes += bytes;
	if (error)
		s->errors++;
	s->total_ns += lat;
	s->hist[ebpfmon_hist_slot(lat)]++;
	if (queued) {
		s->queued++;
		s->queue_total_ns += queue_ns;
		s->queue_hist[ebpfmon_hist_slot(queue_ns)]++;
	}
}
#endif

#if EBPFMON_METRICS
/* Cumulative, never cleared; devices past the table's room go to block_m_other, by op. */
BPF_TABLE("percpu_hash", struct block_key, struct block_m_val, block_m, BLOCK_ROWS);
BPF_PERCPU_ARRAY(block_m_other, struct block_m_val, BLOCK_NR_OPS);

static __always_inline void block_metric(struct block_key *key, u64 lat, u32 bytes)
{
	struct block_m_val *m = NULL;
	u32 z = 0;
	/* struct block_m_val fits in the zeroed struct block_stats. */
	struct block_m_val *empty = (void *)block_zero.lookup(&z);

	if (empty)
		m = block_m.lookup_or_try_init(key, empty);
	if (!m) {
		u32 op = key->op;

		m = block_m_other.lookup(&op);
	}
	if (!m)
		return;
	ebpfmon_metric_hist_add(&m->h, lat);
	m->bytes += bytes;
}
#endif

#if BLOCK_EVENTS
#include "output.h"
#endif

TRACEPOINT_PROBE(block, block_rq_complete)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct block_rq_key k = {};
	struct block_start *p, s;
	u64 now, done, service, queue = 0, lat;
	int queued;

	block_key(&k, args->dev, args->sector, args->rwbs, 0);
	p = block_start.lookup(&k);
	/* Started before the monitor was, filtered, or not issued (never seen here). */
	if (!p)
		return 0;
	if (!p->issue_ns) {
		block_start.delete(&k);
		return 0;
	}
	now = bpf_ktime_get_ns();
	__builtin_memcpy(&s, p, sizeof(s));
	done = (u64)args->nr_sector << 9;
	block_start.delete(&k);
	/* Part of it: the rest completes later, from the sector after this part. */
	if (!args->error && done && done < s.left) {
		s.left -= done;
		k.sector += args->nr_sector;
		if (block_start.update(&k, &s))
			ebpfmon_count_lost(BLOCK_MON_ID);
		return 0;
	}
	/* A clock read on another CPU may be a little ahead. */
	service = now > s.issue_ns ? now - s.issue_ns : 0;
	queued = s.insert_ns != 0;
	if (queued)
		queue = s.issue_ns > s.insert_ns ? s.issue_ns - s.insert_ns : 0;
	lat = BLOCK_TOTAL_LATENCY ? service + queue : service;
#if BLOCK_SUMMARY || EBPFMON_METRICS
	struct block_key key = { .dev = k.dev, .op = k.op };
#endif
#if EBPFMON_METRICS
	block_metric(&key, lat, s.bytes);
#endif
#if BLOCK_SUMMARY
	block_summary_add(&key, lat, queue, queued, s.bytes, args->error);
#elif BLOCK_EVENTS
	{
		struct block_event ev = {};

		__builtin_memcpy(&ev.hdr, &s.hdr, sizeof(ev.hdr));
		ev.hdr.ts_ns = now;
		ev.sector = s.sector;
		ev.queue_ns = queue;
		ev.service_ns = service;
		ev.dev = k.dev;
		ev.bytes = s.bytes;
		ev.error = args->error;
		ev.op = k.op;
		ev.flags = (queued ? BLOCK_F_QUEUED : 0) |
			   ((s.flags & BLOCK_S_REQUEUED) ? BLOCK_F_REQUEUED : 0);
		bpf_probe_read_kernel(ev.rwbs, sizeof(ev.rwbs) - 1, args->rwbs);
		block_events_submit(args, &ev, sizeof(ev));
	}
#endif
	return 0;
}
