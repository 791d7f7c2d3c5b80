// SPDX-License-Identifier: GPL-2.0
/*
 * tcp: TCP connections' lives (tcplife, tcpconnlat), accept-queue latency
 * (ebpf_exporter's accept_latency_seconds), retransmits and resets
 * (tcpretrans), from tracepoints only: one event per closed connection, per
 * retransmit and per reset; or, in summary mode, per local port or remote
 * address totals every interval. The probe says how (probes/tcp.bpf.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probes/tcp.h"
#include "config/config.h"
#include "bpf/kernel.h"
#include "util/clock.h"
#include "util/log.h"
#include "output/metrics.h"
#include "core/monitor.h"
#include "core/summary.h"
#include "output/sink.h"
#include "bpf/probe_set.h"

struct tcp_opts {
	long long max_entries;		/* tcp_conns: connections followed at once */
	long long stats_entries;	/* tcp_stats: summary rows */
	bool by_addr;			/* summary rows by remote address, else by port */
	struct tcpmon_stats total;		/* the interval's rows summed, as they are emitted */
	bool any;			/* a row was emitted this interval */
	double last_interval;
	bool retransmits, resets;
	bool bytes;			/* BTF has tcp_sock's byte counters */
	bool accept;			/* accept()'s fd can be followed to its sock */
	double last_collect;
	uint64_t full_seen;		/* tcp_conns_full, as last told */
	double full_checked;		/* CLOCK_MONOTONIC seconds */
};

static const struct monitor_tp tcp_tracepoints[] = {
	{ "sock", "inet_sock_set_state", false },
	{ "syscalls", "sys_exit_accept4", true },
	{ "syscalls", "sys_exit_accept", true, "tracepoint__syscalls__sys_exit_accept4" },
	{ "tcp", "tcp_retransmit_skb", true },
	{ "tcp", "tcp_send_reset", true },
	{ "tcp", "tcp_receive_reset", true },
	{ NULL },
};

