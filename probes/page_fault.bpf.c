// SPDX-License-Identifier: GPL-2.0
/*
 * page_fault: exceptions:page_fault_user/page_fault_kernel fire at the start
 * of the x86 fault handler with address, ip and error code, but do not say
 * whether the fault turned out minor or major. The kernel says that later,
 * when it accounts the handled fault (mm_account_fault), on the software perf
 * events minor-faults / major-faults, in the faulting task with the same
 * regs and address. So the tracepoint parks the fault per thread, and the
 * perf event program pops it and reports it with its verdict.
 *
 * A fault that is never accounted (it failed: SIGSEGV, -EFAULT, a kernel
 * address) is reported with no verdict when the thread's next fault comes,
 * when the thread exits, or at once for kernel addresses, which never reach
 * handle_mm_fault.
 */
#include "page_fault.h"

/*
 * The context of a BPF program on a perf event: struct bpf_perf_event_data
 * of <uapi/linux/bpf_perf_event.h>, spelled out because that header pulls in
 * the kernel's own asm/ptrace.h and with it half the kernel's headers: it
 * made clang take 500 ms longer. x86_64's bpf_user_pt_regs_t is struct
 * pt_regs, user ABI.
 */
struct page_fault_perf_ctx {
	struct pt_regs regs;
	__u64 sample_period;
	__u64 addr;
};

#define PAGE_FAULT_MON_ID @MON_ID@
#define PAGE_FAULT_SUMMARY @SUMMARY@
#define PAGE_FAULT_SPACE_USER @SPACE_USER@
#define PAGE_FAULT_SPACE_KERNEL @SPACE_KERNEL@
#define PAGE_FAULT_SAMPLE_RATE @SAMPLE_RATE@
#define PAGE_FAULT_PAGE_SHIFT @PAGE_SHIFT@

/*
 * The same filters as ebpfmon_hdr_fill(), before any state is kept; what
 * they drop is counted as filtered when COUNT says so (the accounting side of
 * a fault already was, at its tracepoint). With a comm filter, *comm (zeroed
 * by the caller) is left holding the name, for a summary key.
 */
static __always_inline int page_fault_wanted(int count, struct ebpfmon_comm_key *comm)
{
	if (ebpfmon_is_self())
		return 0;
	if (!ebpfmon_ids_match())
		goto filtered;
#if EBPFMON_FILTER_COMM
	bpf_get_current_comm(comm->comm, sizeof(comm->comm));
	if (!ebpfmon_filter_comm.lookup(comm))
		goto filtered;
#endif
	return 1;
filtered:
	if (count)
		ebpfmon_count_filtered(PAGE_FAULT_MON_ID);
	return 0;
}

/*
 * 1 in PAGE_FAULT_SAMPLE_RATE of the faults that pass the filters, per CPU;
 * summary mode samples the tracepoints' counts (slot 0) and the accounting
 * counts (slot 1) each on its own.
 */
BPF_PERCPU_ARRAY(page_fault_sample, u32, 2);

static __always_inline int page_fault_sampled(u32 slot)
{
#if PAGE_FAULT_SAMPLE_RATE > 1
	u32 *n = page_fault_sample.lookup(&slot);

	if (!n)
		return 0;
	if (++*n < PAGE_FAULT_SAMPLE_RATE)
		return 0;
	*n = 0;
#endif
	return 1;
}

/* The space of the regs the kernel accounted the fault with. */
static __always_inline u32 page_fault_regs_kernel(struct page_fault_perf_ctx *ctx)
{
	return !(ctx->regs.cs & 3);
}

#if EBPFMON_METRICS
/*
 * Accounted faults by PAGE_FAULT_METRIC_SLOT(kernel, major): every one the
 * filters and space let through, unsampled; cumulative, read by the
 * exporter, never cleared.
 */
BPF_PERCPU_ARRAY(page_fault_metrics, u64, PAGE_FAULT_METRIC_SLOTS);

