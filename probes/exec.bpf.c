// SPDX-License-Identifier: GPL-2.0
/*
 * exec: successful execs are reported at sched:sched_process_exec, where the
 * new image's argv sits at mm->arg_start..arg_end, written by the kernel a
 * moment ago and so always present. At sys_enter_execve the caller's strings
 * may not be faulted in yet (a freshly forked child reads them empty), so that
 * point only records where they are; failed execs are reported at
 * sys_exit_execve, when the kernel has touched the filename.
 */
#include "exec.h"

#define EXEC_MON_ID @MON_ID@
#define EXEC_MAX_ARGS @MAX_ARGS@
#define EXEC_ARG_SIZE @ARG_SIZE@
#define EXEC_ARGS_BUF @ARGS_BUF@	/* a power of two, >= EXEC_ARG_SIZE */
/*
 * Failed execs: one slot per argument (fixed offsets are cheap to verify),
 * with room for one byte more than arg_size so the host can tell "cut".
 */
#define EXEC_SLOT (EXEC_ARG_SIZE + 2)
#define EXEC_SLOTS (EXEC_ARGS_BUF / EXEC_SLOT < EXEC_MAX_ARGS ? \
		    EXEC_ARGS_BUF / EXEC_SLOT : EXEC_MAX_ARGS)
#define EXEC_SHOW_FAILED @SHOW_FAILED@
/* metrics.comm_labels (0: off): successful execs by the new program's name too. */
#define EXEC_COMM_LABELS (EBPFMON_METRICS && @COMM_LABELS@ && !@CGROUP_LABELS@)
/* metrics.cgroup_labels (0: off): successful execs by cgroup (and comm with comm_labels). */
#define EXEC_CGROUP_LABELS (EBPFMON_METRICS && @CGROUP_LABELS@)
#define EXEC_OFF_TASK_MM @OFFSETOF(task_struct,mm)@
#define EXEC_OFF_MM_ARG_START @OFFSETOF(mm_struct,arg_start)@
#define EXEC_OFF_MM_ARG_END @OFFSETOF(mm_struct,arg_end)@
#define EXEC_OFF_TASK_COMM @OFFSETOF(task_struct,comm)@
/*
 * path: the file the kernel ran (mm->exe_file, what /proc/PID/exe shows) or,
 * for a failed exec, the filename resolved against the dirfd or the cwd; by
 * a walk of probes/kpath.h (BTF only), written after the args.
 */
#define EXEC_PATH (@PATH@ && EBPFMON_EVENTS)
#if EXEC_PATH
#include "kpath.h"
#define EXEC_OFF_MM_EXE_FILE @BTF_OFFSETOF(mm_struct,exe_file)@
#endif

struct exec_start {
	const char *filename;
	const char *const *argv;
	u32 syscall;		/* EXEC_F_EXECVE or EXEC_F_EXECVEAT */
	s64 dirfd;		/* execveat's; AT_FDCWD for execve */
};

struct exec_buf {
	struct exec_event ev;
	char data[EXEC_ARGS_BUF];
#if EXEC_PATH
	char path[KPATH_MAX];	/* room for the path after the args */
#endif
};

#if EXEC_PATH
/*
 * The walk writes here before the args are read, and the path is copied
 * after them at the end: walked after a loop over the args, it would be
 * verified once per way out of that loop.
 */
struct exec_path_buf {
	char s[KPATH_OUT_SIZE];
};
#endif

/* Metrics only (EBPFMON_EVENTS 0): no events, only the metric. */
#if EBPFMON_EVENTS
BPF_TABLE("lru_hash", u32, struct exec_start, exec_starts, @MAX_INFLIGHT@);
BPF_PERCPU_ARRAY(exec_scratch, struct exec_buf, 1);
#if EXEC_PATH
BPF_PERCPU_ARRAY(exec_path_scratch, struct exec_path_buf, 1);
#endif
#include "output.h"
#endif

#if EBPFMON_METRICS
/*
 * Execs by result (ebpfmon_errno_slot), every one the filters let through,
 * show_failed or not; cumulative, read by the exporter, never cleared.
 */
BPF_PERCPU_ARRAY(exec_results, u64, EBPFMON_ERRNO_SLOTS);
#if EXEC_COMM_LABELS
/*
 * Successful execs by comm, cumulative; the host labels the first names it
 * sees and sums the rest as "other", with the execs of names the table had
 * no room for (exec_m_comm_other).
 */
