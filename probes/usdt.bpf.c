// SPDX-License-Identifier: GPL-2.0
/*
 * usdt: USDT probes of binaries and processes. The monitor asks libbcc (src/
 * bpf/probe_set_usdt.c) for each probe's locations and argument specs; one
 * program per location, from templates/usdt_probe.bpf.c, each preceded by its
 * generated argument reader, hands the arguments to usdt_fire: string
 * arguments are read from the process, the rest sent as numbers.
 */
#include "usdt.h"

#define USDT_MON_ID @MON_ID@
#define USDT_N_PROBES @N_PROBES@
#define USDT_STR_SIZE @STRING_SIZE@	/* a power of two, <= USDT_STR_MAX */
#define USDT_LABELED @LABELED@		/* some probe has label arguments */
/* mode: summary: calls counted by probe and label arguments, read every interval. */
#define USDT_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define USDT_KEYED (USDT_SUMMARY || (EBPFMON_METRICS && USDT_LABELED))

struct usdt_buf {
	struct usdt_event ev;
	char strs[USDT_STRS][USDT_STR_SIZE];
};

#if EBPFMON_EVENTS && !USDT_SUMMARY
BPF_PERCPU_ARRAY(usdt_scratch, struct usdt_buf, 1);
#include "output.h"
#endif

#if USDT_KEYED
BPF_PERCPU_ARRAY(usdt_key_scratch, struct usdt_label_key, 1);

/* The key of a call: its probe and label arguments (LA, LB; -1: none, left empty). */
static __always_inline struct usdt_label_key *usdt_key(u32 probe, const __u64 *argv, int la,
						       int lb)
{
	u32 zero = 0;
	struct usdt_label_key *k = usdt_key_scratch.lookup(&zero);

	if (!k)
		return NULL;
	__builtin_memset(k, 0, sizeof(*k));
	k->probe = probe;
	if (la >= 0 && la < USDT_ARGS)
		bpf_probe_read_user_str(k->a, sizeof(k->a), (void *)argv[la]);
	if (lb >= 0 && lb < USDT_ARGS)
		bpf_probe_read_user_str(k->b, sizeof(k->b), (void *)argv[lb]);
	return k;
}
#endif

#if USDT_SUMMARY
BPF_F_TABLE("percpu_hash", struct usdt_label_key, u64, usdt_s_counts, @MAX_SERIES@,
	    BPF_F_NO_PREALLOC);
/* Calls usdt_s_counts had no room for (key 0), cumulative. */
BPF_PERCPU_ARRAY(usdt_s_full, u64, 1);

static __always_inline void usdt_summary_count(u32 probe, const __u64 *argv, int la, int lb)
{
	struct usdt_label_key *k = usdt_key(probe, argv, la, lb);
	u64 zero = 0, *n;
	u32 slot = 0;

	if (!k)
		return;
	n = usdt_s_counts.lookup_or_try_init(k, &zero);
	if (!n)
		n = usdt_s_full.lookup(&slot);
	if (n)
		(*n)++;
}
#endif

#if EBPFMON_METRICS
/* Calls by (target, probe), cumulative. */
BPF_PERCPU_ARRAY(usdt_m_calls, u64, USDT_N_PROBES);
#if USDT_LABELED
BPF_HASH(usdt_m_labeled, struct usdt_label_key, u64, @MAX_SERIES@);
/* The calls usdt_m_labeled had no room for, by probe. */
BPF_PERCPU_ARRAY(usdt_m_other, u64, USDT_N_PROBES);
#endif
#endif

#if EBPFMON_METRICS
static __always_inline void usdt_count(u32 probe, const __u64 *argv, int la, int lb)
{
	u64 *n = usdt_m_calls.lookup(&probe);

	if (n)
		(*n)++;
#if USDT_LABELED
	struct usdt_label_key *k;
	u64 one = 1;

	if (la < 0)
		return;
	k = usdt_key(probe, argv, la, lb);
	if (!k)
		return;
	n = usdt_m_labeled.lookup(k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (usdt_m_labeled.update(k, &one) && (n = usdt_m_other.lookup(&probe)))
		(*n)++;
#endif
}
#endif

/*
 * STR_MASK: the arguments that are strings (bit i: argv[i]); LA, LB: the
 * label arguments, -1: none; EMIT 0: counted only, no event.
 */
static __always_inline int usdt_fire(struct pt_regs *ctx, u32 probe, __u64 *argv, u32 str_mask,
				     int la, int lb, int emit)
{
#if EBPFMON_METRICS
	if (ebpfmon_task_match())
		usdt_count(probe, argv, la, lb);
#endif
#if USDT_SUMMARY
	if (ebpfmon_task_match())
		usdt_summary_count(probe, argv, la, lb);
#elif EBPFMON_EVENTS
	struct usdt_buf *b;
	u32 zero = 0, slot = 0;

	if (!emit)
		return 0;
	b = usdt_scratch.lookup(&zero);
	if (!b || ebpfmon_hdr_fill(&b->ev.hdr, USDT_MON_ID))
		return 0;
	b->ev.probe = probe;
	b->ev.n_args = USDT_ARGS;
#pragma unroll
	for (int i = 0; i < USDT_ARGS; i++) {
		b->ev.args[i] = argv[i];
		if (!(str_mask & (1u << i)) || slot >= USDT_STRS)
			continue;
		if (bpf_probe_read_user_str(b->strs[slot], USDT_STR_SIZE, (void *)argv[i]) < 0)
			b->strs[slot][0] = 0;
		slot++;
	}
	usdt_events_submit(ctx, b, sizeof(b->ev) + slot * USDT_STR_SIZE);
#endif
	return 0;
}

@REPEAT(usdt_probe.bpf.c)@
