// SPDX-License-Identifier: GPL-2.0
/*
 * oom: every OOM kill (oom:mark_victim): the victim's pid, comm, memory (in
 * bytes) and cgroups, with the task that ran the OOM killer in the header.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <linux/types.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes/oom.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "bpf/probe_set.h"
#include "output/sink.h"
#include "util/log.h"

#define OOM_CGROUP_CACHE 256

/* A cgroup's path under its mount, by kernfs id (the directory's inode). */
struct oom_cgroup {
	uint64_t id;
	char *path;
};

/*
 * Paths of ids seen, kept: a cgroup an OOM kill emptied is often removed
 * soon after, and its counter keeps its label. Shared by the event loop
 * (events) and the exporter's thread (metrics), so behind a lock.
 */
struct oom_cgroups {
	pthread_mutex_t lock;
	struct oom_cgroup v[OOM_CGROUP_CACHE];
	size_t n, next;		/* next: the slot reused once full */
};

struct oom_opts {
	bool task;		/* mark_victim(task, uid): the victim's fields */
	long long max_cgroups;
	long page_size;
	char v2_mount[PATH_MAX];	/* "" when there is no cgroup2 mount */
	char memcg_mount[PATH_MAX];	/* the v1 memory hierarchy's; "" when none */
	struct oom_cgroups cg;
};

static const struct monitor_tp oom_tracepoints[] = {
	{ "oom", "mark_victim", false, "raw_tracepoint__mark_victim", true },
	{ NULL },
};

/* Mount points from /proc/self/mountinfo: cgroup2's, and the v1 one with memory. */
static void oom_find_mounts(struct oom_opts *o)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		/* mountinfo escapes blanks as \040: such a mount point is not ours to parse. */
		if (strchr(mnt, '\\'))
			continue;
		if (!strcmp(fstype, "cgroup2") && !o->v2_mount[0])
			snprintf(o->v2_mount, sizeof(o->v2_mount), "%s", mnt);
		else if (!strcmp(fstype, "cgroup") && !o->memcg_mount[0] &&
			 (!strncmp(opts, "memory", 6) || strstr(opts, ",memory")))
			snprintf(o->memcg_mount, sizeof(o->memcg_mount), "%s", mnt);
	}
	fclose(f);
}

/* Whether mark_victim's tracefs format has the fields of its (task, uid) form (6.4+). */
static bool oom_tp_has_task(const struct kernel_info *ki)
{
	char path[256], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/oom/mark_victim/format", ki->tracefs);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " anon_rss;") != NULL;
	fclose(f);
	return found;
}

static int oom_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct oom_opts *o = calloc(1, sizeof(*o));
	long long memcg = -1;
	long rss_size = 0, rss_off = -1, old = 0;
	int err = 0;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	pthread_mutex_init(&o->cg.lock, NULL);
	o->max_cgroups = 1024;
	o->page_size = sysconf(_SC_PAGESIZE);
	if (node && cfg_get_int(node, "max_cgroups", 1, 65536, &o->max_cgroups))
		return -EINVAL;
	oom_find_mounts(o);
	o->task = oom_tp_has_task(inst->ki) && inst->ki->btf;
	if (kernel_info__btf_enum_value(inst->ki, "memory_cgrp_id", &memcg))
		memcg = -1;
	/* Before 6.2, struct mm_rss_stat { atomic_long_t count[]; }. */
	if (!kernel_info__btf_sizeof(inst->ki, "mm_rss_stat", &old)) {
		rss_size = sizeof(long);
		rss_off = 0;
	} else if (kernel_info__btf_sizeof(inst->ki, "percpu_counter", &rss_size) ||
		   kernel_info__btf_offset(inst->ki, "percpu_counter", "count", &rss_off)) {
		rss_size = 0;
		rss_off = -1;
	}
	err |= render_vars__set(&inst->vars, "TASK", "%d", o->task);
	err |= render_vars__set(&inst->vars, "MEMCG_SUBSYS", "%lld", memcg);
	err |= render_vars__set(&inst->vars, "RSS_COUNTER_SIZE", "%ld", rss_size);
	err |= render_vars__set(&inst->vars, "RSS_COUNT_OFF", "%ld", rss_off);
	err |= render_vars__set(&inst->vars, "MAX_CGROUPS", "%lld", o->max_cgroups);
	if (err)
		return -ENOMEM;
	if (!kernel_info__has_tracepoint(inst->ki, "oom", "mark_victim"))
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "no tracepoint oom:mark_victim");
	else if (!inst->ki->btf)
		monitor_inst__verdict(inst, VERDICT_DEGRADED, "the victim's comm, memory and "
				      "cgroups need BTF: victim_pid only");
	else if (!o->task)
		monitor_inst__verdict(inst, VERDICT_DEGRADED, "this kernel's oom:mark_victim "
				      "gives the victim's pid only (its task from 6.4): the "
				      "rest only when the victim is the task that ran the killer");
	return 0;
}

