// SPDX-License-Identifier: GPL-2.0
/*
 * open: open, openat and openat2, successful or failed. At syscall entry the
 * caller's path may sit in a page not faulted in yet, and a BPF program cannot
 * fault it in; so entry only records the pointers, and the event is built at
 * exit, when the kernel's getname() has touched the page. struct open_how is
 * read at exit for the same reason.
 */
#include "open.h"

#define OPEN_MON_ID @MON_ID@
#define OPEN_SHOW_FAILED @SHOW_FAILED@
#define OPEN_FAILED_ONLY @FAILED_ONLY@
/* Bytes read of a path: max_path + 2, so the host can tell "longer than max_path". */
#define OPEN_PATH_READ @PATH_READ@
#define OPEN_PATH_BUF @PATH_BUF@	/* a power of two, >= OPEN_PATH_READ */
#define OPEN_N_PREFIXES @N_PREFIXES@
#define OPEN_PREFIX_WORDS @PREFIX_WORDS@	/* u64 words of the longest prefix */
/* full_path: relative paths resolved in the kernel (probes/kpath.h). */
#define OPEN_FULL_PATH (@FULL_PATH@ && EBPFMON_EVENTS)
#if OPEN_FULL_PATH
#include "kpath.h"
#endif

/* What entry saw, for exit. */
struct open_start {
	const char *path;
	const void *how;	/* openat2 */
	u64 flags;
	u64 mode;
	u64 usize;		/* openat2: sizeof(struct open_how) as passed */
	s32 dirfd;
	u32 op;
};

/* struct open_how of <linux/openat2.h>, which the 6.1 headers may lack. */
struct open_how_args {
	u64 flags;
	u64 mode;
	u64 resolve;
};

struct open_buf {
	struct open_event ev;
	char path[OPEN_PATH_BUF];
#if OPEN_FULL_PATH
	char full[KPATH_OUT_SIZE];
#endif
};

/* Metrics only (EBPFMON_EVENTS 0): no events, only the metric. */
#if EBPFMON_EVENTS
BPF_TABLE("lru_hash", u32, struct open_start, open_starts, @MAX_INFLIGHT@);
BPF_PERCPU_ARRAY(open_scratch, struct open_buf, 1);
#include "output.h"
#endif

#if EBPFMON_METRICS
/*
 * Opens by result (ebpfmon_errno_slot), every one the filters let through,
 * whatever show_failed, failed_only and path_prefixes say; cumulative, read
 * by the exporter, never cleared.
 */
BPF_PERCPU_ARRAY(open_results, u64, EBPFMON_ERRNO_SLOTS);

static __always_inline void open_count(s64 ret)
{
	u32 slot = ebpfmon_errno_slot(ret);
	u64 *n;

	if (!ebpfmon_task_match())
		return;
	n = open_results.lookup(&slot);
	if (n)
		(*n)++;
}
#endif

#if EBPFMON_EVENTS

/* Keeps clang from dropping a bound the verifier needs to see. */
#define open_opaque(v) asm volatile("" : "+r"(v))

#if OPEN_N_PREFIXES
/*
 * path_prefixes, filled by the host: each prefix as u64 words, and a mask of
 * its bytes. Comparing whole words with fixed offsets, unrolled, keeps the
 * verifier's work small and constant. A path shorter than a prefix fails on
 * its NUL, so bytes after the NUL never matter.
 */
struct open_prefix_set {
	u64 word[OPEN_N_PREFIXES][OPEN_PREFIX_WORDS];
	u64 mask[OPEN_N_PREFIXES][OPEN_PREFIX_WORDS];
};

BPF_ARRAY(open_prefixes, struct open_prefix_set, 1);

static __always_inline int open_prefix_match(struct open_buf *b)
{
	struct open_prefix_set *ps;
	u32 zero = 0;
	int i, w;

	ps = open_prefixes.lookup(&zero);
	if (!ps)
		return 0;
#pragma unroll
	for (i = 0; i < OPEN_N_PREFIXES; i++) {
		const u64 *pw = (const u64 *)b->path;
		u64 d = 0;

		/* Load the path again per prefix: hoisted, its words would spill. */
		open_opaque(pw);
#pragma unroll
		for (w = 0; w < OPEN_PREFIX_WORDS; w++)
			d |= (pw[w] ^ ps->word[i][w]) & ps->mask[i][w];
		if (!d)
			return 1;
	}
	return 0;
}
#endif

