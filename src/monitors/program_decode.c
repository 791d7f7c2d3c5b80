// SPDX-License-Identifier: GPL-2.0
/*
 * program's label and field decoders (ebpf_exporter's model): the config
 * side (labels, decoder chains) and the decoding, with the lookups they need:
 * /proc/kallsyms for ksym, libseccomp for syscall, the cgroup2 tree for
 * cgroup, /sys/dev/block for dev. Lookups run on the exporter's thread and on
 * the event loop's: what they cache is behind one lock.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "util/errnames.h"
#include "util/log.h"
#include "monitors/program_decode.h"

static const char *const decoder_names[] = {
	"uint", "string", "ksym", "syscall", "errno", "cgroup", "static_map", "regexp", "dev",
	NULL,
};

void prog_decoders_free(struct prog_decoder *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		for (size_t j = 0; j < d[i].n_map; j++) {
			free(d[i].from[j]);
			free(d[i].to[j]);
		}
		free(d[i].from);
		free(d[i].to);
		for (size_t j = 0; j < d[i].n_res; j++)
			regfree(&d[i].res[j]);
		free(d[i].res);
	}
	free(d);
}

void prog_labels_free(struct prog_label *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].name);
		prog_decoders_free(l[i].decs, l[i].n_decs);
	}
	free(l);
}

static int static_map_parse(struct cfg_node *item, struct prog_decoder *d)
{
	struct cfg_node *map;
	int err = cfg_get_map(item, "static_map", &map);

	if (err)
		return err;
	if (!map || !map->n_kids) {
		cfg_node__error(map ? map : item, "static_map: expected a mapping of values to names");
		return -EINVAL;
	}
	d->from = calloc(map->n_kids, sizeof(*d->from));
	d->to = calloc(map->n_kids, sizeof(*d->to));
	if (!d->from || !d->to)
		return -ENOMEM;
	for (size_t i = 0; i < map->n_kids; i++) {
		struct cfg_node *kid = map->kids[i];

		kid->used = true;
		if (kid->kind != CFG_SCALAR || kid->null) {
			cfg_node__error(kid, "expected a name");
			return -EINVAL;
		}
		d->from[i] = strdup(kid->key);
		d->to[i] = strdup(kid->value);
		d->n_map++;
		if (!d->from[i] || !d->to[i])
			return -ENOMEM;
	}
	return 0;
}

static int regexp_parse(struct cfg_node *item, struct prog_decoder *d)
{
	struct cfg_node *node = cfg_node__get(item, "regexps");
	char **v = NULL;
	int err = cfg_get_strv(item, "regexps", &v);

	if (!err && (!v || !v[0])) {
		cfg_node__error(node ? node : item, "regexp: expected regexps: [patterns]");
		err = -EINVAL;
	}
	if (!err && !(d->res = calloc(strv_len(v), sizeof(*d->res))))
		err = -ENOMEM;
	for (size_t i = 0; !err && v[i]; i++) {
		char msg[128];
		int rc = regcomp(&d->res[i], v[i], REG_EXTENDED | REG_NOSUB);

		if (rc) {
			regerror(rc, &d->res[i], msg, sizeof(msg));
			cfg_node__error(node, "regexp \"%s\": %s", v[i], msg);
			err = -EINVAL;
			break;
		}
		d->n_res++;
	}
	strv_free(v);
	return err;
}

int prog_decoders_parse(struct cfg_node *list, struct prog_decoder **out, size_t *n)
{
	struct prog_decoder *d;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!list || list->null)
		return 0;
	if (list->kind != CFG_SEQ) {
		cfg_node__error(list, "expected a list of decoders");
		return -EINVAL;
	}
	d = calloc(list->n_kids ? list->n_kids : 1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < list->n_kids && !err; i++) {
		struct cfg_node *item = list->kids[i];
		int kind = -1;

		if (item->kind != CFG_MAP) {
			cfg_node__error(item, "expected a decoder: {name: uint|string|ksym|syscall|"
					"errno|cgroup|static_map|regexp|dev}");
			err = -EINVAL;
			break;
		}
		if (!cfg_node__get(item, "name")) {
			cfg_node__error(item, "a decoder needs a name");
			err = -EINVAL;
			break;
		}
		err = cfg_get_enum(item, "name", decoder_names, &kind);
		if (err)
			break;
		d[i].kind = kind;
		(*n)++;
		if (kind == DEC_STATIC_MAP)
			err = static_map_parse(item, &d[i]);
		else if (kind == DEC_REGEXP)
			err = regexp_parse(item, &d[i]);
		if (!err)
			err = cfg_node__check_unused(item);
	}
	*out = d;
	return err;
}

/* A Prometheus label name of our own: the exposition writes it as it is. */
static bool label_name_ok(const char *s)
{
	if (!s || !*s || !strncmp(s, "__", 2) || !strcmp(s, "le") || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

int prog_labels_parse(struct cfg_node *labels, struct prog_label **out, size_t *n)
{
	struct prog_label *l;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!labels || labels->null)
		return 0;
	if (labels->kind != CFG_SEQ) {
		cfg_node__error(labels, "expected a list of labels");
		return -EINVAL;
	}
	l = calloc(labels->n_kids ? labels->n_kids : 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*out = l;
	for (size_t i = 0; i < labels->n_kids && !err; i++) {
		struct cfg_node *item = labels->kids[i];
		long long size = 0, padding = 0;

		if (item->kind != CFG_MAP) {
			cfg_node__error(item, "expected a label: {name, size, decoders}");
			return -EINVAL;
		}
		(*n)++;
		err = cfg_get_string(item, "name", &l[i].name);
		if (!err && !label_name_ok(l[i].name)) {
			cfg_node__error(cfg_node__get(item, "name") ? cfg_node__get(item, "name") :
					item, "a label needs a name: [a-zA-Z_][a-zA-Z0-9_]*, "
					"not __* or le");
			err = -EINVAL;
		}
		if (!err && !cfg_node__get(item, "size")) {
			cfg_node__error(item, "label %s needs a size (its bytes of the key)",
					l[i].name);
			err = -EINVAL;
		}
		if (!err)
			err = cfg_get_int(item, "size", 1, 256, &size);
		if (!err)
			err = cfg_get_int(item, "padding", 0, 256, &padding);
		l[i].size = size;
		l[i].padding = padding;
		if (!err)
			err = prog_decoders_parse(cfg_node__get(item, "decoders"), &l[i].decs,
						  &l[i].n_decs);
		if (!err && !l[i].n_decs) {
			cfg_node__error(item, "label %s needs decoders", l[i].name);
			err = -EINVAL;
		}
		if (!err)
			err = cfg_node__check_unused(item);
	}
	return err;
}

/* ---- lookups ---- */

static pthread_mutex_t lookup_lock = PTHREAD_MUTEX_INITIALIZER;

struct ksym {
	uint64_t addr;
	char *name;
};

static struct ksym *ksyms;
static size_t n_ksyms;
static bool ksyms_read;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	size_t cap = 0;
	uint64_t addr;

	ksyms_read = true;
	while (f && fgets(line, sizeof(line), f)) {
		struct ksym *grown;

		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (n_ksyms == cap) {
			cap = cap ? cap * 2 : 65536;
			grown = realloc(ksyms, cap * sizeof(*grown));
			if (!grown)
				break;
			ksyms = grown;
		}
		ksyms[n_ksyms].addr = addr;
		ksyms[n_ksyms].name = strdup(name);
		if (ksyms[n_ksyms].name)
			n_ksyms++;
	}
	if (f)
		fclose(f);
	qsort(ksyms, n_ksyms, sizeof(*ksyms), ksym_cmp);
}

static void ksym_name(uint64_t addr, char *out, size_t len)
{
	size_t lo = 0, hi;

	pthread_mutex_lock(&lookup_lock);
	if (!ksyms_read)
		ksyms_load();
	hi = n_ksyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo)
		snprintf(out, len, "%s", ksyms[lo - 1].name);
	else
		snprintf(out, len, "0x%" PRIx64, addr);
	pthread_mutex_unlock(&lookup_lock);
}