static const char *const tcp_state_names[TCPMON_S_MAX + 1] = {
	[TCPMON_S_ESTABLISHED] = "ESTABLISHED", [TCPMON_S_SYN_SENT] = "SYN_SENT",
	[TCPMON_S_SYN_RECV] = "SYN_RECV", [TCPMON_S_FIN_WAIT1] = "FIN_WAIT1",
	[TCPMON_S_FIN_WAIT2] = "FIN_WAIT2", [TCPMON_S_TIME_WAIT] = "TIME_WAIT",
	[TCPMON_S_CLOSE] = "CLOSE", [TCPMON_S_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPMON_S_LAST_ACK] = "LAST_ACK", [TCPMON_S_LISTEN] = "LISTEN",
	[TCPMON_S_CLOSING] = "CLOSING", [TCPMON_S_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

static const char *const tcp_event_names[TCPMON_EV_KINDS] = {
	[TCPMON_EV_CLOSE] = "close", [TCPMON_EV_RETRANSMIT] = "retransmit",
	[TCPMON_EV_RESET_SENT] = "reset_sent", [TCPMON_EV_RESET_RECEIVED] = "reset_received",
};

static const char *const tcp_pid_from_names[] = {
	[TCPMON_PID_NONE] = NULL, [TCPMON_PID_CONNECT] = "connect",
	[TCPMON_PID_ACCEPT] = "accept", [TCPMON_PID_CLOSE] = "close",
};

/* Whether tracefs's format of CATEGORY:EVENT has a field named FIELD. */
static bool tcp_tp_has_field(const struct kernel_info *ki, const char *category,
			     const char *event, const char *field)
{
	char path[256], line[512], want[80];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", ki->tracefs, category, event);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "field:"), *semi;

		if (!p || !(semi = strchr(p, ';')))
			continue;
		*semi = 0;
		/* "field:TYPE NAME[N]": the name is the last word, its [N] dropped. */
		p = strrchr(p, ' ');
		if (!p)
			continue;
		snprintf(want, sizeof(want), "%s", p + 1);
		want[strcspn(want, "[")] = 0;
		found = !strcmp(want, field);
	}
	fclose(f);
	return found;
}

/*
 * The struct members the probe reads, as BTF's offsets (OFF_*, -1 when
 * unknown). BTF only: offsetof() on this kernel's headers would need
 * net/sock.h in the one compile, whose macros (lockdep's lock_release)
 * break other monitors' code. BYTES: for rx_bytes and tx_bytes, else for
 * accept()'s fd to its sock.
 */
static const struct tcp_offset {
	const char *var, *type, *member;
	const char *outer;	/* type is the struct of this member of struct sock */
	bool bytes;
} tcp_offsets[] = {
	{ "OFF_RX", "tcp_sock", "bytes_received", NULL, true },
	{ "OFF_TX", "tcp_sock", "bytes_acked", NULL, true },
	{ "OFF_SND_UNA", "tcp_sock", "snd_una", NULL, true },
	{ "OFF_WRITE_SEQ", "tcp_sock", "write_seq", NULL, true },
	{ "OFF_SK_FLAGS", "sock_common", "skc_flags", "__sk_common", true },
	{ "OFF_TASK_FILES", "task_struct", "files", NULL, false },
	{ "OFF_FILES_FDT", "files_struct", "fdt", NULL, false },
	{ "OFF_FDT_MAX_FDS", "fdtable", "max_fds", NULL, false },
	{ "OFF_FDT_FD", "fdtable", "fd", NULL, false },
	{ "OFF_FILE_PRIV", "file", "private_data", NULL, false },
	{ "OFF_SOCKET_SK", "socket", "sk", NULL, false },
};

static int tcp_offset_set(struct monitor_inst *inst, const struct tcp_offset *t,
			  struct tcp_opts *o)
{
	const struct kernel_info *ki = inst->ki;
	long off = -1, outer = 0;

	if (!ki->btf || kernel_info__btf_offset(ki, t->type, t->member, &off) ||
	    (t->outer && kernel_info__btf_offset(ki, "sock", t->outer, &outer))) {
		off = -1;
		if (t->bytes)
			o->bytes = false;
		else
			o->accept = false;
	}
	return render_vars__set(&inst->vars, t->var, "%ld", off < 0 ? off : off + outer);
}

static int tcp_configure(struct monitor_inst *inst, struct cfg_node *node)
{
	static const char *const bys[] = { "port", "remote_addr", NULL };
	struct tcp_opts *o = calloc(1, sizeof(*o));
	const struct kernel_info *ki = inst->ki;
	int err = 0, by = 0;
	bool accept4, reset_sockaddr, reset_reason;

	if (!o)
		return -ENOMEM;
	o->max_entries = 10240;
	o->retransmits = o->resets = true;
	inst->priv = o;
	err |= monitor_parse_mode(inst, node, false);
	err |= monitor_parse_top(inst, node, 20);
	if (node) {
		err |= cfg_get_int(node, "max_entries", 64, 1048576, &o->max_entries);
		err |= cfg_get_enum(node, "summary_by", bys, &by);
		err |= cfg_get_bool(node, "retransmits", &o->retransmits);
		err |= cfg_get_bool(node, "resets", &o->resets);
	}
	if (err)
		return -EINVAL;
	o->by_addr = by == 1;
	o->stats_entries = node && cfg_node__get(node, "max_entries") ? o->max_entries :
			   summary_default_entries();
	o->bytes = o->accept = true;
	for (size_t i = 0; i < sizeof(tcp_offsets) / sizeof(tcp_offsets[0]); i++)
		err |= tcp_offset_set(inst, &tcp_offsets[i], o);
	err |= render_vars__set(&inst->vars, "BYTES", "%d", o->bytes);
	err |= render_vars__set(&inst->vars, "ACCEPT_WALK", "%d", o->accept);
	accept4 = kernel_info__has_tracepoint(ki, "syscalls", "sys_exit_accept4");
	reset_sockaddr = o->resets && !tcp_tp_has_field(ki, "tcp", "tcp_send_reset", "sport");
	reset_reason = o->resets && tcp_tp_has_field(ki, "tcp", "tcp_send_reset", "reason");
	err |= render_vars__set(&inst->vars, "MAX_ENTRIES", "%lld", o->max_entries);
	err |= render_vars__set(&inst->vars, "STATS_ENTRIES", "%lld", o->stats_entries);
	err |= render_vars__set(&inst->vars, "BY_ADDR", "%d", o->by_addr);
	err |= render_vars__set(&inst->vars, "RETRANSMITS", "%d", o->retransmits &&
				kernel_info__has_tracepoint(ki, "tcp", "tcp_retransmit_skb"));
	err |= render_vars__set(&inst->vars, "RESETS", "%d", o->resets &&
				kernel_info__has_tracepoint(ki, "tcp", "tcp_send_reset") &&
				kernel_info__has_tracepoint(ki, "tcp", "tcp_receive_reset"));
	err |= render_vars__set(&inst->vars, "HAVE_ACCEPT4", "%d", accept4);
	err |= render_vars__set(&inst->vars, "RESET_SOCKADDR", "%d", reset_sockaddr);
	err |= render_vars__set(&inst->vars, "RESET_REASON", "%d", reset_reason);
	if (err)
		return -ENOMEM;
	if (!o->bytes)
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "rx_bytes, tx_bytes are null: %s",
				      ki->btf ? "BTF lacks a member of tcp_sock (bytes_received, "
						"bytes_acked, snd_una, write_seq) or sock_common.skc_flags"
					      : "no BTF (struct tcp_sock's offsets come from BTF only)");
	if (!o->accept || !accept4)
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "accept latency and the process of accepted connections "
				      "unavailable: %s",
				      !accept4 ? "no syscalls:sys_exit_accept4 tracepoint"
					       : "no BTF offsets for an fd's sock (task_struct.files, "
						 "files_struct.fdt, fdtable.fd, file.private_data, "
						 "socket.sk)");
	if (o->resets && (!kernel_info__has_tracepoint(ki, "tcp", "tcp_send_reset") ||
			  !kernel_info__has_tracepoint(ki, "tcp", "tcp_receive_reset")))
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "resets unseen: no tcp:tcp_send_reset or tcp_receive_reset");
	if (o->retransmits && !kernel_info__has_tracepoint(ki, "tcp", "tcp_retransmit_skb"))
		monitor_inst__verdict(inst, VERDICT_DEGRADED,
				      "retransmits unseen: no tcp:tcp_retransmit_skb");
	return 0;
}

