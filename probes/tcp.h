/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tcp monitor's tables and event, shared by probes/tcp.bpf.c and
 * src/monitors/tcp.c.
 */
#ifndef EBPFMON_PROBE_TCP_H
#define EBPFMON_PROBE_TCP_H

#include "common.h"

/* The kernel's TCP states (include/net/tcp_states.h), as the tracepoints give them. */
#define TCPMON_S_ESTABLISHED	1
#define TCPMON_S_SYN_SENT		2
#define TCPMON_S_SYN_RECV		3
#define TCPMON_S_FIN_WAIT1		4
#define TCPMON_S_FIN_WAIT2		5
#define TCPMON_S_TIME_WAIT		6
#define TCPMON_S_CLOSE		7
#define TCPMON_S_CLOSE_WAIT	8
#define TCPMON_S_LAST_ACK		9
#define TCPMON_S_LISTEN		10
#define TCPMON_S_CLOSING		11
#define TCPMON_S_NEW_SYN_RECV	12
#define TCPMON_S_MAX		12

/* States kept per connection: the first, then each new one (a close has 4 to 7). */
#define TCPMON_MAX_STATES		12

/* tcpmon_conn.flags, tcpmon_event.flags */
#define TCPMON_F_ACTIVE		0x1	/* connect(): SYN_SENT first */
#define TCPMON_F_PASSIVE		0x2	/* accepted: SYN_RECV first (the child of a listener) */
#define TCPMON_F_ESTABLISHED	0x4	/* reached ESTABLISHED */
#define TCPMON_F_ACCEPTED		0x8	/* accept() returned it */
#define TCPMON_F_BYTES		0x10	/* rx_bytes, tx_bytes read (BTF offsets known) */
#define TCPMON_F_STATES_CUT	0x20	/* more transitions than TCPMON_MAX_STATES */
#define TCPMON_F_FIN_SENT		0x40	/* went to FIN_WAIT1 or LAST_ACK: our FIN is out */

/* Where the connection's process came from (tcpmon_conn.pid_from). */
#define TCPMON_PID_NONE		0	/* never seen in process context (never accepted) */
#define TCPMON_PID_CONNECT		1	/* the connect() caller, at SYN_SENT */
#define TCPMON_PID_ACCEPT		2	/* the accept() caller, at its return */
#define TCPMON_PID_CLOSE		3	/* the close()/shutdown() caller, at FIN_WAIT1 or LAST_ACK */

/* tcpmon_event.kind */
#define TCPMON_EV_CLOSE		0	/* a connection ended: its whole life */
#define TCPMON_EV_RETRANSMIT	1	/* tcp:tcp_retransmit_skb */
#define TCPMON_EV_RESET_SENT	2	/* tcp:tcp_send_reset */
#define TCPMON_EV_RESET_RECEIVED	3	/* tcp:tcp_receive_reset */
#define TCPMON_EV_KINDS		4

/*
 * A connection in flight (key: the sock's address), from its first state
 * (SYN_SENT or SYN_RECV) to TCPMON_CLOSE.
 */
struct tcpmon_conn {
	__u64 start_ns;		/* SYN_SENT (connect) or SYN_RECV (handshake done, queued) */
	__u64 estab_ns;		/* ESTABLISHED; 0: never */
	__u64 accept_ns;	/* accept() returned it; 0: never */
	__u64 cgroup_id;	/* the process's cgroup (v2 id) where it was taken */
	__u32 pid, tid, uid;
	__u32 flags;		/* TCPMON_F_* */
	__u32 retransmits;	/* tcp_retransmit_skb on this sock */
	__u16 pid_from;		/* TCPMON_PID_* */
	__u16 n_states;		/* transitions seen + 1 (may exceed TCPMON_MAX_STATES) */
	__u8 states[TCPMON_MAX_STATES];
	char comm[EBPFMON_COMM_LEN];
};

struct tcpmon_event {
	struct ebpfmon_hdr hdr;
	__u8 saddr[16];		/* IPv4: the first 4 bytes */
	__u8 daddr[16];
	__u16 family;		/* AF_INET, AF_INET6; 0: unknown */
	__u16 sport, dport;	/* host order */
	__u16 kind;		/* TCPMON_EV_* */
	__u32 flags;		/* TCPMON_F_* */
	__s32 state;		/* retransmits, resets: the sock's state; -1: none */
	__s32 reason;		/* reset sent: enum sk_rst_reason; -1: the kernel does not say */
	__u16 pid_from;		/* TCPMON_PID_* */
	__u16 n_states;
	__u32 retransmits;
	__u64 duration_ns;	/* first state to TCPMON_CLOSE */
	__u64 connect_ns;	/* active: SYN_SENT to ESTABLISHED; 0: none */
	__u64 accept_ns;	/* passive: SYN_RECV to accept() return; 0: none */
	__u64 rx_bytes, tx_bytes;	/* tcp_sock bytes_received, bytes_acked */
	__u8 states[TCPMON_MAX_STATES];
	__u32 pad;
};

/* Metrics: by family (0 IPv4, 1 IPv6) and direction (0 active, 1 passive). */
#define TCPMON_M_KEYS 4
struct tcpmon_metric {
	__u64 connections;	/* closed, whole lives seen */
	__u64 rx_bytes, tx_bytes;
	struct ebpfmon_metric_hist duration;
};

/* tcpmon_m_lat's keys */
#define TCPMON_LAT_CONNECT 0
#define TCPMON_LAT_ACCEPT 1

/* tcpmon_m_events's keys: retransmits, resets sent, resets received (TCPMON_EV_* - 1). */
#define TCPMON_M_EVENTS 3

/*
 * Summary mode: by the service's port (accepted: the local port; connected:
 * the remote one; so ephemeral ports make no rows) or by remote address
 * (summary_by), and direction.
 */
struct tcpmon_stats_key {
	__u8 addr[16];		/* remote address; zero when by port */
	__u16 family;		/* 0 with port 0: the (other) row */
	__u16 port;		/* the service's port; 0 when by remote address */
	__u32 flags;		/* TCPMON_F_ACTIVE or TCPMON_F_PASSIVE; 0: a packet of no connection */
};

struct tcpmon_stats {
	__u64 connections;
	__u64 active, passive;
	__u64 rx_bytes, tx_bytes;
	__u64 retransmits, resets;
	__u64 duration_ns;	/* the sum */
	__u64 hist[EBPFMON_HIST_SLOTS];	/* durations, log2 slots of ns */
};

#endif
