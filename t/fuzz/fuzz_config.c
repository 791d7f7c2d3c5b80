// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the configuration as --check reads it. The input is the
 * YAML text; it goes through config__load_string (the tree, the getters,
 * every global section) and then session__select and session__configure with
 * every monitor of the registry, as --check runs them: each monitor's own
 * configure hook on its monitors.NAME section, whatever monitors.am lists.
 * Nothing is compiled or attached, no BPF call and no libbcc call is made:
 * the kernel facts are made up, in two kinds taken by turns (by the input's
 * length): none at all (no tracefs, no BTF, no headers: every monitor
 * unavailable), or a kernel that has it all (kprobes, raw tracepoints, a
 * ring buffer, headers of its own) with a tracefs of its own in a temporary
 * directory: every tracepoint of every monitor, their format files copied
 * from the real one, and available_filter_functions.
 *
 * A monitor may read kernel lists while it configures (func reads
 * /proc/kallsyms, 120,000 lines, 0.2 s a time): when it may (root), the
 * fuzzer runs in a mount namespace of its own where t/fuzz/kallsyms, a few
 * dozen functions, stands in for it.
 *
 * Lines of the input that start with "#set " (comments to YAML) are --set
 * assignments as well, applied in order over the tree (cfg_doc__set): the
 * flag's parsing and its edits of the tree are fuzzed with the file.
 *
 * FUZZ_VERBOSE=1 in the environment keeps the program's error lines on
 * stderr; otherwise they go to /dev/null (still formatted: their format
 * strings are under test too).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config/config.h"
#include "core/monitor.h"
#include "core/session.h"
#include "util/log.h"

#ifndef FUZZ_KALLSYMS
#define FUZZ_KALLSYMS ABS_TOP_SRCDIR "/t/fuzz/kallsyms"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kallsyms_stand_in(void)
{
	const char *fixture = getenv("FUZZ_KALLSYMS");

	if (!fixture)
		fixture = FUZZ_KALLSYMS;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(fixture, "/proc/kallsyms", NULL, MS_BIND, NULL))
		fprintf(stderr, "fuzz_config: /proc/kallsyms stays the kernel's (%s): "
			"func's configure reads all of it, each run\n", strerror(errno));
}

/* The kernel that has everything; its tracefs is made once, at the start. */
static struct kernel_info rich;
static char tracefs[] = "/tmp/fuzz_config.XXXXXX";

static void tracefs_remove(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tracefs);
	if (system(cmd))
		fprintf(stderr, "fuzz_config: cannot remove %s\n", tracefs);
}

/* Copy FROM to TO when FROM can be read; an empty TO otherwise. */
static void file_copy(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	char buf[4096];
	size_t n;

	if (!out)
		abort();
	while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in)
		fclose(in);
	fclose(out);
}

static void mkdirs(const char *fmt, const char *a, const char *b)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, tracefs, a, b);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void rich_kernel(void)
{
	char path[512], from[512];
	struct utsname un;

	if (!mkdtemp(tracefs))
		abort();
	atexit(tracefs_remove);
	for (const struct monitor *const *mon = monitors; *mon; mon++) {
		for (const struct monitor_tp *tp = (*mon)->tracepoints; tp && tp->category; tp++) {
			mkdirs("%s/events/%s/%s", tp->category, tp->event);
			snprintf(from, sizeof(from), "/sys/kernel/tracing/events/%s/%s/format",
				 tp->category, tp->event);
			snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs,
				 tp->category, tp->event);
			file_copy(from, path);
		}
	}
	/* ftrace's functions: the stand-in kallsyms' (func narrows by them). */
	snprintf(from, sizeof(from), "%s", getenv("FUZZ_KALLSYMS") ? getenv("FUZZ_KALLSYMS") :
		 FUZZ_KALLSYMS);
	snprintf(path, sizeof(path), "awk '$2 ~ /^[tT]$/ { print $3 }' '%s' > '%s/%s'", from,
		 tracefs, "available_filter_functions");
	if (system(path))
		abort();
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	file_copy("/dev/null", path);

	uname(&un);
	snprintf(rich.release, sizeof(rich.release), "%s", un.release);
	snprintf(rich.machine, sizeof(rich.machine), "%s", un.machine);
	sscanf(rich.release, "%u.%u", &rich.major, &rich.minor);
	rich.privileged = rich.bpf_ok = rich.tracefs_ok = true;
	snprintf(rich.tracefs, sizeof(rich.tracefs), "%s", tracefs);
	rich.btf_wanted = true;
	rich.headers_ok = rich.headers_match = true;
	rich.headers_major = rich.major;
	rich.headers_minor = rich.minor;
	rich.kprobes = rich.raw_tracepoints = rich.ringbuf = true;
	snprintf(rich.fentry_why, sizeof(rich.fentry_why), "no BTF (made up)");
	snprintf(rich.btf_why, sizeof(rich.btf_why), "none (made up)");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kallsyms_stand_in();
	rich_kernel();
	if (!getenv("FUZZ_VERBOSE") && log_open(LOG_TARGET_FILE, "/dev/null"))
		abort();
	return 0;
}

#define FUZZ_MAX_SETS 16

/* The input's "#set KEY=VALUE" lines, cut out of COPY (a NUL-terminated copy). */
static void sets_find(char *copy, char **sets)
{
	size_t n = 0;

	for (char *line = copy; line && n < FUZZ_MAX_SETS; ) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		if (!strncmp(line, "#set ", 5))
			sets[n++] = line + 5;
		line = end ? end + 1 : NULL;
	}
	sets[n] = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s = { .ready_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	char *sets[FUZZ_MAX_SETS + 1], *copy = malloc(size + 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	sets_find(copy, sets);
	/* Both kernels, by turns: a mutation that changes the length changes it. */
	if (size & 1)
		s.ki = rich;
	if (!config__load_string_set(&s.cfg, "fuzz.yaml", (const char *)data, size, sets)) {
		/* As main's setup does (metrics_setup), without the command line. */
		s.metrics = s.cfg.metrics_listen != NULL;
		s.metrics_only = s.cfg.format == OUTPUT_NONE;
		/* All: every monitor configured, those the file names and the others. */
		if (!session__select(&s, NULL, true))
			session__configure(&s);
	}
	/* Nothing of the made-up kernel is the session's to free. */
	memset(&s.ki, 0, sizeof(s.ki));
	session__stop(&s);
	free(copy);
	return 0;
}