static const char *oom_nftw_want;
static uint64_t oom_nftw_id;
static char *oom_nftw_found;

static int oom_nftw_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || (uint64_t)st->st_ino != oom_nftw_id)
		return 0;
	/* The path under the mount; the mount itself is "/". */
	oom_nftw_found = strdup(path[strlen(oom_nftw_want)] ? path + strlen(oom_nftw_want) : "/");
	return 1;
}

/*
 * ID's path under MOUNT (malloc'd), or NULL: gone or never there. A walk of
 * the hierarchy: kills are rare, and the answer is cached. nftw has no
 * context argument; this runs under the cache's lock.
 */
static char *oom_cgroup_walk(const char *mount, uint64_t id)
{
	oom_nftw_want = mount;
	oom_nftw_id = id;
	oom_nftw_found = NULL;
	nftw(mount, oom_nftw_cb, 16, FTW_PHYS | FTW_MOUNT);
	return oom_nftw_found;
}

/*
 * The path of cgroup ID under MOUNT, from the cache or a walk: copied into
 * buf, or "" when unknown. MEMCG: an id of the v1 memory hierarchy (ids of
 * two hierarchies may meet: each is its own kernfs).
 */
static void oom_cgroup_path(struct oom_opts *o, const char *mount, uint64_t id, bool memcg,
			    char *buf, size_t size)
{
	struct oom_cgroups *cg = &o->cg;
	uint64_t key = id ^ ((uint64_t)memcg << 63);
	char *path = NULL;

	buf[0] = 0;
	if (!id || !mount[0])
		return;
	pthread_mutex_lock(&cg->lock);
	for (size_t i = 0; i < cg->n && !path; i++)
		if (cg->v[i].id == key)
			path = cg->v[i].path;
	if (!path) {
		path = oom_cgroup_walk(mount, id);
		if (path) {
			size_t slot = cg->n < OOM_CGROUP_CACHE ? cg->n++ : cg->next++ % OOM_CGROUP_CACHE;

			free(cg->v[slot].path);
			cg->v[slot] = (struct oom_cgroup){ .id = key, .path = path };
		}
	}
	if (path)
		snprintf(buf, size, "%s", path);
	pthread_mutex_unlock(&cg->lock);
}

/* KEY: the path of cgroup ID under MOUNT, null when unknown (ID 0, no such mount, gone). */
static void oom_record_cgroup(struct oom_opts *o, struct record *rec, const char *key,
			      const char *mount, uint64_t id, bool memcg)
{
	char path[PATH_MAX];

	oom_cgroup_path(o, mount, id, memcg, path, sizeof(path));
	if (path[0])
		record__strcpy(rec, key, path, sizeof(path));
	else
		record__null(rec, key);
}

static int oom_on_event(struct monitor_inst *inst, const void *data, size_t size,
			struct record *rec)
{
	struct oom_opts *o = inst->priv;
	const struct oom_event *e = data;
	uint64_t page = o->page_size;
	bool task;

