// SPDX-License-Identifier: GPL-2.0
/*
 * program: users' own BPF programs, ebpf_exporter's config model compiled on
 * the target. The programs: section (and the drop-ins, config_dir/ *.yaml)
 * lists them: a name, its C source (bcc's dialect), what to attach its
 * functions to, and how its maps become metrics (counters and histograms
 * with labels and decoders) or its PROGRAM_SUBMIT() output JSON events.
 *
 * One monitor instance holds them all: each is one item of the probe's
 * @REPEAT@, its source rendered like the built-in probes (placeholders work
 * in it), in the one compile. The function and table names the config
 * gives are renamed program_NAME__NAME in its source, so no two
 * programs and no built-in monitor share a symbol; the source is under a
 * #line "program:NAME", so clang names the program and its own line. A
 * program whose attach points are not all there (a tracepoint this kernel
 * lacks, kprobes here) is left out of the compile, with the reason.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <linux/types.h>

#include "probes/program.h"
#include "bpf/kernel.h"
#include "bpf/probe_set.h"
#include "config/config.h"
#include "monitors/program_int.h"
#include "output/sink.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/trust.h"

#define PROGRAM_NAME_MAX	32
#define PROGRAM_SOURCE_MAX	(1u << 20)

static const char *const attach_keys[] = {
	[ATT_TRACEPOINT] = "tracepoint",
	[ATT_RAW_TRACEPOINT] = "raw_tracepoint",
	[ATT_UPROBE] = "uprobe",
	[ATT_URETPROBE] = "uretprobe",
	[ATT_USDT] = "usdt",
	[ATT_PERF_EVENT] = "perf_event",
	[ATT_KPROBE] = "kprobe",
	[ATT_KRETPROBE] = "kretprobe",
};
#define N_ATTACH_KEYS (sizeof(attach_keys) / sizeof(attach_keys[0]))

static void prog_release(struct prog *p)
{
	free(p->name);
	free(p->source);
	for (size_t i = 0; i < p->n_att; i++) {
		free(p->att[i].target);
		free(p->att[i].fn);
		free(p->att[i].a);
		free(p->att[i].b);
		free(p->att[i].c);
		usdt_probe__free(p->att[i].usdt);
	}
	free(p->att);
	for (size_t i = 0; i < p->n_metrics; i++) {
		free(p->metrics[i].name);
		free(p->metrics[i].help);
		free(p->metrics[i].table);
		prog_labels_free(p->metrics[i].labels, p->metrics[i].n_labels);
	}
	free(p->metrics);
	for (size_t i = 0; i < p->n_fields; i++) {
		free(p->fields[i].name);
		prog_decoders_free(p->fields[i].decs, p->fields[i].n_decs);
	}
	free(p->fields);
}

static void program_detach(struct monitor_inst *inst)
{
	struct program_opts *o = inst->priv;

	for (size_t i = 0; o && i < o->n; i++)
		prog_release(&o->progs[i]);
	if (o)
		free(o->progs);
	free(o);
	inst->priv = NULL;
}

/* source_file: relative to the directory of the file that names it. */
static int source_read(struct prog *p, struct cfg_node *node)
{
	char *path = NULL, *dir = NULL, *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, err = 0;

	if (node->value[0] == '/') {
		path = strdup(node->value);
	} else {
		dir = strdup(node->file ? node->file : ".");
		if (dir && asprintf(&path, "%s/%s", dirname(dir), node->value) < 0)
			path = NULL;
	}
	text = malloc(PROGRAM_SOURCE_MAX + 1);
	if (!path || !text) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Its C goes into the kernel: trusted as the config is (util/trust.h). */
	fd = trust_open(path, "programs", true);
	if (fd < 0) {
		err = fd;
		if (fd != -EPERM && fd != -EINVAL)
			cfg_node__error(node, "cannot read %s: %s", path, strerror(-fd));
		goto cleanup;
	}
	while ((n = read(fd, text + len, PROGRAM_SOURCE_MAX + 1 - len)) > 0)
		len += n;
	if (n < 0 || len > PROGRAM_SOURCE_MAX) {
		err = n < 0 ? -errno : -EFBIG;
		cfg_node__error(node, "cannot read %s: %s", path,
				n < 0 ? strerror(errno) : "larger than 1 MiB");
		goto cleanup;
	}
	text[len] = 0;
	p->source = text;
	text = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	free(dir);
	return err;
}

