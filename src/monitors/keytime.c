// SPDX-License-Identifier: GPL-2.0
/*
 * keytime: the key moments of every task's life (fork, vfork, thread, exec,
 * exit, and with a filter or oncpu_offcpu: true, every switch on and off a
 * CPU with the span it ended); or per task, every interval, the count of
 * each moment and the on-CPU and off-CPU time by reason (mode: summary).
 */
#include <errno.h>
#include <linux/types.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/keytime.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"

/* oncpu_offcpu */
enum keytime_switches {
	KEYTIME_SWITCH_OFF,
	KEYTIME_SWITCH_ON,
	KEYTIME_SWITCH_AUTO,	/* on with a pid, tgid or comm filter */
};

struct keytime_opts {
	int oncpu_offcpu;
	long long max_entries;
	long long max_tasks;
	bool switches;			/* attached: sched_switch's program was compiled in */
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	struct comm_labels comm;	/* metrics.comm_labels: the exporter's */
};

static const struct monitor_tp keytime_tracepoints[] = {
	/* Raw: io, exec and page_fault have these tracepoints' TRACEPOINT_PROBEs. */
	{ "task", "task_newtask", false, "keytime_task_newtask", true },
	{ "sched", "sched_process_exec", false, "keytime_sched_process_exec", true },
	{ "sched", "sched_process_exit", false, "keytime_sched_process_exit", true },
	{ "sched", "sched_switch", true, "keytime_sched_switch" },
	{ NULL },
};

static const char *const keytime_kinds[KEYTIME_KINDS] = {
	[KEYTIME_FORK] = "fork", [KEYTIME_VFORK] = "vfork", [KEYTIME_THREAD] = "thread",
	[KEYTIME_EXEC] = "exec", [KEYTIME_EXIT] = "exit", [KEYTIME_ONCPU] = "oncpu",
	[KEYTIME_OFFCPU] = "offcpu",
};

static const char *const keytime_reasons[KEYTIME_REASONS] = {
	[KEYTIME_PREEMPTED] = "preempted", [KEYTIME_SLEEP] = "sleep", [KEYTIME_IO] = "io",
	[KEYTIME_STOPPED] = "stopped", [KEYTIME_DEAD] = "dead",
};

/* The members the exit event reads, and what each gives. */
static const struct {
	const char *type, *member, *gives;
} keytime_btf[] = {
	{ "task_struct", "exit_code", "exit_code and signal" },
	{ "task_struct", "start_time", "lifetime_ns" },
	{ "task_struct", "signal", "group_dead" },
	{ "signal_struct", "live", "group_dead" },
	{ "task_struct", "pid", "child_tid and child_pid" },
	{ "linux_binprm", "filename", "filename" },
};

static int keytime_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	static const char *const switches[] = { "false", "true", "auto", NULL };
	struct keytime_opts *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->oncpu_offcpu = KEYTIME_SWITCH_AUTO;
	o->max_tasks = 16384;
	inst->priv = o;
	/* Events by default, as execsnoop: the moments are few without on/off-CPU ones. */
	err |= monitor_parse_mode(inst, node, false);
	err |= monitor_parse_top(inst, node, 20);
	o->max_entries = summary_default_entries();
	if (node) {
		err |= cfg_get_enum(node, "oncpu_offcpu", switches, &o->oncpu_offcpu);
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
		err |= cfg_get_int(node, "max_tasks", 64, 1048576, &o->max_tasks);
	}
	if (err)
		return -EINVAL;
	err |= render_vars__set(&inst->vars, "ONCPU_OFFCPU", "%d", o->oncpu_offcpu);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "MAX_TASKS", "%lld", o->max_tasks);
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u",
				inst->metrics ? monitor_inst__comm_labels(inst) : 0);
	if (err)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(keytime_btf) / sizeof(keytime_btf[0]); i++) {
		long off;

		if (kernel_info__btf_offset(inst->ki, keytime_btf[i].type, keytime_btf[i].member,
					    &off))
			monitor_inst__verdict(inst, VERDICT_DEGRADED, "%s null: no BTF offset of %s.%s",
					      keytime_btf[i].gives, keytime_btf[i].type,
					      keytime_btf[i].member);
	}
	return 0;
}

static int keytime_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct keytime_opts *o = inst->priv;

	o->switches = probe_set__has_program(ps, "keytime_sched_switch");
	o->last_collect = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

