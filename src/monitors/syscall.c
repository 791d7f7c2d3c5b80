// SPDX-License-Identifier: GPL-2.0
/*
 * syscall: every system call with its duration and result (mode: events), or
 * per process and syscall counts, errors and a latency histogram aggregated
 * in the kernel (mode: summary, the default), like syscount.
 */
#include <errno.h>
#include <linux/types.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/syscall.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/errnames.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "monitors/syscall_summary.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "bpf/probe_set.h"

/* A name and category per syscall number, resolved once. */
struct syscall_name {
	char *name;			/* NULL: libseccomp does not know it */
	const char *category;
	bool pointer;			/* returns an address (see syscall_returns_pointer) */
	bool resolved;
};

enum syscall_hook {
	SYSCALL_HOOK_AUTO,
	SYSCALL_HOOK_RAW,		/* RAW_TRACEPOINT_PROBE(sys_enter/sys_exit) */
	SYSCALL_HOOK_TP,		/* TRACEPOINT_PROBE(raw_syscalls, ...) */
};

static const char *const syscall_hooks[] = { "auto", "raw_tracepoint", "tracepoint", NULL };

struct syscall_opts {
	int hook;			/* resolved: raw or tp */
	bool latency;			/* time each call (summary: false counts only) */
	long long min_duration_us;
	long long sample_rate;
	long long max_entries;
	long long max_inflight;
	bool failed_only;
	bool filter_nr;			/* include or exclude given */
	bool traced[SYSCALL_NR_MAX];
	struct syscall_name names[SYSCALL_NR_MAX];
	struct syscall_sum *sum;	/* summary mode's rows */
	double last_collect;		/* CLOCK_MONOTONIC seconds */
	struct comm_labels comm;	/* metrics.comm_labels: the exporter's */
	struct cgroup_labels cgroup;	/* metrics.cgroup_labels: the exporter's */
};

/*
 * Attached in this order (raw tracepoints or tracepoints, as compiled): a
 * start sys_enter keeps in a CPU's slot must never miss the switch that moves
 * it to syscall_starts.
 */
static const struct monitor_tp syscall_tracepoints[] = {
	{ "sched", "sched_switch", false },
	{ "raw_syscalls", "sys_enter", false },
	{ "raw_syscalls", "sys_exit", false },
	{ NULL },
};

/*
 * Categories by name, first match wins: "name" exact, "name*" a prefix,
 * "*name" a suffix. What matches nothing is "other".
 */
