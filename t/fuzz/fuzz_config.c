// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the configuration as --check reads it. The input is the
 * YAML text; it goes through config__load_string (the tree, the getters,
 * every global section) and then session__select and session__configure with
 * every monitor of the registry, as --check runs them: each monitor's own
 * configure hook on its monitors.NAME section, whatever monitors.am lists.
 * Nothing is compiled or attached: the kernel facts are left empty (no
 * tracefs, no BTF, no headers), so no BPF call and no libbcc call is made.
 *
 * A monitor may read kernel lists while it configures (func reads
 * /proc/kallsyms, 120,000 lines, 0.2 s a time): when it may (root), the
 * fuzzer runs in a mount namespace of its own where t/fuzz/kallsyms, a few
 * dozen functions, stands in for it.
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

#include "config/config.h"
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kallsyms_stand_in();
	if (!getenv("FUZZ_VERBOSE") && log_open(LOG_TARGET_FILE, "/dev/null"))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s = { .ready_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

	if (!config__load_string(&s.cfg, "fuzz.yaml", (const char *)data, size)) {
		/* As main's setup does (metrics_setup), without the command line. */
		s.metrics = s.cfg.metrics_listen != NULL;
		s.metrics_only = s.cfg.format == OUTPUT_NONE;
		/* All: every monitor configured, those the file names and the others. */
		if (!session__select(&s, NULL, true))
			session__configure(&s);
	}
	session__stop(&s);
	return 0;
}