static int tcp_attach(struct monitor_inst *inst, struct probe_set *ps)
{
	struct tcp_opts *o = inst->priv;

	o->last_collect = o->full_checked = clock_mono_s();
	return monitor_attach_tracepoints(inst, ps);
}

/* An address as text (IPv4 from its first 4 bytes); NULL for an unknown family. */
static const char *tcp_addr_text(char *buf, size_t size, unsigned family, const __u8 *addr)
{
	if (family == AF_INET)
		return inet_ntop(AF_INET, addr, buf, size);
	if (family == AF_INET6)
		return inet_ntop(AF_INET6, addr, buf, size);
	return NULL;
}

/* An address field: the text copied into the record (BUF is the caller's stack). */
static void tcp_addr_field(struct record *rec, const char *key, char *buf, size_t size,
			   unsigned family, const __u8 *addr)
{
	const char *s = tcp_addr_text(buf, size, family, addr);

	if (s)
		record__strcpy(rec, key, s, strlen(s));
	else
		record__null(rec, key);
}

static const char *tcp_family_name(unsigned family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : NULL;
}

/* A nonzero count as a number, else null. */
static void tcp_uint_or_null(struct record *rec, const char *key, uint64_t v, bool have)
{
	if (have)
		record__uint(rec, key, v);
	else
		record__null(rec, key);
}

/*
 * Connections the in-flight table had no room for: told at most once a
 * second (a warning; in summary mode a "lost" record too, from collect).
 */
static void tcp_full_check(struct monitor_inst *inst, bool record)
{
	struct tcp_opts *o = inst->priv;
	double now = clock_mono_s();
	uint64_t n;

	if (!inst->ps || (!record && now - o->full_checked < 1))
		return;
	o->full_checked = now;
	n = summary_uncounted(inst->ps, "tcpmon_conns_full", &o->full_seen);
	if (!n)
		return;
	if (record)
		summary_table_full(inst, n, "connections", o->max_entries);
	else
		pr_warn("tcp: %llu connections not followed: the in-flight table (max_entries "
			"%lld) was full", (unsigned long long)n, o->max_entries);
}

