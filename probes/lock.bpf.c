// SPDX-License-Identifier: GPL-2.0
/*
 * lock: user-space lock wait and hold times, from uprobes on the pthread
 * functions of the C library (src/monitors/lock.c finds it and attaches).
 *
 * A lock call's entry parks (time, lock, kind) per thread; its return
 * (uretprobe) takes it back: the wait is call -> return. A lock taken is
 * marked held until its unlock call's entry: the hold is return -> unlock.
 * Exclusive locks (mutex, write-locked rwlock, spin lock) are marked per
 * (process, address), not per thread, so a lock one thread takes and
 * another releases (legal for a normal mutex) is followed: its hold is
 * reported with the releasing thread in unlock_tid. Read locks, which many
 * threads hold at once, are marked per (process, address, thread).
 *
 * Both tables are LRU hashes of @MAX_HELD@ entries: they never fill up, and
 * the marks of threads and processes that died holding a lock (never to be
 * released) are the first to go. A thread that exits inside a lock call has
 * its parked call removed at sched_process_exit.
 */
#include "lock.h"

#define LOCK_MON_ID @MON_ID@
#define LOCK_SUMMARY @SUMMARY@
#define LOCK_COMM_LABELS @COMM_LABELS@
/*
 * 1: every library probed is glibc, whose pthread_mutex_t (a stable ABI)
 * keeps a recursive mutex's depth in __count at offset 4.
 */
#define LOCK_GLIBC @GLIBC@
#define LOCK_GLIBC_COUNT_OFF 4
/* glibc's robust mutexes: EOWNERDEAD still takes the lock. */
#define LOCK_EOWNERDEAD 130

struct lock_call {
	u64 ts_ns;
	u64 addr;
	u32 kind;
	u16 try;
	u16 cond;		/* a pthread_cond_wait: it locks addr again on return */
};

struct lock_held_key {
	u64 addr;
	u32 tgid;
	u32 tid;		/* read locks: the holder; else 0 */
};

struct lock_held {
	u64 ts_ns;		/* the lock call's return */
	u64 wait_ns;
	u32 tid;		/* the thread that took it */
	u32 kind;
	u32 depth;		/* a recursive mutex taken again by its holder */
	u32 flags;		/* LOCK_F_TRY, LOCK_F_COND */
	s32 ret;		/* 0, or EOWNERDEAD: a robust mutex's dead owner */
	u32 pad;
};

BPF_TABLE("lru_hash", u32, struct lock_call, lock_calls, @MAX_HELD@);
BPF_TABLE("lru_hash", struct lock_held_key, struct lock_held, lock_held, @MAX_HELD@);
BPF_PERCPU_ARRAY(lock_counts, u64, LOCK_C_SLOTS);

static __always_inline void lock_count(u32 slot)
{
	u64 *n = lock_counts.lookup(&slot);

	if (n)
		(*n)++;
}

#if EBPFMON_METRICS
BPF_TABLE("percpu_hash", struct lock_m_key, struct lock_m_value, lock_m,
	  EBPFMON_COMM_ROWS(LOCK_COMM_LABELS));
/* Acquisitions lock_m had no row for: counted, per kind, under comm "other". */
BPF_PERCPU_ARRAY(lock_m_other, struct lock_m_value, LOCK_KINDS);

/* The zeroed row a new (comm, kind) starts from (too big for the stack). */
BPF_PERCPU_ARRAY(lock_m_zero, struct lock_m_value, 1);

static __always_inline void lock_metric(u32 kind, u64 wait_ns, u64 hold_ns)
{
	struct lock_m_key key = { .kind = kind };
	struct lock_m_value *v, *z;
	u32 zero_key = 0;

#if LOCK_COMM_LABELS
	bpf_get_current_comm(key.comm, sizeof(key.comm));
#endif
	v = lock_m.lookup(&key);
	z = v ? NULL : lock_m_zero.lookup(&zero_key);
	if (z) {
		lock_m.insert(&key, z);
		v = lock_m.lookup(&key);
	}
	if (!v)
		v = lock_m_other.lookup(&kind);
	if (!v)
		return;
	v->acquisitions++;
	ebpfmon_metric_hist_add(&v->wait, wait_ns);
	ebpfmon_metric_hist_add(&v->hold, hold_ns);
}
#endif

#if EBPFMON_EVENTS && LOCK_SUMMARY
BPF_F_TABLE("percpu_hash", struct lock_key, struct lock_stats, lock_stats, @MAX_ENTRIES@,
	    BPF_F_NO_PREALLOC);
/* The zeroed row a new one starts from (too big for the stack); comm set before each use. */
BPF_PERCPU_ARRAY(lock_stats_zero, struct lock_stats, 1);
/* Counts the table had no row for (cumulative: the host takes the growth). */
BPF_PERCPU_ARRAY(lock_stats_full, u64, 1);
BPF_PERCPU_ARRAY(lock_stats_over, struct lock_stats, 1);