static int split(const char *s, char sep, char **a, char **b)
{
	const char *c = strchr(s, sep);

	if (!c || c == s || !c[1])
		return -EINVAL;
	*a = strndup(s, c - s);
	*b = strdup(c + 1);
	return *a && *b ? 0 : -ENOMEM;
}

static const char *const perf_types[] = { "software", "hardware", NULL };
static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
} perf_events[] = {
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
};

/* perf_event: {type: software|hardware, config: NAME, sample_period: N | frequency: HZ}. */
static int perf_event_parse(struct prog_attach *a, struct cfg_node *node)
{
	long long period = 0, freq = 0;
	char *config = NULL;
	int type = 0, err;

	if (node->kind != CFG_MAP) {
		cfg_node__error(node, "expected {type, config, sample_period or frequency}");
		return -EINVAL;
	}
	err = cfg_get_enum(node, "type", perf_types, &type);
	if (!err)
		err = cfg_get_string(node, "config", &config);
	if (!err && !config) {
		cfg_node__error(node, "perf_event needs a config (cpu-clock, ...)");
		err = -EINVAL;
	}
	if (!err)
		err = cfg_get_int(node, "sample_period", 1, 1LL << 40, &period);
	if (!err)
		err = cfg_get_int(node, "frequency", 1, 100000, &freq);
	if (!err && !!period == !!freq) {
		cfg_node__error(node, "perf_event needs one of sample_period and frequency");
		err = -EINVAL;
	}
	for (size_t i = 0; !err && i <= sizeof(perf_events) / sizeof(perf_events[0]); i++) {
		if (i == sizeof(perf_events) / sizeof(perf_events[0])) {
			cfg_node__error(cfg_node__get(node, "config"), "unknown perf event \"%s\"",
					config);
			err = -EINVAL;
		} else if (!strcmp(config, perf_events[i].name) &&
			   perf_events[i].type == (type ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE)) {
			a->type = perf_events[i].type;
			a->config = perf_events[i].config;
			break;
		}
	}
	a->period = period;
	a->freq = freq;
	a->target = config;
	config = NULL;
	if (!err)
		err = cfg_node__check_unused(node);
	free(config);
	return err;
}

/*
 * Whether the kernel has what the attach point needs: 0, or -ENODEV with
 * the reason in the program's why (it is then left out).
 */
static int attach_check(struct monitor_inst *inst, struct prog *p, struct prog_attach *a)
{
	const struct kernel_info *ki = inst->ki;
	uint64_t off;
	int err = 0;
	char *why = p->why + strlen(p->why);
	size_t room = sizeof(p->why) - (why - p->why);

	if (why != p->why && room > 2) {
		*why++ = ';';
		*why++ = ' ';
		room -= 2;
	}
	switch (a->kind) {
	case ATT_TRACEPOINT:
		if (!kernel_info__has_tracepoint(ki, a->a, a->b)) {
			snprintf(why, room, "tracepoint %s: not found in tracefs", a->target);
			err = -ENODEV;
		}
		break;
	case ATT_RAW_TRACEPOINT:
		if (!ki->raw_tracepoints) {
			snprintf(why, room, "raw_tracepoint %s: %s", a->target,
				 ki->raw_tracepoints_why);
			err = -ENODEV;
		}
		break;
	case ATT_UPROBE:
	case ATT_URETPROBE:
		err = probe_set__symbol_offset(a->a, a->b, -1, &off);
		if (err) {
			snprintf(why, room, "%s %s: no such file or symbol", attach_keys[a->kind],
				 a->target);
			err = -ENODEV;
		}
		break;
	case ATT_USDT:
		err = probe_set__usdt_find(a->a, -1, a->b, a->c, &a->usdt);
		if (err) {
			snprintf(why, room, "usdt %s: %s", a->target,
				 err == -ENODATA ? "no such probe in the binary" : strerror(-err));
			err = -ENODEV;
		}
		break;
	case ATT_KPROBE:
	case ATT_KRETPROBE:
		if (!ki->kprobes) {
			snprintf(why, room, "%s %s: kprobes are unavailable on this kernel: %s",
				 attach_keys[a->kind], a->target, ki->kprobes_why);
			err = -ENODEV;
		}
		break;
	case ATT_PERF_EVENT:
		break;
	}
	if (!err && why != p->why)
		why[-2] = 0;	/* no reason after all: the separator goes */
	return err;
}

