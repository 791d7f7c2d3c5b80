/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_PROBE_SET_H
#define EBPFMON_PROBE_SET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kernel_info;
struct probe_set;

/* The same shapes as libbcc's perf reader callbacks. */
typedef void (*probe_sample_fn)(void *ctx, void *data, int size);
typedef void (*probe_lost_fn)(void *ctx, uint64_t lost);

/*
 * Every enabled monitor's rendered source in one C text, compiled once by
 * libbcc, and everything attached from it. Its files (src/bpf/probe_set*.c)
 * are the only ones that call libbcc.
 */
struct probe_set *probe_set__new(const struct kernel_info *ki);
void probe_set__free(struct probe_set *ps);	/* detaches everything */

int probe_set__add_source(struct probe_set *ps, const char *text);
const char *probe_set__source(const struct probe_set *ps);
int probe_set__compile(struct probe_set *ps);
/*
 * Free the compiler's state (clang and LLVM keep tens of MiB) once every
 * program is loaded and attached: tables and attachments stay; no program
 * can be loaded after this.
 */
void probe_set__release_compiler(struct probe_set *ps);

/*
 * Load (and so verify) every program whose type its name shows: those of
 * TRACEPOINT_PROBE and RAW_TRACEPOINT_PROBE. A reload does this before it
 * takes the running monitors away; the attach calls then use them.
 */
int probe_set__load_known(struct probe_set *ps);
/*
 * What is loaded, attached or opened from now on belongs to OWNER (a monitor
 * instance), so that probe_set__detach can take one monitor away alone.
 */
void probe_set__set_owner(struct probe_set *ps, const void *owner);
/*
 * Detach OWNER's programs, deliver what its buffers still hold (so no event
 * already in the kernel is dropped), then close them. Tables stay.
 */
void probe_set__detach(struct probe_set *ps, const void *owner);

/* TRACEPOINT_PROBE(category, event) and RAW_TRACEPOINT_PROBE(event) programs. */
int probe_set__attach_tracepoint(struct probe_set *ps, const char *category,
				 const char *event);
/* Program FN on tracepoint CATEGORY:EVENT (FN may serve several of one layout). */
int probe_set__attach_tracepoint_prog(struct probe_set *ps, const char *fn,
				      const char *category, const char *event);
int probe_set__attach_raw_tracepoint(struct probe_set *ps, const char *event);
/*
 * The same with program FN: several monitors of one compile may each have a
 * program on one raw tracepoint, which RAW_TRACEPOINT_PROBE would name alike.
 */
int probe_set__attach_raw_tracepoint_prog(struct probe_set *ps, const char *fn,
					  const char *event);

/* A kprobe (or kretprobe) on kernel function FUNC running program FN. */
int probe_set__attach_kprobe(struct probe_set *ps, const char *fn, const char *func,
			     bool retprobe);
/*
 * A uprobe (or uretprobe) running program FN on BINARY at SYMBOL + OFFSET,
 * or at file offset OFFSET when SYMBOL is NULL; PID > 0: that task only,
 * else every process that maps BINARY. 0, or -errno (-ENOENT: no such
 * file or symbol); the caller says what failed.
 */
int probe_set__attach_uprobe(struct probe_set *ps, const char *fn, const char *binary,
			     const char *symbol, uint64_t offset, bool retprobe, int pid);
/*
 * The file offset a uprobe on SYMBOL (a function of BINARY's ELF symbol
 * table) takes; PID > 0: BINARY as that process sees it. 0 or -ENOENT. Needs
 * no probe set: a monitor asks while it is configured.
 */
int probe_set__symbol_offset(const char *binary, const char *symbol, int pid, uint64_t *offset);
/*
 * USDT probes (src/bpf/probe_set_usdt.c). One provider:name probe of BINARY
 * (every process that maps it, now and later), or of process PID (BINARY NULL:
 * any file it maps; else that one): its locations and its arguments' specs.
 * 0, or -errno: -ENOENT/-EACCES (BINARY), -ESRCH (no such process), -ENOEXEC
 * (no ELF file libbcc reads), -ENODATA (no such probe in it), -EOPNOTSUPP
 * (an argument spec not read here), -EINVAL (neither BINARY nor PID). At most
 * 64 locations are taken. Prints nothing: the caller says what failed.
 */
#define USDT_MAX_ARGS 12
struct usdt_probe;
struct strbuf;
int probe_set__usdt_find(const char *binary, int pid, const char *provider, const char *name,
			 struct usdt_probe **out);
void usdt_probe__free(struct usdt_probe *p);
int usdt_probe__n_args(const struct usdt_probe *p);
/* A probe may sit at several places (inlined): one uprobe, one program each. */
int usdt_probe__n_locations(const struct usdt_probe *p);
/*
 * Append to OUT the C text of `static __always_inline int FN(struct pt_regs
 * *ctx, __u64 *argv)`, which fills argv[0 .. n_args - 1] with location LOC's
 * arguments (each a u64; signed ones sign-extended; pointers as addresses, for
 * bpf_probe_read_user_str) and returns n_args. It goes into the compiled text
 * before the program that calls it.
 */
