// SPDX-License-Identifier: GPL-2.0
/*
 * program's output: its programs' maps as Prometheus metrics at each
 * scrape (ebpf_exporter's semantics: a counter per key, its labels decoded
 * from the key's bytes in order; a histogram's last label the bucket, slot
 * bucket_max + 1 the sum), and their PROGRAM_SUBMIT() output as events.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "probes/program.h"
#include "bpf/probe_set.h"
#include "monitors/program_int.h"
#include "output/metrics.h"
#include "output/record.h"
#include "util/log.h"

#define LABEL_MAX 256
#define SEP '\x1f'		/* between label values in a series' key */

/* The series of one metric at a scrape, by their label values. */
struct series {
	char *key;		/* the values, SEP-separated (histograms: without the bucket) */
	uint64_t value;		/* counter */
	uint64_t *slots;	/* histogram: bucket_min .. bucket_max + 1 (the sum) */
};

struct scrape {
	const struct prog_metric *mt;
	size_t key_size;
	struct series *v;
	size_t n, cap;
	int err;
};

static struct series *series_get(struct scrape *sc, const char *key)
{
	struct series *s;

	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->v[i].key, key))
			return &sc->v[i];
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 64;
		struct series *grown = realloc(sc->v, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		sc->v = grown;
		sc->cap = cap;
	}
	s = &sc->v[sc->n];
	memset(s, 0, sizeof(*s));
	s->key = strdup(key);
	if (sc->mt->hist)
		s->slots = calloc(sc->mt->bmax - sc->mt->bmin + 2, sizeof(*s->slots));
	if (!s->key || (sc->mt->hist && !s->slots)) {
		free(s->key);
		free(s->slots);
		return NULL;
	}
	sc->n++;
	return s;
}

/* A probe_entry_fn: one key's labels decoded, its value (summed over CPUs) added. */
static void entry_add(void *ctx, const void *key, const void *values, int n_values,
		      size_t stride)
{
	struct scrape *sc = ctx;
	const struct prog_metric *mt = sc->mt;
	const unsigned char *k = key;
	char text[LABEL_MAX], joined[LABEL_MAX * 8] = "";
	size_t off = 0, len = 0, labels = mt->n_labels - mt->hist;
	uint64_t v = 0, bucket = 0;
	struct series *s;

	for (size_t i = 0; i < (size_t)n_values; i++) {
		uint64_t one = 0;

		memcpy(&one, (const char *)values + i * stride, stride < 8 ? stride : 8);
		v += one;
	}
	for (size_t i = 0; i < labels; i++) {
		const struct prog_label *l = &mt->labels[i];

		if (!prog_decode(l->decs, l->n_decs, k + off, l->size, text, sizeof(text)))
			return;
		len += snprintf(joined + len, len < sizeof(joined) ? sizeof(joined) - len : 0,
				"%s%c", text, SEP);
		off += l->size + l->padding;
	}
	if (mt->hist) {
		const struct prog_label *l = &mt->labels[labels];

		for (size_t i = l->size < 8 ? l->size : 8; i > 0; i--)
			bucket = bucket << 8 | k[off + i - 1];
		if (bucket < (uint64_t)mt->bmin || bucket > (uint64_t)mt->bmax + 1)
			return;
	}
	s = series_get(sc, joined);
	if (!s) {
		sc->err = -ENOMEM;
		return;
	}
	if (mt->hist)
		s->slots[bucket - mt->bmin] += v;
	else
		s->value += v;
}

/* NULL-terminated name, value pairs from the series' key (KEY is cut in place). */
static void labels_split(const struct prog_metric *mt, char *key, const char **labels)
{
	size_t n = 0;

	for (size_t i = 0; i < mt->n_labels - mt->hist; i++) {
		char *end = strchr(key, SEP);

		labels[n++] = mt->labels[i].name;
		labels[n++] = key;
		if (end) {
			*end = 0;
			key = end + 1;
		}
	}
	labels[n] = NULL;
}

static size_t labels_size(const struct prog_metric *mt)
{
	size_t n = 0;

	for (size_t i = 0; i < mt->n_labels; i++)
		n += mt->labels[i].size + mt->labels[i].padding;
	return n;
}

