/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROGRAM_DECODE_H
#define EBPFMON_PROGRAM_DECODE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_node;

/*
 * The label decoders of a users' program (ebpf_exporter's): a chain per
 * label, the first fed the label's bytes of the map key (or event), each
 * next one the text the one before made. The ones that read a number read
 * it from the bytes (little-endian, the label's size), the others the text.
 */
enum prog_decoder_kind {
	DEC_UINT,		/* the bytes as an unsigned number */
	DEC_STRING,		/* the bytes up to the first NUL */
	DEC_KSYM,		/* a kernel address as its symbol (/proc/kallsyms) */
	DEC_SYSCALL,		/* a syscall number as its name */
	DEC_ERRNO,		/* an errno (negative too) as its name */
	DEC_CGROUP,		/* a cgroup v2 id as its path under the cgroup2 mount */
	DEC_STATIC_MAP,		/* the text through a mapping; unknown: kept */
	DEC_REGEXP,		/* the series dropped unless the text matches one */
	DEC_DEV,		/* a kernel dev_t (MAJOR << 20 | MINOR) as its block device name */
};

struct prog_decoder {
	enum prog_decoder_kind kind;
	char **from, **to;		/* static_map */
	size_t n_map;
	regex_t *res;			/* regexp: regexps */
	size_t n_res;
};

struct prog_label {
	char *name;
	size_t size;			/* bytes of the key it takes */
	size_t padding;			/* bytes after it that no label takes */
	struct prog_decoder *decs;
	size_t n_decs;
};

/* LABELS (a list of {name, size, padding, decoders}) into *out; 0 or -EINVAL, reported. */
int prog_labels_parse(struct cfg_node *labels, struct prog_label **out, size_t *n);
void prog_labels_free(struct prog_label *l, size_t n);
/* The decoders of one field or label (a list of {name, ...}); 0 or -EINVAL, reported. */
int prog_decoders_parse(struct cfg_node *list, struct prog_decoder **out, size_t *n);
void prog_decoders_free(struct prog_decoder *d, size_t n);

/*
 * The label's text from DATA (SIZE bytes) through the chain into OUT (LEN
 * bytes, valid UTF-8 without control bytes): 1, or 0 when a regexp drops it.
 */
int prog_decode(const struct prog_decoder *d, size_t n, const void *data, size_t size,
		char *out, size_t len);

#endif