BPF_F_TABLE("percpu_hash", struct ebpfmon_comm_key, u64, exec_m_comms,
	    EBPFMON_COMM_ROWS(@COMM_LABELS@), BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(exec_m_comm_other, u64, 1);
#endif
#if EXEC_CGROUP_LABELS
BPF_F_TABLE("percpu_hash", struct ebpfmon_label_key, u64, exec_m_labels,
	    EBPFMON_LABEL_ROWS(@COMM_LABELS@, @CGROUP_LABELS@), BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(exec_m_label_other, u64, 1);
#endif

static __always_inline void exec_count(s64 ret)
{
	u32 slot = ebpfmon_errno_slot(ret);
	u64 *n;

	if (!ebpfmon_task_match())
		return;
	n = exec_results.lookup(&slot);
	if (n)
		(*n)++;
#if EXEC_COMM_LABELS
	if (!ret) {
		/* At sched_process_exec: the comm is the new program's already. */
		struct ebpfmon_comm_key key = {};
		u64 zero = 0;

		bpf_get_current_comm(key.comm, sizeof(key.comm));
		slot = 0;
		n = exec_m_comms.lookup_or_try_init(&key, &zero);
		if (!n)
			n = exec_m_comm_other.lookup(&slot);
		if (n)
			(*n)++;
	}
#endif
#if EXEC_CGROUP_LABELS
	/* At sched_process_exec: the comm is the new program's already. */
	if (!ret) {
		struct ebpfmon_label_key key;
		u64 zero = 0;

		ebpfmon_label_key_fill(&key, @COMM_LABELS@, 0);
		slot = 0;
		n = exec_m_labels.lookup_or_try_init(&key, &zero);
		if (!n)
			n = exec_m_label_other.lookup(&slot);
		if (n)
			(*n)++;
	}
#endif
}
#endif

#if EBPFMON_EVENTS
static __always_inline void exec_enter(const char *filename, const char *const *argv,
				       u32 syscall, s64 dirfd)
{
	struct exec_start st = { .filename = filename, .argv = argv, .syscall = syscall,
				 .dirfd = dirfd };
	u32 tid = (u32)bpf_get_current_pid_tgid();

	if (!ebpfmon_ids_match())
		return;
	exec_starts.update(&tid, &st);
}

/* The real parent's comm (execsnoop's PCOMM), empty when offsets are unknown. */
static __always_inline void exec_pcomm(char *pcomm)
{
	char *parent = ebpfmon_current_parent();

	__builtin_memset(pcomm, 0, EBPFMON_COMM_LEN);
	if (parent)
		bpf_probe_read_kernel_str(pcomm, EBPFMON_COMM_LEN, parent + EXEC_OFF_TASK_COMM);
}

/* Keeps clang from dropping a bound the verifier needs to see. */
#define exec_opaque(v) asm volatile("" : "+r"(v))

/*
 * (EXEC_PATH) The path, into exec_path_scratch: of the file FILE, or with AT
 * of the event's filename against DIRFD (an absolute filename is its own
 * path: not sent again). Its bytes with the NUL go to ev.path_len, in map
 * memory, which the verifier does not follow: the ways out of the walk are
 * then one state, not one each through the args' loop.
 */
static __always_inline void exec_path_walk(struct exec_buf *b, const void *file, int at,
					   s64 dirfd)
{
	u32 plen = 0;
#if EXEC_PATH
	struct exec_path_buf *pb;
	u32 zero = 0;
#endif

	b->ev.path_flags = 0;
#if EXEC_PATH
	pb = exec_path_scratch.lookup(&zero);
	if (!pb)
		plen = 0;
	else if (!at)
		plen = kpath_walk(pb->s, kpath_file_path(file), &b->ev.path_flags) + 1;
	else if (b->ev.filename[0] != '/')
		plen = kpath_at(pb->s, dirfd, b->ev.filename, 1, &b->ev.path_flags) + 1;
#endif
	b->ev.path_len = plen;
}

/* The args' LEN bytes, then the path exec_path_walk() found. */
static __always_inline void exec_submit(void *ctx, struct exec_buf *b, u64 len)
{
	u64 plen = b->ev.path_len;

	exec_opaque(len);
	if (len > EXEC_ARGS_BUF)
		len = EXEC_ARGS_BUF;
	b->ev.args_len = len;
#if EXEC_PATH
	{
		u32 zero = 0;
		struct exec_path_buf *pb = exec_path_scratch.lookup(&zero);

		exec_opaque(plen);
		if (plen > KPATH_MAX)
			plen = KPATH_MAX;
		if (!pb || bpf_probe_read_kernel(b->data + len, plen, pb->s))
			plen = 0;
	}
#else
	plen = 0;
#endif
	b->ev.path_len = plen;
	exec_events_submit(ctx, b, sizeof(b->ev) + len + plen);
}

/* A failed exec: the old image is still there, read what the caller passed. */
static __always_inline void exec_exit(void *ctx, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct exec_start *st = exec_starts.lookup(&tid);
	struct exec_buf *b;
	u32 zero = 0;
	int i;

#if EBPFMON_METRICS
	/* Successes are counted at sched_process_exec. */
	if (ret < 0)
		exec_count(ret);
#endif
	if (!st)
		return;
	if (ret >= 0 || !EXEC_SHOW_FAILED)
		goto out;
	b = exec_scratch.lookup(&zero);
	if (!b || ebpfmon_hdr_fill(&b->ev.hdr, EXEC_MON_ID))
		goto out;
	b->ev.ret = ret;
	b->ev.flags = EXEC_F_FROM_SYSCALL | EXEC_F_ARGS_SLOTS | st->syscall;
	exec_pcomm(b->ev.pcomm);
	if (bpf_probe_read_user_str(b->ev.filename, sizeof(b->ev.filename), st->filename) < 0)
		b->ev.filename[0] = 0;
	exec_path_walk(b, NULL, 1, st->dirfd);
	for (i = 0; i < EXEC_SLOTS; i++) {
		const char *arg = NULL;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &st->argv[i]) || !arg)
			break;
		n = bpf_probe_read_user_str(&b->data[i * EXEC_SLOT], EXEC_SLOT, arg);
		if (n <= 0) {
			if (!i)
				b->ev.flags |= EXEC_F_ARGS_UNAVAILABLE;
			break;
		}
	}
	if (i == EXEC_SLOTS) {
		const char *more = NULL;

		bpf_probe_read_user(&more, sizeof(more), &st->argv[i]);
		if (more)
			b->ev.flags |= EXEC_F_ARGS_TRUNCATED;
	}
	exec_submit(ctx, b, (u64)i * EXEC_SLOT);
out:
	exec_starts.delete(&tid);
}
#else
static __always_inline void exec_exit(void *ctx, long ret)
{
	if (ret < 0)
		exec_count(ret);
}
#endif

