// SPDX-License-Identifier: GPL-2.0
/* ebpfmon-bcc: parse the command line, load the config, run the session. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/control.h"
#include "core/control_client.h"
#include "core/daemon.h"
#include "core/event_loop.h"
#include "output/exporter.h"
#include "util/log.h"
#include "bpf/render.h"
#include "core/session.h"
#include "output/sink.h"
#include "util/heap.h"
#include "util/trust.h"
#include "util/users.h"

#define EXIT_USAGE 1		/* bad flag, bad config, output not written */
#define EXIT_CANNOT_RUN 2	/* no monitor can run here */

enum {
	OPT_PID = 0x100,
	OPT_TGID,
	OPT_CGROUP,
	OPT_LIST_MONITORS,
	OPT_CHECK,
	OPT_DUMP_PROBE,
	OPT_PROBE_DIR,
	OPT_READY_FD,
	OPT_STATS_INTERVAL,
	OPT_METRICS_LISTEN,
	OPT_INSECURE_CONFIG,
	OPT_SET,
	OPT_CONTROL_SOCKET,
	OPT_INACTIVE,
	/* daemon */
	OPT_DAEMON,
	OPT_PID_FILE,
	OPT_DAEMON_STATUS,
	OPT_DAEMON_STOP,
	OPT_STOP_TIMEOUT,
};

struct cli {
	const char *config;
	const char *monitors;
	const char *comms;
	const char *users;
	const char *pids;
	const char *tgids;
	const char *output;
	const char *format;
	const char *dump_probe;
	const char *probe_dir;
	const char *metrics_listen;
	const char *control_socket;	/* --control-socket; NULL: control.socket */
	char **sets;		/* --set KEY=VALUE, in order; NULL-terminated */
	size_t n_sets;
	char **cgroups;		/* --cgroup PATH, in order (pointing into argv); NULL-terminated */
	size_t n_cgroups;
	double duration;	/* < 0: from the config */
	double stats_interval;	/* < 0: from the config */
	int ready_fd;
	bool verbose;
	bool list_monitors;
	bool check;
	bool insecure_config;
	bool inactive;		/* every monitor attached inert */
	/* daemon */
	const char *pid_file;
	double stop_timeout;	/* < 0: from the config */
	bool daemon;
	bool daemon_status;
	bool daemon_stop;
	bool quiet;
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "monitors", required_argument, NULL, 'm' },
	{ "comm", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "tgid", required_argument, NULL, OPT_TGID },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "list-monitors", no_argument, NULL, OPT_LIST_MONITORS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "dump-probe", required_argument, NULL, OPT_DUMP_PROBE },
	{ "probe-dir", required_argument, NULL, OPT_PROBE_DIR },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "insecure-config", no_argument, NULL, OPT_INSECURE_CONFIG },
	{ "set", required_argument, NULL, OPT_SET },
	{ "control-socket", required_argument, NULL, OPT_CONTROL_SOCKET },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "daemon-status", no_argument, NULL, OPT_DAEMON_STATUS },
	{ "daemon-stop", no_argument, NULL, OPT_DAEMON_STOP },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "inactive", no_argument, NULL, OPT_INACTIVE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ebpfmon-bcc [OPTION]...\n"
