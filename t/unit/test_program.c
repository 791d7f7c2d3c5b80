// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the program monitor's decoders (ebpf_exporter's label
 * decoders, chained) and their config: known bytes in, known text out; bad
 * decoder and label configs refused. No root, no BPF.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "monitors/program_decode.h"
#include "tap.h"

/* The label of one decoder chain (YAML text) applied to SIZE bytes of DATA; "(dropped)". */
static const char *decode(const char *yaml, const void *data, size_t size)
{
	static char out[256];
	struct cfg_node *node = NULL;
	struct prog_decoder *d = NULL;
	size_t n = 0;

	snprintf(out, sizeof(out), "(bad config)");
	if (cfg_node__parse("t.yaml", yaml, strlen(yaml), &node) == 0 &&
	    prog_decoders_parse(node, &d, &n) == 0 &&
	    !prog_decode(d, n, data, size, out, sizeof(out)))
		snprintf(out, sizeof(out), "(dropped)");
	prog_decoders_free(d, n);
	cfg_node__free(node);
	return out;
}

static int labels_rc(const char *yaml)
{
	struct cfg_node *node = NULL;
	struct prog_label *l = NULL;
	size_t n = 0;
	int err = cfg_node__parse("t.yaml", yaml, strlen(yaml), &node);

	if (!err)
		err = prog_labels_parse(node, &l, &n);
	prog_labels_free(l, n);
	cfg_node__free(node);
	return err;
}

int main(void)
{
	uint32_t u32 = 0x01020304, op = 2, dev = 4095u << 20 | 5;
	int32_t neg = -ENOENT;
	uint64_t nr = 39, zero = 0;
	char str[16] = "hello\0garbage";
	unsigned char ctl[4] = { 'a', 0x01, 0xff, 0 };

	is_str(decode("[{name: uint}]", &u32, 4), "16909060", "uint: 4 bytes, little-endian");
	is_str(decode("[{name: uint}]", &u32, 2), "772", "uint: the label's size, not more");
	is_str(decode("[{name: string}]", str, sizeof(str)), "hello", "string: up to the NUL");
	is_str(decode("[{name: string}]", "abcdefgh", 4), "abcd", "string: no NUL within size");
	is_str(decode("[{name: string}]", ctl, 4), "a??", "string: control and non-ASCII bytes made '?'");
	is_str(decode("[{name: errno}]", &neg, 4), "ENOENT", "errno: a negative return");
	is_str(decode("[{name: syscall}]", &nr, 8), "getpid", "syscall: 39 is getpid (x86_64)");
	is_str(decode("[{name: ksym}]", &zero, 8), "0x0", "ksym: no symbol at 0: the address");
	is_str(decode("[{name: dev}]", &dev, 4), "4095:5", "dev: MAJOR << 20 | MINOR, no such block device");
	is_str(decode("[{name: uint}, {name: static_map, static_map: {1: read, 2: write}}]", &op, 4),
	       "write", "static_map: after uint");
	op = 9;
	is_str(decode("[{name: uint}, {name: static_map, static_map: {1: read, 2: write}}]", &op, 4),
	       "9", "static_map: an unknown value is kept");
	is_str(decode("[{name: string}, {name: regexp, regexps: ['^he', '^x$']}]", str, 16),
	       "hello", "regexp: a match keeps the text");
	is_str(decode("[{name: string}, {name: regexp, regexps: ['^x$']}]", str, 16),
	       "(dropped)", "regexp: no match drops the series");

	is_str(decode("[{name: hex}]", &u32, 4), "(bad config)", "an unknown decoder is refused");
	is_str(decode("[{name: static_map}]", &u32, 4), "(bad config)", "static_map needs its map");
	is_str(decode("[{name: regexp, regexps: ['(']}]", &u32, 4), "(bad config)",
	       "a regexp that does not compile is refused");
	is_str(decode("[{name: uint, extra: 1}]", &u32, 4), "(bad config)",
	       "an unknown decoder key is refused");
	is_int(labels_rc("[{name: a, size: 4, decoders: [{name: uint}]}]"), 0, "a label: accepted");
	is_int(labels_rc("[{name: a, decoders: [{name: uint}]}]"), -EINVAL, "a label needs a size");
	is_int(labels_rc("[{name: a, size: 4}]"), -EINVAL, "a label needs decoders");
	is_int(labels_rc("[{size: 4, decoders: [{name: uint}]}]"), -EINVAL, "a label needs a name");
	is_int(labels_rc("[{name: \"a\\\"b\", size: 4, decoders: [{name: uint}]}]"), -EINVAL,
	       "a label name the exposition would have to escape is refused");
	is_int(labels_rc("[{name: le, size: 4, decoders: [{name: uint}]}]"), -EINVAL,
	       "le is the histograms' own");
	is_int(labels_rc("[{name: a, size: 0, decoders: [{name: uint}]}]"), -EINVAL,
	       "a label's size is 1..256");
	cfg_errors_flush();
	return done_testing();
}