static const struct {
	const char *pattern;
	const char *category;
} syscall_rules[] = {
	/* signal (before "rt_*" could match anything else) */
	{ "rt_sig*", "signal" }, { "rt_tgsigqueueinfo", "signal" }, { "kill", "signal" },
	{ "tkill", "signal" }, { "tgkill", "signal" }, { "sigaltstack", "signal" },
	{ "signalfd*", "signal" }, { "pause", "signal" }, { "pidfd_send_signal", "signal" },
	{ "restart_syscall", "signal" },
	/* time */
	{ "nanosleep", "time" }, { "clock_*", "time" }, { "timer_*", "time" },
	{ "timerfd_*", "time" }, { "gettimeofday", "time" }, { "settimeofday", "time" },
	{ "time", "time" }, { "adjtimex", "time" }, { "alarm", "time" },
	{ "getitimer", "time" }, { "setitimer", "time" },
	/* ipc */
	{ "pipe", "ipc" }, { "pipe2", "ipc" }, { "shm*", "ipc" }, { "sem*", "ipc" },
	{ "msg*", "ipc" }, { "mq_*", "ipc" }, { "futex*", "ipc" }, { "eventfd*", "ipc" },
	/* network */
	{ "socket*", "network" }, { "bind", "network" }, { "listen", "network" },
	{ "accept*", "network" }, { "connect", "network" }, { "getsockname", "network" },
	{ "getpeername", "network" }, { "sendto", "network" }, { "recvfrom", "network" },
	{ "sendmsg", "network" }, { "recvmsg", "network" }, { "sendmmsg", "network" },
	{ "recvmmsg", "network" }, { "shutdown", "network" }, { "setsockopt", "network" },
	{ "getsockopt", "network" },
	/* io: moving data through descriptors, and waiting for them */
	{ "read", "io" }, { "write", "io" }, { "readv", "io" }, { "writev", "io" },
	{ "pread*", "io" }, { "pwrite*", "io" }, { "lseek", "io" }, { "ioctl", "io" },
	{ "sendfile*", "io" }, { "splice", "io" }, { "tee", "io" }, { "vmsplice", "io" },
	{ "copy_file_range", "io" }, { "readahead", "io" }, { "poll", "io" },
	{ "ppoll*", "io" }, { "select", "io" }, { "pselect6*", "io" }, { "epoll_*", "io" },
	{ "io_*", "io" },
	/* memory */
	{ "mmap*", "memory" }, { "munmap", "memory" }, { "mprotect", "memory" },
	{ "mremap", "memory" }, { "brk", "memory" }, { "msync", "memory" },
	{ "mincore", "memory" }, { "madvise", "memory" }, { "mlock*", "memory" },
	{ "munlock*", "memory" }, { "remap_file_pages", "memory" }, { "mbind", "memory" },
	{ "set_mempolicy*", "memory" }, { "get_mempolicy", "memory" },
	{ "migrate_pages", "memory" }, { "move_pages", "memory" }, { "pkey_*", "memory" },
	{ "memfd_*", "memory" }, { "userfaultfd", "memory" }, { "process_madvise", "memory" },
	{ "process_mrelease", "memory" }, { "process_vm_*", "memory" },
	{ "map_shadow_stack", "memory" }, { "membarrier", "memory" }, { "mseal", "memory" },
	/* process: life cycle, identity, scheduling, limits */
	{ "fork", "process" }, { "vfork", "process" }, { "clone*", "process" },
	{ "execve*", "process" }, { "exit", "process" }, { "exit_group", "process" },
	{ "wait4", "process" }, { "waitid", "process" }, { "getpid", "process" },
	{ "getppid", "process" }, { "gettid", "process" }, { "getuid", "process" },
	{ "geteuid", "process" }, { "getgid", "process" }, { "getegid", "process" },
	{ "getres*", "process" }, { "getpgid", "process" }, { "getpgrp", "process" },
	{ "getsid", "process" }, { "getgroups", "process" }, { "setuid", "process" },
	{ "setgid", "process" }, { "setre*", "process" }, { "setfsuid", "process" },
	{ "setfsgid", "process" }, { "setpgid", "process" }, { "setsid", "process" },
	{ "setgroups", "process" }, { "sched_*", "process" }, { "getpriority", "process" },
	{ "setpriority", "process" }, { "ioprio_*", "process" }, { "getrlimit", "process" },
	{ "setrlimit", "process" }, { "prlimit64", "process" }, { "getrusage", "process" },
	{ "times", "process" }, { "prctl", "process" }, { "arch_prctl", "process" },
	{ "capget", "process" }, { "capset", "process" }, { "unshare", "process" },
	{ "setns", "process" }, { "set_tid_address", "process" }, { "ptrace", "process" },
	{ "personality", "process" }, { "seccomp", "process" }, { "pidfd_*", "process" },
	{ "kcmp", "process" }, { "set_robust_list", "process" },
	{ "get_robust_list", "process" }, { "rseq", "process" }, { "getcpu", "process" },
	{ "set_thread_area", "process" }, { "get_thread_area", "process" },
	{ "modify_ldt", "process" }, { "landlock_*", "process" },
	/* file: names, metadata, descriptors, file systems */
	{ "open", "file" }, { "openat*", "file" }, { "creat", "file" }, { "close*", "file" },
	{ "open_by_handle_at", "file" }, { "name_to_handle_at", "file" },
	{ "stat", "file" }, { "fstat", "file" }, { "lstat", "file" }, { "newfstatat", "file" },
	{ "statx", "file" }, { "statfs", "file" }, { "fstatfs", "file" }, { "ustat", "file" },
	{ "access", "file" }, { "faccessat*", "file" }, { "truncate", "file" },
	{ "ftruncate", "file" }, { "getdents*", "file" }, { "getcwd", "file" },
	{ "chdir", "file" }, { "fchdir", "file" }, { "chroot", "file" },
	{ "pivot_root", "file" }, { "rename*", "file" }, { "mkdir*", "file" },
	{ "rmdir", "file" }, { "link", "file" }, { "linkat", "file" }, { "unlink*", "file" },
	{ "symlink*", "file" }, { "readlink*", "file" }, { "chmod", "file" },
	{ "fchmod*", "file" }, { "chown", "file" }, { "fchown*", "file" }, { "lchown", "file" },
	{ "umask", "file" }, { "utime*", "file" }, { "futimesat", "file" }, { "mknod*", "file" },
	{ "mount*", "file" }, { "umount*", "file" }, { "open_tree*", "file" },
	{ "move_mount", "file" }, { "fsopen", "file" }, { "fsconfig", "file" },
	{ "fsmount", "file" }, { "fspick", "file" }, { "fcntl", "file" }, { "flock", "file" },
	{ "fsync", "file" }, { "fdatasync", "file" }, { "sync", "file" }, { "syncfs", "file" },
	{ "sync_file_range", "file" }, { "fallocate", "file" }, { "fadvise64", "file" },
	{ "dup*", "file" }, { "*xattr", "file" }, { "*xattrat", "file" },
	{ "inotify_*", "file" }, { "fanotify_*", "file" }, { "quotactl*", "file" },
	{ "swapon", "file" }, { "swapoff", "file" }, { "cachestat", "file" },
	{ "file_getattr", "file" }, { "file_setattr", "file" },
};

