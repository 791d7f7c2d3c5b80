// SPDX-License-Identifier: GPL-2.0
/*
 * program's config beyond the programs' own keys: their metrics (counters,
 * histograms) and events (fields), and the names the config gives the
 * source's symbols.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "probes/program.h"
#include "config/config.h"
#include "monitors/program_int.h"

/* A C identifier (a function or table name of the source). */
bool c_ident(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* A name of the config's (function, table) as compiled: program_PROG__NAME. */
char *prog_symbol(const struct prog *p, struct cfg_node *node, const char *name)
{
	char *s;

	if (!c_ident(name) || strlen(name) > 64) {
		cfg_node__error(node, "\"%s\" is not a C identifier", name ? name : "");
		errno = EINVAL;
		return NULL;
	}
	if (asprintf(&s, "program_%s__%s", p->name, name) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static const char *const bucket_types[] = { "exp2", "linear", NULL };

static int metric_parse(struct prog *p, struct cfg_node *item, struct prog_metric *mt, bool hist)
{
	char *name = NULL, *table = NULL;
	int type = 0, err;

	mt->hist = hist;
	mt->mult = 1;
	if (item->kind != CFG_MAP) {
		cfg_node__error(item, "expected {name, help, table, labels}");
		return -EINVAL;
	}
	err = cfg_get_string(item, "name", &name);
	if (!err && (!name || !c_ident(name))) {
		cfg_node__error(cfg_node__get(item, "name") ? cfg_node__get(item, "name") : item,
				"a metric needs a name ([a-zA-Z_][a-zA-Z0-9_]*)");
		err = -EINVAL;
	}
	if (!err && asprintf(&mt->name, "ebpfmon_program_%s", name) < 0)
		err = -ENOMEM;
	if (!err)
		err = cfg_get_string(item, "help", &mt->help);
	if (!err && !mt->help && !(mt->help = strdup(name)))
		err = -ENOMEM;
	if (!err)
		err = cfg_get_string(item, "table", &table);
	if (!err && !table) {
		cfg_node__error(item, "metric %s needs a table (the map it reads)", name);
		err = -EINVAL;
	}
	if (!err && !(mt->table = prog_symbol(p, cfg_node__get(item, "table"), table)))
		err = -errno;
	if (!err)
		err = prog_labels_parse(cfg_node__get(item, "labels"), &mt->labels, &mt->n_labels);
	if (!err && hist) {
		mt->bmax = 26;
		err = cfg_get_enum(item, "bucket_type", bucket_types, &type);
		mt->linear = type == 1;
		if (!err)
			err = cfg_get_int(item, "bucket_min", 0, 4096, &mt->bmin);
		if (!err)
			err = cfg_get_int(item, "bucket_max", 0, 4096, &mt->bmax);
		if (!err)
			err = cfg_get_double(item, "bucket_multiplier", 0, 1e12, &mt->mult);
		if (!err && mt->bmax < mt->bmin) {
			cfg_node__error(cfg_node__get(item, "bucket_max"),
					"bucket_max is below bucket_min");
			err = -EINVAL;
		}
		if (!err && (!mt->n_labels || strcmp(mt->labels[mt->n_labels - 1].name, "bucket"))) {
			cfg_node__error(item, "histogram %s: its last label must be bucket "
					"(the slot; bucket_max + 1 holds the sum)", name);
			err = -EINVAL;
		}
	}
	if (!err)
		err = cfg_node__check_unused(item);
	free(name);
	free(table);
	return err;
}

static const char *const field_types[] = {
	"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", NULL,
};
static const size_t field_sizes[] = { 1, 2, 4, 8, 1, 2, 4, 8 };

/* events: {fields: [{name, type: u32|...|str[N], decoders}]}, laid out as a C struct. */
int prog_events_parse(struct prog *p, struct cfg_node *ev)
{
	struct cfg_node *fields = cfg_node__get(ev, "fields");
	size_t off = 0, align = 1;
	int err = 0;

	if (!fields || fields->kind != CFG_SEQ || !fields->n_kids) {
		cfg_node__error(fields ? fields : ev, "events needs fields: [{name, type}, ...]");
		return -EINVAL;
	}
	p->fields = calloc(fields->n_kids, sizeof(*p->fields));
	if (!p->fields)
		return -ENOMEM;
	for (size_t i = 0; i < fields->n_kids && !err; i++) {
		struct cfg_node *item = fields->kids[i], *tn;
		struct prog_field *f = &p->fields[p->n_fields];
		char *type = NULL;
		unsigned n = 0;
		int used = 0, t;
		size_t a;

		if (item->kind != CFG_MAP) {
			cfg_node__error(item, "expected a field: {name, type, decoders}");
			return -EINVAL;
		}
		p->n_fields++;
		err = cfg_get_string(item, "name", &f->name);
		/* Record keys are written unescaped: a field's name is an identifier. */
		if (!err && !c_ident(f->name)) {
			cfg_node__error(cfg_node__get(item, "name") ? cfg_node__get(item, "name") :
					item, "a field needs a name ([a-zA-Z_][a-zA-Z0-9_]*)");
			err = -EINVAL;
		}
		tn = cfg_node__get(item, "type");
		if (!err)
			err = cfg_get_string(item, "type", &type);
		if (!err && !type) {
			cfg_node__error(item, "field %s needs a type", f->name);
			err = -EINVAL;
		}
		for (t = 0; !err && field_types[t] && strcmp(type, field_types[t]); t++)
			;
		if (!err && field_types[t]) {
			f->type = t;
			f->size = a = field_sizes[t];
		} else if (!err && sscanf(type, "str[%u]%n", &n, &used) == 1 &&
			   used == (int)strlen(type) && n >= 1 && n <= PROGRAM_EVENT_MAX) {
			f->type = FT_STR;
			f->size = n;
			a = 1;
		} else if (!err) {
			cfg_node__error(tn, "unknown field type \"%s\" (u8..u64, s8..s64, str[N])",
					type);
			err = -EINVAL;
		}
		free(type);
		if (err)
			break;
		off = (off + a - 1) / a * a;
		f->off = off;
		off += f->size;
		if (a > align)
			align = a;
		err = prog_decoders_parse(cfg_node__get(item, "decoders"), &f->decs, &f->n_decs);
		if (!err)
			err = cfg_node__check_unused(item);
	}
	p->event_size = (off + align - 1) / align * align;
	if (!err && p->event_size > PROGRAM_EVENT_MAX) {
		cfg_node__error(fields, "the fields take %zu bytes, more than %u", p->event_size,
				PROGRAM_EVENT_MAX);
		err = -EINVAL;
	}
	if (!err)
		err = cfg_node__check_unused(ev);
	return err;
}

int prog_metrics_parse(struct prog *p, struct cfg_node *sec)
{
	struct cfg_node *lists[2] = { cfg_node__get(sec, "counters"),
				      cfg_node__get(sec, "histograms") };
	size_t n = 0;
	int err = 0;

	for (int h = 0; h < 2; h++) {
		if (lists[h] && lists[h]->kind != CFG_SEQ) {
			cfg_node__error(lists[h], "expected a list of metrics");
			return -EINVAL;
		}
		n += lists[h] ? lists[h]->n_kids : 0;
	}
	p->metrics = calloc(n ? n : 1, sizeof(*p->metrics));
	if (!p->metrics)
		return -ENOMEM;
	for (int h = 0; h < 2 && !err; h++)
		for (size_t i = 0; lists[h] && i < lists[h]->n_kids && !err; i++)
			err = metric_parse(p, lists[h]->kids[i], &p->metrics[p->n_metrics++], h);
	if (!err)
		err = cfg_node__check_unused(sec);
	return err;
}