static int tcp_on_event(struct monitor_inst *inst, const void *data, size_t size,
			struct record *rec)
{
	const struct tcp_opts *o = inst->priv;
	const struct tcpmon_event *e = data;
	char sbuf[INET6_ADDRSTRLEN], dbuf[INET6_ADDRSTRLEN];
	const char *states[TCPMON_MAX_STATES], *from = NULL;
	bool close_ev, bytes;
	size_t n = 0;

	if (size < sizeof(*e) || e->kind >= TCPMON_EV_KINDS)
		return -EINVAL;
	close_ev = e->kind == TCPMON_EV_CLOSE;
	bytes = close_ev && (e->flags & TCPMON_F_BYTES);
	record__str(rec, "event", tcp_event_names[e->kind]);
	record__str(rec, "family", tcp_family_name(e->family));
	tcp_addr_field(rec, "saddr", sbuf, sizeof(sbuf), e->family, e->saddr);
	record__uint(rec, "sport", e->sport);
	tcp_addr_field(rec, "daddr", dbuf, sizeof(dbuf), e->family, e->daddr);
	record__uint(rec, "dport", e->dport);
	if (e->flags & TCPMON_F_ACTIVE)
		record__str(rec, "direction", "active");
	else if (e->flags & TCPMON_F_PASSIVE)
		record__str(rec, "direction", "passive");
	else
		record__null(rec, "direction");
	if (e->pid_from < sizeof(tcp_pid_from_names) / sizeof(tcp_pid_from_names[0]))
		from = tcp_pid_from_names[e->pid_from];
	record__str(rec, "pid_from", from);
	tcp_uint_or_null(rec, "duration_ns", e->duration_ns, close_ev);
	tcp_uint_or_null(rec, "connect_latency_ns", e->connect_ns, close_ev && e->connect_ns);
	tcp_uint_or_null(rec, "accept_latency_ns", e->accept_ns, close_ev && e->accept_ns);
	tcp_uint_or_null(rec, "rx_bytes", e->rx_bytes, bytes);
	tcp_uint_or_null(rec, "tx_bytes", e->tx_bytes, bytes);
	if (close_ev && !bytes)
		record__str(rec, "bytes_error", o->bytes ? "unreadable" : "no BTF offsets");
	else
		record__null(rec, "bytes_error");
	if (close_ev) {
		for (unsigned i = 0; i < e->n_states && i < TCPMON_MAX_STATES; i++)
			states[n++] = e->states[i] <= TCPMON_S_MAX && tcp_state_names[e->states[i]] ?
				      tcp_state_names[e->states[i]] : "?";
		record__strv(rec, "states", states, n);
		record__bool(rec, "states_truncated", e->flags & TCPMON_F_STATES_CUT);
	} else {
		record__null(rec, "states");
		record__null(rec, "states_truncated");
	}
	record__uint(rec, "retransmits", e->retransmits);
	if (!close_ev && e->state > 0 && e->state <= TCPMON_S_MAX && tcp_state_names[e->state])
		record__str(rec, "state", tcp_state_names[e->state]);
	else
		record__null(rec, "state");
	tcp_uint_or_null(rec, "reset_reason", (uint64_t)e->reason,
			 e->kind == TCPMON_EV_RESET_SENT && e->reason >= 0);
	tcp_full_check(inst, false);
	return 0;
}

struct tcp_row {
	struct tcpmon_stats_key k;
	struct tcpmon_stats s;
};

static void tcp_stats_add(struct tcpmon_stats *d, const struct tcpmon_stats *s)
{
	d->connections += s->connections;
	d->active += s->active;
	d->passive += s->passive;
	d->rx_bytes += s->rx_bytes;
	d->tx_bytes += s->tx_bytes;
	d->retransmits += s->retransmits;
	d->resets += s->resets;
	d->duration_ns += s->duration_ns;
	summary_hist_add(d->hist, s->hist);
}