/* <uapi/linux/sched.h>'s clone flags, and the exit signal in the low byte. */
static const struct {
	uint64_t flag;
	const char *name;
} keytime_clone_flags[] = {
	{ 0x00000100, "CLONE_VM" }, { 0x00000200, "CLONE_FS" },
	{ 0x00000400, "CLONE_FILES" }, { 0x00000800, "CLONE_SIGHAND" },
	{ 0x00001000, "CLONE_PIDFD" }, { 0x00002000, "CLONE_PTRACE" },
	{ 0x00004000, "CLONE_VFORK" }, { 0x00008000, "CLONE_PARENT" },
	{ 0x00010000, "CLONE_THREAD" }, { 0x00020000, "CLONE_NEWNS" },
	{ 0x00040000, "CLONE_SYSVSEM" }, { 0x00080000, "CLONE_SETTLS" },
	{ 0x00100000, "CLONE_PARENT_SETTID" }, { 0x00200000, "CLONE_CHILD_CLEARTID" },
	{ 0x00400000, "CLONE_DETACHED" }, { 0x00800000, "CLONE_UNTRACED" },
	{ 0x01000000, "CLONE_CHILD_SETTID" }, { 0x02000000, "CLONE_NEWCGROUP" },
	{ 0x04000000, "CLONE_NEWUTS" }, { 0x08000000, "CLONE_NEWIPC" },
	{ 0x10000000, "CLONE_NEWUSER" }, { 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" }, { 0x80000000, "CLONE_IO" },
	{ 0x100000000ull, "CLONE_CLEAR_SIGHAND" }, { 0x200000000ull, "CLONE_INTO_CGROUP" },
	{ 0x400000000ull, "CLONE_NEWTIME" },
};

#define KEYTIME_CLONE_NAMES (sizeof(keytime_clone_flags) / sizeof(keytime_clone_flags[0]))

/*
 * "SIGKILL" for 9 ("SIG40" past the named ones); NULL for 0. Kept in static
 * storage: a record borrows its strings until it is written, after on_event.
 * Only the event loop decodes events.
 */
static const char *keytime_signal_name(int sig)
{
	static char names[NSIG][16];
	const char *abbrev;

	if (sig <= 0 || sig >= NSIG)
		return sig ? "unknown" : NULL;
	if (!names[sig][0]) {
		abbrev = sigabbrev_np(sig);
		if (abbrev)
			snprintf(names[sig], sizeof(names[sig]), "SIG%s", abbrev);
		else
			snprintf(names[sig], sizeof(names[sig]), "SIG%d", sig);
	}
	return names[sig];
}

/*
 * clone_flags: the hex of all of them; clone_flag_names: the names of the
 * known ones and, when it is not SIGCHLD or none, the exit signal's
 * ("SIGCHLD" is left out: every fork has it).
 */
static void keytime_clone(const struct keytime_event *e, struct record *rec)
{
	const char *names[KEYTIME_CLONE_NAMES + 1];
	size_t n = 0;
	int sig = e->clone_flags & 0xff;

	if (!(e->flags & KEYTIME_F_FLAGS)) {
		record__null(rec, "clone_flags");
		record__null(rec, "clone_flag_names");
		return;
	}
	record__strf(rec, "clone_flags", "0x%llx", (unsigned long long)e->clone_flags);
	for (size_t i = 0; i < KEYTIME_CLONE_NAMES; i++)
		if (e->clone_flags & keytime_clone_flags[i].flag)
			names[n++] = keytime_clone_flags[i].name;
	if (sig && sig != SIGCHLD)
		names[n++] = keytime_signal_name(sig);
	record__strv(rec, "clone_flag_names", names, n);
}

/*
 * exit: exit_code is the status's code for a normal exit, null when a
 * signal ended the task, and signal then names it (with core_dumped).
 */
static void keytime_exit(const struct keytime_event *e, struct record *rec)
{
	int sig = e->exit_code & 0x7f;

	if (!(e->flags & KEYTIME_F_EXIT_CODE)) {
		record__null(rec, "exit_code");
		record__null(rec, "signal");
	} else if (sig) {
		record__null(rec, "exit_code");
		record__str(rec, "signal", keytime_signal_name(sig));
	} else {
		record__int(rec, "exit_code", (e->exit_code >> 8) & 0xff);
		record__null(rec, "signal");
	}
	if (e->flags & KEYTIME_F_EXIT_CODE && sig)
		record__bool(rec, "core_dumped", e->exit_code & 0x80);
	else
		record__null(rec, "core_dumped");
	if (e->flags & KEYTIME_F_GROUP)
		record__bool(rec, "group_dead", e->flags & KEYTIME_F_GROUP_DEAD);
	else
		record__null(rec, "group_dead");
	if (e->flags & KEYTIME_F_DURATION)
		record__uint(rec, "lifetime_ns", e->duration_ns);
	else
		record__null(rec, "lifetime_ns");
}

/* Every event has every field (null where it has no value): CSV's columns are the first's. */
static int keytime_on_event(struct monitor_inst *inst, const void *data, size_t size,
			    struct record *rec)
{
	const struct keytime_event *e = data;
	const struct keytime_exec_event *x = data;
	bool creation, switched;

	(void)inst;
	if (size < sizeof(*e) || e->kind >= KEYTIME_KINDS ||
	    (e->kind == KEYTIME_EXEC && size < sizeof(*x)))
		return -EINVAL;
	creation = e->kind <= KEYTIME_THREAD;
	switched = e->kind == KEYTIME_ONCPU || e->kind == KEYTIME_OFFCPU;
	record__str(rec, "event", keytime_kinds[e->kind]);
	record__str(rec, "reason", switched && e->reason < KEYTIME_REASONS ?
		    keytime_reasons[e->reason] : NULL);
	if (switched && e->flags & KEYTIME_F_DURATION)
		record__uint(rec, "duration_ns", e->duration_ns);
	else
		record__null(rec, "duration_ns");
	if (creation) {
		record__int(rec, "child_pid", e->child_pid);
		record__int(rec, "child_tid", e->child_tid);
	} else {
		record__null(rec, "child_pid");
		record__null(rec, "child_tid");
	}
	keytime_clone(e, rec);
	if (e->kind == KEYTIME_EXEC)
		record__strn(rec, "filename", x->filename, sizeof(x->filename));
	else
		record__null(rec, "filename");
	if (e->kind == KEYTIME_EXIT) {
		keytime_exit(e, rec);
	} else {
		static const char *const exit_keys[] = { "exit_code", "signal", "core_dumped",
							 "group_dead", "lifetime_ns" };

		for (size_t i = 0; i < sizeof(exit_keys) / sizeof(exit_keys[0]); i++)
			record__null(rec, exit_keys[i]);
	}
	return 0;
}

/* Summary mode: one row per thread and name, its per-CPU counts summed. */
struct keytime_row {
	struct keytime_key k;
	struct keytime_counts c;
};

static void keytime_counts_add(struct keytime_counts *d, const struct keytime_counts *s)
{
	for (int i = 0; i < KEYTIME_KINDS; i++)
		d->n[i] += s->n[i];
	d->oncpu_ns += s->oncpu_ns;
	for (int i = 0; i < KEYTIME_TIMED_REASONS; i++)
		d->offcpu_ns[i] += s->offcpu_ns[i];
}

static uint64_t keytime_row_moments(const struct keytime_row *r)
{
	uint64_t n = 0;

	for (int i = 0; i < KEYTIME_KINDS; i++)
		n += r->c.n[i];
	return n;
}

/* A summary_fold_fn. */
static void keytime_row_add(struct summary_rows *rows, const void *key, const void *values,
			    int n_values, size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	struct keytime_row *r;

	if (value_size < sizeof(struct keytime_counts))
		return;
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		struct keytime_counts c;

		memcpy(&c, (const char *)values + i * stride, sizeof(c));
		keytime_counts_add(&r->c, &c);
	}
	if (keytime_row_moments(r))
		summary_rows__keep(rows);
}