static int metric_write(struct probe_set *ps, struct prog_metric *mt, struct metrics *m)
{
	struct scrape sc = { .mt = mt };
	const char **labels = calloc(2 * mt->n_labels + 1, sizeof(*labels));
	size_t value_size;
	bool percpu;
	int err;

	metrics__family(m, mt->name, mt->hist ? METRIC_HISTOGRAM : METRIC_COUNTER, mt->help);
	if (!labels)
		return -ENOMEM;
	err = probe_set__table_info(ps, mt->table, &sc.key_size, &value_size, &percpu);
	if (!err && (sc.key_size != labels_size(mt) || value_size != 8)) {
		if (!mt->warned)
			pr_warn("program: metric %s: table %s has %zu-byte keys and %zu-byte "
				"values; its labels take %zu bytes and a value is a u64: skipped",
				mt->name, mt->table, sc.key_size, value_size, labels_size(mt));
		mt->warned = true;
		goto cleanup;
	}
	if (err) {
		if (!mt->warned)
			pr_warn("program: metric %s: no table %s in its source", mt->name, mt->table);
		mt->warned = true;
		err = 0;
		goto cleanup;
	}
	err = probe_set__walk(ps, mt->table, percpu, entry_add, &sc);
	if (err > 0)
		err = 0;
	if (!err)
		err = sc.err;
	for (size_t i = 0; i < sc.n && !err; i++) {
		labels_split(mt, sc.v[i].key, labels);
		if (!mt->hist) {
			metrics__sample(m, mt->name, labels, sc.v[i].value);
			continue;
		}
		{
			size_t n = mt->bmax - mt->bmin + 1;
			double *les = calloc(n, sizeof(*les));

			if (!les) {
				err = -ENOMEM;
				break;
			}
			for (size_t b = 0; b < n; b++)
				les[b] = mt->linear ? (double)(mt->bmin + b) * mt->mult :
					 ldexp(1.0, mt->bmin + b) * mt->mult;
			metrics__hist(m, mt->name, labels, les, sc.v[i].slots, n,
				      sc.v[i].slots[n] * mt->mult);
			free(les);
		}
	}
cleanup:
	for (size_t i = 0; i < sc.n; i++) {
		free(sc.v[i].key);
		free(sc.v[i].slots);
	}
	free(sc.v);
	free(labels);
	return err;
}

int program_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	struct program_opts *o = inst->priv;
	int err = 0;

	for (size_t i = 0; o && i < o->n; i++)
		for (size_t j = 0; o->progs[i].usable && j < o->progs[i].n_metrics; j++) {
			int e = metric_write(ps, &o->progs[i].metrics[j], m);

			if (e && !err)
				err = e;
		}
	return err;
}

static int64_t field_int(const struct prog_field *f, const unsigned char *p)
{
	uint64_t v = 0;

	for (size_t i = f->size; i > 0; i--)
		v = v << 8 | p[i - 1];
	switch (f->type) {
	case FT_S8:
		return (int8_t)v;
	case FT_S16:
		return (int16_t)v;
	case FT_S32:
		return (int32_t)v;
	default:
		return (int64_t)v;
	}
}

int program_on_event(struct monitor_inst *inst, const void *data, size_t size,
		     struct record *rec)
{
	const struct program_event *e = data;
	struct program_opts *o = inst->priv;
	const struct prog *p;
	char text[LABEL_MAX];

	if (size < sizeof(*e) || e->prog >= o->n)
		return -EINVAL;
	p = &o->progs[e->prog];
	if (e->size < p->event_size)
		return -EINVAL;
	record__str(rec, "program", p->name);
	for (size_t i = 0; i < p->n_fields; i++) {
		const struct prog_field *f = &p->fields[i];
		const unsigned char *at = (const unsigned char *)e->data + f->off;

		if (f->n_decs) {
			if (prog_decode(f->decs, f->n_decs, at, f->size, text, sizeof(text)))
				record__strcpy(rec, f->name, text, sizeof(text));
			else
				record__null(rec, f->name);
		} else if (f->type == FT_STR) {
			record__strcpy(rec, f->name, (const char *)at, f->size);
		} else if (f->type >= FT_S8) {
			record__int(rec, f->name, field_int(f, at));
		} else {
			record__uint(rec, f->name, (uint64_t)field_int(f, at));
		}
	}
	return 0;
}