static __always_inline void lock_summarize(u64 addr, u32 tid, u32 kind, u64 wait_ns,
					   u64 hold_ns, int acquired)
{
	struct lock_key key = { .addr = addr, .pid = bpf_get_current_pid_tgid() >> 32,
				.tid = tid, .kind = kind };
	struct lock_stats *s, *z;
	u32 zero_key = 0;

	s = lock_stats.lookup(&key);
	z = s ? NULL : lock_stats_zero.lookup(&zero_key);
	if (z) {
		bpf_get_current_comm(z->comm, sizeof(z->comm));
		lock_stats.insert(&key, z);
		s = lock_stats.lookup(&key);
	}
	if (!s) {
		u64 *n = lock_stats_full.lookup(&zero_key);

		if (n)
			(*n)++;
		s = lock_stats_over.lookup(&zero_key);
		if (!s)
			return;
	}
	if (!acquired) {
		s->failed++;
		return;
	}
	s->count++;
	s->wait_total_ns += wait_ns;
	if (wait_ns > s->wait_max_ns)
		s->wait_max_ns = wait_ns;
	s->hold_total_ns += hold_ns;
	if (hold_ns > s->hold_max_ns)
		s->hold_max_ns = hold_ns;
	s->wait_hist[ebpfmon_hist_slot(wait_ns)]++;
	s->hold_hist[ebpfmon_hist_slot(hold_ns)]++;
}
#elif EBPFMON_EVENTS
#include "output.h"

static __always_inline void lock_emit(struct pt_regs *ctx, u64 addr, u32 tid, u32 kind,
				      u64 wait_ns, u64 hold_ns, s32 ret, u32 flags)
{
	struct lock_event ev = {};
	u32 cur = (u32)bpf_get_current_pid_tgid();

	/* The acquisition passed the filters already, where it began. */
	if (ebpfmon_hdr_fill_ids(&ev.hdr, LOCK_MON_ID, 1))
		return;
	ev.hdr.tid = tid;
	ev.addr = addr;
	ev.wait_ns = wait_ns;
	ev.hold_ns = hold_ns;
	ev.ret = ret;
	ev.kind = kind;
	ev.flags = flags;
	if (flags & LOCK_F_ACQUIRED) {
		ev.unlock_tid = cur;
		if (cur != tid)
			ev.flags |= LOCK_F_CROSS;
	}
	lock_events_submit(ctx, &ev, sizeof(ev));
}
#endif

/* An acquisition over: its figures wherever this run sends them. */
static __always_inline void lock_done(struct pt_regs *ctx, u64 addr, u32 tid, u32 kind,
				      u64 wait_ns, u64 hold_ns, s32 ret, u32 flags)
{
#if EBPFMON_METRICS
	if (flags & LOCK_F_ACQUIRED)
		lock_metric(kind, wait_ns, hold_ns);
#endif
#if EBPFMON_EVENTS && LOCK_SUMMARY
	lock_summarize(addr, tid, kind, wait_ns, hold_ns, flags & LOCK_F_ACQUIRED);
#elif EBPFMON_EVENTS
	lock_emit(ctx, addr, tid, kind, wait_ns, hold_ns, ret, flags);
#endif
}

/* A lock call's entry: park it, if the caller passes the filters. */
static __always_inline int lock_call_at(u64 addr, u32 kind, u32 try, u32 cond)
{
	struct lock_call c = {};
	u32 tid;

	if (!ebpfmon_ids_match() || !ebpfmon_comm_match()) {
		if (!ebpfmon_is_self())
			ebpfmon_count_filtered(LOCK_MON_ID);
		return 0;
	}
	tid = (u32)bpf_get_current_pid_tgid();
	c.addr = addr;
	c.kind = kind;
	c.try = try;
	c.cond = cond;
	c.ts_ns = bpf_ktime_get_ns();
	lock_calls.update(&tid, &c);
	return 0;
}

/* The whole body of each lock_call_* program: the activity check comes first. */
static __always_inline int lock_call(struct pt_regs *ctx, u32 kind, u32 try)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	return lock_call_at(PT_REGS_PARM1(ctx), kind, try, 0);
}

int lock_call_mutex(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_MUTEX, 0); }
int lock_call_mutex_try(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_MUTEX, 1); }
int lock_call_rdlock(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_RWLOCK_READ, 0); }
int lock_call_rdlock_try(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_RWLOCK_READ, 1); }
int lock_call_wrlock(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_RWLOCK_WRITE, 0); }
int lock_call_wrlock_try(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_RWLOCK_WRITE, 1); }
int lock_call_spin(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_SPIN, 0); }
int lock_call_spin_try(struct pt_regs *ctx) { return lock_call(ctx, LOCK_KIND_SPIN, 1); }

