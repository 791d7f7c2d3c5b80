/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONTROL_PROTO_H
#define EBPFMON_CONTROL_PROTO_H
/*
 * The control socket's protocol: one JSON object per line each way.
 *   {"cmd":"activate","monitors":["NAME"],"pid":123,"tgid":0,"comm":"bash","cpu":-1,"time":2}
 *   {"cmd":"deactivate","monitors":["NAME"]}  {"cmd":"status"}  {"cmd":"finish"}
 * Replies are {"ok":true,...} or {"ok":false,"error":"ONE LINE"}. The parser
 * is pure (bytes in, a request or an error line out), so it is fuzzed alone.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A request line, its newline not counted; a longer one is refused. */
#define CONTROL_MSG_MAX 4096
#define CONTROL_MONITORS_MAX 32
#define CONTROL_NAME_MAX 32		/* a monitor's name, its NUL counted */
#define CONTROL_TIME_MAX 31536000	/* --time: at most a year, as --duration */

enum control_cmd {
	CONTROL_STATUS,
	CONTROL_ACTIVATE,
	CONTROL_DEACTIVATE,
	CONTROL_FINISH,
};

struct control_request {
	enum control_cmd cmd;
	char monitors[CONTROL_MONITORS_MAX][CONTROL_NAME_MAX];
	size_t n_monitors;
	/* activate's targets: 0 / -1 / "" is none */
	uint32_t pid;
	uint32_t tgid;
	int32_t cpu;
	char comm[16];
	double time_s;			/* seconds until it deactivates; 0: never */
};

const char *control_cmd_name(enum control_cmd cmd);

/*
 * LEN bytes (no newline) into REQ: 0, or -EINVAL with a one-line reason in
 * ERR (ERR_LEN bytes, always NUL-terminated).
 */
int control_request__parse(const char *buf, size_t len, struct control_request *req,
			   char *err, size_t err_len);

#endif
