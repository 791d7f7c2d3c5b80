// SPDX-License-Identifier: GPL-2.0
/* exec: every execve/execveat, successful or failed, with its argv. */
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "probes/exec.h"
#include "config/config.h"
#include "util/json_util.h"
#include "bpf/kernel.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "bpf/probe_set.h"
#include "output/sink.h"

/* The scratch buffer is a per-CPU map value, which the kernel caps at 32 KiB. */
#define EXEC_ARGS_BUF_MAX 16384

struct exec_opts {
	long long max_args;
	long long arg_size;
	long long max_inflight;
	bool show_failed;
	const char *path_why;		/* why path is null (no BTF) */
	struct comm_labels comm;	/* metrics.comm_labels: the exporter's */
	struct cgroup_labels cgroup;	/* metrics.cgroup_labels: the exporter's */
};

static const struct monitor_tp exec_tracepoints[] = {
	{ "syscalls", "sys_enter_execve", false },
	{ "syscalls", "sys_exit_execve", false },
	{ "sched", "sched_process_exec", false },
	{ "syscalls", "sys_enter_execveat", true },
	/* sys_exit_execve's program: one layout, verified once. */
	{ "syscalls", "sys_exit_execveat", true, "tracepoint__syscalls__sys_exit_execve" },
	{ NULL },
};

static unsigned long roundup_pow2(unsigned long v)
{
	unsigned long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static int exec_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct exec_opts *o = calloc(1, sizeof(*o));
	unsigned long args_buf;
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->max_args = 20;
	o->arg_size = 128;
	o->max_inflight = 10240;
	o->show_failed = true;
	inst->priv = o;
	if (node) {
		err |= cfg_get_int(node, "max_args", 1, 1024, &o->max_args);
		err |= cfg_get_int(node, "arg_size", 16, 4096, &o->arg_size);
		err |= cfg_get_int(node, "max_inflight", 64, 1048576, &o->max_inflight);
		err |= cfg_get_bool(node, "show_failed", &o->show_failed);
		if (err)
			return -EINVAL;
	}
	args_buf = roundup_pow2(o->max_args * o->arg_size);
	if (args_buf > EXEC_ARGS_BUF_MAX)
		args_buf = EXEC_ARGS_BUF_MAX;
	if (args_buf < (unsigned long)o->arg_size)
		args_buf = roundup_pow2(o->arg_size);
	err |= render_vars__set(&inst->vars, "MAX_ARGS", "%lld", o->max_args);
	err |= render_vars__set(&inst->vars, "ARG_SIZE", "%lld", o->arg_size);
	err |= render_vars__set(&inst->vars, "ARGS_BUF", "%lu", args_buf);
	err |= render_vars__set(&inst->vars, "MAX_INFLIGHT", "%lld", o->max_inflight);
	err |= render_vars__set(&inst->vars, "SHOW_FAILED", "%d", o->show_failed);
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u",
				inst->metrics ? monitor_inst__comm_labels(inst) : 0);
	err |= render_vars__set(&inst->vars, "CGROUP_LABELS", "%u",
				inst->metrics ? monitor_inst__cgroup_labels(inst) : 0);
	o->path_why = kernel_info__kpath_why(inst->ki);
	err |= render_vars__set(&inst->vars, "PATH", "%d", !o->path_why);
	if (err)
		return -ENOMEM;
	/* Not a degraded exec: what execsnoop shows is all there; --check's kernel_paths says why. */
	if (!kernel_info__offsets_trusted(inst->ki))
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "argv of successful execs unavailable without BTF or "
				      "headers of this kernel");
	return 0;
}

/*
 * args: NUL-separated strings, or (failed execs) one slot of arg_size + 2
 * bytes each; cut to max_args strings of at most arg_size bytes.
 */