"Trace exec and other kernel events with eBPF programs compiled for this kernel\n"
"by libbcc, and write one JSON object per event (or CSV files, a table, or\n"
"Prometheus metrics).\n"
"\n"
"  -c, --config FILE         configuration file (default %s/ebpfmon.yaml,\n"
"                            then etc/ebpfmon.yaml beside an uninstalled build;\n"
"                            none with -m or --dump-probe: built-in defaults)\n"
"  -m, --monitors LIST       run these monitors (comma-separated), whatever the\n"
"                            config enables\n"
"      --set KEY=VALUE       set a config key by its dotted path, over the file\n"
"                            (repeatable; VALUE in YAML: 10, true, [a, b])\n"
"  -p, --comm LIST           only processes with these names (comm, 15 chars)\n"
"  -u, --user LIST           only these users (names or uids)\n"
"      --pid LIST            only these threads: thread ids, or process ids\n"
"                            (every thread of the process)\n"
"      --tgid LIST           only these processes (thread group ids): every\n"
"                            thread of each\n"
"      --cgroup PATH         only tasks in this cgroup v2 (its path under the\n"
"                            cgroup2 mount) or below it (repeatable, at most 8)\n"
"  -o, --output FILE         append to FILE (default: stdout); with -f csv, the\n"
"                            directory of the csv files\n"
"  -f, --format FORMAT       json, csv (files in -o DIR), table (default: a\n"
"                            table on a terminal, else json) or none (metrics\n"
"                            only: needs --metrics-listen or metrics.listen)\n"
"  -d, --duration SECONDS    stop after SECONDS (default: until SIGINT/SIGTERM)\n"
"      --inactive            attach every monitor inert: its programs return at\n"
"                            once, recording nothing, until activated\n"
"  -v, --verbose             debug messages, with the verifier's log\n"
"      --stats-interval SECS print event, loss and filter counts every SECS\n"
"      --metrics-listen ADDR serve Prometheus metrics on http://ADDR/metrics\n"
"                            (HOST:PORT, [IPV6]:PORT; port 0: any free port)\n"
"      --control-socket PATH listen for `ebpfmon-bcc ctl` on PATH (default\n"
"                            %s; '' for none)\n"
"      --ready-fd FD         write one byte to FD once every probe is attached\n"
"      --list-monitors       list the monitors and exit\n"
"      --check               print what this kernel supports, as JSON, and exit\n"
"      --dump-probe MONITOR  print the eBPF C rendered for MONITOR and exit\n"
"      --probe-dir DIR       read probes/ and templates/ from DIR instead of the\n"
"                            copies built into the program\n"
"      --insecure-config     load a config, --probe-dir or kernel.headers that\n"
"                            another user can write, with a warning (tests only)\n"
"      --daemon              run in the background once every probe is attached;\n"
"                            the output must be a file; logging goes to syslog\n"
"                            unless logging.target is file\n"
"      --pid-file FILE       the daemon's PID file (default %s)\n"
"      --daemon-status       say whether the daemon runs: exit 0 running, 3 not,\n"
"                            4 the PID file cannot be read or holds no PID\n"
"      --daemon-stop         SIGTERM the daemon and wait; SIGKILL after the stop\n"
"                            timeout; exit 0 when stopped or not running\n"
"      --stop-timeout SECS   seconds --daemon-stop waits before SIGKILL (default 10)\n"
"  -q, --quiet               --daemon-status, --daemon-stop: print nothing\n"
"  -V, --version             print the version and exit\n"
"  -h, --help                print this help and exit\n"
"\n"
"  ebpfmon-bcc ctl [--socket PATH] COMMAND  control the running program:\n"
"                            status, activate, deactivate, finish (ctl --help)\n"
"\n"
"Command-line values override the configuration file. Diagnostics go to\n"
"stderr (\"config: loaded FILE\" names the file read); stdout carries only data.\n"
"\n"
"Without -c, -m NAME reads no configuration file: each monitor runs with its\n"
"built-in defaults, as the bcc tool of its kind does: exec every exec\n"
"(execsnoop), open every open, ok or failed (opensnoop), syscall counts per\n"
"syscall every 5 s (syscount), io every read and write (fileslower 0),\n"
"interrupt per-CPU counts and times (hardirqs, softirqs), page_fault counts\n"
"per process, func counts per function (funccount). With -c FILE, -m NAME\n"
"takes FILE's settings for NAME. Without -c and -m the default file is read\n"
"(exit 1 when there is none). --set changes either.\n"
"\n"
"Exit status: 0 success (also when the reader of stdout went away), 1 bad\n"
"option or configuration, the daemon already runs, or the output cannot be\n"
"opened or written (output.on_error: exit), 2 no monitor can run (not\n"
"privileged, no kernel support).\n"
"\n"
"EXAMPLES\n"
"  ebpfmon-bcc -c /etc/ebpfmon.yaml\n"
"  ebpfmon-bcc -m open                        # like opensnoop\n"
"  ebpfmon-bcc -m syscall --set monitors.syscall.interval=1   # syscount -i 1\n"
"  ebpfmon-bcc -m interrupt --set monitors.interrupt.mode=events\n"
"  ebpfmon-bcc -c /etc/ebpfmon.yaml --set output.on_error=drop\n"
"  ebpfmon-bcc -m exec -d 10 | jq -r 'select(.type == \"event\") | [.comm, (.argv // [] | join(\" \"))] | @tsv'\n"
"  ebpfmon-bcc -m exec -u www-data -o /var/log/execs.json\n"
"  ebpfmon-bcc -m syscall --set monitors.syscall.mode=events --pid 1240   # one thread\n"
"  ebpfmon-bcc -m open --tgid 1234             # every thread of process 1234\n"
"  ebpfmon-bcc -m exec | jq 'select(.type == \"event\" and .ret < 0) | {filename, error}'\n"
"  ebpfmon-bcc --check | jq .monitors\n"
"  ebpfmon-bcc --dump-probe exec > exec.c\n"
"  ebpfmon-bcc -m exec,open -f table\n"
"  ebpfmon-bcc -m exec,open --inactive -o /var/log/ebpfmon-bcc/events.json   # inert\n"
"  ebpfmon-bcc -m exec -f csv -o /var/log/ebpfmon-bcc/csv\n"
"  ebpfmon-bcc -f none --metrics-listen 127.0.0.1:9435   # then: curl 127.0.0.1:9435/metrics\n"
"  ebpfmon-bcc --daemon -o /var/log/ebpfmon-bcc/events.json && ebpfmon-bcc --daemon-status\n"
"  ebpfmon-bcc ctl activate open --pid 1234 --time 60   # what one process opens, a minute\n"
"  ebpfmon-bcc ctl status | jq '.monitors[] | {name, active, events}'\n",
		SYSCONFDIR, CONTROL_SOCKET_DEFAULT, DAEMON_PID_FILE);
}

