// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>

#include "config/config.h"
#include "probes/common.h"
#include "bpf/kernel.h"
#include "util/log.h"
#include "util/trust.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static void probe_privileges(struct kernel_info *ki)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (geteuid() == 0) {
		ki->privileged = true;
		return;
	}
	if (!syscall(SYS_capget, &hdr, data) &&
	    (data[1].effective & (1u << (CAP_BPF - 32))) &&
	    (data[1].effective & (1u << (CAP_PERFMON - 32)))) {
		ki->privileged = true;
		return;
	}
	snprintf(ki->privileged_why, sizeof(ki->privileged_why),
		 "needs root, or CAP_BPF and CAP_PERFMON (running as uid %u)", geteuid());
}

static void probe_bpf(struct kernel_info *ki)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd < 0) {
		snprintf(ki->bpf_why, sizeof(ki->bpf_why), "bpf(BPF_MAP_CREATE) failed: %s",
			 strerror(-fd));
		return;
	}
	close(fd);
	ki->bpf_ok = true;
}

static void probe_tracefs(struct kernel_info *ki)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char events[128];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(events, sizeof(events), "%s/events", dirs[i]);
		if (is_dir(events)) {
			snprintf(ki->tracefs, sizeof(ki->tracefs), "%s", dirs[i]);
			ki->tracefs_ok = true;
			return;
		}
	}
	if (!ki->privileged) {
		snprintf(ki->tracefs_why, sizeof(ki->tracefs_why),
			 "tracefs is not mounted and mounting it needs root");
		return;
	}
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL)) {
		snprintf(ki->tracefs_why, sizeof(ki->tracefs_why),
			 "tracefs is not mounted and mounting it at %s failed: %s", dirs[0],
			 strerror(errno));
		return;
	}
	pr_info("kernel: mounted tracefs at %s", dirs[0]);
	snprintf(ki->tracefs, sizeof(ki->tracefs), "%s", dirs[0]);
	ki->tracefs_ok = true;
	ki->tracefs_mounted_by_us = true;
}

/* Load the smallest program (r0 = 0; exit) of a type: an fd, or -errno. */
static int prog_load_trivial(enum bpf_prog_type type, const char *name,
			     const struct bpf_prog_load_opts *opts)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, name, "GPL", insns, 2, opts);
}

/*
 * Raw tracepoints (4.17) hand the program the tracepoint's arguments as they
 * are, without the trace event's record: several times cheaper per hit.
 */
static void probe_raw_tracepoint(struct kernel_info *ki)
{
	int fd = prog_load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT, "ebpfmon_rawtp", NULL);

	if (fd < 0) {
		snprintf(ki->raw_tracepoints_why, sizeof(ki->raw_tracepoints_why),
			 "loading a raw tracepoint program failed: %s", strerror(-fd));
		return;
	}
	close(fd);
	ki->raw_tracepoints = true;
}

/*
 * fentry needs BTF and a kernel that lets us load a tracing program against
 * a kernel function: try the smallest one on vfs_read.
 */
static void probe_fentry(struct kernel_info *ki)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *btf = ki->btf;
	int id, fd;

	if (!btf) {
		snprintf(ki->fentry_why, sizeof(ki->fentry_why), "fentry needs BTF: %s",
			 ki->btf_why);
		return;
	}
	id = btf__find_by_name_kind(btf, "vfs_read", BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(ki->fentry_why, sizeof(ki->fentry_why),
			 "fentry: vfs_read not found in BTF");
		return;
	}
	opts.attach_btf_id = id;
	fd = prog_load_trivial(BPF_PROG_TYPE_TRACING, "ebpfmon_fentry", &opts);
	if (fd < 0) {
		snprintf(ki->fentry_why, sizeof(ki->fentry_why),
			 "loading an fentry program failed: %s", strerror(-fd));
		return;
	}
	close(fd);
	ki->fentry = true;
}

/* The BPF ring buffer (5.8+): create the smallest one, one page. */
static void probe_ringbuf(struct kernel_info *ki)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, getpagesize(), NULL);

	if (fd < 0) {
		snprintf(ki->ringbuf_why, sizeof(ki->ringbuf_why),
			 "creating a BPF ring buffer failed: %s%s", strerror(-fd),
			 fd == -EINVAL ? " (BPF_MAP_TYPE_RINGBUF needs Linux 5.8)" : "");
		return;
	}
	close(fd);
	ki->ringbuf = true;
}

static void probe_btf(struct kernel_info *ki, bool wanted)
{
	ki->btf_wanted = wanted;
	if (!wanted) {
		snprintf(ki->btf_why, sizeof(ki->btf_why), "turned off by kernel.btf: off");
		return;
	}
	ki->btf = btf__load_vmlinux_btf();
	if (!ki->btf) {
		snprintf(ki->btf_why, sizeof(ki->btf_why), "cannot load vmlinux BTF: %s",
			 strerror(errno));
		ki->btf = NULL;
	}
}