	if (size < sizeof(*e))
		return -EINVAL;
	task = e->flags & OOM_F_TASK;
	record__uint(rec, "victim_pid", e->victim_pid);
	if (task) {
		record__uint(rec, "victim_tid", e->victim_tid);
		record__strn(rec, "victim_comm", e->victim_comm, sizeof(e->victim_comm));
		record__uint(rec, "victim_uid", e->victim_uid);
		record__int(rec, "oom_score_adj", e->oom_score_adj);
		record__uint(rec, "total_vm", e->total_vm * page);
		record__uint(rec, "anon_rss", e->anon_rss * page);
		record__uint(rec, "file_rss", e->file_rss * page);
		record__uint(rec, "shmem_rss", e->shmem_rss * page);
	} else {
		static const char *const keys[] = { "victim_tid", "victim_comm", "victim_uid",
						    "oom_score_adj", "total_vm", "anon_rss",
						    "file_rss", "shmem_rss" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			record__null(rec, keys[i]);
	}
	if (task && e->cgroup_id)
		record__uint(rec, "victim_cgroup_id", e->cgroup_id);
	else
		record__null(rec, "victim_cgroup_id");
	/* victim_: the common cgroup fields are the killer's (the current task). */
	oom_record_cgroup(o, rec, "victim_cgroup", o->v2_mount, task ? e->cgroup_id : 0, false);
	/* v1 only: with memory on cgroup2 the memory cgroup is the cgroup above. */
	oom_record_cgroup(o, rec, "victim_memory_cgroup", o->memcg_mount,
			  e->flags & OOM_F_MEMCG ? e->memcg_id : 0, true);
	return 0;
}

struct oom_scrape {
	struct oom_opts *o;
	struct metrics *m;
	int err;
};

static void oom_metric_entry(void *ctx, const void *key, const void *values, int n_values,
			     size_t value_size)
{
	struct oom_scrape *s = ctx;
	uint64_t id, n;
	char path[PATH_MAX], label[PATH_MAX + 32];
	const char *labels[] = { "cgroup", label, NULL };

	(void)n_values;
	(void)value_size;
	memcpy(&id, key, sizeof(id));
	memcpy(&n, values, sizeof(n));
	oom_cgroup_path(s->o, s->o->v2_mount, id, false, path, sizeof(path));
	/* An id never resolved (removed before any event was read) keeps a label of its own. */
	if (path[0])
		snprintf(label, sizeof(label), "%s", path);
	else if (id)
		snprintf(label, sizeof(label), "id:%llu", (unsigned long long)id);
	else
		snprintf(label, sizeof(label), "unknown");
	metrics__sample(s->m, "ebpfmon_oom_kills_total", labels, n);
}

static int oom_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct oom_scrape s = { .o = inst->priv, .m = m };
	const char *labels[] = { "cgroup", "other", NULL };
	uint64_t other = 0;
	int err;

	metrics__family(m, "ebpfmon_oom_kills_total", METRIC_COUNTER,
			"OOM kills by the victim's cgroup v2 path (\"other\": past "
			"monitors.oom.max_cgroups).");
	err = probe_set__walk(ps, "oom_m_kills", false, oom_metric_entry, &s);
	if (err < 0)
		return err;
	err = probe_set__percpu_array_sums(ps, "oom_m_other", &other, 1);
	if (!err && other)
		metrics__sample(m, "ebpfmon_oom_kills_total", labels, other);
	return err;
}

static void oom_detach(struct monitor_inst *inst)
{
	struct oom_opts *o = inst->priv;

	if (o) {
		for (size_t i = 0; i < o->cg.n; i++)
			free(o->cg.v[i].path);
		pthread_mutex_destroy(&o->cg.lock);
	}
	free(o);
	inst->priv = NULL;
}

static const struct table_column oom_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "VPID", "victim_pid", 7, COLUMN_RIGHT },
	{ "VCOMM", "victim_comm", 16, COLUMN_LEFT },
	{ "ANON_RSS", "anon_rss", 10, COLUMN_RIGHT },
	{ "CGROUP", "victim_cgroup", 0, COLUMN_LEFT },
	{ NULL },
};

const struct monitor mon_oom = {
	.name = "oom",
	.desc = "OOM kills (oom:mark_victim): the victim's pid, comm, memory and cgroup",
	.probe = "oom.bpf.c",
	.tracepoints = oom_tracepoints,
	.events_table = "oom_events",
	.configure = oom_configure,
	.attach = monitor_attach_tracepoints,
	.on_event = oom_on_event,
	.detach = oom_detach,
	.columns = oom_columns,
	.metrics = oom_metrics,
};