/* As the config writes seconds (cfg_seconds_parse): not "nan", "1e-31" or "010". */
static int parse_seconds(const char *flag, const char *arg, double *out)
{
	double v = 0;
	int err;

	err = cfg_seconds_parse(arg, &v);
	if (!err && v <= 31536000) {
		*out = v;
		return 0;
	}
	if (err == -ERANGE)
		pr_err("%s: expected 0 or a number of seconds from 0.000000001 (1 ns) to 31536000, "
		       "got '%s'", flag, arg);
	else
		pr_err("%s: expected a number of seconds from 0 to 31536000%s, got '%s'", flag,
		       cfg_seconds_hint(arg, err), arg);
	return -EINVAL;
}

static int parse_fd(const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > INT_MAX) {
		pr_err("--ready-fd: expected a file descriptor number, got '%s'", arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* The daemon flags go with each other only in ways that mean something. */
static int daemon_args_check(const struct cli *cli)
{
	int modes = cli->daemon + cli->daemon_status + cli->daemon_stop;

	if (modes && modes + cli->check + !!cli->dump_probe + cli->list_monitors > 1) {
		pr_err("--daemon, --daemon-status, --daemon-stop, --check, --dump-probe and "
		       "--list-monitors exclude each other");
		return -EINVAL;
	}
	if (cli->pid_file && !*cli->pid_file) {
		pr_err("--pid-file: expected a file name, got ''");
		return -EINVAL;
	}
	if (cli->pid_file && !cli->daemon && !cli->daemon_status && !cli->daemon_stop) {
		pr_err("--pid-file: only with --daemon, --daemon-status or --daemon-stop");
		return -EINVAL;
	}
	if (cli->stop_timeout >= 0 && !cli->daemon_stop) {
		pr_err("--stop-timeout: only with --daemon-stop");
		return -EINVAL;
	}
	if (cli->stop_timeout == 0) {
		pr_err("--stop-timeout: expected more than 0 seconds");
		return -EINVAL;
	}
	if (cli->quiet && !cli->daemon_status && !cli->daemon_stop) {
		pr_err("-q: only with --daemon-status or --daemon-stop");
		return -EINVAL;
	}
	return 0;
}

/*
 * --set, --cgroup: kept in order (pointing into argv; --set's applied at
 * every load), one each (a cgroup path may hold a comma).
 */
static int args_add(char ***v, size_t *n, char *arg, const char *flag)
{
	char **grown = realloc(*v, (*n + 2) * sizeof(*grown));

	if (!grown) {
		pr_err("%s: out of memory", flag);
		return -ENOMEM;
	}
	*v = grown;
	grown[(*n)++] = arg;
	grown[*n] = NULL;
	return 0;
}

static int parse_args(int argc, char **argv, struct cli *cli)
{
	int c;

	cli->duration = -1;
	cli->stats_interval = -1;
	cli->ready_fd = -1;
	cli->stop_timeout = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:m:p:u:o:f:d:vqVh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config = optarg; break;
		case 'm': cli->monitors = optarg; break;
		case 'p': cli->comms = optarg; break;
		case 'u': cli->users = optarg; break;
		case OPT_PID: cli->pids = optarg; break;
		case OPT_TGID: cli->tgids = optarg; break;
		case OPT_CGROUP:
			if (args_add(&cli->cgroups, &cli->n_cgroups, optarg, "--cgroup"))
				return -ENOMEM;
			break;
		case 'o': cli->output = optarg; break;
		case 'f': cli->format = optarg; break;
		case 'd':
			if (parse_seconds("--duration", optarg, &cli->duration))
				return -EINVAL;
			break;
		case 'v': cli->verbose = true; break;
		case OPT_LIST_MONITORS: cli->list_monitors = true; break;
		case OPT_CHECK: cli->check = true; break;
		case OPT_DUMP_PROBE: cli->dump_probe = optarg; break;
		case OPT_PROBE_DIR: cli->probe_dir = optarg; break;
		case OPT_READY_FD:
			if (parse_fd(optarg, &cli->ready_fd))
				return -EINVAL;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_seconds("--stats-interval", optarg, &cli->stats_interval))
				return -EINVAL;
			break;
		case OPT_METRICS_LISTEN: cli->metrics_listen = optarg; break;
		case OPT_CONTROL_SOCKET: cli->control_socket = optarg; break;
		case OPT_INSECURE_CONFIG: cli->insecure_config = true; break;
		case OPT_INACTIVE: cli->inactive = true; break;
		case OPT_SET:
			if (args_add(&cli->sets, &cli->n_sets, optarg, "--set"))
				return -ENOMEM;
			break;
		case OPT_DAEMON: cli->daemon = true; break;
		case OPT_PID_FILE: cli->pid_file = optarg; break;
		case OPT_DAEMON_STATUS: cli->daemon_status = true; break;
		case OPT_DAEMON_STOP: cli->daemon_stop = true; break;
		case OPT_STOP_TIMEOUT:
			if (parse_seconds("--stop-timeout", optarg, &cli->stop_timeout))
				return -EINVAL;
			break;
		case 'q': cli->quiet = true; break;
		case 'V':
			printf("ebpfmon-bcc %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			pr_err("%s: missing argument (--help lists the options)", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				pr_err("-%c: unknown option (--help lists the options)", optopt);
			else
				pr_err("%s: unknown option (--help lists the options)",
				       argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_err("%s: unexpected argument (--help lists the options)", argv[optind]);
		return -EINVAL;
	}
	return daemon_args_check(cli);
}

/*
 * The installed config, else the one beside an uninstalled build (its real
 * path, for "config: loaded"); NULL with errno ENOENT when there is none.
 */
static char *config_default(void)
{
	char exe[PATH_MAX], *dir, *path = NULL, *real;
	const char *rel[] = { "../etc/ebpfmon.yaml", "etc/ebpfmon.yaml" };
	ssize_t n;

	if (!access(SYSCONFDIR "/ebpfmon.yaml", F_OK))
		return strdup(SYSCONFDIR "/ebpfmon.yaml");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		dir = strrchr(exe, '/');
		if (dir)
			*dir = 0;
		for (size_t i = 0; i < 2; i++) {
			if (asprintf(&path, "%s/%s", exe, rel[i]) < 0)
				return NULL;
			if (!access(path, F_OK)) {
				real = realpath(path, NULL);
				free(path);
				return real;
			}
			free(path);
			path = NULL;
		}
	}
	if (!access(ABS_TOP_SRCDIR "/etc/ebpfmon.yaml", F_OK))
		return strdup(ABS_TOP_SRCDIR "/etc/ebpfmon.yaml");
	errno = ENOENT;
	return NULL;
}

/* The node of SECTION.KEY in the config file; NULL when not there. */
static struct cfg_node *config_key(struct config *cfg, const char *section, const char *key)
{
	return cfg_node__get(cfg_node__get(cfg->doc ? cfg->doc->root : NULL, section), key);
}

/* Report a bad filter item at its place in the config, or on its flag. */
static void filter_error(struct config *cfg, const char *flag, const char *key,
			 size_t index, const char *msg, const char *item)
{
	struct cfg_node *node = flag ? NULL : config_key(cfg, "filters", key);

	if (node && node->kind == CFG_SEQ && index < node->n_kids)
		node = node->kids[index];
	if (node)
		cfg_node__error(node, "%s '%s'", msg, item);
	else
		pr_err("%s: %s '%s'", flag ? flag : key, msg, item);
}

static char **split_list(const char *flag, const char *arg)
{
	char **v = NULL, *copy = strdup(arg), *p, *tok, *save = NULL;
	size_t n = 0;

	if (!copy)
		return NULL;
	for (p = copy; (tok = strtok_r(p, ",", &save)); p = NULL) {
		char **grown = realloc(v, (n + 2) * sizeof(*v));

		if (!grown)
			break;
		v = grown;
		v[n++] = strdup(tok);
		v[n] = NULL;
	}
	free(copy);
	if (!n)
		pr_err("%s: expected a comma-separated list, got '%s'", flag, arg);
	return v;
}

/*
 * The ids of LIST (from FLAG, or the config's filters.KEY) into IDS; 0 or
 * -EINVAL after reporting each bad one.
 */
static int ids_resolve(struct config *cfg, const char *flag, const char *key,
		       char *const *list, uint32_t *ids, size_t *n)
{
	int err = 0;

	for (size_t i = 0; list && list[i]; i++) {
		char *end;
		long v;

		errno = 0;
		v = strtol(list[i], &end, 10);
		if (errno || *end || end == list[i] || v <= 0 || v > INT_MAX) {
			filter_error(cfg, flag, key, i, !strcmp(key, "pid") ?
				     "expected a thread or process id, got" :
				     "expected a process id, got", list[i]);
			err = -EINVAL;
			continue;
		}
		ids[(*n)++] = v;
	}
	return err;
}

static int filters_resolve(struct session *s, const struct cli *cli)
{
	struct filters *f = &s->filters;
	char **comms = NULL, **users = NULL, **pids = NULL, **tgids = NULL;
	char *const *cv, *const *uv, *const *pv, *const *tv;
	int err = 0;

	if (cli->comms && !(comms = split_list("--comm", cli->comms)))
		return -EINVAL;
	if ((cli->users && !(users = split_list("--user", cli->users))) ||
	    (cli->pids && !(pids = split_list("--pid", cli->pids))) ||
	    (cli->tgids && !(tgids = split_list("--tgid", cli->tgids)))) {
		err = -EINVAL;
		goto cleanup;
	}
	cv = comms ? comms : s->cfg.comms;
	uv = users ? users : s->cfg.users;
	pv = pids ? pids : s->cfg.pids;
	tv = tgids ? tgids : s->cfg.tgids;
	f->comms = calloc(strv_len(cv) + 1, sizeof(*f->comms));
	f->uids = calloc(strv_len(uv) + 1, sizeof(*f->uids));
	f->pids = calloc(strv_len(pv) + 1, sizeof(*f->pids));
	f->tgids = calloc(strv_len(tv) + 1, sizeof(*f->tgids));
	if (!f->comms || !f->uids || !f->pids || !f->tgids) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; cv && cv[i]; i++) {
		if (strlen(cv[i]) > 15) {
			filter_error(&s->cfg, comms ? "--comm" : NULL, "comm", i,
				     "process names are at most 15 characters, got", cv[i]);
			err = -EINVAL;
			continue;
		}
		strncpy(f->comms[f->n_comms++], cv[i], 16);
	}
	for (size_t i = 0; uv && uv[i]; i++) {
		uid_t uid;

		if (user_parse(uv[i], &uid)) {
			filter_error(&s->cfg, users ? "--user" : NULL, "user", i, "unknown user",
				     uv[i]);
			err = -EINVAL;
			continue;
		}
		f->uids[f->n_uids++] = uid;
	}
	if (ids_resolve(&s->cfg, pids ? "--pid" : NULL, "pid", pv, f->pids, &f->n_pids))
		err = -EINVAL;
	if (ids_resolve(&s->cfg, tgids ? "--tgid" : NULL, "tgid", tv, f->tgids, &f->n_tgids))
		err = -EINVAL;
	if (session__cgroup_filters(s, cli->cgroups))
		err = -EINVAL;
cleanup:
	strv_free(comms);
	strv_free(users);
	strv_free(pids);
	strv_free(tgids);
	return err;
}