/* cgroup v2 ids are the inode numbers of the cgroup2 directories. */
struct cg {
	uint64_t id;
	char *path;
};

static struct cg *cgs;
static size_t n_cgs, cap_cgs;
static time_t cgs_walked;
static char cg_root[4096];

static void cg_root_find(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096], fstype[64];

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		snprintf(cg_root, sizeof(cg_root), "%s", mnt);
		break;
	}
	if (f)
		fclose(f);
}

static void cg_walk(const char *dir, const char *rel, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[4096], sub[4096];
		struct stat st;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		if (stat(path, &st))
			continue;
		if (n_cgs == cap_cgs) {
			struct cg *grown = realloc(cgs, (cap_cgs ? cap_cgs * 2 : 256) * sizeof(*grown));

			if (!grown)
				break;
			cgs = grown;
			cap_cgs = cap_cgs ? cap_cgs * 2 : 256;
		}
		cgs[n_cgs].id = st.st_ino;
		cgs[n_cgs].path = strdup(sub);
		if (cgs[n_cgs].path)
			n_cgs++;
		if (depth < 32)
			cg_walk(path, sub, depth + 1);
	}
	if (d)
		closedir(d);
}

static void cgroup_path(uint64_t id, char *out, size_t len)
{
	struct stat st;

	pthread_mutex_lock(&lookup_lock);
	if (!cg_root[0])
		cg_root_find();
	if (cg_root[0] && !stat(cg_root, &st) && st.st_ino == id) {
		snprintf(out, len, "/");
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n_cgs; i++) {
			if (cgs[i].id != id)
				continue;
			snprintf(out, len, "%s", cgs[i].path);
			goto out;
		}
		/* A cgroup made since: walk again, at most once a second. */
		if (pass || !cg_root[0] || time(NULL) == cgs_walked)
			break;
		for (size_t i = 0; i < n_cgs; i++)
			free(cgs[i].path);
		n_cgs = 0;
		cgs_walked = time(NULL);
		cg_walk(cg_root, "", 0);
	}
	snprintf(out, len, "%" PRIu64, id);