/*
 * The categories in the order of their index in the kernel's latency map
 * (syscall_m_category); "other" is 0, what an unfilled slot holds.
 */
static const char *const syscall_categories[] = {
	"other", "file", "io", "network", "process", "memory", "time", "ipc", "signal",
};

_Static_assert(sizeof(syscall_categories) / sizeof(syscall_categories[0]) <=
	       SYSCALL_M_CATEGORIES, "syscall_m_latency has a slot per category");

static bool syscall_rule_match(const char *pattern, const char *name)
{
	size_t plen = strlen(pattern), nlen = strlen(name);

	if (pattern[0] == '*')
		return nlen >= plen - 1 && !strcmp(name + nlen - (plen - 1), pattern + 1);
	if (pattern[plen - 1] == '*')
		return !strncmp(name, pattern, plen - 1);
	return !strcmp(name, pattern);
}

static const char *syscall_category(const char *name)
{
	if (!name)
		return "other";
	for (size_t i = 0; i < sizeof(syscall_rules) / sizeof(syscall_rules[0]); i++)
		if (syscall_rule_match(syscall_rules[i].pattern, name))
			return syscall_rules[i].category;
	return "other";
}

/*
 * The calls whose result is an address, shown in hex as strace does
 * (ret_hex); mmap2 where the architecture has it.
 */
static bool syscall_returns_pointer(const char *name)
{
	static const char *const calls[] = { "mmap", "mmap2", "mremap", "brk", "shmat" };

	for (size_t i = 0; name && i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(name, calls[i]))
			return true;
	return false;
}

/*
 * Name and category of nr. Numbers the table holds are resolved once; any
 * other (none on x86_64) each time, with *tofree to free after use.
 */
static void syscall_lookup(struct syscall_opts *o, long long nr, const char **name,
			   const char **category, char **tofree)
{
	*tofree = NULL;
	if (nr < 0 || nr >= SYSCALL_NR_MAX) {
		*tofree = nr < 0 || nr > 0x7fffffff ? NULL :
			  seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
		*name = *tofree;
		*category = syscall_category(*name);
		return;
	}
	if (!o->names[nr].resolved) {
		o->names[nr].name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
		o->names[nr].category = syscall_category(o->names[nr].name);
		o->names[nr].pointer = syscall_returns_pointer(o->names[nr].name);
		o->names[nr].resolved = true;
	}
	*name = o->names[nr].name;
	*category = o->names[nr].category;
}

/*
 * Resolve the names of list KEY into numbers and set traced[nr] to ON for
 * each. An unknown name is an error at its list item.
 */
static int syscall_list(struct syscall_opts *o, struct cfg_node *node, const char *key,
			bool on, bool *given)
{
	struct cfg_node *list;
	char **names = NULL;
	int err;

	err = cfg_get_strv(node, key, &names);
	if (err)
		return err;
	list = cfg_node__get(node, key);
	*given = names && names[0];
	for (size_t i = 0; names && names[i]; i++) {
		struct cfg_node *at = list->kind == CFG_SEQ && i < list->n_kids ?
				      list->kids[i] : list;
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR) {
			cfg_node__error(at, "unknown syscall '%s'", names[i]);
			err = -EINVAL;
		} else if (nr < 0) {
			/* libseccomp's pseudo-numbers: a call of other architectures only */
			cfg_node__error(at, "syscall '%s' does not exist on this architecture",
					names[i]);
			err = -EINVAL;
		} else if (nr >= SYSCALL_NR_MAX) {
			cfg_node__error(at, "syscall '%s' is number %d, beyond the %d this "
					"monitor can filter", names[i], nr, SYSCALL_NR_MAX);
			err = -EINVAL;
		} else {
			o->traced[nr] = on;
		}
	}
	strv_free(names);
	return err;
}

