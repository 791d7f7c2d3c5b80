// SPDX-License-Identifier: GPL-2.0
/* The ctl subcommand (src/core/control_client.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "config/config.h"
#include "core/control.h"
#include "core/control_client.h"
#include "core/control_proto.h"
#include "util/log.h"

#define CTL_OK 0
#define CTL_REFUSED 1
#define CTL_UNREACHABLE 2
/* A reply takes a moment (status reads every counter); a hung server does not hold us. */
#define CTL_TIMEOUT_S 10

enum {
	OPT_SOCKET = 0x100,
	OPT_PID,
	OPT_TGID,
	OPT_COMM,
	OPT_CPU,
	OPT_TIME,
};

static const struct option ctl_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "config", required_argument, NULL, 'c' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "tgid", required_argument, NULL, OPT_TGID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void ctl_usage(FILE *f)
{
	fprintf(f,
"Usage: ebpfmon-bcc ctl [--socket PATH] [-c CONFIG] COMMAND [MONITOR]... [TARGET]...\n"
"Control a running ebpfmon-bcc (daemon or foreground) through its control\n"
"socket; print its reply, one JSON object, on stdout.\n"
"\n"
"Commands:\n"
"  status                    each monitor: active or not, its targets, events,\n"
"                            losses, the seconds its --time has left\n"
"  activate MONITOR...       make the monitors record, from now on, what the\n"
"                            targets let through (none: everything the run's\n"
"                            own filters let through)\n"
"  deactivate MONITOR...     make them inert at once (attached, recording nothing)\n"
"  finish                    flush the output and exit, as on SIGTERM\n"
"\n"
"  -c, --config FILE         take the socket from FILE's control.socket\n"
"      --socket PATH         the control socket (default: control.socket of the\n"
"                            configuration file, else %s)\n"
"Targets of activate (replacing the monitor's previous ones):\n"
"      --pid N               only thread N, or every thread of process N\n"
"      --tgid N              only process N (every thread)\n"
"      --comm NAME           only processes named NAME (15 chars at most)\n"
"      --cpu N               only on CPU N\n"
"      --time SECONDS        deactivate by itself after SECONDS\n"
"  -h, --help                print this help and exit\n"
"\n"
"Only root (or the user the program runs as) may control it. Exit status: 0\n"
"done, 1 refused (the reply's \"error\" says why) or a bad option, 2 the socket\n"
"cannot be reached.\n"
"\n"
"EXAMPLES\n"
"  ebpfmon-bcc --inactive -m exec,open -o /var/log/ebpfmon.json &\n"
"  ebpfmon-bcc ctl activate open --pid 1234 --time 60   # what process 1234 opens, a minute\n"
"  ebpfmon-bcc ctl activate exec open --comm nginx --time 30\n"
"  ebpfmon-bcc ctl status | jq '.monitors[] | {name, active, targets}'\n"
"  ebpfmon-bcc ctl deactivate exec\n"
"  ebpfmon-bcc ctl --socket /run/other.sock finish\n",
		CONTROL_SOCKET_DEFAULT);
}

