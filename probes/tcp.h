/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tcp monitor's tables and event, shared by probes/tcp.bpf.c and
 * src/monitors/tcp.c.
 */
#ifndef EBPFMON_PROBE_TCP_H
#define EBPFMON_PROBE_TCP_H

#include "common.h"

/* The kernel's TCP states (include/net/tcp_states.h), as the tracepoints give them. */
#define TCP_S_ESTABLISHED	1
#define TCP_S_SYN_SENT		2
#define TCP_S_SYN_RECV		3
#define TCP_S_FIN_WAIT1		4
#define TCP_S_FIN_WAIT2		5
#define TCP_S_TIME_WAIT		6
#define TCP_S_CLOSE		7
#define TCP_S_CLOSE_WAIT	8
#define TCP_S_LAST_ACK		9
#define TCP_S_LISTEN		10
#define TCP_S_CLOSING		11
#define TCP_S_NEW_SYN_RECV	12
#define TCP_S_MAX		12

/* States kept per connection: the first, then each new one (a close has 4 to 7). */
#define TCP_MAX_STATES		12

/* tcp_conn.flags, tcp_event.flags */
#define TCP_F_ACTIVE		0x1	/* connect(): SYN_SENT first */
#define TCP_F_PASSIVE		0x2	/* accepted: SYN_RECV first (the child of a listener) */
#define TCP_F_ESTABLISHED	0x4	/* reached ESTABLISHED */
#define TCP_F_ACCEPTED		0x8	/* accept() returned it */
#define TCP_F_BYTES		0x10	/* rx_bytes, tx_bytes read (BTF offsets known) */
#define TCP_F_STATES_CUT	0x20	/* more transitions than TCP_MAX_STATES */
#define TCP_F_FIN_SENT		0x40	/* went to FIN_WAIT1 or LAST_ACK: our FIN is out */

/* Where the connection's process came from (tcp_conn.pid_from). */
#define TCP_PID_NONE		0	/* never seen in process context (never accepted) */
#define TCP_PID_CONNECT		1	/* the connect() caller, at SYN_SENT */
#define TCP_PID_ACCEPT		2	/* the accept() caller, at its return */
#define TCP_PID_CLOSE		3	/* the close()/shutdown() caller, at FIN_WAIT1 or LAST_ACK */

/* tcp_event.kind */
#define TCP_EV_CLOSE		0	/* a connection ended: its whole life */
#define TCP_EV_RETRANSMIT	1	/* tcp:tcp_retransmit_skb */
#define TCP_EV_RESET_SENT	2	/* tcp:tcp_send_reset */
#define TCP_EV_RESET_RECEIVED	3	/* tcp:tcp_receive_reset */
#define TCP_EV_KINDS		4

/*
 * A connection in flight (key: the sock's address), from its first state
 * (SYN_SENT or SYN_RECV) to TCP_CLOSE.
 */
struct tcp_conn {
	__u64 start_ns;		/* SYN_SENT (connect) or SYN_RECV (handshake done, queued) */
	__u64 estab_ns;		/* ESTABLISHED; 0: never */
	__u64 accept_ns;	/* accept() returned it; 0: never */
	__u32 pid, tid, uid;
	__u32 flags;		/* TCP_F_* */
	__u32 retransmits;	/* tcp_retransmit_skb on this sock */
	__u16 pid_from;		/* TCP_PID_* */
	__u16 n_states;		/* transitions seen + 1 (may exceed TCP_MAX_STATES) */
	__u8 states[TCP_MAX_STATES];
	char comm[EBPFMON_COMM_LEN];
};

struct tcp_event {
	struct ebpfmon_hdr hdr;
	__u8 saddr[16];		/* IPv4: the first 4 bytes */
	__u8 daddr[16];
	__u16 family;		/* AF_INET, AF_INET6; 0: unknown */
	__u16 sport, dport;	/* host order */
	__u16 kind;		/* TCP_EV_* */
	__u32 flags;		/* TCP_F_* */
	__s32 state;		/* retransmits, resets: the sock's state; -1: none */
	__s32 reason;		/* reset sent: enum sk_rst_reason; -1: the kernel does not say */
	__u16 pid_from;		/* TCP_PID_* */
	__u16 n_states;
	__u32 retransmits;
	__u64 duration_ns;	/* first state to TCP_CLOSE */
	__u64 connect_ns;	/* active: SYN_SENT to ESTABLISHED; 0: none */
	__u64 accept_ns;	/* passive: SYN_RECV to accept() return; 0: none */
	__u64 rx_bytes, tx_bytes;	/* tcp_sock bytes_received, bytes_acked */
	__u8 states[TCP_MAX_STATES];
	__u32 pad;
};

/* Metrics: by family (0 IPv4, 1 IPv6) and direction (0 active, 1 passive). */
#define TCP_M_KEYS 4
struct tcp_metric {
	__u64 connections;	/* closed, whole lives seen */
	__u64 rx_bytes, tx_bytes;
	struct ebpfmon_metric_hist duration;
};

/* tcp_m_lat's keys */
#define TCP_LAT_CONNECT 0
#define TCP_LAT_ACCEPT 1

/* tcp_m_events's keys: retransmits, resets sent, resets received (TCP_EV_* - 1). */
#define TCP_M_EVENTS 3

/*
 * Summary mode: by the service's port (accepted: the local port; connected:
 * the remote one; so ephemeral ports make no rows) or by remote address
 * (summary_by), and direction.
 */
struct tcp_stats_key {
	__u8 addr[16];		/* remote address; zero when by port */
	__u16 family;		/* 0 with port 0: the (other) row */
	__u16 port;		/* the service's port; 0 when by remote address */
	__u32 flags;		/* TCP_F_ACTIVE or TCP_F_PASSIVE; 0: a packet of no connection */
};

struct tcp_stats {
	__u64 connections;
	__u64 active, passive;
	__u64 rx_bytes, tx_bytes;
	__u64 retransmits, resets;
	__u64 duration_ns;	/* the sum */
	__u64 hist[EBPFMON_HIST_SLOTS];	/* durations, log2 slots of ns */
};

#endif