/* The most on-CPU time first, then the most moments, then by pid, tid and name. */
static int keytime_row_cmp(const void *a, const void *b)
{
	const struct keytime_row *x = a, *y = b;
	uint64_t mx = keytime_row_moments(x), my = keytime_row_moments(y);

	if (x->c.oncpu_ns != y->c.oncpu_ns)
		return x->c.oncpu_ns > y->c.oncpu_ns ? -1 : 1;
	if (mx != my)
		return mx > my ? -1 : 1;
	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	if (x->k.tid != y->k.tid)
		return x->k.tid < y->k.tid ? -1 : 1;
	return strncmp(x->k.comm, y->k.comm, sizeof(x->k.comm));
}

static void keytime_row_merge(void *dst, const void *src)
{
	keytime_counts_add(&((struct keytime_row *)dst)->c, &((const struct keytime_row *)src)->c);
}

static bool keytime_row_is_other(const void *row)
{
	const struct keytime_row *r = row;

	return !r->k.pid && !strncmp(r->k.comm, SUMMARY_OTHER_COMM, sizeof(r->k.comm));
}

static void keytime_row_other(void *row)
{
	struct keytime_row *r = row;

	r->k.pid = 0;
	r->k.tid = 0;
	memset(r->k.comm, 0, sizeof(r->k.comm));
	memcpy(r->k.comm, SUMMARY_OTHER_COMM, sizeof(SUMMARY_OTHER_COMM));
}