out:
	pthread_mutex_unlock(&lookup_lock);
}

static void dev_name(uint64_t dev, char *out, size_t len)
{
	unsigned major = dev >> 20, minor = dev & 0xfffff;
	char path[128], line[256];
	FILE *f;

	snprintf(out, len, "%u:%u", major, minor);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major, minor);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line + 8);
		break;
	}
	if (f)
		fclose(f);
}

/* ---- decoding ---- */

static uint64_t bytes_uint(const unsigned char *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = size < 8 ? size : 8; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* Label values must be valid UTF-8: bytes that are not printable ASCII become '?'. */
static void text_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

int prog_decode(const struct prog_decoder *d, size_t n, const void *data, size_t size,
		char *out, size_t len)
{
	uint64_t v = bytes_uint(data, size);
	char in[512];

	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name;

		snprintf(in, sizeof(in), "%s", out);
		switch (d[i].kind) {
		case DEC_UINT:
			snprintf(out, len, "%" PRIu64, v);
			break;
		case DEC_STRING:
			snprintf(out, len, "%.*s", (int)strnlen(data, size), (const char *)data);
			break;
		case DEC_KSYM:
			ksym_name(v, out, len);
			break;
		case DEC_SYSCALL: {
			char *sc = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)v);

			if (sc)
				snprintf(out, len, "%s", sc);
			else
				snprintf(out, len, "%" PRIu64, v);
			free(sc);
			break;
		}
		case DEC_ERRNO: {
			int64_t e = size == 4 ? (int32_t)v : size == 2 ? (int16_t)v :
				    size == 1 ? (int8_t)v : (int64_t)v;

			name = errno_name(e < 0 ? (int)-e : (int)e);
			if (name)
				snprintf(out, len, "%s", name);
			else
				snprintf(out, len, "%" PRId64, e);
			break;
		}
		case DEC_CGROUP:
			cgroup_path(v, out, len);
			break;
		case DEC_DEV:
			dev_name(v, out, len);
			break;
		case DEC_STATIC_MAP:
			for (size_t j = 0; j < d[i].n_map; j++) {
				if (strcmp(in, d[i].from[j]))
					continue;
				snprintf(out, len, "%s", d[i].to[j]);
				break;
			}
			break;
		case DEC_REGEXP: {
			bool match = false;

			for (size_t j = 0; j < d[i].n_res && !match; j++)
				match = !regexec(&d[i].res[j], in, 0, NULL, 0);
			if (!match)
				return 0;
			break;
		}
		}
	}
	text_clean(out);
	return 1;
}
