// SPDX-License-Identifier: GPL-2.0
/*
 * tcp: TCP connections from tracepoints only (tcplife, tcpconnlat,
 * tcpretrans, ebpf_exporter's accept latency). sock:inet_sock_set_state
 * follows each connection from its first state (SYN_SENT: connect(); or
 * SYN_RECV: a listener's child, made when the handshake completes) to
 * TCPMON_CLOSE, where its whole life is sent: addresses, ports, duration, the
 * states it went through, connect latency (SYN_SENT to ESTABLISHED) and the
 * bytes of struct tcp_sock (bytes_received, bytes_acked through BTF offsets).
 * The transitions mostly run in softirq context, on whatever task the packet
 * came in on, so the process is taken where the kernel runs for it: connect()
 * (SYN_SENT), accept()'s return (syscalls:sys_exit_accept4/accept: the new
 * fd's sock, through the task's fd table), or close()/shutdown() (FIN_WAIT1,
 * LAST_ACK) when neither was seen. accept()'s return also ends the accept
 * latency: SYN_RECV (queued) to the return. tcp:tcp_retransmit_skb,
 * tcp:tcp_send_reset and tcp:tcp_receive_reset are events and counters.
 */
#include "tcp.h"

#define TCPMON_MON_ID @MON_ID@
#define TCPMON_SUMMARY (@SUMMARY@ && EBPFMON_EVENTS)
#define TCPMON_BY_ADDR @BY_ADDR@	/* summary rows by remote address, else by local port */
#define TCPMON_RETRANSMITS @RETRANSMITS@
#define TCPMON_RESETS @RESETS@
#define TCPMON_HAVE_ACCEPT4 @HAVE_ACCEPT4@
/* tcp:tcp_send_reset with sockaddrs (6.10+) instead of ports and addresses. */
#define TCPMON_RESET_SOCKADDR @RESET_SOCKADDR@
#define TCPMON_RESET_REASON @RESET_REASON@

/*
 * Payload bytes: the counters of sequence space (bytes_received,
 * bytes_acked) less what SYN and FIN took of it. A FIN received sets
 * SOCK_DONE (bit 1 of sk_flags, tcp_fin()); ours was acked when snd_una
 * reached write_seq after we sent one (FIN_WAIT1, LAST_ACK); an active
 * open's SYN was acked when it reached ESTABLISHED. The offsets (and those
 * of accept()'s fd to its sock: task->files->fdt->fd[fd]->private_data, a
 * socket, ->sk) are BTF's (src/monitors/tcp.c says why BTF only);
 * TCPMON_BYTES, TCPMON_ACCEPT_WALK: all of them are known.
 */
#define TCPMON_BYTES @BYTES@
#define TCPMON_ACCEPT_WALK @ACCEPT_WALK@
#define TCPMON_OFF_RX @OFF_RX@
#define TCPMON_OFF_TX @OFF_TX@
#define TCPMON_OFF_SND_UNA @OFF_SND_UNA@
#define TCPMON_OFF_WRITE_SEQ @OFF_WRITE_SEQ@
#define TCPMON_OFF_SK_FLAGS @OFF_SK_FLAGS@
#define TCPMON_SOCK_DONE 1
#define TCPMON_OFF_TASK_FILES @OFF_TASK_FILES@
#define TCPMON_OFF_FILES_FDT @OFF_FILES_FDT@
#define TCPMON_OFF_FDT_MAX_FDS @OFF_FDT_MAX_FDS@
#define TCPMON_OFF_FDT_FD @OFF_FDT_FD@
#define TCPMON_OFF_FILE_PRIV @OFF_FILE_PRIV@
#define TCPMON_OFF_SOCKET_SK @OFF_SOCKET_SK@
#define TCPMON_ACCEPT (TCPMON_ACCEPT_WALK && TCPMON_HAVE_ACCEPT4)
#if TCPMON_RESET_REASON
/*
 * The tracepoint's struct (generated from tracefs) has an enum sk_rst_reason
 * field, which no header of another kernel defines: a complete enum of our
 * own in its place (the kernel's, if a header brought it in, keeps its name).
 */