/* A summary_fold_fn: one key's per-CPU values into a row. */
static void tcp_row_add(struct summary_rows *rows, const void *key, const void *values,
			int n_values, size_t stride)
{
	struct tcp_row *r;

	if (stride < sizeof(struct tcpmon_stats)) {
		rows->err = -EINVAL;
		return;
	}
	r = summary_rows__next(rows);
	if (!r)
		return;
	memcpy(&r->k, key, sizeof(r->k));
	for (int i = 0; i < n_values; i++) {
		struct tcpmon_stats v;

		memcpy(&v, (const char *)values + i * stride, sizeof(v));
		tcp_stats_add(&r->s, &v);
	}
	if (r->s.connections || r->s.retransmits || r->s.resets)
		summary_rows__keep(rows);
}

/* Most connections first, then most bytes, then by port or address. */
static int tcp_row_cmp(const void *a, const void *b)
{
	const struct tcp_row *x = a, *y = b;
	uint64_t bx = x->s.rx_bytes + x->s.tx_bytes, by = y->s.rx_bytes + y->s.tx_bytes;

	if (x->s.connections != y->s.connections)
		return x->s.connections > y->s.connections ? -1 : 1;
	if (bx != by)
		return bx > by ? -1 : 1;
	if (x->k.family != y->k.family)
		return x->k.family < y->k.family ? -1 : 1;
	if (x->k.port != y->k.port)
		return x->k.port < y->k.port ? -1 : 1;
	if (x->k.flags != y->k.flags)
		return x->k.flags < y->k.flags ? -1 : 1;
	return memcmp(x->k.addr, y->k.addr, sizeof(x->k.addr));
}

static void tcp_row_merge(void *dst, const void *src)
{
	tcp_stats_add(&((struct tcp_row *)dst)->s, &((const struct tcp_row *)src)->s);
}

static bool tcp_row_is_other(const void *row)
{
	const struct tcp_row *r = row;

	return !r->k.family && !r->k.port;
}

static void tcp_row_other(void *row)
{
	struct tcp_row *r = row;

	memset(&r->k, 0, sizeof(r->k));
}

static const char *tcp_dir_name(unsigned flags)
{
	return flags & TCPMON_F_ACTIVE ? "active" : flags & TCPMON_F_PASSIVE ? "passive" : NULL;
}

/* One summary record: ROW is "port", "remote_addr", "other" or "total". */
static void tcp_stats_emit(struct monitor_inst *inst, const char *row,
			   const struct tcpmon_stats_key *k, const struct tcpmon_stats *s, double interval)
{
	struct record *rec = monitor_inst__record(inst, "summary");
	bool keyed = k && !strcmp(row, "port"), by_addr = k && !strcmp(row, "remote_addr");
	char buf[INET6_ADDRSTRLEN];

	record__str(rec, "row", row);
	record__str(rec, "family", k && (keyed || by_addr) ? tcp_family_name(k->family) : NULL);
	record__str(rec, "direction", k && (keyed || by_addr) ? tcp_dir_name(k->flags) : NULL);
	if (keyed)
		record__uint(rec, "port", k->port);
	else
		record__null(rec, "port");
	if (by_addr)
		tcp_addr_field(rec, "remote_addr", buf, sizeof(buf), k->family, k->addr);
	else
		record__null(rec, "remote_addr");
	record__uint(rec, "connections", s->connections);
	record__uint(rec, "active", s->active);
	record__uint(rec, "passive", s->passive);
	record__uint(rec, "rx_bytes", s->rx_bytes);
	record__uint(rec, "tx_bytes", s->tx_bytes);
	record__uint(rec, "retransmits", s->retransmits);
	record__uint(rec, "resets", s->resets);
	record__uint(rec, "total_duration_ns", s->duration_ns);
	record__json(rec, "duration_hist_ns", log2_hist_json((const uint64_t *)s->hist,
							      EBPFMON_HIST_SLOTS));
	record__real(rec, "interval_s", interval);
	monitor_inst__emit(inst, rec);
}

static int tcp_row_emit(struct monitor_inst *inst, const void *row, double interval)
{
	struct tcp_opts *o = inst->priv;
	const struct tcp_row *r = row;

	tcp_stats_emit(inst, tcp_row_is_other(r) ? "other" : o->by_addr ? "remote_addr" : "port",
		       &r->k, &r->s, interval);
	tcp_stats_add(&o->total, &r->s);
	o->any = true;
	o->last_interval = interval;
	return 0;
}

