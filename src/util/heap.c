// SPDX-License-Identifier: GPL-2.0
/*
 * The heap's resident size, bounded. The compile leaves glibc's main arena
 * 33-51 MB large with 1-2 MB in use, in free chunks between live ones
 * (malloc_info). malloc_trim after the compile hands their pages back, but
 * the run's own allocations then land in those chunks (a split here, a
 * remainder there) and fault them in again a page at a time: bench/soak grew
 * 2.3 MB in 8 minutes with the bytes in use flat. Two bounds, each measured:
 *  - a fixed mmap threshold: glibc's dynamic one rises to the largest block
 *    freed (the compile's, up to 32 MB), so the compile's big blocks stayed
 *    in the heap and fragmented it, and a reload's kernel BTF (5 MB) was
 *    freed into it: bench/reload's RssAnon grew 6.4 MB, 1.2 MB with it fixed;
 *  - RssAnon read every HEAP_CHECK_S, and malloc_trim when it grew
 *    HEAP_TRIM_KB over its level after the last trim: what wandered into the
 *    free chunks goes back. (A compile in a child process, issue 18, would
 *    leave no such holes.)
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/heap.h"
#include "util/log.h"

static struct {
	int statm_fd;		/* /proc/self/statm, kept open: one pread a look */
	double next_check;
	long base_kb;		/* RssAnon after the last trim, or the lowest since */
} heap = { .statm_fd = -1, .base_kb = -1 };

void heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
}

/* RssAnon in kB (resident less file-backed and shared), or -1. */
static long anon_kb(void)
{
	unsigned long size, resident, shared;
	char buf[128];
	ssize_t n;

	if (heap.statm_fd < 0)
		heap.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (heap.statm_fd < 0)
		return -1;
	n = pread(heap.statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%lu %lu %lu", &size, &resident, &shared) != 3 || shared > resident)
		return -1;
	return (long)((resident - shared) * (unsigned long)sysconf(_SC_PAGESIZE) / 1024);
}

void heap_watch(double now)
{
	long kb, trimmed;

	if (now < heap.next_check)
		return;
	heap.next_check = now + HEAP_CHECK_S;
	kb = anon_kb();
	if (kb < 0)
		return;
	if (heap.base_kb < 0 || kb < heap.base_kb)
		heap.base_kb = kb;
	if (kb - heap.base_kb < HEAP_TRIM_KB)
		return;
	malloc_trim(0);
	trimmed = anon_kb();
	pr_debug("heap: RssAnon %ld kB, %ld kB over the last trim: trimmed to %ld kB", kb,
		 kb - heap.base_kb, trimmed);
	heap.base_kb = trimmed < 0 ? kb : trimmed;
}