/* LINUX_VERSION_CODE of a header tree, from include/generated/uapi/linux/version.h. */
static int headers_version(const char *build, unsigned *major, unsigned *minor)
{
	char path[PATH_MAX], line[256];
	unsigned long code;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/include/generated/uapi/linux/version.h", build);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "#define LINUX_VERSION_CODE %lu", &code) == 1) {
			*major = code >> 16;
			*minor = (code >> 8) & 0xff;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* Debian's -amd64 tree holds only a Makefile that includes the -common one. */
static char *headers_source_of(const char *build)
{
	char path[PATH_MAX], line[PATH_MAX + 16], inc[PATH_MAX];
	char *src = NULL, *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/include/linux/kconfig.h", build);
	if (is_file(path))
		return realpath(build, NULL);
	snprintf(path, sizeof(path), "%s/source", build);
	if (is_dir(path))
		return realpath(path, NULL);
	snprintf(path, sizeof(path), "%s/Makefile", build);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!src && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "include %4095s", inc) != 1)
			continue;
		slash = strrchr(inc, '/');
		if (!slash || strcmp(slash, "/Makefile"))
			continue;
		*slash = 0;
		snprintf(path, sizeof(path), "%s/include/linux/kconfig.h", inc);
		if (is_file(path))
			src = realpath(inc, NULL);
	}
	fclose(f);
	return src;
}

static bool headers_try(struct kernel_info *ki, const char *build, const char *how)
{
	char generated[PATH_MAX];
	char *b, *s;

	snprintf(generated, sizeof(generated), "%s/include/generated/autoconf.h", build);
	if (!is_file(generated))
		return false;
	s = headers_source_of(build);
	if (!s)
		return false;
	b = realpath(build, NULL);
	if (!b) {
		free(s);
		return false;
	}
	ki->headers_build = b;
	ki->headers_source = s;
	ki->headers_ok = true;
	if (headers_version(b, &ki->headers_major, &ki->headers_minor) == 0)
		ki->headers_match = ki->headers_major == ki->major &&
				    ki->headers_minor == ki->minor;
	if (strcmp(b, s))
		snprintf(ki->headers_how, sizeof(ki->headers_how), "%s (%s) with %s", b, how, s);
	else
		snprintf(ki->headers_how, sizeof(ki->headers_how), "%s (%s)", b, how);
	return true;
}