#define sk_rst_reason tcp_ebpfmon_rst_reason
enum tcp_ebpfmon_rst_reason { TCPMON_RST_REASON_NONE };
#endif

#define TCPMON_CLOSED_ENTRIES 1024
#define TCPMON_AF_INET 2
#define TCPMON_AF_INET6 10
#define TCPMON_PROTO_TCP 6

/* A plain hash: a full table is seen (counted), not evicting a live connection. */
BPF_HASH(tcpmon_conns, u64, struct tcpmon_conn, @MAX_ENTRIES@);
BPF_PERCPU_ARRAY(tcpmon_conns_full, u64, 1);
/*
 * Connections just closed, for the packets that follow their close: a
 * reset sent by close() with SO_LINGER 0 (or unread data) comes after the
 * sock went to CLOSE, and is still that connection's process's.
 */
BPF_TABLE("lru_hash", u64, struct tcpmon_conn, tcpmon_closed, TCPMON_CLOSED_ENTRIES);

#if TCPMON_SUMMARY
BPF_F_TABLE("percpu_hash", struct tcpmon_stats_key, struct tcpmon_stats, tcpmon_stats,
	    @STATS_ENTRIES@, BPF_F_NO_PREALLOC);
BPF_PERCPU_ARRAY(tcpmon_stats_zero, struct tcpmon_stats, 1);
/* What tcpmon_stats had no row for: how many, and their sums (cumulative). */
BPF_PERCPU_ARRAY(tcpmon_stats_full, u64, 1);
BPF_PERCPU_ARRAY(tcpmon_stats_over, struct tcpmon_stats, 1);
#elif EBPFMON_EVENTS
BPF_PERCPU_ARRAY(tcpmon_scratch, struct tcpmon_event, 1);
#include "output.h"
#endif

#if EBPFMON_METRICS
/* Cumulative, read by the exporter, never cleared. */
BPF_PERCPU_ARRAY(tcpmon_m, struct tcpmon_metric, TCPMON_M_KEYS);
BPF_PERCPU_ARRAY(tcpmon_m_lat, struct ebpfmon_metric_hist, 2);
BPF_PERCPU_ARRAY(tcpmon_m_events, u64, TCPMON_M_EVENTS);
#endif

/*
 * The filters on a connection's process (its cached ids): one never seen in
 * process context has none and passes only when no filter is set.
 * ebpfmon-bcc's own (the exporter's scrapes) never pass.
 */
static __always_inline int tcpmon_conn_match(const struct tcpmon_conn *c)
{
	char comm[EBPFMON_COMM_LEN] = {};

	if (!c)
		return ebpfmon_task_ids_match(0, 0, 0, comm);
	return ebpfmon_task_ids_match(c->pid, c->tid, c->uid, c->comm);
}

/* The current task as the connection's process. */
static __always_inline void tcpmon_conn_owner(struct tcpmon_conn *c, u16 from)
{
	u64 id = bpf_get_current_pid_tgid();

	c->pid = id >> 32;
	c->tid = (u32)id;
	c->uid = (u32)bpf_get_current_uid_gid();
	c->cgroup_id = bpf_get_current_cgroup_id();
	c->pid_from = from;
	__builtin_memset(c->comm, 0, sizeof(c->comm));
	bpf_get_current_comm(c->comm, sizeof(c->comm));
}

#if EBPFMON_METRICS
static __always_inline void tcpmon_m_event(u32 kind)
{
	u32 key = kind - 1;
	u64 *n = tcpmon_m_events.lookup(&key);

	if (n)
		(*n)++;
}

static __always_inline void tcpmon_m_lat_add(u32 key, u64 ns)
{
	struct ebpfmon_metric_hist *h = tcpmon_m_lat.lookup(&key);

	if (h)
		ebpfmon_metric_hist_add(h, ns);
}
#endif

#if TCPMON_SUMMARY
/*
 * The row of a connection (DIR: TCPMON_F_ACTIVE, TCPMON_F_PASSIVE, 0) by its
 * service's PORT or remote address RADDR, made when missing.
 */