/*
 * hook: auto takes raw tracepoints where the kernel has them; a forced hook
 * the kernel cannot give makes the monitor unavailable.
 */
static void syscall_hook_resolve(struct monitor_inst *inst)
{
	struct syscall_opts *o = inst->priv;
	const struct kernel_info *ki = inst->ki;
	const char *why = NULL;

	if (!ki->raw_tracepoints)
		why = ki->raw_tracepoints_why;
	else if (!o->latency && strcmp(ki->machine, "x86_64"))
		/* Raw sys_exit has no number; orig_ax in pt_regs is x86_64's. */
		why = "latency: false reads the syscall number from x86_64's registers";
	if (o->hook == SYSCALL_HOOK_RAW && why)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "raw tracepoints: %s", why);
	else if (o->hook == SYSCALL_HOOK_AUTO && why)
		pr_debug("syscall: no raw tracepoints (%s): using the raw_syscalls tracepoints",
			 why);
	if (o->hook != SYSCALL_HOOK_TP)
		o->hook = why ? SYSCALL_HOOK_TP : SYSCALL_HOOK_RAW;
}

/*
 * latency: false counts calls at sys_exit alone; what needs a duration
 * cannot go with it.
 */
static int syscall_latency_check(struct monitor_inst *inst, struct cfg_node *node)
{
	struct syscall_opts *o = inst->priv;
	struct cfg_node *at = cfg_node__get(node, "latency");
	int err = 0;

	if (!o->latency && !inst->summary) {
		cfg_node__error(at, "false needs mode: summary (events carry duration_ns)");
		err = -EINVAL;
	} else if (!o->latency && o->min_duration_us) {
		cfg_node__error(at, "false cannot go with min_duration_us");
		err = -EINVAL;
	}
	return err;
}

/* This architecture's number of a syscall every kernel has; -1 if unknown. */
static int syscall_nr_of(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr < 0 ? -1 : nr;
}

/* group_by pid_syscall's rows (syscall_summary.c has the others'). */
static const struct table_column syscall_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "SYSCALL", "name", 16, COLUMN_LEFT },
	SYSCALL_SUM_COLUMNS,
	{ NULL },
};
static int syscall_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct syscall_opts *o = calloc(1, sizeof(*o));
	bool include = false, exclude = false;
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->hook = SYSCALL_HOOK_AUTO;
	o->latency = true;
	o->sample_rate = 1;
	o->max_entries = summary_default_entries();
	o->max_inflight = 10240;
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, true);
	/* One row per syscall, as syscount; etc/ebpfmon.yaml asks for pid_syscall. */
	err |= syscall_sum__configure(inst, node, SYSCALL_GROUP_SYSCALL, &o->sum);
	if (node) {
		err |= cfg_get_enum(node, "hook", syscall_hooks, &o->hook);
		err |= cfg_get_bool(node, "latency", &o->latency);
		err |= cfg_get_int(node, "min_duration_us", 0, 3600000000ll, &o->min_duration_us);
		err |= cfg_get_int(node, "sample_rate", 1, 1000000, &o->sample_rate);
		err |= cfg_get_bool(node, "failed_only", &o->failed_only);
		err |= cfg_get_int(node, "max_entries", 16, 1048576, &o->max_entries);
		err |= cfg_get_int(node, "max_inflight", 64, 1048576, &o->max_inflight);
		/* include first: it sets what is traced, exclude then takes away. */
		err |= syscall_list(o, node, "include", true, &include);
		if (!include)
			memset(o->traced, 1, sizeof(o->traced));
		err |= syscall_list(o, node, "exclude", false, &exclude);
		if (!err)
			err = syscall_latency_check(inst, node);
		if (err)
			return -EINVAL;
	}
	syscall_hook_resolve(inst);
	o->filter_nr = include || exclude;
	err |= render_vars__set(&inst->vars, "RAW", "%d", o->hook == SYSCALL_HOOK_RAW);
	err |= render_vars__set(&inst->vars, "LATENCY", "%d", o->latency);
	err |= render_vars__set(&inst->vars, "NR_EXIT", "%d", syscall_nr_of("exit"));
	err |= render_vars__set(&inst->vars, "NR_EXIT_GROUP", "%d", syscall_nr_of("exit_group"));
	err |= render_vars__set(&inst->vars, "NR_EXECVE", "%d", syscall_nr_of("execve"));
	err |= render_vars__set(&inst->vars, "NR_EXECVEAT", "%d", syscall_nr_of("execveat"));
	err |= render_vars__set(&inst->vars, "FILTER_NR", "%d", o->filter_nr);
	err |= render_vars__set(&inst->vars, "OTHER_TRACED", "%d", !include);
	err |= render_vars__set(&inst->vars, "MIN_NS", "%lld", o->min_duration_us * 1000);
	err |= render_vars__set(&inst->vars, "SAMPLE_RATE", "%lld", o->sample_rate);
	err |= render_vars__set(&inst->vars, "FAILED_ONLY", "%d", o->failed_only);
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "MAX_INFLIGHT", "%lld", o->max_inflight);
	err |= render_vars__set(&inst->vars, "COMM_LABELS", "%u",
				inst->metrics ? monitor_inst__comm_labels(inst) : 0);
	err |= render_vars__set(&inst->vars, "CGROUP_LABELS", "%u",
				inst->metrics ? monitor_inst__cgroup_labels(inst) : 0);
	return err ? -ENOMEM : 0;
}

