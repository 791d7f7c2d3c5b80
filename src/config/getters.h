/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONFIG_GETTERS_H
#define EBPFMON_CONFIG_GETTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/yaml_tree.h"

/*
 * Typed getters on a mapping entry. An absent key or a null value leaves
 * *out untouched (the caller's default) and returns 0. A present but wrong
 * value prints one error line and returns -EINVAL.
 */
int cfg_get_bool(struct cfg_node *map, const char *key, bool *out);
int cfg_get_int(struct cfg_node *map, const char *key, long long min, long long max,
		long long *out);
/* A power of two from 1 to max (buffer sizes in pages). */
int cfg_get_pow2(struct cfg_node *map, const char *key, long long max, long long *out);
/* Non-negative decimal seconds, e.g. "0.5"; range in seconds. */
int cfg_get_double(struct cfg_node *map, const char *key, double min, double max,
		   double *out);
/*
 * Seconds as the config and the command line write them: decimal digits and
 * at most one '.' ("2", "0.5", ".5", "5."), no sign, exponent, "inf" or
 * blanks; parsed by hand so the locale's decimal point does not matter. To
 * the nanosecond (further digits dropped). 0, or -EINVAL (not such a
 * number), -EDOM (a leading zero: "010", which YAML 1.1 reads as octal),
 * -ERANGE (positive yet below 1 ns, "0.0000000001"). Too large for any
 * setting is no error here: *out is then above every maximum.
 */
int cfg_seconds_parse(const char *text, double *out);
/*
 * What to add to "expected a number of seconds from A to B" for TEXT that
 * cfg_seconds_parse refused with ERR (-EINVAL, -EDOM), where the range alone
 * would not say it ("1e-31" lies in it): " without a leading zero", " in
 * decimal digits such as 0.5 (no exponent or hex)", or "".
 */
const char *cfg_seconds_hint(const char *text, int err);
/* *out is replaced with a malloc'd copy (old value freed). */
int cfg_get_string(struct cfg_node *map, const char *key, char **out);
/* One of choices (NULL-terminated); *out is the index. */
int cfg_get_enum(struct cfg_node *map, const char *key, const char *const *choices,
		 int *out);
/* A sequence of scalars, or one scalar; *out is a NULL-terminated malloc'd vector. */
int cfg_get_strv(struct cfg_node *map, const char *key, char ***out);
/* A mapping (or absent/null: *out = NULL). Wrong kind: error. */
int cfg_get_map(struct cfg_node *map, const char *key, struct cfg_node **out);

/*
 * The scalar at map.key, for a getter of its own: *out is NULL when absent
 * or null (keep the default); a mapping or a list is an error.
 */
int cfg_get_scalar(struct cfg_node *map, const char *key, struct cfg_node **out);
/* An unquoted true/false, yes/no, on/off (any case): 0, else -EINVAL, silently. */
int cfg_node__parse_bool(const struct cfg_node *node, bool *out);

/* Values quoted in error messages are cut after this many bytes. */
#define CFG_SHOW_MAX		80
/* Room for cfg_value_show(): every byte escaped, and "...". */
#define CFG_SHOW_SIZE		(CFG_SHOW_MAX * 4 + 16)
/*
 * A scalar's value for "got \"%s\"" into buf (CFG_SHOW_SIZE bytes):
 * backslashes and quotes escaped, cut (on a UTF-8 character boundary)
 * after CFG_SHOW_MAX bytes. Returns buf.
 */
const char *cfg_value_show(const char *value, char *buf, size_t size);

void strv_free(char **v);
size_t strv_len(char *const *v);

#endif