static __always_inline struct tcpmon_stats *tcpmon_stats_row(u16 family, u32 dir, u16 port,
						       const u8 *raddr)
{
	struct tcpmon_stats_key key = {};
	struct tcpmon_stats *s, *z;
	u32 zero = 0;
	u64 *n;

	key.family = family;
	key.flags = dir;
#if TCPMON_BY_ADDR
	__builtin_memcpy(key.addr, raddr, sizeof(key.addr));
#else
	key.port = port;
#endif
	s = tcpmon_stats.lookup(&key);
	if (s)
		return s;
	z = tcpmon_stats_zero.lookup(&zero);
	if (!z)
		return NULL;
	tcpmon_stats.insert(&key, z);
	s = tcpmon_stats.lookup(&key);
	if (s)
		return s;
	n = tcpmon_stats_full.lookup(&zero);
	if (n)
		(*n)++;
	return tcpmon_stats_over.lookup(&zero);
}
#endif

/*
 * An event's addresses and ports, from a tracepoint's fields (IPv4 in the
 * first 4 bytes of each address).
 */
#define TCPMON_ADDRS_FROM(e, a)							\
	do {									\
		(e)->family = (a)->family;					\
		(e)->sport = (a)->sport;					\
		(e)->dport = (a)->dport;					\
		if ((a)->family == TCPMON_AF_INET6) {				\
			__builtin_memcpy((e)->saddr, (a)->saddr_v6, 16);	\
			__builtin_memcpy((e)->daddr, (a)->daddr_v6, 16);	\
		} else {							\
			__builtin_memcpy((e)->saddr, (a)->saddr, 4);		\
			__builtin_memcpy((e)->daddr, (a)->daddr, 4);		\
		}								\
	} while (0)

#if EBPFMON_EVENTS && !TCPMON_SUMMARY
/* The event's header: the connection's process (none: pid 0), now. */
static __always_inline void tcpmon_hdr_fill(struct tcpmon_event *e, const struct tcpmon_conn *c)
{
	__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.cpu = bpf_get_smp_processor_id();
	if (c) {
		e->hdr.pid = c->pid;
		e->hdr.tid = c->tid;
		e->hdr.uid = c->uid;
		e->hdr.cgroup_id = c->cgroup_id;
		__builtin_memcpy(e->hdr.comm, c->comm, sizeof(e->hdr.comm));
	}
}

static __always_inline struct tcpmon_event *tcpmon_event_get(void)
{
	u32 zero = 0;
	struct tcpmon_event *e = tcpmon_scratch.lookup(&zero);

	if (e)
		__builtin_memset(e, 0, sizeof(*e));
	return e;
}
#endif

/* A connection's addresses (IPv4 in the first 4 bytes), local side first. */
struct tcpmon_addrs {
	u8 saddr[16];
	u8 daddr[16];
	u16 family, sport, dport;
};