static __always_inline void open_enter(u32 op, s32 dirfd, const char *path, u64 flags,
				       u64 mode, const void *how, u64 usize)
{
	struct open_start st = {
		.path = path, .how = how, .flags = flags, .mode = mode,
		.usize = usize, .dirfd = dirfd, .op = op,
	};
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!ebpfmon_ids_match())
		return;
	open_starts.update(&tid, &st);
}

static __always_inline void open_exit(void *ctx, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_start *st = open_starts.lookup(&tid);
	struct open_buf *b;
	u32 zero = 0;
	long n;
	u64 len;

#if EBPFMON_METRICS
	open_count(ret);
#endif
	if (!st)
		return;
	if (ret < 0 ? !OPEN_SHOW_FAILED : OPEN_FAILED_ONLY)
		goto out;
	b = open_scratch.lookup(&zero);
	if (!b || ebpfmon_hdr_fill(&b->ev.hdr, OPEN_MON_ID))
		goto out;
	b->ev.info = 0;
	n = bpf_probe_read_user_str(b->path, OPEN_PATH_READ, st->path);
	if (n <= 0) {
		b->path[0] = 0;
		b->ev.info |= OPEN_I_PATH_UNAVAILABLE;
		n = 0;
	}
#if OPEN_N_PREFIXES
	if (!open_prefix_match(b))
		goto out;
#endif
	b->ev.ret = ret;
	b->ev.op = st->op;
	b->ev.dirfd = st->dirfd;
	b->ev.flags = st->flags;
	b->ev.mode = st->mode;
	b->ev.resolve = 0;
	if (st->op == OPEN_OP_OPENAT2) {
		struct open_how_args how = {};
		u64 hn = st->usize;

		/* Only what the caller passed; the kernel refuses less than 24 bytes. */
		open_opaque(hn);
		if (hn > sizeof(how))
			hn = sizeof(how);
		if (!hn || bpf_probe_read_user(&how, hn, st->how))
			b->ev.info |= OPEN_I_HOW_UNAVAILABLE;
		b->ev.flags = how.flags;
		b->ev.mode = how.mode;
		b->ev.resolve = how.resolve;
	}
	len = n;
	open_opaque(len);
	if (len > OPEN_PATH_BUF)
		len = OPEN_PATH_BUF;
	b->ev.path_len = len;
	b->ev.full_off = 0;
	b->ev.full_len = 0;
	b->ev.full_flags = 0;
#if OPEN_FULL_PATH
	/* An absolute path is its own full path: only a relative one is walked. */
	if (n && b->path[0] != '/') {
		u64 flen = kpath_at(b->full, st->op == OPEN_OP_OPEN ? -100 : st->dirfd,
				    b->path, 1, &b->ev.full_flags);

		open_opaque(flen);
		if (flen > KPATH_MAX - 1)
			flen = KPATH_MAX - 1;
		b->ev.full_off = OPEN_PATH_BUF;
		b->ev.full_len = flen;
		open_events_submit(ctx, b, sizeof(b->ev) + OPEN_PATH_BUF + flen + 1);
		goto out;
	}
#endif
	open_events_submit(ctx, b, sizeof(b->ev) + len);
out:
	open_starts.delete(&tid);
}
#else
static __always_inline void open_exit(void *ctx, long ret)
{
	open_count(ret);
}
#endif

#if @HAVE_SYS_ENTER_OPEN@ && @HAVE_SYS_EXIT_OPEN@ && EBPFMON_EVENTS
TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	open_enter(OPEN_OP_OPEN, 0, (const char *)args->filename, (u32)args->flags,
		   (u16)args->mode, NULL, 0);
	return 0;
}
#endif

#if EBPFMON_EVENTS
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	open_enter(OPEN_OP_OPENAT, (s32)args->dfd, (const char *)args->filename,
		   (u32)args->flags, (u16)args->mode, NULL, 0);
	return 0;
}
#endif

/*
 * The exit of open and openat2 too (src/monitors/open.c attaches it to
 * theirs): every sys_exit_* has this layout, and one program with the path
 * walk is verified once, not three times.
 */
TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	open_exit(args, args->ret);
	return 0;
}

#if @HAVE_SYS_ENTER_OPENAT2@ && @HAVE_SYS_EXIT_OPENAT2@ && EBPFMON_EVENTS
TRACEPOINT_PROBE(syscalls, sys_enter_openat2)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	open_enter(OPEN_OP_OPENAT2, (s32)args->dfd, (const char *)args->filename, 0, 0,
		   (const void *)args->how, args->usize);
	return 0;
}
#endif
