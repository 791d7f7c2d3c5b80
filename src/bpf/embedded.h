/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_EMBEDDED_H
#define EBPFMON_EMBEDDED_H

#include <stddef.h>

/* probes/ and templates/, copied into the binary at build time (embedded.c). */
struct embedded_file {
	const char *name;	/* basename */
	const char *data;
	size_t len;
};

extern const struct embedded_file embedded_files[];	/* name == NULL ends it */

#endif