/*
 * The holder of a mutex marked held took it again: a recursive mutex, or
 * was its release never seen (the mark is stale)? glibc says: a recursive
 * mutex counts its depth. Elsewhere it is taken for recursion.
 */
static __always_inline int lock_taken_again(const struct lock_call *c)
{
#if LOCK_GLIBC
	u32 count = 0;

	if (c->kind == LOCK_KIND_MUTEX && !c->cond) {
		if (bpf_probe_read_user(&count, sizeof(count),
					(void *)(c->addr + LOCK_GLIBC_COUNT_OFF)))
			return 1;
		return count > 1;
	}
#endif
	return 1;
}

/* Any lock call's return: the wait is over; the lock is held, or the call failed. */
int lock_return(struct pt_regs *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns();
	struct lock_held_key key = {};
	struct lock_held h = {}, *old;
	struct lock_call *cp, c;
	u32 tid = (u32)id;
	s32 ret = PT_REGS_RC(ctx);

	cp = lock_calls.lookup(&tid);
	if (!cp)
		return 0;
	c = *cp;
	lock_calls.delete(&tid);
	h.wait_ns = now - c.ts_ns;
	/*
	 * A condition wait returns with its mutex locked again, timed out or
	 * not; its wait for the mutex is not told apart from the condition's.
	 */
	if (c.cond) {
		h.wait_ns = 0;
		ret = 0;
	}
	if (ret && ret != LOCK_EOWNERDEAD) {
		lock_done(ctx, c.addr, tid, c.kind, h.wait_ns, 0, ret,
			  c.try ? LOCK_F_TRY : 0);
		return 0;
	}
	key.addr = c.addr;
	key.tgid = id >> 32;
	key.tid = c.kind == LOCK_KIND_RWLOCK_READ ? tid : 0;
	old = lock_held.lookup(&key);
	if (old && old->tid == tid && lock_taken_again(&c)) {
		/* Taken again by its holder: a recursive mutex (or read lock). */
		old->depth++;
		return 0;
	}
	if (old)
		lock_count(LOCK_C_STALE);
	h.ts_ns = now;
	h.tid = tid;
	h.kind = c.kind;
	h.depth = 1;
	h.flags = (c.try ? LOCK_F_TRY : 0) | (c.cond ? LOCK_F_COND : 0);
	h.ret = ret;
	lock_held.update(&key, &h);
	return 0;
}

/* An unlock call's entry: the hold of the mark at KEY is over. 1: there was one. */
static __always_inline int lock_release(struct pt_regs *ctx, struct lock_held_key *key)
{
	struct lock_held *hp = lock_held.lookup(key), h;

	if (!hp)
		return 0;
	if (hp->depth > 1) {
		hp->depth--;
		return 1;
	}
	h = *hp;
	lock_held.delete(key);
	lock_done(ctx, key->addr, h.tid, h.kind, h.wait_ns, bpf_ktime_get_ns() - h.ts_ns, h.ret,
		  LOCK_F_ACQUIRED | h.flags);
	return 1;
}

/* pthread_mutex_unlock, pthread_spin_unlock: an exclusive lock. */
int lock_unlock(struct pt_regs *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct lock_held_key key = { .addr = PT_REGS_PARM1(ctx),
				     .tgid = bpf_get_current_pid_tgid() >> 32 };

	lock_release(ctx, &key);
	return 0;
}

/* pthread_rwlock_unlock: this thread's read lock, else the write lock. */
int lock_unlock_rwlock(struct pt_regs *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u64 id = bpf_get_current_pid_tgid();
	struct lock_held_key key = { .addr = PT_REGS_PARM1(ctx), .tgid = id >> 32,
				     .tid = (u32)id };

	if (!lock_release(ctx, &key)) {
		key.tid = 0;
		lock_release(ctx, &key);
	}
	return 0;
}

/*
 * pthread_cond_wait, _timedwait, _clockwait(cond, mutex, ...): the mutex is
 * released inside, so its hold ends here; the return takes it again.
 */
int lock_cond_wait(struct pt_regs *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	struct lock_held_key key = { .addr = PT_REGS_PARM2(ctx),
				     .tgid = bpf_get_current_pid_tgid() >> 32 };

	lock_release(ctx, &key);
	return lock_call_at(PT_REGS_PARM2(ctx), LOCK_KIND_MUTEX, 0, 1);
}

#if @HAVE_SCHED_PROCESS_EXIT@
/*
 * A thread that dies inside a lock call (killed while it waited) leaves
 * nothing parked. A raw tracepoint program of this monitor's name: page_fault
 * has sched_process_exit's TRACEPOINT_PROBE (see struct monitor_tp's raw).
 */
int lock_sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	/* Runs when inert too: cleanup only: a dead thread's parked call goes. */
	u32 tid = (u32)bpf_get_current_pid_tgid();

	lock_calls.delete(&tid);
	return 0;
}
#endif
