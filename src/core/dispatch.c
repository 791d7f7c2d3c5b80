// SPDX-License-Identifier: GPL-2.0
/*
 * Events out of the kernel: each sample (through the reorder window when it
 * has one) into the session's one record, decoded by its monitor, written to
 * the sinks; losses and filtered counts read from the kernel. The per-event
 * path (on_sample, sample_emit, session__record_new, session__emit) stays in
 * this one file and allocates nothing.
 */
#include <errno.h>
#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "probes/common.h"
#include "util/log.h"
#include "bpf/probe_set.h"
#include "core/control.h"
#include "core/monitor.h"
#include "core/session_int.h"
#include "output/sink.h"
#include "util/clock.h"
#include "util/users.h"

void session__update_clock(struct session *s)
{
	/* Two statements: the order of the reads is fixed. */
	uint64_t real = clock_real_ns();

	s->mono_to_real_ns = (int64_t)(real - clock_mono_ns());
}

struct record *session__record_new(struct session *s, struct monitor_inst *inst,
				   const char *type, uint64_t ts_mono_ns)
{
	struct record *rec = &s->rec;

	record__reset(rec);
	record__str(rec, "type", type);
	record__time(rec, "ts", ts_mono_ns + s->mono_to_real_ns);
	record__uint(rec, "ts_ns", ts_mono_ns);
	record__str(rec, "monitor", inst->mon->name);
	rec->mon_id = inst->id;
	return rec;
}

/*
 * To every sink. A sink that cannot write it counts it (unwritten) and says
 * so as output.on_error asks; the loop asks the sinks whether to go on.
 * -ENOMEM when the record could not be built.
 */
int session__emit(struct session *s, struct record *rec)
{
	sink__write(s->sink, rec);
	return rec->err;
}

struct record *session__event_record(struct session *s, struct monitor_inst *inst,
				     const struct ebpfmon_hdr *h)
{
	struct record *rec = session__record_new(s, inst, "event", h->ts_ns);

	record__uint(rec, "pid", h->pid);
	record__uint(rec, "tid", h->tid);
	if (h->flags & EBPFMON_HDR_PPID_VALID)
		record__uint(rec, "ppid", h->ppid);
	else
		record__null(rec, "ppid");
	record__uint(rec, "uid", h->uid);
	record__str(rec, "user", user_name(h->uid));
	record__strn(rec, "comm", h->comm, sizeof(h->comm));
	record__uint(rec, "cpu", h->cpu);
	record_cgroup_fields(rec, h->cgroup_id);
	return rec;
}

/* One sample, 8-byte aligned, into a record and out. */
static void sample_emit(void *ctx, const void *data, size_t size, void *arg)
{
	struct monitor_inst *inst = ctx;
	struct session *s = arg;
	struct record *rec = session__event_record(s, inst, data);

	if (inst->mon->on_event(inst, data, size, rec)) {
		inst->malformed++;
	} else {
		/* Every event counts: written, or unwritten by a sink. */
		inst->events++;
		rec->counted = true;
		session__emit(s, rec);
	}
}

static void on_sample(void *ctx, void *data, int size)
{
	struct monitor_inst *inst = ctx;
	struct session *s = inst->emit_ctx;
	uint64_t ts;

	if (size < (int)sizeof(struct ebpfmon_hdr) || size > SESSION_SAMPLE_MAX) {
		inst->malformed++;
		return;
	}
	if (!inst->attached)
		return;		/* a monitor whose attach failed half-way */
	if (s->reorder.window_ns) {
		/* The copy the window holds is aligned. */
		memcpy(&ts, (const char *)data + offsetof(struct ebpfmon_hdr, ts_ns), sizeof(ts));
		if (reorder__push(&s->reorder, ts, inst, data, size, sample_emit, s))
			inst->malformed++;
		return;
	}
	/* Perf puts samples 4 bytes past an 8-byte boundary; our structs want 8. */
	memcpy(s->sample, data, size);
	sample_emit(inst, s->sample, size, s);
}

void session__release_held(struct session *s, bool all)
{
	if (!s->reorder.n)
		return;
	reorder__release(&s->reorder, all ? UINT64_MAX : clock_mono_ns(), sample_emit, s);
}

double session__next_release(const struct session *s)
{
	if (!s->reorder.n)
		return 0;
	return (s->reorder.heap[0]->ts + s->reorder.window_ns) / 1e9;
}

/* The kernel's PERF_RECORD_LOST: the same drops ebpfmon_lost counts, later. */
static void on_lost(void *ctx, uint64_t lost)
{
	struct monitor_inst *inst = ctx;

	pr_debug("%s: perf buffer reports %llu lost samples", inst->mon->name,
		 (unsigned long long)lost);
}