/* --daemon-status, --daemon-stop: the PID file from the flag or the config. */
static int daemon_control(const struct cli *cli, const struct config *cfg)
{
	const char *pid_file = cli->pid_file ? cli->pid_file :
			       cfg->pid_file ? cfg->pid_file : DAEMON_PID_FILE;
	double timeout = cli->stop_timeout >= 0 ? cli->stop_timeout : cfg->stop_timeout;

	if (cli->daemon_status)
		return daemon__status(pid_file, cli->quiet);
	return daemon__stop(pid_file, timeout > 0 ? timeout : 10, cli->quiet);
}

/* Under --daemon, a sink on stdout is an error at its place in the config, or on -o. */
static int daemon_stdout_check(struct config *cfg, const struct cli *cli)
{
	struct cfg_node *seq = config_key(cfg, "output", "sinks"), *node;

	for (size_t i = 0; i < cfg->n_sinks; i++) {
		if (cfg->sinks[i].format == OUTPUT_CSV || cfg->sinks[i].file)
			continue;
		node = seq && i < seq->n_kids ? seq->kids[i] : NULL;
		cfg_node__error(node, "stdout, which --daemon closes; give this sink a file");
		return -EINVAL;
	}
	if (cfg->n_sinks || cfg->format == OUTPUT_CSV || cfg->output_file)
		return 0;
	node = config_key(cfg, "output", "file");
	if (cli->output)
		pr_err("-o -: stdout, which --daemon closes; use -o FILE");
	else if (node)
		cfg_node__error(node, "stdout, which --daemon closes; name a file");
	else
		pr_err("daemon: output.file is stdout by default, which --daemon closes; "
		       "set output.file or -o FILE");
	return -EINVAL;
}