static json_t *exec_argv(const struct exec_opts *o, const char *args, size_t len,
			 bool slots, bool *truncated)
{
	size_t slot = o->arg_size + 2, off = 0;
	json_t *argv = json_array();

	while (off < len) {
		const char *arg = args + off;
		size_t room = slots && len - off > slot ? slot : len - off;
		size_t alen = strnlen(arg, room);

		if ((long long)json_array_size(argv) >= o->max_args) {
			*truncated = true;
			break;
		}
		if (alen > (size_t)o->arg_size) {
			*truncated = true;
			alen = o->arg_size;
		}
		json_array_append_new(argv, json_string_lossy(arg, alen));
		off += slots ? slot : strnlen(arg, room) + 1;
	}
	return argv;
}

/*
 * path: the file the kernel ran, or for a failed exec the filename resolved
 * against the dirfd or the cwd (an absolute one is itself); null when the
 * walk could not run or tell (kpath_flags_error).
 */
static void exec_path(const struct exec_opts *o, const struct exec_event *e,
		      struct record *rec)
{
	const char *p = NULL;
	size_t len = 0;
	bool cut = false;

	if (!o->path_why && !e->path_len && e->filename[0] == '/' &&
	    (e->flags & EXEC_F_FROM_SYSCALL)) {
		p = e->filename;
		len = strnlen(e->filename, sizeof(e->filename));
	} else if (!o->path_why && e->path_len && !kpath_flags_error(e->path_flags)) {
		p = e->args + e->args_len;
		len = strnlen(p, e->path_len);
		cut = e->path_flags & KPATH_F_TRUNCATED;
	}
	record__strn(rec, "path", p, len);
	record__bool(rec, "path_truncated", cut);
}

static int exec_on_event(struct monitor_inst *inst, const void *data, size_t size,
			 struct record *rec)
{
	const struct exec_opts *o = inst->priv;
	const struct exec_event *e = data;
	bool truncated;

	if (size < sizeof(*e) || sizeof(*e) + e->args_len > size ||
	    e->path_len > size - sizeof(*e) - e->args_len)
		return -EINVAL;
	truncated = e->flags & EXEC_F_ARGS_TRUNCATED;
	if (e->pcomm[0])
		record__strn(rec, "pcomm", e->pcomm, sizeof(e->pcomm));
	else
		record__null(rec, "pcomm");
	record__str(rec, "syscall", e->flags & EXEC_F_EXECVEAT ? "execveat" :
		    e->flags & EXEC_F_EXECVE ? "execve" : NULL);
	record__strn(rec, "filename", e->filename, sizeof(e->filename));
	/* A jansson array: exec events are rare enough, and argv needs per-item cuts. */
	record__json(rec, "argv", e->flags & EXEC_F_ARGS_UNAVAILABLE && !e->args_len ?
		     NULL : exec_argv(o, e->args, e->args_len,
				      e->flags & EXEC_F_ARGS_SLOTS, &truncated));
	record__bool(rec, "argv_truncated", truncated);
	exec_path(o, e, rec);
	record__int(rec, "ret", e->ret);
	record__errno(rec, "error", e->ret);
	return 0;
}

/*
 * ebpfmon_exec_total by the new program's name (metrics.comm_labels): the
 * labeled names, then "other", the rest and the execs exec_m_comms had no
 * room for.
 */
static int exec_metrics_comms(struct monitor_inst *inst, struct probe_set *ps,
			      struct metrics *m)
{
	struct exec_opts *o = inst->priv;
	struct comm_counts cc = { 0 };
	uint64_t other = 0;
	int err;

	err = probe_set__percpu_array_sums(ps, "exec_m_comm_other", &other, 1);
	if (!err)
		err = comm_labels__scrape(&o->comm, monitor_inst__comm_labels(inst), ps,
					  "exec_m_comms", comm_counts_entry_add, &cc);
	for (size_t i = 0; !err && i < cc.n; i++) {
		const char *labels[] = { "comm", cc.v[i].comm, NULL };

		if (comm_labels__has(&o->comm, cc.v[i].comm))
			metrics__sample(m, "ebpfmon_exec_total", labels, cc.v[i].n);
		else
			other += cc.v[i].n;
	}
	if (!err) {
		const char *labels[] = { "comm", "other", NULL };

		metrics__sample(m, "ebpfmon_exec_total", labels, other);
	}
	comm_counts__release(&cc);
	return err;
}