static int version_cmp(const void *a, const void *b)
{
	return -strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Newest /usr/src/linux-headers-* tree that has generated headers. */
static bool headers_scan_usr_src(struct kernel_info *ki)
{
	char **names = NULL, path[PATH_MAX];
	size_t n = 0;
	bool found = false;
	struct dirent *de;
	DIR *d;

	d = opendir("/usr/src");
	if (!d)
		return false;
	while ((de = readdir(d))) {
		char **grown;

		if (strncmp(de->d_name, "linux-headers-", 14))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	/* Not qsort(NULL, 0, ...) when there is none: its arguments are nonnull. */
	if (n > 1)
		qsort(names, n, sizeof(*names), version_cmp);
	/* This kernel's own tree first, then the newest. */
	for (size_t i = 0; i < n && !found; i++) {
		if (strcmp(names[i] + 14, ki->release))
			continue;
		snprintf(path, sizeof(path), "/usr/src/%s", names[i]);
		found = headers_try(ki, path, "found in /usr/src");
	}
	for (size_t i = 0; i < n && !found; i++) {
		snprintf(path, sizeof(path), "/usr/src/%s", names[i]);
		found = headers_try(ki, path, "found in /usr/src");
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

/* 0, or -EPERM: kernel.headers names a tree another user can write. */
static int probe_headers(struct kernel_info *ki, const char *setting)
{
	char path[PATH_MAX];
	int err = 0;

	if (setting && strcmp(setting, "auto")) {
		/* Compiled as root: no one else may write a header of it (util/trust.h). */
		if (is_dir(setting))
			err = trust_check_tree(setting, -1, "kernel.headers");
		if (err)
			return err;
		if (!headers_try(ki, setting, "kernel.headers"))
			snprintf(ki->headers_why, sizeof(ki->headers_why),
				 "kernel.headers %s is not a kernel header tree "
				 "(no include/generated/autoconf.h, or no include/linux beside it)",
				 setting);
		else if (strcmp(ki->headers_build, ki->headers_source))
			err = trust_check_tree(ki->headers_source, -1, "kernel.headers");
		return err;
	}
	snprintf(path, sizeof(path), "/lib/modules/%s/build", ki->release);
	if (headers_try(ki, path, "/lib/modules"))
		return 0;
	if (headers_scan_usr_src(ki))
		return 0;
	if (is_file("/sys/kernel/kheaders.tar.xz")) {
		ki->headers_ok = true;
		ki->headers_match = true;
		ki->headers_major = ki->major;
		ki->headers_minor = ki->minor;
		snprintf(ki->headers_how, sizeof(ki->headers_how),
			 "/sys/kernel/kheaders.tar.xz (CONFIG_IKHEADERS)");
		return 0;
	}
	snprintf(ki->headers_why, sizeof(ki->headers_why),
		 "no kernel headers: none at /lib/modules/%s/build or /usr/src/linux-headers-*; "
		 "on Debian install linux-headers-amd64", ki->release);
	return 0;
}

/*
 * libbpf's messages (its own and those of its calls in libbcc) through our
 * logger, at debug: every libbpf call whose failure matters is reported by
 * its caller in our words, with the effect ("no BTF (cannot load vmlinux
 * BTF: ...)"), so "libbpf: failed to find valid kernel BTF" on a kernel
 * without BTF is a detail for -v. libbpf's own debug chatter is left out.
 */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	if (level == LIBBPF_DEBUG || log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = 0;
	/* Its messages start "libbpf: " already. */
	pr_debug("%s%s", strncmp(msg, "libbpf: ", 8) ? "libbpf: " : "", msg);
	return 0;
}

int kernel_info__probe(struct kernel_info *ki, const struct config *cfg)
{
	struct utsname un;
	char path[256];
	int err;

	memset(ki, 0, sizeof(*ki));
	libbpf_set_print(libbpf_log);
	uname(&un);
	snprintf(ki->release, sizeof(ki->release), "%s", un.release);
	snprintf(ki->machine, sizeof(ki->machine), "%s", un.machine);
	sscanf(ki->release, "%u.%u", &ki->major, &ki->minor);

	probe_privileges(ki);
	probe_bpf(ki);
	probe_tracefs(ki);
	probe_btf(ki, cfg->btf);
	err = probe_headers(ki, cfg->headers);
	if (ki->tracefs_ok) {
		snprintf(path, sizeof(path), "%s/kprobe_events", ki->tracefs);
		ki->kprobes = access(path, F_OK) == 0;
	}
	if (!ki->kprobes)
		snprintf(ki->kprobes_why, sizeof(ki->kprobes_why), ki->tracefs_ok ?
			 "no kprobe_events in tracefs (kernel built without CONFIG_KPROBES)" :
			 "tracefs unavailable");
	probe_raw_tracepoint(ki);
	probe_fentry(ki);
	probe_ringbuf(ki);
	return err;
}

void kernel_info__free(struct kernel_info *ki)
{
	btf__free(ki->btf);
	free(ki->headers_build);
	free(ki->headers_source);
	memset(ki, 0, sizeof(*ki));
}

bool kernel_info__has_tracepoint(const struct kernel_info *ki, const char *category,
				 const char *event)
{
	char path[256];

	if (!ki->tracefs_ok)
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s", ki->tracefs, category, event);
	return is_dir(path);
}

bool kernel_info__offsets_trusted(const struct kernel_info *ki)
{
	return ki->btf || (ki->headers_ok && ki->headers_match);
}

const char *kernel_info__offsets_source(const struct kernel_info *ki)
{
	if (ki->btf)
		return "BTF (/sys/kernel/btf/vmlinux)";
	if (ki->headers_ok && ki->headers_match)
		return "kernel headers (offsetof)";
	return "none: no BTF and the headers are not this kernel's";
}

static int btf_find_member(const struct btf *btf, const struct btf_type *t,
			   const char *member, long *bits)
{
	const struct btf_member *m = btf_members(t);
	int vlen = btf_vlen(t);

	for (int i = 0; i < vlen; i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		long off = btf_member_bit_offset(t, i);
		const struct btf_type *mt;

		if (name && *name) {
			if (!strcmp(name, member)) {
				*bits = off;
				return 0;
			}
			continue;
		}
		/* An anonymous struct or union: its members are ours. */
		mt = btf__type_by_id(btf, m[i].type);
		while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
			mt = btf__type_by_id(btf, mt->type);
		if (mt && btf_is_composite(mt) && !btf_find_member(btf, mt, member, bits)) {
			*bits += off;
			return 0;
		}
	}
	return -ENOENT;
}

int kernel_info__btf_offset(const struct kernel_info *ki, const char *type,
			    const char *member, long *off)
{
	const struct btf_type *t;
	long bits = 0;
	int id, err;

	if (!ki->btf)
		return -ENODATA;
	id = btf__find_by_name_kind(ki->btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		id = btf__find_by_name_kind(ki->btf, type, BTF_KIND_UNION);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(ki->btf, id);
	err = btf_find_member(ki->btf, t, member, &bits);
	if (err)
		return err;
	if (bits % 8)
		return -EINVAL;	/* a bitfield has no byte offset */
	*off = bits / 8;
	return 0;
}

int kernel_info__btf_sizeof(const struct kernel_info *ki, const char *type, long *size)
{
	int id;

	if (!ki->btf)
		return -ENODATA;
	id = btf__find_by_name_kind(ki->btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		return -ENOENT;
	*size = btf__resolve_size(ki->btf, id);
	return *size < 0 ? (int)*size : 0;
}

int kernel_info__btf_enum_value(const struct kernel_info *ki, const char *name, long long *value)
{
	int n = ki->btf ? (int)btf__type_cnt(ki->btf) : 0;

	if (!ki->btf)
		return -ENODATA;
	for (int id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(ki->btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(ki->btf, e[i].name_off), name)) {
				*value = e[i].val;
				return 0;
			}
	}
	return -ENOENT;
}

const char *kernel_info__kpath_why(const struct kernel_info *ki)
{
	/* The members probes/kpath.h asks for with @BTF_OFFSETOF@. */
	static const char *const members[][2] = {
		{ "task_struct", "fs" }, { "task_struct", "files" },
		{ "fs_struct", "root" }, { "fs_struct", "pwd" },
		{ "files_struct", "fdt" }, { "fdtable", "max_fds" }, { "fdtable", "fd" },
		{ "file", "f_path" }, { "path", "mnt" }, { "path", "dentry" },
		{ "dentry", "d_parent" }, { "dentry", "d_name" },
		{ "qstr", "len" }, { "qstr", "name" }, { "vfsmount", "mnt_root" },
		{ "mount", "mnt" }, { "mount", "mnt_parent" }, { "mount", "mnt_mountpoint" },
	};
	static char why[192];
	long off;

	if (!ki->btf) {
		/* struct mount lives in fs/mount.h, which no header package ships. */
		snprintf(why, sizeof(why), "paths from the kernel need BTF (struct mount is "
			 "in no header tree): %s", ki->btf_why);
		return why;
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (!kernel_info__btf_offset(ki, members[i][0], members[i][1], &off))
			continue;
		snprintf(why, sizeof(why), "paths from the kernel: BTF has no %s.%s",
			 members[i][0], members[i][1]);
		return why;
	}
	return NULL;
}

const char *kpath_flags_error(unsigned flags)
{
	if (flags & KPATH_F_UNAVAILABLE)
		return "unavailable";
	if (flags & KPATH_F_UNREACHABLE)
		return "not under the process's root";
	return NULL;
}

static const char *kernel_arch(const char *machine)
{
	if (!strcmp(machine, "x86_64") || (machine[0] == 'i' && !strcmp(machine + 2, "86")))
		return "x86";
	if (!strcmp(machine, "aarch64"))
		return "arm64";
	if (!strncmp(machine, "arm", 3))
		return "arm";
	if (!strncmp(machine, "ppc", 3))
		return "powerpc";
	if (!strcmp(machine, "s390x"))
		return "s390";
	return machine;
}

int kernel_info__apply_headers(const struct kernel_info *ki, char ***cflags, int *ncflags)
{
	const char *arch = kernel_arch(ki->machine);
	char std[PATH_MAX], *real_std = NULL;
	char **v = NULL;
	int n = 0, err = 0;

	*cflags = NULL;
	*ncflags = 0;
	if (!ki->headers_build)
		return 0;	/* kheaders: libbcc finds them itself */
	snprintf(std, sizeof(std), "/lib/modules/%s/build", ki->release);
	real_std = realpath(std, NULL);
	if (real_std && !strcmp(real_std, ki->headers_build) &&
	    !getenv("BCC_KERNEL_SOURCE")) {
		free(real_std);
		return 0;	/* libbcc's own default */
	}
	free(real_std);
	/*
	 * libbcc builds its include path from one directory; point it at the
	 * source tree and add the build tree's generated headers after it.
	 */
	if (setenv("BCC_KERNEL_SOURCE", ki->headers_source, 1))
		return -errno;
	if (strcmp(ki->headers_build, ki->headers_source)) {
		static const char *const fmts[] = {
			"-I%s/arch/%s/include/generated/uapi",
			"-I%s/arch/%s/include/generated",
			"-I%s/include",
			"-I%s/include/generated/uapi",
		};

		v = calloc(4, sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (n = 0; n < 4; n++) {
			const char *fmt = fmts[n];
			int r = strstr(fmt, "arch/%s") ?
				asprintf(&v[n], fmt, ki->headers_build, arch) :
				asprintf(&v[n], fmt, ki->headers_build);

			if (r < 0) {
				v[n] = NULL;
				err = -ENOMEM;
				break;
			}
		}
		if (err) {
			for (int i = 0; i < n; i++)
				free(v[i]);
			free(v);
			return err;
		}
	}
	*cflags = v;
	*ncflags = n;
	return 0;
}