static int keytime_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	static const char *const timed[KEYTIME_TIMED_REASONS] = {
		"offcpu_preempted_ns", "offcpu_sleep_ns", "offcpu_io_ns", "offcpu_stopped_ns",
	};
	const struct keytime_opts *o = inst->priv;
	const struct keytime_row *r = row;
	struct record *rec = monitor_inst__record(inst, "summary");
	uint64_t off = 0;

	record__int(rec, "pid", r->k.pid);
	record__int(rec, "tid", r->k.tid);
	record__strn(rec, "comm", r->k.comm, sizeof(r->k.comm));
	for (int i = 0; i < KEYTIME_KINDS; i++) {
		if (!o->switches && (i == KEYTIME_ONCPU || i == KEYTIME_OFFCPU))
			record__null(rec, keytime_kinds[i]);
		else
			record__uint(rec, keytime_kinds[i], r->c.n[i]);
	}
	for (int i = 0; i < KEYTIME_TIMED_REASONS; i++)
		off += r->c.offcpu_ns[i];
	if (o->switches) {
		record__uint(rec, "oncpu_ns", r->c.oncpu_ns);
		record__uint(rec, "offcpu_ns", off);
	} else {
		record__null(rec, "oncpu_ns");
		record__null(rec, "offcpu_ns");
	}
	for (int i = 0; i < KEYTIME_TIMED_REASONS; i++) {
		if (o->switches)
			record__uint(rec, timed[i], r->c.offcpu_ns[i]);
		else
			record__null(rec, timed[i]);
	}
	record__real(rec, "interval_s", interval);
	/* A write error stays with the session, which stops on it. */
	monitor_inst__emit(inst, rec);
	return 0;
}

static const struct summary_spec keytime_summary = {
	.table = "keytime_counts",
	.row_size = sizeof(struct keytime_row),
	.fold = keytime_row_add,
	.cmp = keytime_row_cmp,
	.emit = keytime_row_emit,
	.per_s = 1000,
	.merge = keytime_row_merge,
	.other = keytime_row_other,
	.is_other = keytime_row_is_other,
	.full = "keytime_full",
	.over = "keytime_over",
	.over_size = sizeof(struct keytime_counts),
	.what = "moments",
};

static int keytime_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct keytime_opts *o = inst->priv;

	return summary_collect(inst, ps, &keytime_summary, &o->last_collect, o->max_entries);
}

/* The metrics' sums: per comm (nr: the slot), or the totals. */
struct keytime_m_sums {
	uint64_t other[KEYTIME_M_SLOTS];
	struct comm_counts cc;
};

/* keytime_m_comms is read by comm_nr_counts_entry_add. */
_Static_assert(offsetof(struct keytime_m_key, nr) == offsetof(struct comm_nr_key, nr) &&
	       sizeof(struct keytime_m_key) == sizeof(struct comm_nr_key),
	       "keytime_m_key is a comm_nr_key");

/* One slot's sample: a count, or ns as seconds; COMM NULL: no comm label. */
static void keytime_m_sample(struct metrics *m, unsigned slot, const char *comm, uint64_t v)
{
	const char *labels[5] = { NULL };
	const char *name;
	int n = 0;

	if (comm) {
		labels[n++] = "comm";
		labels[n++] = comm;
	}
	if (slot < KEYTIME_KINDS) {
		labels[n++] = "event";
		labels[n++] = keytime_kinds[slot];
		name = "ebpfmon_proc_keytime_events_total";
	} else if (slot == KEYTIME_M_ONCPU) {
		name = "ebpfmon_proc_keytime_oncpu_seconds_total";
	} else {
		labels[n++] = "reason";
		labels[n++] = keytime_reasons[slot - KEYTIME_M_OFFCPU];
		name = "ebpfmon_proc_keytime_offcpu_seconds_total";
	}
	metrics__sample(m, name, labels, slot < KEYTIME_KINDS ? (double)v : v * 1e-9);
}

/* Every sample of one family (slots FIRST..LAST): labeled comms, then comm="other". */
static void keytime_m_family(struct monitor_inst *inst, struct metrics *m,
			     const struct keytime_m_sums *s, unsigned first, unsigned last)
{
	const struct keytime_opts *o = inst->priv;
	bool labeled = monitor_inst__comm_labels(inst);
	uint64_t other[KEYTIME_M_SLOTS];

	memcpy(other, s->other, sizeof(other));
	for (size_t i = 0; labeled && i < s->cc.n; i++) {
		const struct comm_count *c = &s->cc.v[i];

		if (c->nr < first || c->nr > last)
			continue;
		if (comm_labels__has(&o->comm, c->comm))
			keytime_m_sample(m, c->nr, c->comm, c->n);
		else
			other[c->nr] += c->n;
	}
	for (unsigned slot = first; slot <= last; slot++)
		if (!labeled || other[slot])
			keytime_m_sample(m, slot, labeled ? "other" : NULL, other[slot]);
}