/*
 * A daemon closes stdout and stderr, runs in / and reopens its files on
 * SIGHUP: no output on stdout, and every path made absolute now.
 */
static int daemon_paths(struct config *cfg, const struct cli *cli, char **config_path)
{
	int err;

	if (!cli->daemon)
		return 0;
	err = daemon_stdout_check(cfg, cli);
	if (err)
		return err;
	err = path_make_absolute(&cfg->output_file);
	if (!err)
		err = path_make_absolute(&cfg->output_dir);
	for (size_t i = 0; !err && i < cfg->n_sinks; i++) {
		err = path_make_absolute(&cfg->sinks[i].file);
		if (!err)
			err = path_make_absolute(&cfg->sinks[i].dir);
	}
	if (!err)
		err = path_make_absolute(&cfg->log_file);
	if (!err)
		err = path_make_absolute(&cfg->pid_file);
	if (!err && cfg->control_socket && *cfg->control_socket)
		err = path_make_absolute(&cfg->control_socket);
	if (!err)
		err = path_make_absolute(config_path);
	if (err)
		pr_err("daemon: cannot resolve relative paths: %s", strerror(-err));
	return err;
}

/* Logging by logging.target: syslog by default under --daemon. */
static int logging_setup(struct config *cfg, const struct cli *cli)
{
	int target = cfg->log_target;
	int err;

	if (target == LOG_TARGET_AUTO)
		target = cli->daemon ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR;
	if (cli->daemon && target == LOG_TARGET_STDERR) {
		cfg_node__error(config_key(cfg, "logging", "target"),
				"stderr, which --daemon closes; use syslog or file");
		return -EINVAL;
	}
	err = log_open(target, cfg->log_file);
	/* Until it is ready, a daemon's messages reach the terminal too. */
	if (!err)
		log_tee_stderr(cli->daemon);
	return err;
}

