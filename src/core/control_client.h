/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_CONTROL_CLIENT_H
#define EBPFMON_CONTROL_CLIENT_H

/*
 * `ebpfmon-bcc ctl [--socket PATH] [-c CONFIG] COMMAND ...`: one request to
 * the running program's control socket, its reply on stdout. ARGV[0] is
 * "ctl". CONFIG_DEFAULT finds the config file when -c is not given (NULL:
 * none), for its control.socket. Exit 0 ok, 1 refused or bad usage, 2 the
 * socket cannot be reached.
 */
int ctl_main(int argc, char **argv, char *(*config_default)(void));

#endif