static const struct summary_spec tcp_summary = {
	.table = "tcpmon_stats",
	.row_size = sizeof(struct tcp_row),
	.fold = tcp_row_add,
	.cmp = tcp_row_cmp,
	.emit = tcp_row_emit,
	.per_s = 1000,
	.merge = tcp_row_merge,
	.other = tcp_row_other,
	.is_other = tcp_row_is_other,
	.full = "tcpmon_stats_full",
	.over = "tcpmon_stats_over",
	.over_size = sizeof(struct tcpmon_stats),
	.what = "connections",
};

static int tcp_collect(struct monitor_inst *inst, struct probe_set *ps)
{
	struct tcp_opts *o = inst->priv;
	int err;

	memset(&o->total, 0, sizeof(o->total));
	o->any = false;
	err = summary_collect(inst, ps, &tcp_summary, &o->last_collect, o->stats_entries);
	/* The interval's totals, whatever top left out: every row summed. */
	if (o->any)
		tcp_stats_emit(inst, "total", NULL, &o->total, o->last_interval);
	tcp_full_check(inst, true);
	return err;
}

/* The families by family and direction, from struct tcpmon_metric (off -1: the duration histogram). */
static const struct tcp_conn_family {
	const char *name, *help;
	long off;
} tcp_conn_families[] = {
	{ "ebpfmon_tcp_connections_total",
	  "TCP connections closed (followed from connect or accept to close), by family and "
	  "direction (active: connect, passive: accept).",
	  offsetof(struct tcpmon_metric, connections) },
	{ "ebpfmon_tcp_rx_bytes_total",
	  "Payload bytes received by closed TCP connections (tcp_sock.bytes_received less a FIN).",
	  offsetof(struct tcpmon_metric, rx_bytes) },
	{ "ebpfmon_tcp_tx_bytes_total",
	  "Payload bytes sent and acknowledged by closed TCP connections (tcp_sock.bytes_acked "
	  "less SYN and FIN).",
	  offsetof(struct tcpmon_metric, tx_bytes) },
	{ "ebpfmon_tcp_connection_duration_seconds",
	  "Lifetime of closed TCP connections (first state to CLOSE).", -1 },
};

static int tcp_metrics(struct monitor_inst *inst, struct probe_set *ps, struct metrics *m)
{
	static const char *const fams[2] = { "ipv4", "ipv6" };
	static const char *const dirs[2] = { "active", "passive" };
	struct tcpmon_metric v[TCPMON_M_KEYS];
	struct ebpfmon_metric_hist lat[2];
	uint64_t ev[TCPMON_M_EVENTS], full[1];
	int err;

	(void)inst;
	/* All __u64: summed over the CPUs word by word. */
	err = probe_set__percpu_array_sums(ps, "tcpmon_m", (uint64_t *)v,
					   sizeof(v) / (sizeof(uint64_t)));
	if (!err)
		err = probe_set__percpu_array_sums(ps, "tcpmon_m_lat", (uint64_t *)lat,
						   sizeof(lat) / (sizeof(uint64_t)));
	if (!err)
		err = probe_set__percpu_array_sums(ps, "tcpmon_m_events", ev, TCPMON_M_EVENTS);
	if (!err)
		err = probe_set__percpu_array_sums(ps, "tcpmon_conns_full", full, 1);
	if (err)
		return err;
	for (size_t f = 0; f < sizeof(tcp_conn_families) / sizeof(tcp_conn_families[0]); f++) {
		const struct tcp_conn_family *cf = &tcp_conn_families[f];

		metrics__family(m, cf->name, cf->off < 0 ? METRIC_HISTOGRAM : METRIC_COUNTER,
				cf->help);
		for (int k = 0; k < TCPMON_M_KEYS; k++) {
			const char *labels[] = { "family", fams[k / 2], "direction", dirs[k % 2],
						 NULL };

			if (cf->off < 0)
				metric_hist_write(m, cf->name, labels, &v[k].duration);
			else
				metrics__sample(m, cf->name, labels,
						*(const uint64_t *)((const char *)&v[k] + cf->off));
		}
	}
	metrics__family(m, "ebpfmon_tcp_connect_latency_seconds", METRIC_HISTOGRAM,
			"TCP connect latency: SYN_SENT to ESTABLISHED (tcpconnlat).");
	metric_hist_write(m, "ebpfmon_tcp_connect_latency_seconds", NULL, &lat[TCPMON_LAT_CONNECT]);
	metrics__family(m, "ebpfmon_tcp_accept_latency_seconds", METRIC_HISTOGRAM,
			"TCP accept-queue latency: SYN_RECV (handshake done) to accept() "
			"returning the connection.");
	metric_hist_write(m, "ebpfmon_tcp_accept_latency_seconds", NULL, &lat[TCPMON_LAT_ACCEPT]);
	metrics__family(m, "ebpfmon_tcp_retransmits_total", METRIC_COUNTER,
			"TCP segments retransmitted (tcp:tcp_retransmit_skb).");
	metrics__sample(m, "ebpfmon_tcp_retransmits_total", NULL, ev[0]);
	metrics__family(m, "ebpfmon_tcp_resets_total", METRIC_COUNTER,
			"TCP resets, by direction (sent, received).");
	{
		const char *sent[] = { "direction", "sent", NULL };
		const char *recv[] = { "direction", "received", NULL };

		metrics__sample(m, "ebpfmon_tcp_resets_total", sent, ev[TCPMON_EV_RESET_SENT - 1]);
		metrics__sample(m, "ebpfmon_tcp_resets_total", recv,
				ev[TCPMON_EV_RESET_RECEIVED - 1]);
	}
	metrics__family(m, "ebpfmon_tcp_untracked_connections_total", METRIC_COUNTER,
			"TCP connections not followed: the in-flight table (max_entries) was full.");
	metrics__sample(m, "ebpfmon_tcp_untracked_connections_total", NULL, full[0]);
	return 0;
}