#if EBPFMON_EVENTS
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	exec_enter((const char *)args->filename, (const char *const *)args->argv,
		   EXEC_F_EXECVE, -100);
	return 0;
}
#endif

TRACEPOINT_PROBE(syscalls, sys_exit_execve)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	exec_exit(args, args->ret);
	return 0;
}

/*
 * sys_exit_execveat runs sys_exit_execve's program (src/monitors/exec.c
 * attaches it): one layout, and the path walk verified once.
 */
#if @HAVE_SYS_ENTER_EXECVEAT@ && @HAVE_SYS_EXIT_EXECVEAT@ && EBPFMON_EVENTS
TRACEPOINT_PROBE(syscalls, sys_enter_execveat)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	exec_enter((const char *)args->filename, (const char *const *)args->argv,
		   EXEC_F_EXECVEAT, (s32)args->fd);
	return 0;
}
#endif

TRACEPOINT_PROBE(sched, sched_process_exec)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if EBPFMON_EVENTS
	struct exec_buf *b;
	struct exec_start *st;
	u32 zero = 0, len = 0, tid = (u32)bpf_get_current_pid_tgid();

#if EBPFMON_METRICS
	exec_count(0);
#endif
	b = exec_scratch.lookup(&zero);
	if (!b || ebpfmon_hdr_fill(&b->ev.hdr, EXEC_MON_ID))
		return 0;
	b->ev.ret = 0;
	/* Which call: its sys_enter's entry, still there until sys_exit. */
	st = exec_starts.lookup(&tid);
	b->ev.flags = st ? st->syscall : 0;
	exec_pcomm(b->ev.pcomm);
	TP_DATA_LOC_READ_STR(b->ev.filename, filename, sizeof(b->ev.filename));
	{
		const void *exe = NULL;
#if EXEC_PATH
		exe = kpath_ptr(kpath_ptr((void *)bpf_get_current_task(), EXEC_OFF_TASK_MM),
				EXEC_OFF_MM_EXE_FILE);
#endif
		exec_path_walk(b, exe, 0, -100);
	}
#if EBPFMON_OFFSETS_TRUSTED
	{
		char *task = (char *)bpf_get_current_task();
		char *mm = NULL;
		unsigned long start = 0, end = 0;
		u64 n;

		bpf_probe_read_kernel(&mm, sizeof(mm), task + EXEC_OFF_TASK_MM);
		if (mm) {
			bpf_probe_read_kernel(&start, sizeof(start), mm + EXEC_OFF_MM_ARG_START);
			bpf_probe_read_kernel(&end, sizeof(end), mm + EXEC_OFF_MM_ARG_END);
		}
		if (end > start) {
			n = end - start;
			if (n > EXEC_ARGS_BUF - 1) {
				n = EXEC_ARGS_BUF - 1;
				b->ev.flags |= EXEC_F_ARGS_TRUNCATED;
			}
			exec_opaque(n);
			n &= EXEC_ARGS_BUF - 1;
			len = bpf_probe_read_user(b->data, n, (void *)start) ? 0 : n;
		}
		if (!len)
			b->ev.flags |= EXEC_F_ARGS_UNAVAILABLE;
	}
#else
	b->ev.flags |= EXEC_F_ARGS_UNAVAILABLE;
#endif
	exec_submit(args, b, len);
#else
	exec_count(0);
#endif
	return 0;
}
