/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A monitor's event output, included by its probe in place of a table
 * declaration and rendered for that monitor: @EVENTS_TABLE@ (the descriptor's
 * events_table) as a perf buffer or a BPF ring buffer, as output.transport
 * chose, and @EVENTS_TABLE@_submit() to send one event. A macro cannot do
 * this: libbcc refuses table.perf_submit() and table.ringbuf_output() inside
 * one ("cannot use map function inside a macro").
 */
#if EBPFMON_RINGBUF
BPF_RINGBUF_OUTPUT(@EVENTS_TABLE@, EBPFMON_RINGBUF_PAGES);
#if EBPFMON_WAKEUP_EVENTS > 1
/* Events each CPU sent since it last let the reader be woken. */
BPF_PERCPU_ARRAY(@EVENTS_TABLE@_unwoken, u32, 1);
#endif
#else
BPF_PERF_OUTPUT(@EVENTS_TABLE@);
#endif

/* Send one event of size bytes; one that finds no room is counted as lost. */
static __always_inline void @EVENTS_TABLE@_submit(void *ctx, void *data, u64 size)
{
#if EBPFMON_RINGBUF
	/*
	 * No flags: the kernel wakes the reader if it has caught up. A reader
	 * that keeps up with sparse events is woken for each one, which cost the
	 * sender 1-4 us (an open's exit 1.2 us instead of < 0.5 us, an exec 4.1
	 * us instead of 1.7 us, with bpf_stats). So, as perf's wakeup_events,
	 * only every output.wakeup_events-th event per CPU wakes it; what
	 * waits is read at every flush anyway.
	 */
	u64 flags = 0;
#if EBPFMON_WAKEUP_EVENTS > 1
	u32 zero = 0, *unwoken = @EVENTS_TABLE@_unwoken.lookup(&zero);

	/*
	 * Forced: the kernel's own test (has the reader read up to this
	 * record?) fails after events sent without a wakeup.
	 */
	if (unwoken && ++*unwoken < EBPFMON_WAKEUP_EVENTS) {
		flags = BPF_RB_NO_WAKEUP;
	} else if (unwoken) {
		*unwoken = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	}
#endif
	if (@EVENTS_TABLE@.ringbuf_output(data, size, flags) < 0)
#else
	if (@EVENTS_TABLE@.perf_submit(ctx, data, size) < 0)
#endif
		ebpfmon_count_lost(@MON_ID@);
}