static __u32 syscall_category_index(const char *category)
{
	for (__u32 i = 1; i < sizeof(syscall_categories) / sizeof(syscall_categories[0]); i++)
		if (!strcmp(syscall_categories[i], category))
			return i;
	return 0;
}

/*
 * Metrics: every name resolved now, so the exporter's thread only reads
 * o->names; with latency, each number's category into the kernel.
 */
static int syscall_metrics_prepare(struct monitor_inst *inst, struct probe_set *ps)
{
	struct syscall_opts *o = inst->priv;
	const char *name, *category;
	char *tofree;
	int err = 0;

	for (__u32 nr = 0; nr < SYSCALL_NR_MAX && !err; nr++) {
		__u32 idx;

		syscall_lookup(o, nr, &name, &category, &tofree);
		idx = syscall_category_index(category);
		if (o->latency && idx)
			err = probe_set__update(ps, "syscall_m_category", &nr, &idx);
	}
	if (err)
		pr_err("syscall: cannot fill the metrics' category table: %s", strerror(-err));
	return err;
}

/* The number filter goes into the kernel before the first call is traced. */
static int syscall_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct syscall_opts *o = inst->priv;
	int err;

	if (inst->metrics) {
		err = syscall_metrics_prepare(inst, ps);
		if (err)
			return err;
	}

	for (__u32 nr = 0; o->filter_nr && nr < SYSCALL_NR_MAX; nr++) {
		__u8 on = o->traced[nr];

		if (!on)
			continue;
		err = probe_set__update(ps, "syscall_traced", &nr, &on);
		if (err) {
			pr_err("syscall: cannot fill the syscall filter: %s", strerror(-err));
			return err;
		}
	}
	o->last_collect = clock_mono_s();
	/*
	 * The comm filter's cache, first: raw only, and not in the list above,
	 * where tracepoint__task__task_rename (io's program) would be taken.
	 */
	if (probe_set__has_program(ps, "raw_tracepoint__task_rename")) {
		err = probe_set__attach_raw_tracepoint(ps, "task_rename");
		if (err) {
			pr_err("syscall: failed to attach raw tracepoint task_rename: %s",
			       strerror(-err));
			return err;
		}
	}
	return monitor_attach_tracepoints(inst, ps);
}

/* A name from syscall_lookup: borrowed from the table, or copied when it is not kept. */
static void syscall_name_field(struct record *rec, const char *name, char *tofree)
{
	if (tofree)
		record__strcpy(rec, "name", name, strlen(name));
	else
		record__str(rec, "name", name);
	free(tofree);
}

static int syscall_on_event(struct monitor_inst *inst, const void *data, size_t size,
			    struct record *rec)
{
	const struct syscall_event *e = data;
	struct syscall_opts *o = inst->priv;
	const char *name, *category;
	char *tofree;
	bool pointer;

	if (size < sizeof(*e))
		return -EINVAL;
	syscall_lookup(o, e->nr, &name, &category, &tofree);
	pointer = e->nr >= 0 && e->nr < SYSCALL_NR_MAX ? o->names[e->nr].pointer :
		  syscall_returns_pointer(name);
	record__int(rec, "nr", e->nr);
	syscall_name_field(rec, name, tofree);
	record__str(rec, "category", category);
	record__int(rec, "duration_ns", e->duration_ns);
	record__int(rec, "ret", e->ret);
	/* On every event, null but for addresses, so CSV files keep one header. */
	if (pointer && e->ret >= 0)
		record__strf(rec, "ret_hex", "%#llx", (unsigned long long)e->ret);
	else
		record__null(rec, "ret_hex");
	record__errno(rec, "error", e->ret);
	return 0;
}