/* A connection ends: its event, summary row and metrics; then it goes. */
static __always_inline void tcpmon_conn_close(void *ctx, u64 sk, struct tcpmon_conn *c,
					   const struct tcpmon_addrs *a, u64 now)
{
	u64 rx = 0, tx = 0, dur = now - c->start_ns;
	u32 flags = c->flags;

	if (!tcpmon_conn_match(c)) {
		if (c->pid != EBPFMON_SELF_PID)
			ebpfmon_count_filtered(TCPMON_MON_ID);
		return;
	}
#if TCPMON_BYTES
	{
		u64 skflags = 0;
		u32 una = 0, wseq = 0;

		if (!bpf_probe_read_kernel(&rx, sizeof(rx), (char *)sk + TCPMON_OFF_RX) &&
		    !bpf_probe_read_kernel(&tx, sizeof(tx), (char *)sk + TCPMON_OFF_TX) &&
		    !bpf_probe_read_kernel(&skflags, sizeof(skflags),
					   (char *)sk + TCPMON_OFF_SK_FLAGS) &&
		    !bpf_probe_read_kernel(&una, sizeof(una), (char *)sk + TCPMON_OFF_SND_UNA) &&
		    !bpf_probe_read_kernel(&wseq, sizeof(wseq), (char *)sk + TCPMON_OFF_WRITE_SEQ)) {
			flags |= TCPMON_F_BYTES;
			if (rx && (skflags & (1 << TCPMON_SOCK_DONE)))
				rx--;
			if (tx && (flags & TCPMON_F_ACTIVE) && (flags & TCPMON_F_ESTABLISHED))
				tx--;
			if (tx && (flags & TCPMON_F_FIN_SENT) && una == wseq)
				tx--;
		} else {
			rx = tx = 0;
		}
	}
#endif
#if EBPFMON_METRICS
	{
		u32 key = (a->family == TCPMON_AF_INET6 ? 2 : 0) + !!(flags & TCPMON_F_PASSIVE);
		struct tcpmon_metric *m = tcpmon_m.lookup(&key);

		if (m) {
			m->connections++;
			m->rx_bytes += rx;
			m->tx_bytes += tx;
			ebpfmon_metric_hist_add(&m->duration, dur);
		}
	}
#endif
#if TCPMON_SUMMARY
	{
		u32 dir = flags & (TCPMON_F_ACTIVE | TCPMON_F_PASSIVE);
		struct tcpmon_stats *s = tcpmon_stats_row(a->family, dir,
						    dir == TCPMON_F_ACTIVE ? a->dport : a->sport,
						    a->daddr);

		if (s) {
			s->connections++;
			if (flags & TCPMON_F_PASSIVE)
				s->passive++;
			else
				s->active++;
			s->rx_bytes += rx;
			s->tx_bytes += tx;
			s->retransmits += c->retransmits;
			s->duration_ns += dur;
			s->hist[ebpfmon_hist_slot(dur)]++;
		}
	}
#elif EBPFMON_EVENTS
	{
		struct tcpmon_event *e = tcpmon_event_get();

		if (!e)
			return;
		tcpmon_hdr_fill(e, c);
		__builtin_memcpy(e->saddr, a->saddr, sizeof(e->saddr));
		__builtin_memcpy(e->daddr, a->daddr, sizeof(e->daddr));
		e->family = a->family;
		e->sport = a->sport;
		e->dport = a->dport;
		e->kind = TCPMON_EV_CLOSE;
		e->flags = flags;
		e->state = -1;
		e->reason = -1;
		e->pid_from = c->pid_from;
		e->n_states = c->n_states;
		e->retransmits = c->retransmits;
		e->duration_ns = dur;
		if (c->estab_ns && (flags & TCPMON_F_ACTIVE))
			e->connect_ns = c->estab_ns - c->start_ns;
		if (c->accept_ns)
			e->accept_ns = c->accept_ns - c->start_ns;
		e->rx_bytes = rx;
		e->tx_bytes = tx;
		__builtin_memcpy(e->states, c->states, sizeof(e->states));
		tcpmon_events_submit(ctx, e, sizeof(*e));
	}
#endif
}

/*
 * Every TCP state change of every sock. A connection starts at SYN_SENT or
 * at SYN_RECV; one already open when the monitor started is not followed.
 */
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	u64 sk = (u64)args->skaddr, now;
	int newstate = args->newstate;
	struct tcpmon_conn *c;
	u32 n, zero = 0;

	if (args->protocol != TCPMON_PROTO_TCP)
		return 0;
	now = bpf_ktime_get_ns();
	c = tcpmon_conns.lookup(&sk);
	if (!c) {
		struct tcpmon_conn nc = {};
		u64 *full;

		if (newstate == TCPMON_S_SYN_SENT) {
			/* connect(): process context, the caller's. */
			nc.flags = TCPMON_F_ACTIVE;
			tcpmon_conn_owner(&nc, TCPMON_PID_CONNECT);
		} else if (newstate == TCPMON_S_SYN_RECV) {
			/* A listener's child, in softirq: whose, accept() will say. */
			nc.flags = TCPMON_F_PASSIVE;
		} else {
			return 0;
		}
		/* The sock's memory is another connection's now. */
		tcpmon_closed.delete(&sk);
		nc.start_ns = now;
		nc.states[0] = args->oldstate;
		nc.states[1] = newstate;
		nc.n_states = 2;
		if (tcpmon_conns.insert(&sk, &nc)) {
			full = tcpmon_conns_full.lookup(&zero);
			if (full)
				(*full)++;
		}
		return 0;
	}
	n = c->n_states;
	if (n < TCPMON_MAX_STATES)
		c->states[n] = newstate;
	else
		c->flags |= TCPMON_F_STATES_CUT;
	if (n < 0xffff)
		c->n_states = n + 1;
	if (newstate == TCPMON_S_ESTABLISHED && !c->estab_ns) {
		c->estab_ns = now;
		c->flags |= TCPMON_F_ESTABLISHED;
#if EBPFMON_METRICS
		if ((c->flags & TCPMON_F_ACTIVE) && tcpmon_conn_match(c))
			tcpmon_m_lat_add(TCPMON_LAT_CONNECT, now - c->start_ns);
#endif
	}
	if (newstate == TCPMON_S_FIN_WAIT1 || newstate == TCPMON_S_LAST_ACK)
		c->flags |= TCPMON_F_FIN_SENT;
	/* close() or shutdown(): process context. */
	if ((newstate == TCPMON_S_FIN_WAIT1 || newstate == TCPMON_S_LAST_ACK) &&
	    c->pid_from == TCPMON_PID_NONE)
		tcpmon_conn_owner(c, TCPMON_PID_CLOSE);
	if (newstate == TCPMON_S_CLOSE) {
		struct tcpmon_addrs a = {};

		TCPMON_ADDRS_FROM(&a, args);
		tcpmon_conn_close(args, sk, c, &a, now);
		tcpmon_closed.update(&sk, c);
		tcpmon_conns.delete(&sk);
	}
	return 0;
}