static int list_monitors(void)
{
	for (const struct monitor *const *m = monitors; *m; m++)
		printf("%-12s %s\n", (*m)->name, (*m)->desc);
	return 0;
}

/* --metrics-listen over metrics.listen; output.format none needs one of them. */
static int metrics_setup(struct session *s, const struct cli *cli)
{
	struct sockaddr_storage addr;
	const char *why;
	socklen_t len;

	if (cli->metrics_listen) {
		if (metrics_listen_parse(cli->metrics_listen, &addr, &len, &why)) {
			pr_err("--metrics-listen: %s, got '%s'", why, cli->metrics_listen);
			return -EINVAL;
		}
		free(s->cfg.metrics_listen);
		s->cfg.metrics_listen = strdup(cli->metrics_listen);
		if (!s->cfg.metrics_listen)
			return -ENOMEM;
	}
	if (config__check_metrics(&s->cfg, cli->format))
		return -EINVAL;
	s->metrics = s->cfg.metrics_listen != NULL;
	s->metrics_only = s->cfg.format == OUTPUT_NONE;
	return 0;
}

/* Which file a run's settings came from: a default one is easily missed. */
static void config_announce(const char *config_path)
{
	if (config_path)
		pr_info("config: loaded %s", config_path);
	else
		pr_info("config: none (built-in defaults)");
}

