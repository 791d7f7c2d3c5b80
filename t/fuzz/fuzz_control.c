// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the control socket's request parser
 * (control_request__parse), on the bytes of one line as a client sends them.
 * A request it takes must hold what the protocol allows, whatever came in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/control_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req;
	char err[256];

	memset(err, 'X', sizeof(err));
	if (!control_request__parse((const char *)data, size, &req, err, sizeof(err))) {
		if (err[0] || req.n_monitors > CONTROL_MONITORS_MAX || req.cpu < -1 ||
		    req.time_s < 0 || req.time_s > CONTROL_TIME_MAX ||
		    req.comm[sizeof(req.comm) - 1] || req.pid > INT32_MAX || req.tgid > INT32_MAX)
			abort();
		for (size_t i = 0; i < req.n_monitors; i++)
			if (!req.monitors[i][0] || memchr(req.monitors[i], 0, CONTROL_NAME_MAX) == NULL)
				abort();
		if ((req.cmd == CONTROL_ACTIVATE || req.cmd == CONTROL_DEACTIVATE) !=
		    (req.n_monitors > 0))
			abort();
	} else if (!memchr(err, 0, sizeof(err)) || !err[0] || strchr(err, '\n')) {
		/* One line, always said. */
		abort();
	}
	return 0;
}