int usdt_probe__gen_args(const struct usdt_probe *p, int loc, const char *fn, struct strbuf *out);
/*
 * Run program FN (a kprobe-type program taking struct pt_regs *ctx) at
 * location LOC of P; the probe's semaphore, if any, is counted by the kernel
 * while it is attached.
 */
int probe_set__attach_usdt(struct probe_set *ps, const char *fn, const struct usdt_probe *p,
			   int loc);

/* An fentry/fexit program (KFUNC_PROBE/KRETFUNC_PROBE): FN names its target. */
int probe_set__attach_kfunc(struct probe_set *ps, const char *fn);

/* A program of that name was compiled (probes leave out what options turn off). */
bool probe_set__has_program(struct probe_set *ps, const char *fn);
/*
 * Runs the kernel skipped of OWNER's programs (bpf_prog_info.recursion_misses):
 * a program is not run on a CPU where another BPF program of its kind runs.
 * -ENOENT: OWNER has no program here.
 */
int probe_set__recursion_misses(struct probe_set *ps, const void *owner, uint64_t *n);
/* Run program FN on a software/hardware perf event on every online CPU. */
int probe_set__attach_perf_event(struct probe_set *ps, const char *fn, uint32_t type,
				 uint64_t config, uint64_t sample_period);
/* The same sampled SAMPLE_FREQ times a second instead when SAMPLE_PERIOD is 0. */
int probe_set__attach_perf_event_freq(struct probe_set *ps, const char *fn, uint32_t type,
				      uint64_t config, uint64_t sample_period,
				      uint64_t sample_freq);

int probe_set__table_fd(struct probe_set *ps, const char *table);
/*
 * A table's key and value sizes and whether it is per-CPU (a users' program
 * declares its own): 0 or -ENOENT.
 */
int probe_set__table_info(struct probe_set *ps, const char *table, size_t *key_size,
			  size_t *value_size, bool *percpu);
int probe_set__update(struct probe_set *ps, const char *table, const void *key,
		      const void *value);
/* Sum of a per-CPU u64 array slot over all possible CPUs. */
int probe_set__percpu_sum(struct probe_set *ps, const char *table, uint32_t key,
			  uint64_t *sum);

/*
 * Keys 0.. of a per-CPU array whose value is whole u64s, each word summed over
 * all possible CPUs: sums gets n_sums words, as many keys' values as fit.
 * Reads only (metrics at scrape time, on another thread than the loop's).
 */
int probe_set__percpu_array_sums(struct probe_set *ps, const char *table, uint64_t *sums,
				 size_t n_sums);

/*
 * Read and delete every entry of a hash table (summary mode). For a per-CPU
 * table, values holds n_values consecutive values of value_size bytes (one
 * per possible CPU); otherwise n_values is 1. Returns entries seen or -errno.
 */
typedef void (*probe_entry_fn)(void *ctx, const void *key, const void *values,
			       int n_values, size_t value_size);
int probe_set__drain(struct probe_set *ps, const char *table, bool percpu,
		     probe_entry_fn fn, void *ctx);
/*
 * The same without deleting (the metric maps, cumulative): safe on the
 * exporter's thread while the event loop runs, as it only reads the kernel's
 * maps through their fds.
 */
int probe_set__walk(struct probe_set *ps, const char *table, bool percpu,
		    probe_entry_fn fn, void *ctx);
/* Every entry of a table gone: a hash's deleted, an array's zeroed; 0 or -errno. */
int probe_set__clear(struct probe_set *ps, const char *table);

/* One perf buffer per online CPU for a BPF_PERF_OUTPUT table. */
int probe_set__open_perf_buffer(struct probe_set *ps, const char *table,
				probe_sample_fn sample, probe_lost_fn lost, void *ctx,
				int pages, int wakeup_events);
/*
 * One ring buffer for a BPF_RINGBUF_OUTPUT table (all CPUs share it). A probe
 * set uses perf buffers or ring buffers, not both: poll waits on the rings
 * when there are any.
 */
int probe_set__open_ring_buffer(struct probe_set *ps, const char *table,
				probe_sample_fn sample, void *ctx);
/* Wait up to timeout_ms and deliver what arrived: >= 0, or -errno (-EINTR). */
int probe_set__poll(struct probe_set *ps, int timeout_ms);
/*
 * The same over several probe sets (one per compile: a reload adds one),
 * waiting on EXTRA's fds too (their revents set): the control socket's.
 */
int probe_set__poll_fds(struct probe_set *const *sets, size_t n_sets, struct pollfd *extra,
			size_t n_extra, int timeout_ms);
/* Deliver whatever is in the buffers now, without waiting. */
int probe_set__consume(struct probe_set *ps);

#endif