static int attach_parse(struct monitor_inst *inst, struct prog *p, struct cfg_node *item,
			struct prog_attach *a, bool *ok)
{
	struct cfg_node *kind = NULL, *fn;
	char *fname = NULL;
	int err = 0;

	if (item->kind != CFG_MAP) {
		cfg_node__error(item, "expected {KIND: TARGET, function: NAME}");
		return -EINVAL;
	}
	for (size_t i = 0; i < item->n_kids; i++) {
		if (!strcmp(item->kids[i]->key, "function"))
			continue;
		for (size_t k = 0; k < N_ATTACH_KEYS; k++) {
			if (strcmp(item->kids[i]->key, attach_keys[k]))
				continue;
			if (kind) {
				cfg_node__key_error(item->kids[i], "one attach kind per item");
				return -EINVAL;
			}
			kind = item->kids[i];
			a->kind = k;
		}
	}
	if (!kind) {
		for (size_t i = 0; i < item->n_kids; i++)
			if (strcmp(item->kids[i]->key, "function"))
				cfg_node__key_error(item->kids[i], "unknown attach kind (tracepoint, "
						    "raw_tracepoint, uprobe, uretprobe, usdt, "
						    "perf_event, kprobe, kretprobe)");
		if (item->n_kids <= 1)
			cfg_node__error(item, "expected an attach kind (tracepoint, ...)");
		return -EINVAL;
	}
	kind->used = true;
	fn = cfg_node__get(item, "function");
	err = cfg_get_string(item, "function", &fname);
	if (!err && !fname) {
		cfg_node__error(item, "%s: needs function: (the source's function to run)",
				kind->key);
		err = -EINVAL;
	}
	if (!err && !(a->fn = prog_symbol(p, fn, fname)))
		err = -errno;
	free(fname);
	if (err)
		return err;
	if (a->kind == ATT_PERF_EVENT) {
		err = perf_event_parse(a, kind);
	} else if (kind->kind != CFG_SCALAR || kind->null) {
		cfg_node__error(kind, "expected a %s target", kind->key);
		err = -EINVAL;
	} else {
		a->target = strdup(kind->value);
		if (!a->target)
			return -ENOMEM;
		switch (a->kind) {
		case ATT_TRACEPOINT:
			err = split(a->target, ':', &a->a, &a->b);
			if (err == -EINVAL)
				cfg_node__error(kind, "expected CATEGORY:EVENT, got \"%s\"", a->target);
			break;
		case ATT_UPROBE:
		case ATT_URETPROBE:
			/* The last ':' splits: a path may hold one. */
			if (strrchr(a->target, ':') && strrchr(a->target, ':') != a->target &&
			    strrchr(a->target, ':')[1]) {
				a->a = strndup(a->target, strrchr(a->target, ':') - a->target);
				a->b = strdup(strrchr(a->target, ':') + 1);
				err = a->a && a->b ? 0 : -ENOMEM;
			} else {
				cfg_node__error(kind, "expected BINARY:SYMBOL, got \"%s\"", a->target);
				err = -EINVAL;
			}
			break;
		case ATT_USDT: {
			char *rest = NULL;

			err = split(a->target, ':', &a->a, &rest);
			if (!err)
				err = split(rest, ':', &a->b, &a->c);
			if (err == -EINVAL)
				cfg_node__error(kind, "expected BINARY:PROVIDER:PROBE, got \"%s\"",
						a->target);
			free(rest);
			break;
		}
		default:
			if (!c_ident(a->target)) {
				cfg_node__error(kind, "expected a name, got \"%s\"", a->target);
				err = -EINVAL;
			}
			break;
		}
	}
	if (!err)
		err = cfg_node__check_unused(item);
	if (!err && attach_check(inst, p, a))
		*ok = false;
	return err;
}