#if TCPMON_ACCEPT
/* *(void **)(base + off), NULL when it cannot be read. */
static __always_inline void *tcpmon_ptr(const void *base, long off)
{
	void *p = NULL;

	if (base)
		bpf_probe_read_kernel(&p, sizeof(p), (const char *)base + off);
	return p;
}

/*
 * accept() returned FD: its sock's connection gets the caller as its
 * process, and the accept latency ends.
 */
static __always_inline void tcpmon_accepted(long fd)
{
	char *task = (char *)bpf_get_current_task(), *fdt, *file, *sock;
	u64 sk, now = bpf_ktime_get_ns();
	struct tcpmon_conn *c;
	void **fds;
	u32 max_fds = 0;

	if (fd < 0)
		return;
	fdt = tcpmon_ptr(tcpmon_ptr(task, TCPMON_OFF_TASK_FILES), TCPMON_OFF_FILES_FDT);
	if (!fdt)
		return;
	bpf_probe_read_kernel(&max_fds, sizeof(max_fds), fdt + TCPMON_OFF_FDT_MAX_FDS);
	if (fd >= max_fds)
		return;
	fds = tcpmon_ptr(fdt, TCPMON_OFF_FDT_FD);
	file = tcpmon_ptr(fds, fd * sizeof(void *));
	sock = tcpmon_ptr(file, TCPMON_OFF_FILE_PRIV);
	sk = (u64)tcpmon_ptr(sock, TCPMON_OFF_SOCKET_SK);
	if (!sk)
		return;
	c = tcpmon_conns.lookup(&sk);
	if (!c || !(c->flags & TCPMON_F_PASSIVE) || (c->flags & TCPMON_F_ACCEPTED))
		return;
	c->flags |= TCPMON_F_ACCEPTED;
	c->accept_ns = now;
	tcpmon_conn_owner(c, TCPMON_PID_ACCEPT);
#if EBPFMON_METRICS
	if (tcpmon_conn_match(c))
		tcpmon_m_lat_add(TCPMON_LAT_ACCEPT, now - c->start_ns);
#endif
}

/*
 * accept()'s exit too (src/monitors/tcp.c attaches it there): every
 * sys_exit_* has this layout.
 */
TRACEPOINT_PROBE(syscalls, sys_exit_accept4)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	tcpmon_accepted(args->ret);
	return 0;
}
#endif

/*
 * A retransmit or reset: its event (or the row's count) and counter, by
 * the sock's connection's process when it has one.
 */