static void tcp_detach(struct monitor_inst *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

static const struct table_column tcp_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "PID", "pid", 7, COLUMN_RIGHT },
	{ "COMM", "comm", 16, COLUMN_LEFT },
	{ "EVENT", "event", 14, COLUMN_LEFT },
	{ "SADDR", "saddr", 15, COLUMN_LEFT },
	{ "SPORT", "sport", 5, COLUMN_RIGHT },
	{ "DADDR", "daddr", 15, COLUMN_LEFT },
	{ "DPORT", "dport", 5, COLUMN_RIGHT },
	{ "RX_B", "rx_bytes", 8, COLUMN_RIGHT },
	{ "TX_B", "tx_bytes", 8, COLUMN_RIGHT },
	{ "DUR(ns)", "duration_ns", 12, COLUMN_RIGHT },
	{ "STATE", "state", 0, COLUMN_LEFT },
	{ NULL },
};

static const struct table_column tcp_summary_columns[] = {
	{ "TIME", "ts", 8, COLUMN_LEFT },
	{ "ROW", "row", 11, COLUMN_LEFT },
	{ "DIR", "direction", 7, COLUMN_LEFT },
	{ "PORT", "port", 5, COLUMN_RIGHT },
	{ "RADDR", "remote_addr", 15, COLUMN_LEFT },
	{ "CONNS", "connections", 6, COLUMN_RIGHT },
	{ "RX_B", "rx_bytes", 10, COLUMN_RIGHT },
	{ "TX_B", "tx_bytes", 10, COLUMN_RIGHT },
	{ "RETRANS", "retransmits", 7, COLUMN_RIGHT },
	{ "RESETS", "resets", 6, COLUMN_RIGHT },
	{ "DUR(ns)", "total_duration_ns", 0, COLUMN_RIGHT },
	{ NULL },
};

static const char *const tcp_inflight[] = { "tcpmon_conns", "tcpmon_closed", NULL };

const struct monitor mon_tcp = {
	.name = "tcp",
	.desc = "TCP connections: lifetime, bytes, connect and accept latency, "
		"retransmits, resets",
	.probe = "tcp.bpf.c",
	.tracepoints = tcp_tracepoints,
	.events_table = "tcpmon_events",
	.configure = tcp_configure,
	.attach = tcp_attach,
	.on_event = tcp_on_event,
	.collect = tcp_collect,
	.detach = tcp_detach,
	.columns = tcp_columns,
	.metrics = tcp_metrics,
	.summary_columns = tcp_summary_columns,
	.inflight = tcp_inflight,
};