static bool name_ok(const char *s)
{
	if (!s || !islower((unsigned char)*s) || strlen(s) > PROGRAM_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int prog_parse(struct monitor_inst *inst, struct program_opts *o, struct cfg_node *item)
{
	struct prog *p = &o->progs[o->n];
	struct cfg_node *src, *file, *att, *sec;
	bool ok = true;
	int err;

	if (item->kind != CFG_MAP) {
		cfg_node__error(item, "expected a program: {name, source, attach, metrics}");
		return -EINVAL;
	}
	o->n++;
	err = cfg_get_string(item, "name", &p->name);
	if (!err && !name_ok(p->name)) {
		cfg_node__error(cfg_node__get(item, "name") ? cfg_node__get(item, "name") : item,
				"a program needs a name: [a-z][a-z0-9_]*, at most %d bytes",
				PROGRAM_NAME_MAX);
		err = -EINVAL;
	}
	for (size_t i = 0; !err && i + 1 < o->n; i++) {
		if (strcmp(o->progs[i].name, p->name))
			continue;
		cfg_node__error(cfg_node__get(item, "name"), "a second program named %s", p->name);
		err = -EINVAL;
	}
	if (err)
		return err;
	src = cfg_node__get(item, "source");
	file = cfg_node__get(item, "source_file");
	if (!src == !file || (src && (src->kind != CFG_SCALAR || src->null)) ||
	    (file && (file->kind != CFG_SCALAR || file->null || !*file->value))) {
		cfg_node__error(src ? src : file ? file : item,
				"program %s needs one of source: (C text) and source_file: (a path)",
				p->name);
		return -EINVAL;
	}
	if (src)
		p->source = strdup(src->value);
	else
		err = source_read(p, file);
	if (err || !p->source)
		return err ? err : -ENOMEM;
	att = cfg_node__get(item, "attach");
	if (!att || att->kind != CFG_SEQ || !att->n_kids) {
		cfg_node__error(att ? att : item, "program %s needs attach: [{KIND: TARGET, "
				"function: NAME}, ...]", p->name);
		return -EINVAL;
	}
	p->att = calloc(att->n_kids, sizeof(*p->att));
	if (!p->att)
		return -ENOMEM;
	for (size_t i = 0; i < att->n_kids && !err; i++)
		err = attach_parse(inst, p, att->kids[i], &p->att[p->n_att++], &ok);
	if (!err && (err = cfg_get_map(item, "metrics", &sec)) == 0 && sec)
		err = prog_metrics_parse(p, sec);
	if (!err && (err = cfg_get_map(item, "events", &sec)) == 0 && sec)
		err = prog_events_parse(p, sec);
	if (!err)
		err = cfg_node__check_unused(item);
	p->usable = ok;
	return err;
}

/* The config's names of P's source (functions, tables), as compiled: program_PROG__NAME. */
static bool prog_renamed(const struct prog *p, const char *id, size_t len)
{
	size_t skip = strlen(p->name) + strlen("program_") + 2;

	for (size_t i = 0; i < p->n_att; i++)
		if (strlen(p->att[i].fn + skip) == len && !memcmp(p->att[i].fn + skip, id, len))
			return true;
	for (size_t i = 0; i < p->n_metrics; i++)
		if (strlen(p->metrics[i].table + skip) == len &&
		    !memcmp(p->metrics[i].table + skip, id, len))
			return true;
	return false;
}

/*
 * The source with each identifier the config names (a function, a table)
 * prefixed program_PROG__, outside comments, strings and @placeholders@: no
 * two programs and no built-in monitor then share those symbols. Not with
 * #define: libbcc refuses a table's methods inside a macro. Lines stay where
 * they were, for #line.
 */
static int prog_rename(const struct prog *p, struct strbuf *out)
{
	const char *s = p->source;
	int err = 0;

	while (*s && !err) {
		const char *start = s;

		if (isalpha((unsigned char)*s) || *s == '_') {
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			if (prog_renamed(p, start, s - start))
				err = strbuf_addf(out, "program_%s__", p->name);
		} else if (s[0] == '/' && s[1] == '/') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			s = strstr(s + 2, "*/") ? strstr(s + 2, "*/") + 2 : s + strlen(s);
		} else if (*s == '"' || *s == '\'' || *s == '@') {
			char q = *s++;

			while (*s && *s != q && *s != '\n')
				s += s[0] == '\\' && s[1] ? 2 : 1;
			s += *s == q;
		} else if (isdigit((unsigned char)*s)) {
			while (isalnum((unsigned char)*s) || *s == '.')
				s++;
		} else {
			s++;
		}
		if (!err)
			err = strbuf_add(out, start, s - start);
	}
	return err ? -ENOMEM : 0;
}

/*
 * A usdt attach point's programs, after the source: one per location (a
 * probe inlined in several places), each reading the arguments as the
 * notes say and calling the source's function FN(ctx, argv).
 */
static int prog_usdt(const struct prog *p, struct strbuf *out)
{
	int err = 0;

	for (size_t i = 0; i < p->n_att && !err; i++) {
		const struct prog_attach *a = &p->att[i];

		if (a->kind != ATT_USDT || !a->usdt)
			continue;
		for (int l = 0; l < usdt_probe__n_locations(a->usdt) && !err; l++) {
			char args[256];

			snprintf(args, sizeof(args), "%s__usdt%zu_args%d", a->fn, i, l);
			err = usdt_probe__gen_args(a->usdt, l, args, out);
			if (!err)
				err = strbuf_addf(out, "int %s__usdt%zu_%d(struct pt_regs *ctx)\n{\n"
						  "\t__u64 argv[%d] = {};\n\n\t%s(ctx, argv);\n"
						  "\treturn %s(ctx, argv);\n}\n", a->fn, i, l,
						  USDT_MAX_ARGS, args, a->fn);
		}
	}
	return err;
}

static int prog_item(struct monitor_inst *inst, const struct prog *p, size_t index)
{
	struct render_vars *v = &inst->items[inst->n_items];
	struct strbuf src = STRBUF_INIT, usdt = STRBUF_INIT;
	int err;

	inst->n_items++;
	err = prog_rename(p, &src);
	if (!err)
		err = prog_usdt(p, &usdt);
	if (!err && (render_vars__set(v, "NAME", "%s", p->name) ||
		     render_vars__set(v, "INDEX", "%zu", index) ||
		     render_vars__set(v, "SOURCE", "%s", src.len ? src.buf : "") ||
		     render_vars__set(v, "SOURCE_NAME", "program:%s", p->name) ||
		     render_vars__set(v, "USDT", "%s", usdt.len ? usdt.buf : "")))
		err = -ENOMEM;
	strbuf_release(&src);
	strbuf_release(&usdt);
	return err;
}

/* Two programs' metrics of one name would be one family, their series mixed. */
static int metric_names_check(const struct program_opts *o, struct cfg_node *sec)
{
	for (size_t i = 0; i < o->n; i++)
		for (size_t j = 0; j < o->progs[i].n_metrics; j++)
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < (k < i ? o->progs[k].n_metrics : j); l++) {
					if (strcmp(o->progs[i].metrics[j].name,
						   o->progs[k].metrics[l].name))
						continue;
					cfg_node__error(sec->kids[i], "program %s: metric %s is "
							"program %s's too", o->progs[i].name,
							o->progs[i].metrics[j].name,
							o->progs[k].name);
					return -EINVAL;
				}
	return 0;
}