static int syscall_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	const struct syscall_row *r = row;
	struct syscall_opts *o = inst->priv;
	struct record *rec = monitor_inst__record(inst, "summary");
	const char *name, *category;
	uint64_t hist[EBPFMON_HIST_SLOTS];
	char *tofree;

	for (int k = 0; k < EBPFMON_HIST_SLOTS; k++)
		hist[k] = r->st.hist[k];
	record__str(rec, "scope", r->scope == SYSCALL_SCOPE_SYSTEM ? "system" : "process");
	if (r->scope != SYSCALL_SCOPE_SYSTEM) {
		record__int(rec, "pid", r->key.pid);
		record__strn(rec, "comm", r->st.comm, sizeof(r->st.comm));
		record_cgroup_fields(rec, r->st.cgroup_id);
	}
	if (r->by_nr) {
		syscall_lookup(o, r->key.nr, &name, &category, &tofree);
		record__int(rec, "nr", r->key.nr);
		syscall_name_field(rec, name, tofree);
		record__str(rec, "category", category);
	} else if (r->scope == SYSCALL_SCOPE_SYSTEM) {
		/* The system rows' (other) row: the syscalls past top, as syscount's keys. */
		record__null(rec, "nr");
		record__str(rec, "name", SUMMARY_OTHER_COMM);
		record__null(rec, "category");
	}
	record__int(rec, "count", r->st.count);
	record__int(rec, "errors", r->st.errors);
	if (o->latency) {
		record__int(rec, "total_ns", r->st.total_ns);
		/* None for calls the kernel table had no row for alone. */
		if (r->st.min_ns != UINT64_MAX) {
			record__int(rec, "min_ns", r->st.min_ns);
			record__int(rec, "max_ns", r->st.max_ns);
		}
		record__int(rec, "avg_ns", r->st.total_ns / r->st.count);
		record__json(rec, "latency_hist_ns", log2_hist_json(hist, EBPFMON_HIST_SLOTS));
	}
	record__real(rec, "interval_s", interval);
	return monitor_inst__emit(inst, rec) ? -EIO : 0;
}

static int syscall_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct syscall_opts *o = inst->priv;

	return syscall_sum__collect(o->sum, inst, ps, syscall_row_emit,
				    summary_interval_s(&o->last_collect, 1000), o->max_entries);
}

/* Scrape time: the metric maps summed over the CPUs. */
struct syscall_m_sums {
	struct syscall_opts *o;
	struct metrics *m;
	struct syscall_m_calls calls[SYSCALL_M_SLOTS];
	struct ebpfmon_metric_hist latency[SYSCALL_M_CATEGORIES];
};

/* The name label of slot idx: libseccomp's name, "nr_N" for one it lacks. */
static const char *syscall_metric_name(const struct syscall_opts *o, __u32 idx, char *buf,
				       size_t size)
{
	if (idx >= SYSCALL_NR_MAX)
		return "other";
	if (o->names[idx].name)
		return o->names[idx].name;
	snprintf(buf, size, "nr_%u", idx);
	return buf;
}

static void syscall_m_calls_add(void *ctx, const void *key, const void *values, int n_values,
				size_t stride)
{
	struct syscall_m_sums *s = ctx;
	__u32 idx = *(const __u32 *)key;

	for (int cpu = 0; cpu < n_values && idx < SYSCALL_M_SLOTS; cpu++) {
		const struct syscall_m_calls *v =
			(const void *)((const char *)values + (size_t)cpu * stride);

		s->calls[idx].calls += v->calls;
		s->calls[idx].errors_other += v->errors_other;
	}
}

static void syscall_m_latency_add(void *ctx, const void *key, const void *values,
				  int n_values, size_t stride)
{
	struct syscall_m_sums *s = ctx;
	__u32 idx = *(const __u32 *)key;

	if (idx < SYSCALL_M_CATEGORIES)
		metric_hist_add_cpus(&s->latency[idx], values, n_values, stride);
}

static void syscall_m_error_sample(struct syscall_m_sums *s, __u32 idx, const char *error,
				   uint64_t n)
{
	char buf[32];
	const char *labels[] = {
		"name", syscall_metric_name(s->o, idx, buf, sizeof(buf)), "error", error, NULL
	};

	metrics__sample(s->m, "ebpfmon_syscall_errors_total", labels, n);
}

