// SPDX-License-Identifier: GPL-2.0
/* The control protocol's request parser (src/core/control_proto.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/control_proto.h"

static const char *const cmd_names[] = {
	[CONTROL_STATUS] = "status",
	[CONTROL_ACTIVATE] = "activate",
	[CONTROL_DEACTIVATE] = "deactivate",
	[CONTROL_FINISH] = "finish",
};

const char *control_cmd_name(enum control_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) ? cmd_names[cmd] : "?";
}

static int fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	/* The parser quotes the input: one line of printable ASCII, whatever it was. */
	for (char *p = err; err_len && *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return -EINVAL;
}

/* A monitor's name as the registry spells them: lowercase, digits, '_'. */
static bool name_plain(const char *s, size_t len)
{
	if (!len || len >= CONTROL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int parse_monitors(json_t *v, const char *cmd, struct control_request *req, char *err,
			  size_t err_len)
{
	size_t i;
	json_t *item;

	if (!json_is_array(v) || !json_array_size(v))
		return fail(err, err_len, "%s: \"monitors\" must be a non-empty list of names", cmd);
	if (json_array_size(v) > CONTROL_MONITORS_MAX)
		return fail(err, err_len, "%s: at most %d monitors", cmd, CONTROL_MONITORS_MAX);
	json_array_foreach(v, i, item) {
		const char *name = json_string_value(item);
		size_t len = json_string_length(item);

		if (!name || !name_plain(name, len))
			return fail(err, err_len, "%s: \"monitors\" item %zu is not a monitor's name",
				    cmd, i + 1);
		for (size_t j = 0; j < req->n_monitors; j++)
			if (!strcmp(req->monitors[j], name))
				return fail(err, err_len, "%s: monitor %s named twice", cmd, name);
		memcpy(req->monitors[req->n_monitors++], name, len + 1);
	}
	return 0;
}

/* A JSON integer in [MIN, MAX] into OUT. */
static int parse_int(json_t *v, const char *cmd, const char *key, long long min, long long max,
		     long long *out, char *err, size_t err_len)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(err, err_len, "%s: \"%s\" must be an integer from %lld to %lld", cmd,
			    key, min, max);
	*out = json_integer_value(v);
	return 0;
}

static int parse_targets(json_t *root, const char *cmd, struct control_request *req, char *err,
			 size_t err_len)
{
	json_t *v;
	long long n;

	if ((v = json_object_get(root, "pid"))) {
		if (parse_int(v, cmd, "pid", 0, INT_MAX, &n, err, err_len))
			return -EINVAL;
		req->pid = n;
	}
	if ((v = json_object_get(root, "tgid"))) {
		if (parse_int(v, cmd, "tgid", 0, INT_MAX, &n, err, err_len))
			return -EINVAL;
		req->tgid = n;
	}
	if ((v = json_object_get(root, "cpu"))) {
		if (parse_int(v, cmd, "cpu", -1, 65535, &n, err, err_len))
			return -EINVAL;
		req->cpu = n;
	}
	if ((v = json_object_get(root, "comm"))) {
		const char *comm = json_string_value(v);
		size_t len = json_string_length(v);

		/* The kernel's comm: 15 bytes and a NUL; none inside. */
		if (!comm || len > 15 || strlen(comm) != len)
			return fail(err, err_len, "%s: \"comm\" must be a process name of at most "
				    "15 bytes", cmd);
		memcpy(req->comm, comm, len + 1);
	}
	if ((v = json_object_get(root, "time"))) {
		double t = json_number_value(v);

		if (!json_is_number(v) || !isfinite(t) || t < 0 || t > CONTROL_TIME_MAX)
			return fail(err, err_len, "%s: \"time\" must be a number of seconds from 0 "
				    "to %d", cmd, CONTROL_TIME_MAX);
		req->time_s = t;
	}
	return 0;
}

/* The keys each command takes; any other is an error (a typo changes nothing). */
static bool key_known(enum control_cmd cmd, const char *key)
{
	static const char *const targets[] = { "pid", "tgid", "cpu", "comm", "time", NULL };

	if (!strcmp(key, "cmd"))
		return true;
	if (cmd == CONTROL_ACTIVATE || cmd == CONTROL_DEACTIVATE)
		if (!strcmp(key, "monitors"))
			return true;
	for (size_t i = 0; cmd == CONTROL_ACTIVATE && targets[i]; i++)
		if (!strcmp(key, targets[i]))
			return true;
	return false;
}

int control_request__parse(const char *buf, size_t len, struct control_request *req,
			   char *err, size_t err_len)
{
	const char *cmd, *key;
	json_error_t jerr;
	json_t *root, *v;
	size_t i;
	int ret = -EINVAL;

	memset(req, 0, sizeof(*req));
	req->cpu = -1;
	if (err_len)
		err[0] = '\0';
	if (len > CONTROL_MSG_MAX)
		return fail(err, err_len, "request: longer than %d bytes", CONTROL_MSG_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(err, err_len, "request: not JSON: %s (column %d)", jerr.text,
			    jerr.column);
	if (!json_is_object(root)) {
		fail(err, err_len, "request: expected a JSON object");
		goto cleanup;
	}
	cmd = json_string_value(json_object_get(root, "cmd"));
	if (!cmd) {
		fail(err, err_len, "request: \"cmd\" must be status, activate, deactivate or finish");
		goto cleanup;
	}
	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (!strcmp(cmd, cmd_names[i]))
			break;
	if (i == sizeof(cmd_names) / sizeof(cmd_names[0]) ||
	    strlen(cmd) != json_string_length(json_object_get(root, "cmd"))) {
		fail(err, err_len, "request: unknown command (status, activate, deactivate, finish)");
		goto cleanup;
	}
	req->cmd = i;
	cmd = cmd_names[i];
	json_object_foreach(root, key, v) {
		if (!key_known(req->cmd, key)) {
			/* The key named only when it is plain: the error is one clean line. */
			bool plain = name_plain(key, strlen(key));

			fail(err, err_len, "%s: unknown key%s%s%s (the keys are cmd%s%s)", cmd,
			     plain ? " \"" : "", plain ? key : "", plain ? "\"" : "",
			     req->cmd == CONTROL_ACTIVATE || req->cmd == CONTROL_DEACTIVATE ?
			     ", monitors" : "",
			     req->cmd == CONTROL_ACTIVATE ? ", pid, tgid, cpu, comm, time" : "");
			goto cleanup;
		}
	}
	if (req->cmd == CONTROL_ACTIVATE || req->cmd == CONTROL_DEACTIVATE) {
		v = json_object_get(root, "monitors");
		if (!v) {
			fail(err, err_len, "%s: \"monitors\" is missing", cmd);
			goto cleanup;
		}
		if (parse_monitors(v, cmd, req, err, err_len))
			goto cleanup;
	}
	if (req->cmd == CONTROL_ACTIVATE && parse_targets(root, cmd, req, err, err_len))
		goto cleanup;
	ret = 0;
cleanup:
	json_decref(root);
	if (ret)
		memset(req, 0, sizeof(*req));
	return ret;
}