static int program_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	struct cfg_node *sec = inst->section;
	struct program_opts *o = calloc(1, sizeof(*o));
	size_t n_usable = 0;
	int err = 0;

	if (!o)
		return -ENOMEM;
	inst->priv = o;
	/* Events as they come; the metrics are read at scrapes. */
	err = monitor_parse_mode(inst, node, false);
	if (err)
		return err;
	if (!sec || !sec->n_kids) {
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE,
				      "no programs configured (programs:, or %s/ *.yaml)", CONFIG_DIR);
		return 0;
	}
	o->progs = calloc(sec->n_kids, sizeof(*o->progs));
	inst->items = calloc(sec->n_kids, sizeof(*inst->items));
	if (!o->progs || !inst->items)
		return -ENOMEM;
	for (size_t i = 0; i < sec->n_kids; i++) {
		int e = prog_parse(inst, o, sec->kids[i]);

		if (e && !err)
			err = e;
	}
	if (err)
		return err;
	err = metric_names_check(o, sec);
	for (size_t i = 0; i < o->n && !err; i++) {
		struct prog *p = &o->progs[i];

		if (!p->usable) {
			monitor_inst__verdict(inst, VERDICT_DEGRADED, "program %s: %s", p->name,
					      p->why);
			continue;
		}
		n_usable++;
		if (p->n_metrics && !p->n_fields && !inst->metrics)
			pr_warn("program: %s: its metrics are read by the exporter only "
				"(metrics.listen, --metrics-listen)", p->name);
		err = prog_item(inst, p, i);
	}
	if (!err && !n_usable)
		monitor_inst__verdict(inst, VERDICT_UNAVAILABLE, "no program can attach here");
	return err;
}