/* One (syscall, errno) pair of syscall_m_errors: a sample as it is read. */
static void syscall_m_error_add(void *ctx, const void *key, const void *values, int n_values,
				size_t stride)
{
	const struct syscall_m_error_key *k = key;
	struct syscall_m_sums *s = ctx;
	const char *error = errno_name(k->error);
	char buf[32];
	uint64_t n = 0;

	for (int cpu = 0; cpu < n_values; cpu++)
		n += *(const __u64 *)(const void *)((const char *)values + (size_t)cpu * stride);
	if (!error) {
		snprintf(buf, sizeof(buf), "errno_%d", k->error);
		error = buf;
	}
	if (n && k->nr >= 0 && k->nr < SYSCALL_M_SLOTS)
		syscall_m_error_sample(s, k->nr, error, n);
}

/*
 * One ebpfmon_syscalls_total sample: by slot idx, and by COMM unless NULL
 * (or empty), by CGROUP unless NULL.
 */
static void syscall_m_calls_sample(struct syscall_m_sums *s, __u32 idx, const char *comm,
				   const char *cgroup, uint64_t n)
{
	char buf[32];
	const char *labels[7] = {
		"name", syscall_metric_name(s->o, idx, buf, sizeof(buf)), "category",
		idx < SYSCALL_NR_MAX ? s->o->names[idx].category : "other",
	};
	size_t l = 4;

	if (cgroup) {
		labels[l++] = "cgroup";
		labels[l++] = cgroup;
	}
	if (comm && comm[0]) {
		labels[l++] = "comm";
		labels[l++] = comm;
	}

	metrics__sample(s->m, "ebpfmon_syscalls_total", labels, n);
}

/* syscall_m_comms is read by comm_nr_counts_entry_add. */
_Static_assert(offsetof(struct syscall_m_comm_key, nr) == offsetof(struct comm_nr_key, nr) &&
	       sizeof(struct syscall_m_comm_key) == sizeof(struct comm_nr_key),
	       "syscall_m_comm_key is a comm_nr_key");

/*
 * ebpfmon_syscalls_total by caller name too (metrics.comm_labels): the
 * labeled names' rows, then per number comm="other", the rest and the calls
 * syscall_m_comms had no room for.
 */
static int syscall_metrics_comms(struct monitor_inst *inst, struct probe_set *ps,
				 struct syscall_m_sums *s)
{
	struct syscall_opts *o = inst->priv;
	uint64_t *other = calloc(SYSCALL_M_SLOTS, sizeof(*other));
	struct comm_counts cc = { 0 };
	int err = -ENOMEM;

	if (!other)
		goto out;
	err = probe_set__percpu_array_sums(ps, "syscall_m_comm_other", other, SYSCALL_M_SLOTS);
	if (!err)
		err = comm_labels__scrape(&o->comm, monitor_inst__comm_labels(inst), ps,
					  "syscall_m_comms", comm_nr_counts_entry_add, &cc);
	for (size_t i = 0; !err && i < cc.n; i++) {
		if (cc.v[i].nr >= SYSCALL_M_SLOTS)
			continue;
		if (comm_labels__has(&o->comm, cc.v[i].comm))
			syscall_m_calls_sample(s, cc.v[i].nr, cc.v[i].comm, NULL, cc.v[i].n);
		else
			other[cc.v[i].nr] += cc.v[i].n;
	}
	for (__u32 i = 0; !err && i < SYSCALL_M_SLOTS; i++)
		if (other[i])
			syscall_m_calls_sample(s, i, "other", NULL, other[i]);
out:
	comm_counts__release(&cc);
	free(other);
	return err;
}

/*
 * ebpfmon_syscalls_total by cgroup (metrics.cgroup_labels), and by caller
 * name too with metrics.comm_labels: the labeled rows, then per number the
 * all-"other" row with the calls syscall_m_labels had no room for.
 */
static int syscall_metrics_cgroups(struct monitor_inst *inst, struct probe_set *ps,
				   struct syscall_m_sums *s)
{
	struct syscall_opts *o = inst->priv;
	unsigned comms = monitor_inst__comm_labels(inst);
	uint64_t *other = calloc(SYSCALL_M_SLOTS, sizeof(*other));
	struct label_counts lc = { 0 };
	int err = -ENOMEM;