static void lost_record(struct session *s, struct monitor_inst *inst, const char *reason,
			uint64_t count, uint64_t total)
{
	struct record *rec = session__record_new(s, inst, "lost", clock_mono_ns());

	record__str(rec, "reason", reason);
	record__uint(rec, "count", count);
	record__uint(rec, "total", total);
	session__emit(s, rec);
}

/* New losses since the last look: a "lost" record and a warning. */
static void report_lost(struct session *s, struct monitor_inst *inst, uint64_t total)
{
	uint64_t lost = total - inst->lost;

	inst->lost = total;
	lost_record(s, inst, "buffer", lost, total);
	pr_warn("%s: lost %llu events (%llu in all): the %s buffer was full",
		inst->mon->name, (unsigned long long)lost, (unsigned long long)total,
		session__ringbuf(s) ? "ring" : "perf");
}

/*
 * Runs of the monitor's programs the kernel skipped: it runs no tracepoint
 * program on a CPU where another BPF program is running (an interrupt taken
 * inside one, say), and counts it in the program's recursion_misses.
 */
static void report_missed(struct session *s, struct monitor_inst *inst, uint64_t total)
{
	uint64_t missed = total - inst->missed;

	inst->missed = total;
	lost_record(s, inst, "recursion", missed, total);
	pr_warn("%s: the kernel skipped %llu runs of its programs (%llu in all): another BPF "
		"program was running on that CPU", inst->mon->name, (unsigned long long)missed,
		(unsigned long long)total);
}

/*
 * Records the sinks could not write, told by a "lost" record with reason
 * write to each sink that has not been told yet: a sink that still writes
 * has it at once; one that drops (output.on_error drop) is told again at
 * every look until it writes it. count: the records not written since the
 * last such record of this sink; total: since the start (summed over sinks).
 */
static void report_unwritten(struct session *s, struct monitor_inst *inst)
{
	uint64_t total = s->unwritten[inst->id], untold;
	struct record *rec;

	for (struct sink *sk = s->sink; sk; sk = sk->next) {
		untold = sink__untold(sk, inst->id, total);
		if (!untold)
			continue;
		rec = session__record_new(s, inst, "lost", clock_mono_ns());
		record__str(rec, "reason", "write");
		record__uint(rec, "count", untold);
		record__uint(rec, "total", total);
		rec->tells = total;
		sink__write_one(sk, rec);
	}
}

/* A summary row (or another record of the monitor's own): counted like an event. */
static int inst_emit(struct monitor_inst *inst, struct record *rec)
{
	inst->events++;
	rec->counted = true;
	return session__emit(inst->emit_ctx, rec);
}

static struct record *inst_record(struct monitor_inst *inst, const char *type)
{
	return session__record_new(inst->emit_ctx, inst, type,
				   inst->collect_ns ? inst->collect_ns : clock_mono_ns());
}

void inst_connect(struct session *s, struct monitor_inst *inst)
{
	inst->record = inst_record;
	inst->emit = inst_emit;
	inst->emit_ctx = s;
}

int inst_buffer_open(struct session *s, struct monitor_inst *inst, struct probe_set *ps)
{
	if (session__ringbuf(s))
		return probe_set__open_ring_buffer(ps, inst->mon->events_table, on_sample, inst);
	return probe_set__open_perf_buffer(ps, inst->mon->events_table, on_sample, on_lost, inst,
					   s->cfg.perf_pages, s->cfg.wakeup_events);
}

/* The kernel's counts for one monitor, on top of those of the ones it replaced. */
void inst_read_counters(struct session *s, struct monitor_inst *inst)
{
	uint64_t n;

	if (s->unwritten[inst->id])
		report_unwritten(s, inst);
	if (!inst->attached)
		return;
	if (!probe_set__percpu_sum(inst->ps, "ebpfmon_filtered", inst->id, &n))
		inst->filtered = inst->filtered_base + n;
	if (!probe_set__percpu_sum(inst->ps, "ebpfmon_lost", inst->id, &n) &&
	    inst->lost_base + n > inst->lost)
		report_lost(s, inst, inst->lost_base + n);
	if (!probe_set__recursion_misses(inst->ps, inst, &n) && inst->missed_base + n > inst->missed)
		report_missed(s, inst, inst->missed_base + n);
}

void session__read_counters(struct session *s)
{
	for (size_t i = 0; i < s->n_insts; i++)
		inst_read_counters(s, s->insts[i]);
}

int session__poll(struct session *s, int timeout_ms)
{
	s->n_control_pfds = control__pollfds(s->control, s->control_pfds);
	return probe_set__poll_fds(s->sets, s->n_sets, s->control_pfds, s->n_control_pfds,
				   timeout_ms);
}

void session__consume(struct session *s)
{
	for (size_t i = 0; i < s->n_sets; i++)
		probe_set__consume(s->sets[i]);
}
