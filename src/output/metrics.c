// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition format 0.0.4, written at scrape time. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/metrics.h"
#include "util/strbuf.h"
#include "util/utf8.h"

struct metric_family {
	char *name;
	enum metric_type type;
	char *help;
	struct strbuf samples;
};

struct metrics {
	struct metric_family *fams;
	size_t n_fams, cap_fams;
	struct metric_family *cur;	/* the family samples go to; NULL: none yet */
	int err;			/* first error: metrics__text fails with it */
};

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
};

struct metrics *metrics__new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_fams; i++) {
		free(m->fams[i].name);
		free(m->fams[i].help);
		strbuf_release(&m->fams[i].samples);
	}
	free(m->fams);
	free(m);
}

static void set_err(struct metrics *m, int err)
{
	if (err && !m->err)
		m->err = err;
}

void metrics__family(struct metrics *m, const char *name, enum metric_type type,
		     const char *help)
{
	struct metric_family *f;

	for (size_t i = 0; i < m->n_fams; i++) {
		if (!strcmp(m->fams[i].name, name)) {
			m->cur = &m->fams[i];
			return;
		}
	}
	if (ARRAY_GROW(m->fams, m->cap_fams, m->n_fams)) {
		set_err(m, -ENOMEM);
		m->cur = NULL;
		return;
	}
	f = &m->fams[m->n_fams];
	*f = (struct metric_family){ .name = strdup(name), .type = type,
				     .help = strdup(help ? help : "") };
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		set_err(m, -ENOMEM);
		m->cur = NULL;
		return;
	}
	m->n_fams++;
	m->cur = f;
}

const char *metric_value_format(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		snprintf(buf, size, "%.0f", v);
	else
		/* The shortest of %.15g..%.17g that reads back as v. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	return buf;
}

int metric_text_escape(struct strbuf *sb, const char *s, size_t len, bool label)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	char *w;

	/* Worst case: every byte U+FFFD (3 bytes) or escaped (2). */
	if (strbuf_grow(sb, len * UTF8_REPLACEMENT_LEN))
		return -ENOMEM;
	w = sb->buf + sb->len;
	while (i < len) {
		unsigned char c = p[i];

		if (c == '\\' || c == '\n' || (label && c == '"')) {
			*w++ = '\\';
			*w++ = c == '\n' ? 'n' : c;
			i++;
		} else if (c < 0x80) {
			*w++ = c;
			i++;
		} else {
			i += utf8_copy_lossy(&w, p + i, len - i);
		}
	}
	sb->len = w - sb->buf;
	sb->buf[sb->len] = 0;
	return 0;
}

/* NAME{k="v",...,extra_key="extra_value"} VALUE */
static void sample_add(struct metrics *m, const char *name, const char *suffix,
		       const char *const *labels, const char *extra_key,
		       const char *extra_value, double value)
{
	struct strbuf *sb;
	bool any = (labels && labels[0]) || extra_key;
	char num[32];
	int err;

	if (!m->cur) {
		set_err(m, -EINVAL);	/* a sample before any family */
		return;
	}
	sb = &m->cur->samples;
	err = strbuf_adds(sb, name);
	err |= strbuf_adds(sb, suffix);
	if (any)
		err |= strbuf_addc(sb, '{');
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		err |= strbuf_addf(sb, "%s%s=\"", i ? "," : "", labels[i]);
		err |= metric_text_escape(sb, labels[i + 1], strlen(labels[i + 1]), true);
		err |= strbuf_addc(sb, '"');
	}
	if (extra_key) {
		err |= strbuf_addf(sb, "%s%s=\"", labels && labels[0] ? "," : "", extra_key);
		err |= metric_text_escape(sb, extra_value, strlen(extra_value), true);
		err |= strbuf_addc(sb, '"');
	}
	if (any)
		err |= strbuf_addc(sb, '}');
	err |= strbuf_addf(sb, " %s\n", metric_value_format(num, sizeof(num), value));
	if (err)
		set_err(m, -ENOMEM);
}

void metrics__sample(struct metrics *m, const char *name, const char *const *labels,
		     double value)
{
	sample_add(m, name, "", labels, NULL, NULL, value);
}

/*
 * Slot k holds integer units below 2^k (slot 0: the value 0), so its
 * bucket's inclusive bound is le = 2^k * scale. Every slot is written, empty
 * or not: a bucket series that comes and goes would upset rate().
 */
void metrics__log2_hist(struct metrics *m, const char *name, const char *const *labels,
			const uint64_t *slots, int n_slots, double sum, double scale)
{
	uint64_t cumulative = 0;
	char le[32];

	for (int k = 0; k < n_slots; k++) {
		cumulative += slots[k];
		metric_value_format(le, sizeof(le), ldexp(1.0, k) * scale);
		sample_add(m, name, "_bucket", labels, "le", le, cumulative);
	}
	sample_add(m, name, "_bucket", labels, "le", "+Inf", cumulative);
	sample_add(m, name, "_sum", labels, NULL, NULL, sum * scale);
	sample_add(m, name, "_count", labels, NULL, NULL, cumulative);
}

void metrics__hist(struct metrics *m, const char *name, const char *const *labels,
		   const double *les, const uint64_t *counts, int n, double sum)
{
	uint64_t cumulative = 0;
	char le[32];

	for (int k = 0; k < n; k++) {
		cumulative += counts[k];
		metric_value_format(le, sizeof(le), les[k]);
		sample_add(m, name, "_bucket", labels, "le", le, cumulative);
	}
	sample_add(m, name, "_bucket", labels, "le", "+Inf", cumulative);
	sample_add(m, name, "_sum", labels, NULL, NULL, sum);
	sample_add(m, name, "_count", labels, NULL, NULL, cumulative);
}

char *metrics__text(struct metrics *m, size_t *len)
{
	struct strbuf out = STRBUF_INIT;
	int err = m->err;

	for (size_t i = 0; i < m->n_fams && !err; i++) {
		const struct metric_family *f = &m->fams[i];

		err = strbuf_addf(&out, "# HELP %s ", f->name);
		err |= metric_text_escape(&out, f->help, strlen(f->help), false);
		err |= strbuf_addf(&out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		if (f->samples.len)
			err |= strbuf_add(&out, f->samples.buf, f->samples.len);
		if (err)
			err = -ENOMEM;
	}
	if (err) {
		strbuf_release(&out);
		errno = -err;
		return NULL;
	}
	*len = out.len;
	return strbuf_detach(&out);
}