	if (!other)
		goto out;
	err = probe_set__percpu_array_sums(ps, "syscall_m_label_other", other, SYSCALL_M_SLOTS);
	if (!err)
		err = cgroup_labels__scrape(&o->cgroup, monitor_inst__cgroup_labels(inst), &o->comm,
					    comms, ps, "syscall_m_labels", &lc);
	for (size_t i = 0; !err && i < lc.n; i++) {
		const char *cg = label_count__cgroup(&lc.v[i]);
		__u32 nr = lc.v[i].nr;

		if (nr >= SYSCALL_M_SLOTS)
			continue;
		if (!strcmp(cg, "other") && (!comms || !strcmp(lc.v[i].comm, "other"))) {
			other[nr] += lc.v[i].n;
			continue;
		}
		syscall_m_calls_sample(s, nr, lc.v[i].comm, cg, lc.v[i].n);
	}
	for (__u32 i = 0; !err && i < SYSCALL_M_SLOTS; i++)
		if (other[i])
			syscall_m_calls_sample(s, i, comms ? "other" : NULL, "other", other[i]);
out:
	label_counts__release(&lc);
	free(other);
	return err;
}

static int syscall_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct syscall_m_sums *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->o = inst->priv;
	s->m = m;
	err = probe_set__walk(ps, "syscall_m_calls", true, syscall_m_calls_add, s);
	metrics__family(m, "ebpfmon_syscalls_total", METRIC_COUNTER,
			"System calls that passed the syscall monitor's filters, by name and "
			"category; by comm too with metrics.comm_labels, by cgroup with "
			"metrics.cgroup_labels.");
	if (err >= 0 && monitor_inst__cgroup_labels(inst))
		err = syscall_metrics_cgroups(inst, ps, s);
	else if (err >= 0 && monitor_inst__comm_labels(inst))
		err = syscall_metrics_comms(inst, ps, s);
	for (__u32 i = 0; err >= 0 && !monitor_inst__comm_labels(inst) &&
	     !monitor_inst__cgroup_labels(inst) && i < SYSCALL_M_SLOTS; i++)
		if (s->calls[i].calls)
			syscall_m_calls_sample(s, i, NULL, NULL, s->calls[i].calls);
	metrics__family(m, "ebpfmon_syscall_errors_total", METRIC_COUNTER,
			"System calls that returned an error, by name and errno (\"other\": "
			"pairs beyond the table's room).");
	if (err >= 0)
		err = probe_set__walk(ps, "syscall_m_errors", true, syscall_m_error_add, s);
	for (__u32 i = 0; err >= 0 && i < SYSCALL_M_SLOTS; i++)
		if (s->calls[i].errors_other)
			syscall_m_error_sample(s, i, "other", s->calls[i].errors_other);
	metrics__family(m, "ebpfmon_syscall_latency_seconds", METRIC_HISTOGRAM,
			"System call durations from sys_enter to sys_exit, by category "
			"(empty with latency: false).");
	if (err >= 0 && s->o->latency)
		err = probe_set__walk(ps, "syscall_m_latency", true, syscall_m_latency_add, s);
	for (size_t i = 0; err >= 0 && s->o->latency &&
	     i < sizeof(syscall_categories) / sizeof(syscall_categories[0]); i++) {
		const char *labels[] = { "category", syscall_categories[i], NULL };

		if (metric_hist_count(&s->latency[i]))
			metric_hist_write(m, "ebpfmon_syscall_latency_seconds", labels,
					  &s->latency[i]);
	}
	free(s);
	return err < 0 ? err : 0;
}

static void syscall_detach(struct monitor_inst *inst)
{
	struct syscall_opts *o = inst->priv;

	if (o) {
		for (int nr = 0; nr < SYSCALL_NR_MAX; nr++)
			free(o->names[nr].name);
		comm_labels__release(&o->comm);
		cgroup_labels__release(&o->cgroup);
		syscall_sum__free(o->sum);
	}
	free(o);
	inst->priv = NULL;
}

static const struct table_column syscall_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "SYSCALL", "name", 16, COLUMN_LEFT },
	{ "RET", "ret", 6, COLUMN_RIGHT },
	{ "ERR", "error", 7, COLUMN_LEFT },
	{ "LAT(ns)", "duration_ns", 10, COLUMN_RIGHT },
	{ NULL },
};

static const char *const syscall_inflight[] = { "syscall_starts", NULL };

const struct monitor mon_syscall = {
	.name = "syscall",
	.desc = "system calls: counts, errors and latency per process (summary), or each call",
	.probe = "syscall.bpf.c",
	.tracepoints = syscall_tracepoints,
	.events_table = "syscall_events",
	.configure = syscall_configure,
	.attach = syscall_attach,
	.on_event = syscall_on_event,
	.collect = syscall_collect,
	.detach = syscall_detach,
	.columns = syscall_columns,
	.summary_columns = syscall_summary_columns,
	.metrics = syscall_metrics,
	.inflight = syscall_inflight,
};