static __always_inline void page_fault_metric(struct page_fault_perf_ctx *ctx, u32 major)
{
	struct ebpfmon_comm_key comm = {};
	u32 kernel = page_fault_regs_kernel(ctx), slot = PAGE_FAULT_METRIC_SLOT(kernel, major);
	u64 *n;

	if (kernel ? !PAGE_FAULT_SPACE_KERNEL : !PAGE_FAULT_SPACE_USER)
		return;
	if (!page_fault_wanted(0, &comm))
		return;
	n = page_fault_metrics.lookup(&slot);
	if (n)
		(*n)++;
}
#endif

#if !EBPFMON_EVENTS
/* Only the metric: the perf event programs count, no tracepoint runs. */
#elif PAGE_FAULT_SUMMARY
BPF_TABLE("percpu_hash", struct page_fault_key, struct page_fault_counts, page_fault_counts,
	  @MAX_ENTRIES@);
/*
 * Faults the table had no row for: how many, and their counts (cumulative:
 * the host takes the growth, its (other) row).
 */
BPF_PERCPU_ARRAY(page_fault_full, u64, 1);
BPF_PERCPU_ARRAY(page_fault_over, struct page_fault_counts, 1);

/*
 * The filters and the sampling (counted as filtered when COUNT, on sample
 * counter SLOT), then this process's counters on this CPU, or the (other)
 * ones when the table is full; NULL when left out.
 */
static __always_inline struct page_fault_counts *page_fault_counts_get(int count, u32 slot)
{
	struct page_fault_key key = { .pid = bpf_get_current_pid_tgid() >> 32 };
	struct page_fault_counts *c, zero = {};

	/* The name is read once: by the comm filter, else here. */
	if (!page_fault_wanted(count, (struct ebpfmon_comm_key *)key.comm) ||
	    !page_fault_sampled(slot))
		return NULL;
	if (!EBPFMON_FILTER_COMM)
		bpf_get_current_comm(key.comm, sizeof(key.comm));
	c = page_fault_counts.lookup(&key);
	if (c)
		return c;
	/* Another thread may insert it first on another CPU: then look it up. */
	zero.cgroup_id = bpf_get_current_cgroup_id();
	page_fault_counts.insert(&key, &zero);
	c = page_fault_counts.lookup(&key);
	if (!c) {
		u32 zero_key = 0;
		u64 *n = page_fault_full.lookup(&zero_key);

		if (n)
			(*n)++;
		c = page_fault_over.lookup(&zero_key);
	}
	return c;
}

static __always_inline void page_fault_taken(void *ctx, u64 address, u64 ip, u64 error_code,
					     u32 kernel)
{
	struct page_fault_counts *c;

	c = page_fault_counts_get(1, 0);
	if (!c)
		return;
	if (kernel)
		c->kernel++;
	else
		c->user++;
}

static __always_inline void page_fault_accounted(struct page_fault_perf_ctx *ctx, u32 major)
{
	struct page_fault_counts *c;
	u32 kernel = page_fault_regs_kernel(ctx);

	if (kernel ? !PAGE_FAULT_SPACE_KERNEL : !PAGE_FAULT_SPACE_USER)
		return;
	c = page_fault_counts_get(0, 1);
	if (!c)
		return;
	if (major)
		c->major++;
	else
		c->minor++;
}

#else /* events */

/* A fault seen at its tracepoint, waiting for the kernel to account it. */
struct page_fault_pending {
	u64 ts_ns;
	u64 address;
	u64 ip;
	u64 error_code;
	u32 kernel;
	u32 pad;
};

BPF_TABLE("lru_hash", u32, struct page_fault_pending, page_fault_pending, @MAX_ENTRIES@);
#include "output.h"

static __always_inline void page_fault_emit(void *ctx, const struct page_fault_pending *p,
					    u32 flags)
{
	struct page_fault_event ev = {};

	if (ebpfmon_hdr_fill(&ev.hdr, PAGE_FAULT_MON_ID))
		return;
	if (flags & PAGE_FAULT_F_ACCOUNTED)
		ev.duration_ns = ev.hdr.ts_ns - p->ts_ns;
	ev.hdr.ts_ns = p->ts_ns;
	ev.address = p->address;
	ev.ip = p->ip;
	ev.error_code = p->error_code;
	ev.flags = flags | (p->kernel ? PAGE_FAULT_F_KERNEL : 0);
	page_fault_events_submit(ctx, &ev, sizeof(ev));
}