static int run(struct session *s, const struct cli *cli, struct exporter *exporter,
	       const char *config_path)
{
	char *text;
	int err;

	if (cli->check) {
		json_t *report = session__check_report(s);

		json_dumpf(report, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(report);
		return session__usable(s) ? 0 : EXIT_CANNOT_RUN;
	}
	if (cli->dump_probe) {
		if (!monitor_find(cli->dump_probe)) {
			pr_err("--dump-probe: unknown monitor '%s' (--list-monitors lists them)",
			       cli->dump_probe);
			return EXIT_USAGE;
		}
		text = session__render(s, cli->dump_probe);
		if (!text)
			return EXIT_USAGE;
		fputs(text, stdout);
		free(text);
		return 0;
	}
	if (!s->ki.privileged) {
		pr_err("permission denied: %s", s->ki.privileged_why);
		return EXIT_CANNOT_RUN;
	}
	config_announce(config_path);
	s->sink = sink__open(&s->cfg, s->insts, s->n_insts, s->unwritten);
	if (!s->sink)
		return EXIT_USAGE;
	/*
	 * A socket set on purpose before the compile: in use, it fails at once,
	 * not seconds later. The default one only once the monitors run: a run
	 * that cannot start does not touch it.
	 */
	if (s->cfg.control_socket && control__open(&s->control, s->cfg.control_socket, s))
		return EXIT_USAGE;
	err = session__start(s);
	if (err)
		return EXIT_CANNOT_RUN;
	if (!s->cfg.control_socket && control__open(&s->control, NULL, s))
		return EXIT_USAGE;
	control__announce(s->control);
	event_loop__catch_signals();
	session__ready(s);
	if (exporter && exporter__start(exporter, s))
		return EXIT_CANNOT_RUN;
	err = event_loop__run(s);
	event_loop__print_stats(s, "exit");
	for (size_t i = 0; i < s->n_insts; i++)
		if (s->insts[i]->lost)
			pr_warn("%s: %llu events lost in all (raise output.%s)",
				s->insts[i]->mon->name, (unsigned long long)s->insts[i]->lost,
				session__ringbuf(s) ? "ringbuf_pages" : "perf_pages");
	return err ? EXIT_USAGE : 0;
}

/* What the start and every reload read: the config file and the command line over it. */
struct setup {
	const struct cli *cli;
	char *config_path;
	bool started;		/* logging is set up once, at the start */
};

/* The config file, with the command line's values over it, up to configured monitors. */
static int session_setup(struct session *s, void *ctx)
{
	struct setup *setup = ctx;
	const struct cli *cli = setup->cli;
	int err;

	err = config__load_set(&s->cfg, setup->config_path, cli->sets);
	if (err)
		return err;
	if (cli->verbose)
		s->cfg.log_level = LOG_LEVEL_DEBUG;
	log_set_level(s->cfg.log_level);
	err = config__set_output(&s->cfg, cli->format, cli->output);
	if (err)
		return err;
	if (cli->duration >= 0)
		s->cfg.duration = cli->duration;
	s->cfg.inactive = cli->inactive;
	if (cli->stats_interval >= 0)
		s->cfg.stats_interval = cli->stats_interval;
	if (cli->control_socket) {
		free(s->cfg.control_socket);
		s->cfg.control_socket = strdup(cli->control_socket);
		if (!s->cfg.control_socket)
			return -ENOMEM;
	}
	if (cli->pid_file) {
		free(s->cfg.pid_file);
		s->cfg.pid_file = strdup(cli->pid_file);
		if (!s->cfg.pid_file)
			return -ENOMEM;
	}
	err = daemon_paths(&s->cfg, cli, &setup->config_path);
	if (!err && !setup->started)
		err = logging_setup(&s->cfg, cli);
	if (err)
		return err;
	setup->started = true;
	err = filters_resolve(s, cli);
	if (!err)
		err = metrics_setup(s, cli);
	if (!err)
		err = kernel_info__probe(&s->ki, &s->cfg);
	if (!err)
		err = session__select(s, cli->monitors, cli->check || cli->dump_probe);
	if (!err)
		err = session__configure(s);
	return err;
}

int main(int argc, char **argv)
{
	struct session s = { .ready_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct exporter *exporter = NULL;
	struct cli cli = { 0 };
	struct setup setup = { .cli = &cli };
	char *config_path = NULL;
	int ret = EXIT_USAGE;
	bool no_file;

	heap_setup();
	/* The client of a running program: nothing of the rest applies. */
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1, config_default);
	if (parse_args(argc, argv, &cli))
		return EXIT_USAGE;
	if (cli.list_monitors)
		return list_monitors();
	trust_set_insecure(cli.insecure_config);
	if (cli.probe_dir) {
		resource_set_dir(cli.probe_dir);
		if (resource_check_dir())
			goto cleanup;
	}
	if (cli.pid_file && (cli.daemon_status || cli.daemon_stop)) {
		ret = daemon_control(&cli, &s.cfg);
		goto cleanup;
	}
	/* -m or --dump-probe alone: the monitors' built-in defaults, no file. */
	no_file = !cli.config && (cli.monitors || cli.dump_probe) &&
		  !cli.daemon_status && !cli.daemon_stop;
	config_path = cli.config ? strdup(cli.config) : no_file ? NULL : config_default();
	if (cli.daemon_status || cli.daemon_stop) {
		/* A broken config must not keep the daemon from being stopped. */
		if (config_path)
			config__load_set(&s.cfg, config_path, cli.sets);
		ret = daemon_control(&cli, &s.cfg);
		goto cleanup;
	}
	if (!config_path && !no_file) {
		pr_err("config: no configuration file at %s/ebpfmon.yaml or beside the program; "
		       "use -c FILE, or -m MONITORS for their built-in defaults", SYSCONFDIR);
		goto cleanup;
	}
	setup.config_path = config_path;
	s.setup = session_setup;
	s.setup_ctx = &setup;
	s.ready_fd = cli.ready_fd;
	if (session_setup(&s, &setup))
		goto cleanup;
	/* Bound before any probe is compiled: a port in use fails at once. */
	if (s.metrics && !cli.check && !cli.dump_probe) {
		exporter = exporter__bind(s.cfg.metrics_listen);
		if (!exporter)
			goto cleanup;
		s.metrics_address = exporter__address(exporter);
	}
	if (cli.daemon && (daemon__detach() || daemon__lock_pid_file(s.cfg.pid_file)))
		goto cleanup;
	ret = run(&s, &cli, exporter, setup.config_path);
cleanup:
	/* No scrape may run once the session's monitors go. */
	exporter__free(exporter);
	control__close(s.control);
	session__stop(&s);
	resource_set_dir(NULL);
	free(setup.config_path ? setup.config_path : config_path);
	free(cli.sets);
	free(cli.cgroups);
	daemon__exit(ret);	/* removes the PID file: last, once all is flushed */
	log_close();
	return ret;
}
