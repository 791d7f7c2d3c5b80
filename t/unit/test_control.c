// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the control protocol's parser (src/core/control_proto.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/control_proto.h"
#include "tap.h"

static struct control_request req;
static char err[256];

static int parse(const char *text)
{
	return control_request__parse(text, strlen(text), &req, err, sizeof(err));
}

/* TEXT is refused with exactly WANT. */
static void refused(const char *text, const char *want)
{
	int ret = parse(text);

	ok(ret == -EINVAL, "refused: %s", text);
	is_str(err, want, want);
	ok(req.n_monitors == 0 && req.cmd == CONTROL_STATUS, "refused: nothing kept (%s)", text);
}

static void test_good(void)
{
	ok(!parse("{\"cmd\":\"status\"}"), "status");
	ok(req.cmd == CONTROL_STATUS && !req.n_monitors && req.cpu == -1, "status: no target");
	is_str(err, "", "status: no error");
	ok(!parse("{\"cmd\":\"finish\"}") && req.cmd == CONTROL_FINISH, "finish");
	ok(!parse("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"pid\":123,\"tgid\":0,"
		  "\"comm\":\"bash\",\"cpu\":-1,\"time\":2}"), "activate, every key");
	ok(req.cmd == CONTROL_ACTIVATE && req.n_monitors == 1, "activate: one monitor");
	is_str(req.monitors[0], "exec", "activate: its name");
	is_int(req.pid, 123, "activate: pid");
	is_int(req.tgid, 0, "activate: tgid 0 is none");
	is_str(req.comm, "bash", "activate: comm");
	is_int(req.cpu, -1, "activate: cpu -1 is any");
	ok(req.time_s == 2, "activate: time 2 s");
	ok(!parse(" {\"monitors\":[\"exec\",\"open\"],\"cmd\":\"deactivate\"} "),
	   "deactivate, keys in any order, blanks around");
	ok(req.cmd == CONTROL_DEACTIVATE && req.n_monitors == 2, "deactivate: two monitors");
	is_str(req.monitors[1], "open", "deactivate: the second");
	ok(!parse("{\"cmd\":\"activate\",\"monitors\":[\"io\"],\"time\":0.25,\"cpu\":1,"
		  "\"comm\":\"123456789012345\"}"), "activate: 15-byte comm, fractional time");
	ok(req.time_s == 0.25 && req.cpu == 1, "activate: time and cpu");
}

static void test_bad(void)
{
	char *big;

	refused("", "request: not JSON: '[' or '{' expected near end of file (column 0)");
	refused("{\"cmd\":\"status\"", "request: not JSON: '}' expected near end of file "
		"(column 15)");
	refused("[]", "request: expected a JSON object");
	refused("{}", "request: \"cmd\" must be status, activate, deactivate or finish");
	refused("{\"cmd\":7}", "request: \"cmd\" must be status, activate, deactivate or finish");
	refused("{\"cmd\":\"reboot\"}",
		"request: unknown command (status, activate, deactivate, finish)");
	refused("{\"cmd\":\"status\",\"cmd\":\"finish\"}",
		"request: not JSON: duplicate object key near '\"cmd\"' (column 21)");
	refused("{\"cmd\":\"status\",\"monitors\":[\"exec\"]}",
		"status: unknown key \"monitors\" (the keys are cmd)");
	refused("{\"cmd\":\"deactivate\",\"monitors\":[\"exec\"],\"pid\":1}",
		"deactivate: unknown key \"pid\" (the keys are cmd, monitors)");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"pids\":1}",
		"activate: unknown key \"pids\" (the keys are cmd, monitors, pid, tgid, cpu, "
		"comm, time)");
	refused("{\"cmd\":\"activate\"}", "activate: \"monitors\" is missing");
	refused("{\"cmd\":\"activate\",\"monitors\":[]}",
		"activate: \"monitors\" must be a non-empty list of names");
	refused("{\"cmd\":\"activate\",\"monitors\":\"exec\"}",
		"activate: \"monitors\" must be a non-empty list of names");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"Exec\"]}",
		"activate: \"monitors\" item 1 is not a monitor's name");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\",\"ex-ec\"]}",
		"activate: \"monitors\" item 2 is not a monitor's name");
	refused("{\"cmd\":\"status\",\"x\\u00e9\\n\":1}",
		"status: unknown key (the keys are cmd)");
	refused("{\"cmd\":\"st\xc3\xa9\n\"}",
		"request: not JSON: unexpected newline near '\"st??' (column 11)");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\",\"exec\"]}",
		"activate: monitor exec named twice");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"pid\":-1}",
		"activate: \"pid\" must be an integer from 0 to 2147483647");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"pid\":\"12\"}",
		"activate: \"pid\" must be an integer from 0 to 2147483647");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"tgid\":2147483648}",
		"activate: \"tgid\" must be an integer from 0 to 2147483647");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"cpu\":-2}",
		"activate: \"cpu\" must be an integer from -1 to 65535");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"comm\":\"1234567890123456\"}",
		"activate: \"comm\" must be a process name of at most 15 bytes");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"comm\":\"a\\u0000b\"}",
		"request: not JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
		"'\"a\\u0000b\"' (column 55)");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"time\":-1}",
		"activate: \"time\" must be a number of seconds from 0 to 31536000");
	refused("{\"cmd\":\"activate\",\"monitors\":[\"exec\"],\"time\":1e300}",
		"activate: \"time\" must be a number of seconds from 0 to 31536000");

	/* Longer than the protocol allows, even when it is valid JSON. */
	big = malloc(CONTROL_MSG_MAX + 100);
	if (big) {
		memset(big, ' ', CONTROL_MSG_MAX + 100);
		memcpy(big, "{\"cmd\":\"status\"}", 16);
		ok(control_request__parse(big, CONTROL_MSG_MAX + 1, &req, err, sizeof(err)) ==
		   -EINVAL, "4097 bytes: refused");
		is_str(err, "request: longer than 4096 bytes", "4097 bytes: the error");
		ok(!control_request__parse(big, CONTROL_MSG_MAX, &req, err, sizeof(err)),
		   "4096 bytes: taken");
		free(big);
	}
	/* A short error buffer still holds a terminated line. */
	ok(control_request__parse("x", 1, &req, err, 8) == -EINVAL && strlen(err) == 7,
	   "short error buffer: cut, terminated");
}

int main(void)
{
	test_good();
	test_bad();
	return done_testing();
}