static __always_inline void page_fault_taken(void *ctx, u64 address, u64 ip, u64 error_code,
					     u32 kernel)
{
	struct page_fault_pending cur = {}, prev, *old;
	struct ebpfmon_comm_key comm = {};
	u32 tid, sampled;

	if (!page_fault_wanted(1, &comm))
		return;
	cur.ts_ns = bpf_ktime_get_ns();
	cur.address = address;
	cur.ip = ip;
	cur.error_code = error_code;
	cur.kernel = kernel;
	/* A kernel address never reaches handle_mm_fault, so is never accounted. */
	if ((s64)address < 0) {
		if (page_fault_sampled(0))
			page_fault_emit(ctx, &cur, 0);
		return;
	}
	tid = (u32)bpf_get_current_pid_tgid();
	sampled = page_fault_sampled(0);
	/* Usually nothing is parked: then one insert is all it takes. */
	if (sampled && !page_fault_pending.insert(&tid, &cur))
		return;
	old = page_fault_pending.lookup(&tid);
	if (old) {
		/* The thread's previous fault was never accounted: it failed. */
		prev = *old;
		page_fault_emit(ctx, &prev, 0);
		if (sampled)
			page_fault_pending.update(&tid, &cur);
		else
			page_fault_pending.delete(&tid);
	}
}

static __always_inline void page_fault_accounted(struct page_fault_perf_ctx *ctx, u32 major)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct page_fault_pending *pp = page_fault_pending.lookup(&tid), p;
	u32 flags = PAGE_FAULT_F_ACCOUNTED | (major ? PAGE_FAULT_F_MAJOR : 0);

	if (!pp)
		return;
	p = *pp;
	page_fault_pending.delete(&tid);
	/*
	 * Not the fault parked (its tracepoint program did not run, say under
	 * another BPF program): the parked one was never accounted.
	 */
	if ((p.address ^ ctx->addr) >> PAGE_FAULT_PAGE_SHIFT ||
	    p.kernel != page_fault_regs_kernel(ctx))
		flags = 0;
	page_fault_emit(ctx, &p, flags);
}

#if @HAVE_SCHED_PROCESS_EXIT@
/* A thread that exits with a parked fault: that fault failed (a SIGSEGV, say). */
TRACEPOINT_PROBE(sched, sched_process_exit)
{
	/*
	 * Runs when inert too: cleanup: the parked fault goes; page_fault_emit
	 * records nothing when inert.
	 */
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct page_fault_pending *pp = page_fault_pending.lookup(&tid), p;

	if (!pp)
		return 0;
	p = *pp;
	page_fault_pending.delete(&tid);
	page_fault_emit(args, &p, 0);
	return 0;
}
#endif
#endif /* PAGE_FAULT_SUMMARY */

#if EBPFMON_EVENTS && PAGE_FAULT_SPACE_USER && @HAVE_PAGE_FAULT_USER@
TRACEPOINT_PROBE(exceptions, page_fault_user)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	page_fault_taken(args, args->address, args->ip, args->error_code, 0);
	return 0;
}
#endif

#if EBPFMON_EVENTS && PAGE_FAULT_SPACE_KERNEL && @HAVE_PAGE_FAULT_KERNEL@
TRACEPOINT_PROBE(exceptions, page_fault_kernel)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	page_fault_taken(args, args->address, args->ip, args->error_code, 1);
	return 0;
}
#endif

/* Perf event programs: the kernel accounted the current task's fault. */
int page_fault_min(struct page_fault_perf_ctx *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if EBPFMON_METRICS
	page_fault_metric(ctx, 0);
#endif
#if EBPFMON_EVENTS
	page_fault_accounted(ctx, 0);
#endif
	return 0;
}

int page_fault_maj(struct page_fault_perf_ctx *ctx)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if EBPFMON_METRICS
	page_fault_metric(ctx, 1);
#endif
#if EBPFMON_EVENTS
	page_fault_accounted(ctx, 1);
#endif
	return 0;
}