static __always_inline void tcpmon_packet_event(void *ctx, u32 kind, u64 sk, struct tcpmon_event *e)
{
	struct tcpmon_conn *c = NULL;
	int live = 0;

	if (sk)
		c = tcpmon_conns.lookup(&sk);
	live = c != NULL;
	if (!c && sk)
		c = tcpmon_closed.lookup(&sk);
	if (live && kind == TCPMON_EV_RETRANSMIT)
		c->retransmits++;
	if (!tcpmon_conn_match(c))
		return;
#if EBPFMON_METRICS
	tcpmon_m_event(kind);
#endif
#if TCPMON_SUMMARY
	{
		/* The service's port: ours when we reset a connection to it, else theirs. */
		u32 dir = c ? c->flags & (TCPMON_F_ACTIVE | TCPMON_F_PASSIVE) : 0;
		u16 port = dir == TCPMON_F_PASSIVE || (!dir && kind == TCPMON_EV_RESET_SENT) ?
			   e->sport : e->dport;
		struct tcpmon_stats *s = tcpmon_stats_row(e->family, dir, port, e->daddr);

		if (s && kind != TCPMON_EV_RETRANSMIT)
			s->resets++;
		/* Retransmits of a live connection are added at its close. */
		else if (s && !live)
			s->retransmits++;
	}
#elif EBPFMON_EVENTS
	tcpmon_hdr_fill(e, c);
	e->kind = kind;
	if (c) {
		e->flags = c->flags;
		e->pid_from = c->pid_from;
		e->retransmits = c->retransmits;
	}
	tcpmon_events_submit(ctx, e, sizeof(*e));
#endif
}

/* The event to fill: the scratch one, or a stack one where no event is sent. */
#if EBPFMON_EVENTS && !TCPMON_SUMMARY
#define TCPMON_EVENT_DECL()							\
	struct tcpmon_event *e = tcpmon_event_get();					\
	if (!e)									\
		return 0
#else
#define TCPMON_EVENT_DECL()							\
	struct tcpmon_event ev = {}, *e = &ev
#endif

#if TCPMON_RETRANSMITS
TRACEPOINT_PROBE(tcp, tcp_retransmit_skb)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	TCPMON_EVENT_DECL();

	TCPMON_ADDRS_FROM(e, args);
	e->state = args->state;
	e->reason = -1;
	tcpmon_packet_event(args, TCPMON_EV_RETRANSMIT, (u64)args->skaddr, e);
	return 0;
}
#endif

#if TCPMON_RESETS
TRACEPOINT_PROBE(tcp, tcp_receive_reset)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	TCPMON_EVENT_DECL();

	TCPMON_ADDRS_FROM(e, args);
	e->state = -1;
	e->reason = -1;
	tcpmon_packet_event(args, TCPMON_EV_RESET_RECEIVED, (u64)args->skaddr, e);
	return 0;
}

TRACEPOINT_PROBE(tcp, tcp_send_reset)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
	TCPMON_EVENT_DECL();

#if TCPMON_RESET_SOCKADDR
	/*
	 * struct sockaddr_in or sockaddr_in6 (6.10+: from the packet, so a
	 * reset for no sock has its addresses too): family, port (network
	 * order), then the IPv4 address at 4 or the IPv6 one at 8.
	 */
	u16 fam = 0, sport = 0, dport = 0;

	__builtin_memcpy(&fam, args->saddr, 2);
	__builtin_memcpy(&sport, args->saddr + 2, 2);
	__builtin_memcpy(&dport, args->daddr + 2, 2);
	e->family = fam;
	e->sport = __builtin_bswap16(sport);
	e->dport = __builtin_bswap16(dport);
	if (fam == TCPMON_AF_INET6) {
		__builtin_memcpy(e->saddr, args->saddr + 8, 16);
		__builtin_memcpy(e->daddr, args->daddr + 8, 16);
	} else {
		__builtin_memcpy(e->saddr, args->saddr + 4, 4);
		__builtin_memcpy(e->daddr, args->daddr + 4, 4);
	}
#else
	TCPMON_ADDRS_FROM(e, args);
#endif
	e->state = args->skaddr ? args->state : -1;
#if TCPMON_RESET_REASON
	e->reason = args->reason;
#else
	e->reason = -1;
#endif
	tcpmon_packet_event(args, TCPMON_EV_RESET_SENT, (u64)args->skaddr, e);
	return 0;
}
#endif
