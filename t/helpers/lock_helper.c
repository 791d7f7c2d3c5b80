/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lock_helper: pthread locks with known figures for t/e2e/lock.t, beside
 * t/helpers/portrait's mutex. Prints one JSON object with the addresses.
 *
 *   lock_helper kinds   two threads hold one rwlock for reading at once for
 *                       30 ms; then it is held for writing 20 ms; a trylock
 *                       of a taken mutex fails (EBUSY); a recursive mutex is
 *                       taken twice and released twice (one acquisition);
 *                       a spin lock is taken by pthread_spin_trylock for 10 ms;
 *                       a mutex is taken, given up for 50 ms by a
 *                       pthread_cond_timedwait that times out, then held
 *                       10 ms more; a mutex is released behind the probes'
 *                       back (its fields reset, as a release they cannot
 *                       see), then taken again and held 10 ms
 *   lock_helper wait    the same as kinds once a line is read from stdin (so a
 *                       tracer can be started with its pid first)
 *   lock_helper leak N  N mutexes locked and never unlocked (the process
 *                       exits holding them), then one more locked for 10 ms
 *                       and unlocked
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec;
static pthread_spinlock_t spin;
static pthread_mutex_t condm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t hidden = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t barrier;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	pthread_rwlock_rdlock(&rw);
	/* Both readers hold it now. */
	pthread_barrier_wait(&barrier);
	sleep_ms(30);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static int kinds(void)
{
	pthread_mutexattr_t attr;
	struct timespec until;
	pthread_t th[2];
	int busy_ret, cond_ret;

	pthread_barrier_init(&barrier, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_rwlock_wrlock(&rw);
	sleep_ms(20);
	pthread_rwlock_unlock(&rw);

	pthread_mutex_lock(&busy);
	busy_ret = pthread_mutex_trylock(&busy);
	pthread_mutex_unlock(&busy);

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &attr);
	pthread_mutex_lock(&rec);
	pthread_mutex_lock(&rec);
	sleep_ms(10);
	pthread_mutex_unlock(&rec);
	pthread_mutex_unlock(&rec);

	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	while (pthread_spin_trylock(&spin))
		;
	sleep_ms(10);
	pthread_spin_unlock(&spin);
	pthread_mutex_lock(&condm);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 50 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	cond_ret = pthread_cond_timedwait(&cond, &condm, &until);
	sleep_ms(10);
	pthread_mutex_unlock(&condm);
	pthread_mutex_lock(&hidden);
	/* What pthread_mutex_unlock does to a normal mutex nobody waits for (glibc). */
	hidden.__data.__owner = 0;
	hidden.__data.__nusers--;
	__atomic_store_n(&hidden.__data.__lock, 0, __ATOMIC_RELEASE);
	pthread_mutex_lock(&hidden);
	sleep_ms(10);
	pthread_mutex_unlock(&hidden);
	printf("{\"rwlock\":\"%#lx\",\"busy\":\"%#lx\",\"busy_ret\":%d,\"recursive\":\"%#lx\","
	       "\"spin\":\"%#lx\",\"condm\":\"%#lx\",\"cond_ret\":%d,\"hidden\":\"%#lx\"}\n", (unsigned long)&rw,
	       (unsigned long)&busy, busy_ret, (unsigned long)&rec, (unsigned long)&spin,
	       (unsigned long)&condm, cond_ret, (unsigned long)&hidden);
	return 0;
}

static int leak(long n)
{
	pthread_mutex_t *m = calloc(n + 1, sizeof(*m));

	if (!m)
		return 1;
	for (long i = 0; i <= n; i++)
		pthread_mutex_init(&m[i], NULL);
	for (long i = 0; i < n; i++)
		pthread_mutex_lock(&m[i]);
	pthread_mutex_lock(&m[n]);
	sleep_ms(10);
	pthread_mutex_unlock(&m[n]);
	printf("{\"first\":\"%#lx\",\"last\":\"%#lx\"}\n", (unsigned long)&m[0],
	       (unsigned long)&m[n]);
	return 0;
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc == 2 && !strcmp(argv[1], "kinds"))
		return kinds();
	if (argc == 2 && !strcmp(argv[1], "wait"))
		return fgets(line, sizeof(line), stdin) ? kinds() : 1;
	if (argc == 3 && !strcmp(argv[1], "leak"))
		return leak(atol(argv[2]));
	fprintf(stderr, "usage: lock_helper kinds | wait | leak N\n");
	return 2;
}