/*
 * ebpfmon_exec_total by cgroup (metrics.cgroup_labels), and by comm too with
 * metrics.comm_labels: the labeled ones, then "other".
 */
static int exec_metrics_cgroups(struct monitor_inst *inst, struct probe_set *ps,
				struct metrics *m)
{
	struct exec_opts *o = inst->priv;
	unsigned comms = monitor_inst__comm_labels(inst);
	struct label_counts lc = { 0 };
	uint64_t other = 0;
	bool other_seen = false;
	int err;

	err = probe_set__percpu_array_sums(ps, "exec_m_label_other", &other, 1);
	if (!err)
		err = cgroup_labels__scrape(&o->cgroup, monitor_inst__cgroup_labels(inst), &o->comm,
					    comms, ps, "exec_m_labels", &lc);
	for (size_t i = 0; !err && i < lc.n; i++) {
		const char *cg = label_count__cgroup(&lc.v[i]);
		const char *labels[] = { "cgroup", cg, comms ? "comm" : NULL, lc.v[i].comm, NULL };
		uint64_t n = lc.v[i].n;

		/* The table's overflow is in the all-"other" row. */
		if (!strcmp(cg, "other") && (!comms || !strcmp(lc.v[i].comm, "other"))) {
			n += other;
			other_seen = true;
		}
		metrics__sample(m, "ebpfmon_exec_total", labels, n);
	}
	if (!err && !other_seen) {
		const char *labels[] = { "cgroup", "other", comms ? "comm" : NULL, "other", NULL };

		metrics__sample(m, "ebpfmon_exec_total", labels, other);
	}
	label_counts__release(&lc);
	return err;
}

static int exec_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	uint64_t slots[EBPFMON_ERRNO_SLOTS];
	int err;

	err = probe_set__percpu_array_sums(ps, "exec_results", slots, EBPFMON_ERRNO_SLOTS);
	metrics__family(m, "ebpfmon_exec_total", METRIC_COUNTER,
			"Successful execs (execve, execveat); by comm with "
			"metrics.comm_labels, by cgroup with metrics.cgroup_labels.");
	if (!err && monitor_inst__cgroup_labels(inst))
		err = exec_metrics_cgroups(inst, ps, m);
	else if (!err && monitor_inst__comm_labels(inst))
		err = exec_metrics_comms(inst, ps, m);
	else if (!err)
		metrics__sample(m, "ebpfmon_exec_total", NULL, slots[0]);
	metrics__family(m, "ebpfmon_exec_failed_total", METRIC_COUNTER,
			"Failed execs by errno name (\"other\": an errno without one).");
	if (!err)
		monitor_metrics_errnos(m, "ebpfmon_exec_failed_total", "error", slots);
	return err;
}

static void exec_detach(struct monitor_inst *inst)
{
	struct exec_opts *o = inst->priv;

	if (o) {
		comm_labels__release(&o->comm);
		cgroup_labels__release(&o->cgroup);
	}
	free(o);
	inst->priv = NULL;
}

static const struct table_column exec_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "PPID", "ppid", 7, COLUMN_RIGHT },
	{ "PCOMM", "pcomm", 16, COLUMN_LEFT },
	{ "RET", "ret", 3, COLUMN_RIGHT },
	{ "ARGS", "argv", 0, COLUMN_LEFT },
	{ NULL },
};

static const char *const exec_inflight[] = { "exec_starts", NULL };

const struct monitor mon_exec = {
	.name = "exec",
	.desc = "process executions (execve, execveat): filename, argv, result",
	.probe = "exec.bpf.c",
	.tracepoints = exec_tracepoints,
	.events_table = "exec_events",
	.configure = exec_configure,
	.attach = monitor_attach_tracepoints,
	.on_event = exec_on_event,
	.detach = exec_detach,
	.columns = exec_columns,
	.metrics = exec_metrics,
	.inflight = exec_inflight,
};
