/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_HEAP_H
#define EBPFMON_HEAP_H

/* Seconds between two looks at RssAnon, and the growth that calls for a trim. */
#define HEAP_CHECK_S 5
#define HEAP_TRIM_KB 512
/* Blocks from this size up are mapped alone, and unmapped when freed. */
#define HEAP_MMAP_THRESHOLD (128 * 1024)

/* Before the first allocation that matters: glibc's mmap threshold, fixed. */
void heap_setup(void);
/*
 * In the event loop, with CLOCK_MONOTONIC seconds: every HEAP_CHECK_S, the
 * free heap pages handed back when RssAnon grew HEAP_TRIM_KB over its level
 * after the last trim.
 */
void heap_watch(double now);

#endif