/* An id of --pid or --tgid: 1..INT_MAX. */
static int parse_id(const char *flag, const char *arg, long long min, long long max,
		    json_int_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		pr_err("%s: expected an integer from %lld to %lld, got '%s'", flag, min, max, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * The socket to reach: --socket, else the config's control.socket (-c, or
 * the default file when it loads), else the built-in default.
 */
static char *socket_path(const char *flag, const char *config, char *(*config_default)(void))
{
	char *file = config ? strdup(config) : config_default ? config_default() : NULL;
	struct config cfg = { 0 };
	char *path = NULL;
	int err = 0;

	if (flag)
		path = strdup(flag);
	else if (file && !(err = config__load(&cfg, file)) && cfg.control_socket)
		path = strdup(cfg.control_socket);
	else if (!err || !config)
		path = strdup(CONTROL_SOCKET_DEFAULT);
	config__free(&cfg);
	free(file);
	return path;
}

/* Send LINE to PATH and print the reply; the exit status. */
static int ctl_exchange(const char *path, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };
	char reply[65536];
	size_t len = 0;
	json_t *r = NULL;
	ssize_t n;
	int fd, ret = CTL_UNREACHABLE;

	if (!*path) {
		pr_err("ctl: the control socket is turned off (control.socket \"\"); use --socket");
		return CTL_UNREACHABLE;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("ctl: %s: a socket path is at most %zu bytes", path, sizeof(sa.sun_path) - 1);
		return CTL_UNREACHABLE;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		pr_err("ctl: cannot connect to %s: %s (%s)", path, strerror(errno),
		       errno == EACCES || errno == EPERM ? "only root may control ebpfmon-bcc" :
		       "is ebpfmon-bcc running? --socket names another");
		goto cleanup;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* A server that refuses us at once has closed, its reason waiting to be read. */
	if ((send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	     send(fd, "\n", 1, MSG_NOSIGNAL) < 0) && errno != EPIPE && errno != ECONNRESET) {
		pr_err("ctl: %s: cannot send: %s", path, strerror(errno));
		goto cleanup;
	}
	/* The server answers one line and closes. */
	while (len < sizeof(reply) - 1 && (n = recv(fd, reply + len, sizeof(reply) - 1 - len, 0)) > 0)
		len += n;
	reply[len] = '\0';
	if (!len) {
		pr_err("ctl: %s: no reply%s", path, errno == EAGAIN ? " in time" : "");
		goto cleanup;
	}
	fputs(reply, stdout);
	if (reply[len - 1] != '\n')
		putchar('\n');
	r = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
	if (json_is_true(json_object_get(r, "ok"))) {
		ret = CTL_OK;
	} else {
		ret = CTL_REFUSED;
		if (json_string_value(json_object_get(r, "error")))
			pr_err("ctl: %s", json_string_value(json_object_get(r, "error")));
	}
cleanup:
	json_decref(r);
	if (fd >= 0)
		close(fd);
	return ret;
}

int ctl_main(int argc, char **argv, char *(*config_default)(void))
{
	const char *sock = NULL, *config = NULL, *cmd;
	json_t *req = json_object(), *mons = json_array();
	bool targets = false;
	json_int_t v;
	char *path = NULL, *line = NULL;
	int c, ret = CTL_REFUSED;

	if (!req || !mons)
		goto cleanup;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:h", ctl_options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: sock = optarg; break;
		case 'c': config = optarg; break;
		case OPT_PID:
		case OPT_TGID:
			if (parse_id(c == OPT_PID ? "--pid" : "--tgid", optarg, 1, INT_MAX, &v))
				goto cleanup;
			json_object_set_new(req, c == OPT_PID ? "pid" : "tgid", json_integer(v));
			targets = true;
			break;
		case OPT_CPU:
			if (parse_id("--cpu", optarg, 0, 65535, &v))
				goto cleanup;
			json_object_set_new(req, "cpu", json_integer(v));
			targets = true;
			break;
		case OPT_COMM:
			if (strlen(optarg) > 15) {
				pr_err("--comm: process names are at most 15 characters, got '%s'",
				       optarg);
				goto cleanup;
			}
			json_object_set_new(req, "comm", json_string(optarg));
			targets = true;
			break;
		case OPT_TIME: {
			double t = 0;

			if (cfg_seconds_parse(optarg, &t) || t <= 0 || t > CONTROL_TIME_MAX) {
				pr_err("--time: expected a number of seconds over 0, at most %d, got '%s'",
				       CONTROL_TIME_MAX, optarg);
				goto cleanup;
			}
			json_object_set_new(req, "time", json_real(t));
			targets = true;
			break;
		}
		case 'h':
			ctl_usage(stdout);
			ret = CTL_OK;
			goto cleanup;
		case ':':
			pr_err("ctl: %s: missing argument (ctl --help lists the options)",
			       argv[optind - 1]);
			goto cleanup;
		default:
			pr_err("ctl: %s: unknown option (ctl --help lists the options)",
			       argv[optind - 1]);
			goto cleanup;
		}
	}
	if (optind == argc) {
		pr_err("ctl: expected a command: status, activate, deactivate or finish "
		       "(ctl --help)");
		goto cleanup;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "status") && strcmp(cmd, "activate") && strcmp(cmd, "deactivate") &&
	    strcmp(cmd, "finish")) {
		pr_err("ctl: %s: unknown command (status, activate, deactivate, finish)", cmd);
		goto cleanup;
	}
	json_object_set_new(req, "cmd", json_string(cmd));
	for (; optind < argc; optind++)
		json_array_append_new(mons, json_string(argv[optind]));
	if (!strcmp(cmd, "activate") || !strcmp(cmd, "deactivate")) {
		if (!json_array_size(mons)) {
			pr_err("ctl: %s: expected one or more monitors", cmd);
			goto cleanup;
		}
		json_object_set(req, "monitors", mons);
	} else if (json_array_size(mons)) {
		pr_err("ctl: %s: takes no monitor, got '%s'", cmd,
		       json_string_value(json_array_get(mons, 0)));
		goto cleanup;
	}
	if (targets && strcmp(cmd, "activate")) {
		pr_err("ctl: %s: --pid, --tgid, --comm, --cpu and --time go with activate", cmd);
		goto cleanup;
	}
	path = socket_path(sock, config, config_default);
	line = json_dumps(req, JSON_COMPACT);
	if (!path || !line) {
		if (config && !path)
			pr_err("ctl: -c %s: the socket cannot be read from it", config);
		goto cleanup;
	}
	ret = ctl_exchange(path, line);
cleanup:
	free(line);
	free(path);
	json_decref(mons);
	json_decref(req);
	return ret;
}
