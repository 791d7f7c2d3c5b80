// SPDX-License-Identifier: GPL-2.0
/*
 * program: users' own BPF programs (the programs: section and its
 * drop-ins), each rendered from templates/program_one.bpf.c with its source
 * in it, in the one compile with the built-in monitors. What they share is
 * here: the event output that PROGRAM_SUBMIT() writes to, and helpers.
 */
#include "program.h"

/*
 * An exp2 histogram's slot for V: the least B with V <= 2^B (the bucket
 * le="2^B" holds it, as Prometheus means), capped at MAX.
 */
static __always_inline u32 program_exp2_bucket(u64 v, u32 max)
{
	u32 b = v > 1 ? bpf_log2l(v - 1) : 0;

	return b > max ? max : b;
}

#if EBPFMON_EVENTS
BPF_PERCPU_ARRAY(program_scratch, struct program_event, 1);
#include "output.h"

/*
 * One event of program PROG: the common header (the run's filters and the
 * monitor's activity decide here), then SIZE bytes of DATA.
 */
static __always_inline int program_output(void *ctx, u32 prog, const void *data, u32 size)
{
	u32 zero = 0;
	struct program_event *e = program_scratch.lookup(&zero);

	if (!e || size > PROGRAM_EVENT_MAX)
		return 0;
	if (ebpfmon_hdr_fill(&e->hdr, @MON_ID@))
		return 0;
	e->prog = prog;
	e->size = size;
	bpf_probe_read_kernel(e->data, size, data);
	program_events_submit(ctx, e, sizeof(*e));
	return 0;
}
#else
static __always_inline int program_output(void *ctx, u32 prog, const void *data, u32 size)
{
	return 0;
}
#endif

@REPEAT(program_one.bpf.c)@
