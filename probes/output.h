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
#else
BPF_PERF_OUTPUT(@EVENTS_TABLE@);
#endif

/* Send one event of size bytes; one that finds no room is counted as lost. */
static __always_inline void @EVENTS_TABLE@_submit(void *ctx, void *data, u64 size)
{
#if EBPFMON_RINGBUF
	/* No flags: the kernel wakes the reader only once it has caught up. */
	if (@EVENTS_TABLE@.ringbuf_output(data, size, 0) < 0)
#else
	if (@EVENTS_TABLE@.perf_submit(ctx, data, size) < 0)
#endif
		ebpfmon_count_lost(@MON_ID@);
}