static int keytime_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct keytime_opts *o = inst->priv;
	struct keytime_m_sums s = { 0 };
	int err;

	err = probe_set__percpu_array_sums(ps, "keytime_m_other", s.other, KEYTIME_M_SLOTS);
	if (!err && monitor_inst__comm_labels(inst))
		err = comm_labels__scrape(&o->comm, monitor_inst__comm_labels(inst), ps,
					  "keytime_m_comms", comm_nr_counts_entry_add, &s.cc);
	metrics__family(m, "ebpfmon_proc_keytime_events_total", METRIC_COUNTER,
			"Key moments of tasks (fork, vfork, thread, exec, exit, oncpu, offcpu); "
			"by comm with metrics.comm_labels.");
	if (!err)
		keytime_m_family(inst, m, &s, 0, KEYTIME_KINDS - 1);
	metrics__family(m, "ebpfmon_proc_keytime_oncpu_seconds_total", METRIC_COUNTER,
			"On-CPU time of tasks, counted as each span ends (with oncpu/offcpu on).");
	if (!err)
		keytime_m_family(inst, m, &s, KEYTIME_M_ONCPU, KEYTIME_M_ONCPU);
	metrics__family(m, "ebpfmon_proc_keytime_offcpu_seconds_total", METRIC_COUNTER,
			"Off-CPU time of tasks by reason (preempted, sleep, io, stopped), "
			"counted as each span ends (with oncpu/offcpu on).");
	if (!err)
		keytime_m_family(inst, m, &s, KEYTIME_M_OFFCPU, KEYTIME_M_SLOTS - 1);
	comm_counts__release(&s.cc);
	return err;
}

static void keytime_detach(struct monitor_inst *inst)
{
	struct keytime_opts *o = inst->priv;

	if (o)
		comm_labels__release(&o->comm);
	free(o);
	inst->priv = NULL;
}

static const struct table_column keytime_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "EVENT", "event", 6, COLUMN_LEFT },
	{ "REASON", "reason", 9, COLUMN_LEFT },
	{ "DUR(ns)", "duration_ns", 11, COLUMN_RIGHT },
	{ "CHILD", "child_tid", 7, COLUMN_RIGHT },
	{ "FLAGS", "clone_flags", 10, COLUMN_LEFT },
	{ "EXIT", "exit_code", 4, COLUMN_RIGHT },
	{ "SIGNAL", "signal", 9, COLUMN_LEFT },
	{ "LIFE(ns)", "lifetime_ns", 12, COLUMN_RIGHT },
	{ "FILENAME", "filename", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column keytime_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "TID", "tid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "FORK", "fork", 5, COLUMN_RIGHT },
	{ "VFORK", "vfork", 5, COLUMN_RIGHT },
	{ "THREAD", "thread", 6, COLUMN_RIGHT },
	{ "EXEC", "exec", 4, COLUMN_RIGHT },
	{ "EXIT", "exit", 4, COLUMN_RIGHT },
	{ "ONCPU", "oncpu", 7, COLUMN_RIGHT },
	{ "ON(ns)", "oncpu_ns", 12, COLUMN_RIGHT },
	{ "PREEMPT(ns)", "offcpu_preempted_ns", 12, COLUMN_RIGHT },
	{ "SLEEP(ns)", "offcpu_sleep_ns", 12, COLUMN_RIGHT },
	{ "IO(ns)", "offcpu_io_ns", 12, COLUMN_RIGHT },
	{ "STOP(ns)", "offcpu_stopped_ns", 0, COLUMN_RIGHT },
	{ NULL },
};

static const char *const keytime_inflight[] = { "keytime_tasks", NULL };

const struct monitor mon_keytime = {
	.name = "keytime",
	.desc = "key moments of tasks: fork, vfork, thread, exec, exit, on/off CPU with why",
	.probe = "keytime.bpf.c",
	.tracepoints = keytime_tracepoints,
	.events_table = "keytime_events",
	.configure = keytime_configure,
	.attach = keytime_attach,
	.on_event = keytime_on_event,
	.collect = keytime_collect,
	.detach = keytime_detach,
	.columns = keytime_columns,
	.metrics = keytime_metrics,
	.summary_columns = keytime_summary_columns,
	.inflight = keytime_inflight,
};
