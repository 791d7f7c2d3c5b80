// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup fields of records (record_cgroup_fields, at the end), and
 * metrics.cgroup_labels: counts by cgroup (and by comm with
 * metrics.comm_labels too, and by a monitor's own number) from a table keyed
 * by struct ebpfmon_label_key, labeled as comm labels are (monitor.h): a
 * cgroup gets its label at the first scrape that sees it while there is
 * room, busiest first, and keeps it; the rest are summed as cgroup="other".
 */
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "probes/common.h"
#include "bpf/probe_set.h"
#include "core/monitor.h"
#include "util/cgroup.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "output/record.h"

/* A cgroup's label: its v2 path, valid UTF-8; NULL: "other" (no id, or not resolved). */
static char *cgroup_label(uint64_t id)
{
	char path[4096], *label;

	if (!id || cgroup_path(id, path, sizeof(path), NULL))
		return NULL;
	label = malloc(3 * strlen(path) + 1);
	if (label)
		utf8_repair(label, path, strlen(path));
	return label;
}

static const char *label_or_other(const char *s)
{
	return s ? s : "other";
}

void label_counts_entry_add(void *ctx, const void *key, const void *values, int n_values,
			    size_t stride)
{
	const struct ebpfmon_label_key *k = key;
	struct label_counts *lc = ctx;
	struct label_count *c;
	uint64_t n = 0;

	for (int cpu = 0; cpu < n_values; cpu++)
		n += *(const __u64 *)(const void *)((const char *)values + (size_t)cpu * stride);
	if (lc->err || ARRAY_GROW(lc->v, lc->cap, lc->n)) {
		lc->err = -ENOMEM;
		return;
	}
	c = &lc->v[lc->n++];
	utf8_repair(c->comm, k->comm, strnlen(k->comm, EBPFMON_COMM_LEN - 1));
	c->cgroup = cgroup_label(k->cgroup_id);
	c->nr = k->nr;
	c->n = n;
}

void label_counts__release(struct label_counts *lc)
{
	for (size_t i = 0; i < lc->n; i++)
		free(lc->v[i].cgroup);
	free(lc->v);
	*lc = (struct label_counts){ 0 };
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool cgroup_labels__has(const struct cgroup_labels *gl, const char *cgroup)
{
	return cgroup && gl->n && bsearch(&cgroup, gl->names, gl->n, sizeof(*gl->names), str_cmp);
}

void cgroup_labels__release(struct cgroup_labels *gl)
{
	for (size_t i = 0; i < gl->n; i++)
		free(gl->names[i]);
	free(gl->names);
	*gl = (struct cgroup_labels){ 0 };
}

/* Label the cgroups of LC not labeled yet, busiest first, while GL has fewer than MAX. */
static int cgroup_labels__update(struct cgroup_labels *gl, unsigned max,
				 const struct label_counts *lc)
{
	struct label_total *tot;
	size_t n_tot = 0, n_names;
	int err = 0;

	if (gl->n >= max || !lc->n)
		return 0;
	tot = malloc(lc->n * sizeof(*tot));
	if (!tot)
		return -ENOMEM;
	for (size_t i = 0; i < lc->n; i++)
		if (lc->v[i].cgroup && !cgroup_labels__has(gl, lc->v[i].cgroup))
			tot[n_tot++] = (struct label_total){ lc->v[i].cgroup, lc->v[i].n };
	n_names = label_totals_rank(tot, n_tot);
	for (size_t i = 0; i < n_names && gl->n < max; i++) {
		if (ARRAY_GROW(gl->names, gl->cap, gl->n) ||
		    !(gl->names[gl->n] = strdup(tot[i].name))) {
			err = -ENOMEM;
			break;
		}
		gl->n++;
	}
	if (gl->n)
		qsort(gl->names, gl->n, sizeof(*gl->names), str_cmp);
	free(tot);
	return err;
}

static int row_cmp(const void *a, const void *b)
{
	const struct label_count *x = a, *y = b;
	int d = strcmp(x->comm, y->comm);

	if (!d)
		d = strcmp(label_or_other(x->cgroup), label_or_other(y->cgroup));
	return d ? d : (x->nr > y->nr) - (x->nr < y->nr);
}

int cgroup_labels__scrape(struct cgroup_labels *gl, unsigned cg_max, struct comm_labels *cl,
			  unsigned comm_max, struct probe_set *ps, const char *table,
			  struct label_counts *lc)
{
	struct comm_counts cc = { 0 };
	size_t n = 0;
	int err = probe_set__walk(ps, table, true, label_counts_entry_add, lc);

	if (err >= 0)
		err = lc->err;
	if (err < 0)
		return err;
	err = 0;
	for (size_t i = 0; comm_max && i < lc->n; i++)
		comm_counts__add(&cc, lc->v[i].comm, 0, lc->v[i].n);
	if (comm_max)
		err = cc.err ? cc.err : comm_labels__update(cl, comm_max, &cc);
	comm_counts__release(&cc);
	if (!err)
		err = cgroup_labels__update(gl, cg_max, lc);
	if (err)
		return err;
	/* Each row under its labels, "other" for the rest, then one row per label set. */
	for (size_t i = 0; i < lc->n; i++) {
		struct label_count *c = &lc->v[i];

		if (!comm_max)
			c->comm[0] = '\0';
		else if (!comm_labels__has(cl, c->comm))
			strcpy(c->comm, "other");
		if (!cgroup_labels__has(gl, c->cgroup)) {
			free(c->cgroup);
			c->cgroup = NULL;
		}
	}
	if (lc->n)
		qsort(lc->v, lc->n, sizeof(*lc->v), row_cmp);
	for (size_t i = 0; i < lc->n; i++) {
		if (n && !row_cmp(&lc->v[n - 1], &lc->v[i])) {
			lc->v[n - 1].n += lc->v[i].n;
			free(lc->v[i].cgroup);
		} else {
			lc->v[n++] = lc->v[i];
		}
	}
	lc->n = n;
	return 0;
}

const char *label_count__cgroup(const struct label_count *c)
{
	return label_or_other(c->cgroup);
}

/*
 * cgroup_id, cgroup (its v2 path, null when it cannot be resolved: gone, or
 * the lookup rate limited) and container_id (null when the path has none).
 * Id 0 is no cgroup: a header a probe filled for another task than the
 * current one (a sched_switch's next task) has none, all three null.
 */
void record_cgroup_fields(struct record *rec, uint64_t id)
{
	char path[4096], cid[CGROUP_CONTAINER_ID_SIZE];
	bool found = id && !cgroup_path(id, path, sizeof(path), cid);

	if (id)
		record__uint(rec, "cgroup_id", id);
	else
		record__null(rec, "cgroup_id");
	/* Copied: the cache's entries may go (another thread's lookup) before the write. */
	if (found)
		record__strcpy(rec, "cgroup", path, sizeof(path));
	else
		record__null(rec, "cgroup");
	if (found && cid[0])
		record__strcpy(rec, "container_id", cid, sizeof(cid));
	else
		record__null(rec, "container_id");
}