static int attach_one(struct probe_set *ps, const struct prog *p, const struct prog_attach *a,
		      size_t idx)
{
	int err = 0;

	switch (a->kind) {
	case ATT_TRACEPOINT:
		return probe_set__attach_tracepoint_prog(ps, a->fn, a->a, a->b);
	case ATT_RAW_TRACEPOINT:
		return probe_set__attach_raw_tracepoint_prog(ps, a->fn, a->target);
	case ATT_UPROBE:
	case ATT_URETPROBE:
		return probe_set__attach_uprobe(ps, a->fn, a->a, a->b, 0,
						a->kind == ATT_URETPROBE, -1);
	case ATT_USDT:
		for (int l = 0; l < usdt_probe__n_locations(a->usdt) && !err; l++) {
			char fn[256];

			snprintf(fn, sizeof(fn), "%s__usdt%zu_%d", a->fn, idx, l);
			err = probe_set__attach_usdt(ps, fn, a->usdt, l);
		}
		return err;
	case ATT_PERF_EVENT:
		return probe_set__attach_perf_event_freq(ps, a->fn, a->type, a->config, a->period,
							 a->freq);
	case ATT_KPROBE:
	case ATT_KRETPROBE:
		return probe_set__attach_kprobe(ps, a->fn, a->target, a->kind == ATT_KRETPROBE);
	}
	(void)p;
	return -EINVAL;
}

static int program_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct program_opts *o = inst->priv;

	for (size_t i = 0; i < o->n; i++) {
		struct prog *p = &o->progs[i];

		for (size_t j = 0; p->usable && j < p->n_att; j++) {
			const struct prog_attach *a = &p->att[j];
			size_t skip = strlen(p->name) + strlen("program_") + 2;
			int err;

			if (a->kind != ATT_USDT && !probe_set__has_program(ps, a->fn)) {
				pr_err("program: %s: %s %s: no function %s in its source", p->name,
				       attach_keys[a->kind], a->target, a->fn + skip);
				return -ENOENT;
			}
			err = attach_one(ps, p, a, j);
			if (err) {
				pr_err("program: %s: failed to attach %s %s: %s", p->name,
				       attach_keys[a->kind], a->target, strerror(-err));
				return err;
			}
			p->attached++;
		}
	}
	return 0;
}

/* --check: a verdict per program, with the reason when it cannot attach. */
static void program_check(struct monitor_inst *inst, json_t *obj)
{
	struct program_opts *o = inst->priv;
	json_t *progs = json_object();

	for (size_t i = 0; o && i < o->n; i++) {
		const struct prog *p = &o->progs[i];
		char verdict[600];

		snprintf(verdict, sizeof(verdict), "%s%s", p->usable ? "ok" : "unavailable: ",
			 p->usable ? "" : p->why);
		json_object_set_new(progs, p->name, json_string(verdict));
	}
	json_object_set_new(obj, "programs", progs);
}

static const struct table_column program_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "PROGRAM", "program", 16, COLUMN_LEFT },
	{ NULL },
};

const struct monitor mon_program = {
	.name = "program",
	.desc = "users' own BPF programs (programs:): their maps as metrics, their output as events",
	.probe = "program.bpf.c",
	.events_table = "program_events",
	.configure = program_configure,
	.attach = program_attach,
	.on_event = program_on_event,
	.detach = program_detach,
	.columns = program_columns,
	.metrics = program_metrics,
	.section = "programs",
	.check = program_check,
};
