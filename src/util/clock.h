/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CLOCK_H
#define EBPFMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Now, by one clock. CLOCK_MONOTONIC is the clock of timers, intervals and
 * the kernel's bpf_ktime_get_ns(); CLOCK_REALTIME the one of timestamps.
 */
static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline uint64_t clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t clock_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* CLOCK_MONOTONIC in seconds, for intervals and deadlines. */
static inline double clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
