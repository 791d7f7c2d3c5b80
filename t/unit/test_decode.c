// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for every monitor's event decoder (.on_event): events built
 * from probes/<name>.h with known values, decoded as the core does (the
 * common fields by session__event_record, then on_event), written as the
 * JSON sink writes them (record__encode_json), read back with jansson and
 * compared field by field, in order. No root, no BPF.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/types.h>

#include "probes/exec.h"
#include "probes/func.h"
#include "probes/interrupt.h"
#include "probes/io.h"
#include "probes/open.h"
#include "probes/page_fault.h"
#include "probes/schedule.h"
#include "probes/syscall.h"
#include "bpf/kernel.h"
#include "config/config.h"
#include "core/monitor.h"
#include "core/session.h"
#include "output/record.h"
#include "util/strbuf.h"
#include "util/users.h"
#include "tap.h"
#include "testutil.h"

/* Every event's header: ts_ns as the session writes it with no clock offset. */
#define T_TS_NS 1000000123ull
#define T_TS "1970-01-01T00:00:01.000000123Z"
#define T_PID 4242

/*
 * The session whose record every event is built in, as in the program (one
 * record, reused); only its record and its clock offset (0) are used.
 */
static struct session sess;
/* Kernel facts: nothing probed; and the same with a fake tracefs in tmpdir. */
static struct kernel_info ki_none, ki_fake;
/* The event being built: room for the longest, aligned like the core's copy. */
static union {
	struct ebpfmon_hdr hdr;
	unsigned char b[8192];
} ev;

/* Records a decoder made through inst->record/emit itself: none expected. */
static unsigned self_emits;
static struct record scratch;

static struct record *stub_record(struct monitor_inst *inst, const char *type)
{
	(void)inst;
	(void)type;
	self_emits++;
	record__reset(&scratch);
	return &scratch;
}

static int stub_emit(struct monitor_inst *inst, struct record *rec)
{
	(void)inst;
	(void)rec;
	self_emits++;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Helpers
 */

/* An instance and the config document it was configured from. */
struct tinst {
	struct monitor_inst *inst;
	struct cfg_doc *doc;
};

/*
 * A monitor instance as session_add and session__configure make it: the
 * descriptor from the registry, its index there, the kernel facts, then
 * configure with monitors.NAME given as a flow mapping's body (OPTS "a: 1,
 * b: 2"; NULL: the monitor is not in the config, defaults). Every key of
 * OPTS must be used.
 */
static struct tinst inst_new(const char *name, const struct kernel_info *ki, const char *opts)
{
	const struct monitor *mon = monitor_find(name);
	struct tinst t = { 0 };
	struct cfg_node *node = NULL;
	char *yaml;
	int err;

	t.inst = calloc(1, sizeof(*t.inst));
	if (!mon || !t.inst) {
		printf("Bail out! %s: not in the registry\n", name);
		exit(2);
	}
	while (monitors[t.inst->id] != mon)
		t.inst->id++;
	t.inst->mon = mon;
	t.inst->ki = ki;
	t.inst->record = stub_record;
	t.inst->emit = stub_emit;
	if (opts) {
		yaml = fmt("monitors:\n  %s: {%s}\n", name, opts);
		t.doc = cfg_doc__parse_string("t.yaml", yaml, strlen(yaml));
		free(yaml);
		node = t.doc ? cfg_node__get(cfg_node__get(t.doc->root, "monitors"), name) : NULL;
		if (!node) {
			printf("Bail out! %s: config {%s} does not parse\n", name, opts);
			exit(2);
		}
	}
	err = mon->configure(t.inst, node);
	is_int(err, 0, nm("%s {%s}: configure", name, opts ? opts : "defaults"));
	if (node)
		is_int(cfg_node__check_unused(node), 0, nm("%s {%s}: every key used", name, opts));
	return t;
}

/* As the session's inst_free. */
static void inst_free(struct tinst *t)
{
	struct monitor_inst *inst = t->inst;

	if (inst->mon->detach)
		inst->mon->detach(inst);
	ok(!inst->priv, "%s: detach frees its state", inst->mon->name);
	render_vars__free(&inst->vars);
	for (size_t i = 0; i < inst->n_items; i++)
		render_vars__free(&inst->items[i]);
	free(inst->items);
	free(inst);
	cfg_doc__free(t->doc);
}

/* A fresh event with the common header filled; the monitor's struct follows it. */
static void *ev_init(void)
{
	memset(&ev, 0, sizeof(ev));
	ev.hdr.ts_ns = T_TS_NS;
	ev.hdr.pid = T_PID;
	ev.hdr.tid = T_PID + 1;
	ev.hdr.ppid = 1;
	ev.hdr.uid = 0;
	ev.hdr.cpu = 1;
	ev.hdr.flags = EBPFMON_HDR_PPID_VALID;
	strcpy(ev.hdr.comm, "tester");
	return ev.b;
}

/*
 * SIZE bytes of ev decoded as the core does: session__event_record, then
 * on_event. The sample is copied into exactly SIZE bytes, so a read past
 * them is ASan's to see. Returns on_event's result;
 * *line is the record as the JSON sink writes it (NULL on an error).
 */
static int decode(struct monitor_inst *inst, size_t size, char **line)
{
	unsigned char *sample = malloc(size);
	const struct ebpfmon_hdr *h = (const void *)sample;
	struct strbuf out = STRBUF_INIT;
	struct record *rec;
	int err;

	if (!sample) {
		perror("malloc");
		exit(2);
	}
	memcpy(sample, ev.b, size);
	rec = session__event_record(&sess, inst, h);
	err = inst->mon->on_event(inst, sample, size, rec);
	*line = NULL;
	/* Strings may point into the sample: written before it goes. */
	if (!err && (rec->err || record__encode_json(rec, &out))) {
		printf("Bail out! %s: the record does not encode\n", inst->mon->name);
		exit(2);
	}
	if (!err)
		*line = strbuf_detach(&out);
	free(sample);
	return err;
}

/* The common fields ev's header makes, in the core's order. */
static json_t *common_fields(const struct monitor_inst *inst)
{
	const struct ebpfmon_hdr *h = &ev.hdr;
	const char *user = user_name(h->uid);

	/* cgroup_id 0 (no cgroup): the three cgroup fields null. */
	return json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:o, s:I, s:o, s:s%, s:I, s:n, s:n, s:n}",
			 "type", "event", "ts", T_TS, "ts_ns", (json_int_t)h->ts_ns,
			 "monitor", inst->mon->name, "pid", (json_int_t)h->pid,
			 "tid", (json_int_t)h->tid,
			 "ppid", h->flags & EBPFMON_HDR_PPID_VALID ?
				 json_integer(h->ppid) : json_null(),
			 "uid", (json_int_t)h->uid,
			 "user", user ? json_string(user) : json_null(),
			 "comm", h->comm, strnlen(h->comm, sizeof(h->comm)),
			 "cpu", (json_int_t)h->cpu, "cgroup_id", "cgroup", "container_id");
}

/* Same keys in the same order (jansson keeps an object's insertion order). */
static bool same_keys_in_order(json_t *a, json_t *b)
{
	void *ia = json_object_iter(a), *ib = json_object_iter(b);

	for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib))
		if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)))
			return false;
	return !ia && !ib;
}

/*
 * Decode SIZE bytes of ev and expect the common fields, then exactly the
 * fields of WANT_FMT (printf, then JSON with ' for "), in order. A key of
 * WANT that is a common field replaces that field's value in place.
 */
static void decodes_to(struct monitor_inst *inst, size_t size, const char *name,
		       const char *want_fmt, ...) __attribute__((format(printf, 4, 5)));
static void decodes_to(struct monitor_inst *inst, size_t size, const char *name,
		       const char *want_fmt, ...)
{
	json_t *want = common_fields(inst), *fields, *got = NULL, *v;
	char *text = NULL, *line, *want_line;
	json_error_t jerr;
	const char *key;
	va_list ap;
	int err;

	va_start(ap, want_fmt);
	if (vasprintf(&text, want_fmt, ap) < 0)
		exit(2);
	va_end(ap);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	fields = json_loads(text, 0, &jerr);
	if (!fields) {
		printf("Bail out! %s: the expected JSON does not parse: %s\n", name, jerr.text);
		exit(2);
	}
	json_object_foreach(fields, key, v)
		json_object_set(want, key, v);
	err = decode(inst, size, &line);
	if (line)
		got = json_loads(line, 0, &jerr);
	if (!ok(!err && got && same_keys_in_order(got, want) && json_equal(got, want),
		"%s", name)) {
		want_line = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("#   got:  %s\n#   want: %s\n", line ? line : strerror(-err), want_line);
		free(want_line);
	}
	json_decref(got);
	json_decref(fields);
	json_decref(want);
	free(line);
	free(text);
}

/* For what jansson cannot read back (integers past INT64_MAX): the line holds NEEDLE. */
static void line_has(struct monitor_inst *inst, size_t size, const char *needle,
		     const char *name)
{
	char *line;
	int err = decode(inst, size, &line);

	if (!ok(!err && strstr(line, needle), "%s", name))
		printf("#   got:  %s\n#   want: ...%s...\n", line ? line : strerror(-err), needle);
	free(line);
}

/* A malformed sample: on_event refuses it (the core counts it as malformed). */
static void rejects(struct monitor_inst *inst, size_t size, const char *name)
{
	char *line;

	is_int(decode(inst, size, &line), -EINVAL, name);
	free(line);
}

/* ---------------------------------------------------------------------------
 * exec
 */

/* An exec event: FN_LEN bytes of filename (256: no NUL), ARGS_LEN bytes of args. */
static size_t exec_ev(int ret, unsigned flags, const char *filename, size_t fn_len,
		      const void *args, size_t args_len)
{
	struct exec_event *e = ev_init();

	e->ret = ret;
	e->flags = flags;
	e->args_len = args_len;
	memcpy(e->filename, filename, fn_len);
	memcpy(e->args, args, args_len);
	return sizeof(*e) + args_len;
}

/* ARGS a literal: its NULs are separators, the literal's own NUL is not sent. */
#define EXEC_EV(ret, flags, filename, args) \
	exec_ev(ret, flags, filename, strlen(filename), args, sizeof(args) - 1)

/* A failed exec's args: one zero-padded slot of SLOT bytes per argument. */
static size_t exec_slots(char *buf, size_t slot, const char *const *argv, size_t n)
{
	memset(buf, 0, slot * n);
	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * slot, argv[i], strnlen(argv[i], slot));
	return slot * n;
}

static void test_exec(void)
{
	static const char *const failed[] = { "/nonexistent/foo", "x", "y" };
	struct tinst t = inst_new("exec", &ki_none, NULL), small;
	struct monitor_inst *inst = t.inst;
	char slots[1024], name[EXEC_FILENAME_SIZE + 1];
	size_t n, size;

	decodes_to(inst, EXEC_EV(0, 0, "/bin/true", "/bin/true\0a\0b\0c\0"), "exec: success",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/true','argv':['/bin/true','a','b','c'],"
		   "'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,'error':null}");
	/* Failed execs are built at sys_exit from the caller's argv, in slots of arg_size + 2. */
	n = exec_slots(slots, 128 + 2, failed, 3);
	decodes_to(inst, exec_ev(-ENOENT, EXEC_F_FROM_SYSCALL | EXEC_F_ARGS_SLOTS,
				 failed[0], strlen(failed[0]), slots, n),
		   "exec: failed, ENOENT, argv from slots",
		   "{'pcomm':null,'syscall':null,'filename':'/nonexistent/foo','argv':['/nonexistent/foo','x','y'],"
		   "'argv_truncated':false,'path':null,'path_truncated':false,'ret':-2,'error':'ENOENT'}");
	decodes_to(inst, exec_ev(-EACCES, EXEC_F_FROM_SYSCALL | EXEC_F_ARGS_SLOTS,
				 "/etc/passwd", 11, slots, 2 * 130 + 2),
		   "exec: failed, EACCES, the last slot sent short",
		   "{'pcomm':null,'syscall':null,'filename':'/etc/passwd','argv':['/nonexistent/foo','x','y'],"
		   "'argv_truncated':false,'path':null,'path_truncated':false,'ret':-13,'error':'EACCES'}");
	decodes_to(inst, EXEC_EV(-5000, EXEC_F_FROM_SYSCALL, "/x", ""),
		   "exec: a result that is no errno: error null",
		   "{'pcomm':null,'syscall':null,'filename':'/x','argv':[],'argv_truncated':false,'path':null,'path_truncated':false,'ret':-5000,'error':null}");
	decodes_to(inst, EXEC_EV(0, EXEC_F_ARGS_UNAVAILABLE, "/bin/sh", ""),
		   "exec: argv unavailable: null",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/sh','argv':null,'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, EXEC_F_ARGS_UNAVAILABLE, "/bin/sh", "sh\0"),
		   "exec: argv unavailable but some sent: what was sent",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/sh','argv':['sh'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, EXEC_F_ARGS_TRUNCATED, "/bin/ls", "ls\0-l\0"),
		   "exec: cut by the kernel: argv_truncated",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/ls','argv':['ls','-l'],'argv_truncated':true,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/x", "x\0\0\0y\0"), "exec: empty arguments kept",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/x','argv':['x','','','y'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/x", "x\0abc"), "exec: last argument without a NUL",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/x','argv':['x','abc'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/\xff", "caf\xc3\0\xfe\xff\0"),
		   "exec: invalid UTF-8 becomes U+FFFD",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/\\ufffd','argv':['caf\\ufffd','\\ufffd\\ufffd'],"
		   "'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,'error':null}");
	memset(name, 'f', EXEC_FILENAME_SIZE);
	name[EXEC_FILENAME_SIZE] = 0;
	decodes_to(inst, exec_ev(0, 0, name, EXEC_FILENAME_SIZE, "f\0", 2),
		   "exec: a filename filling its array, no NUL",
		   "{'pcomm':null,'syscall':null,'filename':'%s','argv':['f'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,'error':null}",
		   name);
	EXEC_EV(0, 0, "/bin/true", "true\0");
	memcpy(ev.hdr.comm, "0123456789abcdef", EBPFMON_COMM_LEN);
	ev.hdr.flags = 0;
	decodes_to(inst, sizeof(struct exec_event) + 5, "exec: 16-byte comm, no ppid",
		   "{'comm':'0123456789abcdef','ppid':null,'pcomm':null,'syscall':null,'filename':'/bin/true',"
		   "'argv':['true'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,'error':null}");

	size = EXEC_EV(0, 0, "/bin/true", "true\0");
	rejects(inst, size - 6, "exec: shorter than its struct");
	rejects(inst, sizeof(struct ebpfmon_hdr), "exec: the header alone");
	((struct exec_event *)ev.b)->args_len = 6;
	rejects(inst, size, "exec: args_len past the sample");
	is_int(inst->verdict, VERDICT_DEGRADED, "exec: no BTF or headers: degraded");
	inst_free(&t);

	small = inst_new("exec", &ki_none, "max_args: 3, arg_size: 16");
	inst = small.inst;
	decodes_to(inst, EXEC_EV(0, 0, "/bin/a", "a\0b\0c\0d\0"), "exec: past max_args: cut",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/a','argv':['a','b','c'],'argv_truncated':true,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/a", "a\0b\0c\0"), "exec: max_args exactly: whole",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/a','argv':['a','b','c'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,"
		   "'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/a", "a\0" "0123456789abcdefXYZ\0z\0"),
		   "exec: an argument past arg_size: cut, the next one whole",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/a','argv':['a','0123456789abcdef','z'],"
		   "'argv_truncated':true,'path':null,'path_truncated':false,'ret':0,'error':null}");
	decodes_to(inst, EXEC_EV(0, 0, "/bin/a", "0123456789abcdef\0"),
		   "exec: an argument of arg_size exactly: whole",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/a','argv':['0123456789abcdef'],'argv_truncated':false,"
		   "'path':null,'path_truncated':false,'ret':0,'error':null}");
	/* A slot (arg_size + 2 = 18 bytes) filled to the end: no NUL in it. */
	memset(slots, 'z', 18);
	memcpy(slots + 18, "q\0\0\0", 4);
	decodes_to(inst, exec_ev(-ENOEXEC, EXEC_F_FROM_SYSCALL | EXEC_F_ARGS_SLOTS, "/bin/a", 6,
				 slots, 22),
		   "exec: a full slot: cut to arg_size, the next slot read",
		   "{'pcomm':null,'syscall':null,'filename':'/bin/a','argv':['zzzzzzzzzzzzzzzz','q'],'argv_truncated':true,"
		   "'path':null,'path_truncated':false,'ret':-8,'error':'ENOEXEC'}");
	/* pcomm: the real parent's comm; syscall: which call its sys_enter saw. */
	EXEC_EV(0, EXEC_F_EXECVEAT, "/bin/true", "true\0");
	memcpy(((struct exec_event *)ev.b)->pcomm, "0123456789abcdef", EBPFMON_COMM_LEN);
	decodes_to(inst, sizeof(struct exec_event) + 5, "exec: 16-byte pcomm, execveat",
		   "{'pcomm':'0123456789abcdef','syscall':'execveat','filename':'/bin/true',"
		   "'argv':['true'],'argv_truncated':false,'path':null,'path_truncated':false,'ret':0,'error':null}");
	decodes_to(inst, EXEC_EV(-ENOENT, EXEC_F_FROM_SYSCALL | EXEC_F_EXECVE, "/x", ""),
		   "exec: failed execve",
		   "{'pcomm':null,'syscall':'execve','filename':'/x','argv':[],"
		   "'argv_truncated':false,'path':null,'path_truncated':false,'ret':-2,'error':'ENOENT'}");
	is_int(self_emits, 0, "exec: on_event emits nothing itself");
	inst_free(&small);
}

/* ---------------------------------------------------------------------------
 * syscall
 */

static size_t syscall_ev(int nr, long long ret, unsigned long long duration_ns)
{
	struct syscall_event *e = ev_init();

	e->nr = nr;
	e->ret = ret;
	e->duration_ns = duration_ns;
	return sizeof(*e);
}

static void test_syscall(void)
{
	struct tinst t = inst_new("syscall", &ki_none, "mode: events");
	struct monitor_inst *inst = t.inst;
	size_t size;

	decodes_to(inst, syscall_ev(SYS_getppid, T_PID - 1, 1500), "syscall: getppid",
		   "{'nr':%d,'name':'getppid','category':'process','duration_ns':1500,"
		   "'ret':%d,'ret_hex':null,'error':null}", SYS_getppid, T_PID - 1);
	decodes_to(inst, syscall_ev(SYS_getppid, 1, 0), "syscall: getppid again (cached name)",
		   "{'nr':%d,'name':'getppid','category':'process','duration_ns':0,'ret':1,"
		   "'ret_hex':null,'error':null}", SYS_getppid);
	decodes_to(inst, syscall_ev(SYS_openat, -ENOENT, 2500), "syscall: failed openat",
		   "{'nr':%d,'name':'openat','category':'file','duration_ns':2500,'ret':-2,"
		   "'ret_hex':null,'error':'ENOENT'}", SYS_openat);
	decodes_to(inst, syscall_ev(SYS_read, -EAGAIN, 10), "syscall: read, EAGAIN",
		   "{'nr':%d,'name':'read','category':'io','duration_ns':10,'ret':-11,"
		   "'ret_hex':null,'error':'EAGAIN'}", SYS_read);
	decodes_to(inst, syscall_ev(SYS_rt_sigaction, 0, 10), "syscall: a prefix rule (rt_sig*)",
		   "{'nr':%d,'name':'rt_sigaction','category':'signal','duration_ns':10,'ret':0,"
		   "'ret_hex':null,'error':null}", SYS_rt_sigaction);
	decodes_to(inst, syscall_ev(SYS_getxattr, -ENODATA, 10), "syscall: a suffix rule (*xattr)",
		   "{'nr':%d,'name':'getxattr','category':'file','duration_ns':10,'ret':%d,"
		   "'ret_hex':null,'error':'ENODATA'}", SYS_getxattr, -ENODATA);
	decodes_to(inst, syscall_ev(SYS_reboot, -EPERM, 10), "syscall: no rule: other",
		   "{'nr':%d,'name':'reboot','category':'other','duration_ns':10,'ret':-1,"
		   "'ret_hex':null,'error':'EPERM'}", SYS_reboot);
	decodes_to(inst, syscall_ev(SYS_mmap, 0x7f0000000000ll, 10), "syscall: an address result",
		   "{'nr':%d,'name':'mmap','category':'memory','duration_ns':10,"
		   "'ret':139637976727552,'ret_hex':'0x7f0000000000','error':null}", SYS_mmap);
	decodes_to(inst, syscall_ev(SYS_brk, 0x55d0c0de0000ll, 10), "syscall: brk, in hex too",
		   "{'nr':%d,'name':'brk','category':'memory','duration_ns':10,"
		   "'ret':94355077332992,'ret_hex':'0x55d0c0de0000','error':null}", SYS_brk);
	decodes_to(inst, syscall_ev(SYS_mmap, -ENOMEM, 10), "syscall: a failed mmap: ret_hex null",
		   "{'nr':%d,'name':'mmap','category':'memory','duration_ns':10,"
		   "'ret':-12,'ret_hex':null,'error':'ENOMEM'}", SYS_mmap);
	decodes_to(inst, syscall_ev(SYS_read, -512, 10),
		   "syscall: the kernel's ERESTARTSYS: no name",
		   "{'nr':%d,'name':'read','category':'io','duration_ns':10,'ret':-512,"
		   "'ret_hex':null,'error':null}", SYS_read);
	decodes_to(inst, syscall_ev(-1, -ENOSYS, 10), "syscall: nr -1: no name, other",
		   "{'nr':-1,'name':null,'category':'other','duration_ns':10,'ret':-38,"
		   "'ret_hex':null,'error':'ENOSYS'}");
	decodes_to(inst, syscall_ev(100000, -ENOSYS, 10),
		   "syscall: a number past the table, unknown: no name",
		   "{'nr':100000,'name':null,'category':'other','duration_ns':10,'ret':-38,"
		   "'ret_hex':null,'error':'ENOSYS'}");
	size = syscall_ev(SYS_read, 0, 0);
	rejects(inst, size - 1, "syscall: shorter than its struct");
	is_int(self_emits, 0, "syscall: on_event emits nothing itself");
	inst_free(&t);
}

/* ---------------------------------------------------------------------------
 * io
 */

static size_t io_ev(unsigned op, int fd, unsigned long long requested, long long ret,
		    unsigned long long duration_ns, unsigned iovcnt)
{
	struct io_call_event *e = ev_init();

	e->op = op;
	e->fd = fd;
	e->requested = requested;
	e->ret = ret;
	e->duration_ns = duration_ns;
	e->iovcnt = iovcnt;
	e->fd_out = -1;
	return sizeof(*e);
}

/*
 * An event of process 1234 (gone: no /proc) at generations 1 with the paths
 * the kernel walked, NULL for none sent.
 */
static size_t io_kpath_ev(unsigned op, int fd, int fd_out, const char *path,
			  const char *path_out)
{
	struct io_call_event *e = ev_init();
	char *data = (char *)(e + 1);

	e->op = op;
	e->fd = fd;
	e->fd_out = fd_out;
	e->hdr.pid = 1234;
	e->proc_gen = e->fd_gen = e->fd_out_gen = 1;
	e->path_len[0] = path ? strlen(path) + 1 : 0;
	e->path_len[1] = path_out ? strlen(path_out) + 1 : 0;
	memcpy(data, path ? path : "", e->path_len[0]);
	memcpy(data + e->path_len[0], path_out ? path_out : "", e->path_len[1]);
	return sizeof(*e) + e->path_len[0] + e->path_len[1];
}

/* A copy from FD_IN to FD_OUT; the event stays in ev for kinds to be set. */
static size_t io_copy_ev(unsigned op, int fd_in, int fd_out, unsigned long long requested,
			 long long ret, unsigned long long duration_ns)
{
	size_t size = io_ev(op, fd_in, requested, ret, duration_ns, 0);

	((struct io_call_event *)ev.b)->fd_out = fd_out;
	return size;
}

static void test_io(void)
{
	struct tinst t = inst_new("io", &ki_none, "mode: events"), paths;
	struct monitor_inst *inst = t.inst;
	struct io_call_event *e;
	char *file, link[64], target[4096];
	ssize_t n;
	int fd;

	decodes_to(inst, io_ev(IO_OP_READ, 3, 4096, 4096, 2000, 0), "io: read",
		   "{'op':'read','fd':3,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':4096,'iovcnt':null,"
		   "'bytes':4096,'ret':4096,'error':null,'duration_ns':2000,"
		   "'throughput_bps':2048000000}");
	decodes_to(inst, io_ev(IO_OP_WRITE, 9, 10, -EBADF, 300, 0), "io: failed write",
		   "{'op':'write','fd':9,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':10,'iovcnt':null,'bytes':null,"
		   "'ret':-9,'error':'EBADF','duration_ns':300,'throughput_bps':null}");
	decodes_to(inst, io_ev(IO_OP_PREAD64, 4, 100, 0, 100, 0), "io: pread64 at EOF",
		   "{'op':'pread64','fd':4,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':100,'iovcnt':null,'bytes':0,"
		   "'ret':0,'error':null,'duration_ns':100,'throughput_bps':0}");
	decodes_to(inst, io_ev(IO_OP_PWRITE64, 4, 2, 2, 3, 0),
		   "io: pwrite64, throughput rounded up",
		   "{'op':'pwrite64','fd':4,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':2,'iovcnt':null,'bytes':2,"
		   "'ret':2,'error':null,'duration_ns':3,'throughput_bps':666666667}");
	decodes_to(inst, io_ev(IO_OP_READV, 5, 300, 1, 3, 3), "io: readv, throughput rounded down",
		   "{'op':'readv','fd':5,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':300,'iovcnt':3,'bytes':1,"
		   "'ret':1,'error':null,'duration_ns':3,'throughput_bps':333333333}");
	decodes_to(inst, io_ev(IO_OP_WRITEV, 5, 0, -EFAULT, 0, 1024), "io: failed writev",
		   "{'op':'writev','fd':5,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':0,'iovcnt':1024,'bytes':null,"
		   "'ret':-14,'error':'EFAULT','duration_ns':0,'throughput_bps':null}");
	decodes_to(inst, io_ev(IO_OP_WRITE, 1, 8, 8, 0, 0), "io: no duration: no throughput",
		   "{'op':'write','fd':1,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':8,'iovcnt':null,'bytes':8,"
		   "'ret':8,'error':null,'duration_ns':0,'throughput_bps':null}");
	decodes_to(inst, io_ev(IO_OP_READ, -1, 1, -EBADF, 5, 0), "io: fd -1",
		   "{'op':'read','fd':-1,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':1,'iovcnt':null,'bytes':null,"
		   "'ret':-9,'error':'EBADF','duration_ns':5,'throughput_bps':null}");
	line_has(inst, io_ev(IO_OP_READ, 0, UINT64_MAX, -EFAULT, 5, 0),
		 "\"requested\":18446744073709551615,", "io: requested SIZE_MAX, unsigned");
	line_has(inst, io_ev(IO_OP_READ, 0, 1, 1, UINT64_MAX, 0),
		 "\"duration_ns\":18446744073709551615,", "io: duration_ns unsigned");
	decodes_to(inst, io_ev(IO_OP_PWRITEV2, 6, 30, 30, 10, 2), "io: pwritev2",
		   "{'op':'pwritev2','fd':6,'path':null,'fd_in':null,'path_in':null,'fd_out':null,"
		   "'path_out':null,'requested':30,'iovcnt':2,'bytes':30,'ret':30,'error':null,"
		   "'duration_ns':10,'throughput_bps':3000000000}");
	decodes_to(inst, io_copy_ev(IO_OP_COPY_FILE_RANGE, 3, 4, 1000, 500, 10),
		   "io: a copy has fd_in and fd_out, fd null",
		   "{'op':'copy_file_range','fd':null,'path':null,'fd_in':3,'path_in':null,"
		   "'fd_out':4,'path_out':null,'requested':1000,'iovcnt':null,'bytes':500,"
		   "'ret':500,'error':null,'duration_ns':10,'throughput_bps':50000000000}");
	io_copy_ev(IO_OP_SPLICE, 5, 6, 64, 64, 1);
	e = (struct io_call_event *)ev.b;
	e->kinds[0] = (struct io_fd_kind){ .kind = IO_FD_PIPE, .ino = 123456 };
	e->kinds[1] = (struct io_fd_kind){ .kind = IO_FD_SOCKET, .ino = 4294967296ULL };
	line_has(inst, sizeof(*e), "\"fd_in\":5,\"path_in\":\"pipe:[123456]\",\"fd_out\":6,"
		 "\"path_out\":\"socket:[4294967296]\",", "io: splice: pipe and socket named by inode");
	io_ev(IO_OP_READ, 7, 8, 8, 1, 0);
	e = (struct io_call_event *)ev.b;
	e->kinds[0] = (struct io_fd_kind){ .kind = IO_FD_ANON, .anon = "[eventfd]" };
	line_has(inst, sizeof(*e), "\"fd\":7,\"path\":\"anon_inode:[eventfd]\",",
		 "io: an anonymous inode, named as /proc does");
	memset(e->kinds[0].anon, 'x', sizeof(e->kinds[0].anon));
	line_has(inst, sizeof(*e), "\"path\":\"anon_inode:xxxxxxxxxxxxxxxxxxxxxxxx\",",
		 "io: an anonymous inode's name without a NUL: cut at its size");
	rejects(inst, io_ev(IO_OP_COUNT, 0, 1, 1, 1, 0), "io: op past the last");
	rejects(inst, io_ev(UINT32_MAX, 0, 1, 1, 1, 0), "io: op 0xffffffff");
	rejects(inst, io_ev(IO_OP_READ, 0, 1, 1, 1, 0) - 1, "io: shorter than its struct");
	is_int(inst->verdict, VERDICT_DEGRADED, "io: no sys_enter_close: degraded");
	is_str(inst->why, "path is null: no syscalls:sys_enter_close to see fds change",
	       "io: degraded, why");
	is_int(self_emits, 0, "io: on_event emits nothing itself");
	inst_free(&t);

	/*
	 * With sys_enter_close (a fake tracefs), paths are resolved: the fd's
	 * /proc link read, then trusted only if the probe's generation tables
	 * still hold the event's. Without an attached probe there are none.
	 */
	paths = inst_new("io", &ki_fake, "mode: events");
	inst = paths.inst;
	is_int(inst->verdict, VERDICT_OK, "io: sys_enter_close: paths resolved");
	decodes_to(inst, io_ev(IO_OP_READ, 0, 1, 1, 1, 0), "io: generation 0: path null",
		   "{'op':'read','fd':0,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':1,'iovcnt':null,'bytes':1,"
		   "'ret':1,'error':null,'duration_ns':1,'throughput_bps':1000000000}");
	file = fmt("%s/io-file", tmpdir);
	fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	ok(fd >= 0 && n > 0 && (size_t)n == strlen(file) && !memcmp(target, file, n),
	   "io: the test's fd names its file in /proc");
	io_ev(IO_OP_WRITE, fd, 5, 5, 10, 0);
	e = (struct io_call_event *)ev.b;
	e->hdr.pid = getpid();
	e->proc_gen = e->fd_gen = 1;
	decodes_to(inst, sizeof(*e), "io: a real fd, no generation table: path null",
		   "{'op':'write','fd':%d,'path':null,"
		   "'fd_in':null,'path_in':null,'fd_out':null,'path_out':null,"
		   "'requested':5,'iovcnt':null,'bytes':5,"
		   "'ret':5,'error':null,'duration_ns':10,'throughput_bps':500000000}", fd);
	close(fd);
	unlink(file);
	free(file);

	/* Paths the kernel walked, after the struct; kept for the next events. */
	line_has(inst, io_kpath_ev(IO_OP_WRITE, 7, -1, "/gone/a", NULL),
		 "\"fd\":7,\"path\":\"/gone/a\",", "io: the kernel's path (no /proc for pid 1234)");
	line_has(inst, io_kpath_ev(IO_OP_WRITE, 7, -1, NULL, NULL),
		 "\"fd\":7,\"path\":\"/gone/a\",",
		 "io: the same fd and generations, no path sent: the one kept");
	line_has(inst, io_kpath_ev(IO_OP_COPY_FILE_RANGE, 7, 8, NULL, "/gone/b"),
		 "\"path_in\":\"/gone/a\",\"fd_out\":8,\"path_out\":\"/gone/b\",",
		 "io: a copy: fd_in's kept, fd_out's sent after it");
	line_has(inst, io_kpath_ev(IO_OP_COPY_FILE_RANGE, 9, 8, "/gone/c", NULL),
		 "\"path_in\":\"/gone/c\",\"fd_out\":8,\"path_out\":\"/gone/b\",",
		 "io: a copy: fd_in's sent, fd_out's kept");
	e = (struct io_call_event *)ev.b;
	e->fd_gen = 2;
	e->path_len[0] = 0;
	line_has(inst, sizeof(*e), "\"fd\":null,\"path\":null,\"fd_in\":9,"
		 "\"path_in\":null,", "io: another generation of the fd: not the kept path");
	rejects(inst, io_kpath_ev(IO_OP_WRITE, 7, -1, "/gone/a", NULL) - 1,
		"io: a path_len past the sample");
	inst_free(&paths);
}

/* ---------------------------------------------------------------------------
 * open
 */

/* x86's O_LARGEFILE; glibc's is 0 on 64-bit, the kernel's (probes) is not. */
#if defined(__x86_64__) || defined(__i386__)
#define K_O_LARGEFILE 0100000
#endif

/* An open event; PATH_LEN bytes of PATH sent (its NUL included, if any). */
static size_t open_ev(unsigned op, int dirfd, const char *path, size_t path_len,
		      unsigned long long flags, unsigned long long mode, long long ret)
{
	struct open_event *e = ev_init();

	e->op = op;
	e->dirfd = dirfd;
	e->flags = flags;
	e->mode = mode;
	e->ret = ret;
	e->path_len = path_len;
	memcpy(e->path, path, path_len);
	return sizeof(*e) + path_len;
}

#define OPEN_EV(op, path, flags, mode, ret) \
	open_ev(op, AT_FDCWD, path, strlen(path) + 1, flags, mode, ret)

/* openat2: RESOLVE; INFO set to OPEN_I_HOW_UNAVAILABLE when struct open_how was unreadable. */
static size_t openat2_ev(const char *path, unsigned long long flags, unsigned long long mode,
			 unsigned long long resolve, unsigned info, long long ret)
{
	size_t size = OPEN_EV(OPEN_OP_OPENAT2, path, flags, mode, ret);
	struct open_event *e = (struct open_event *)ev.b;

	e->resolve = resolve;
	e->info = info;
	return size;
}

/* The open record's fields after path (flags ... error), for the flags cases. */
#define OPEN_FLAGS(flags, names, mode) \
	"{'op':'openat','dirfd':-100,'path':'/f','path_truncated':false," \
	"'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable'," \
	"'flags':%d," \
	"'flags_names':" names ",'mode':" mode ",'resolve':null,'resolve_names':null," \
	"'ret':3,'error':null}", (int)(flags)

static void test_open_flags(struct monitor_inst *inst)
{
	static const struct {
		int flags;
		const char *names;
	} cases[] = {
		{ O_RDONLY, "['O_RDONLY']" },
		{ O_RDWR | O_APPEND | O_NONBLOCK | O_NOCTTY,
		  "['O_RDWR','O_NOCTTY','O_APPEND','O_NONBLOCK']" },
		{ O_WRONLY | O_DSYNC, "['O_WRONLY','O_DSYNC']" },
		{ O_WRONLY | O_SYNC, "['O_WRONLY','O_SYNC']" },
		{ O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		  "['O_RDONLY','O_DIRECTORY','O_NOFOLLOW','O_CLOEXEC']" },
		{ O_RDONLY | O_ASYNC | O_DIRECT | O_NOATIME,
		  "['O_RDONLY','O_ASYNC','O_DIRECT','O_NOATIME']" },
		{ O_PATH, "['O_RDONLY','O_PATH']" },
#ifdef K_O_LARGEFILE
		{ O_RDONLY | K_O_LARGEFILE, "['O_RDONLY','O_LARGEFILE']" },
#endif
		{ O_ACCMODE, "['0x3']" },
		{ O_WRONLY | 0x40000000, "['O_WRONLY','0x40000000']" },
		{ O_ACCMODE | 0x40000000, "['0x40000003']" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/f", cases[i].flags, 0777, 3),
			   nm("open: flags_names %s", cases[i].names),
			   OPEN_FLAGS(cases[i].flags, "%s", "null"), cases[i].names);
	/* The mode means something with O_CREAT and O_TMPFILE only. */
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/f", O_WRONLY | O_CREAT | O_EXCL, 04755, 3),
		   "open: O_CREAT: mode in octal",
		   OPEN_FLAGS(O_WRONLY | O_CREAT | O_EXCL, "['O_WRONLY','O_CREAT','O_EXCL']",
			      "'4755'"));
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/f", O_WRONLY | O_CREAT, 0, 3),
		   "open: O_CREAT, mode 0", OPEN_FLAGS(O_WRONLY | O_CREAT,
						       "['O_WRONLY','O_CREAT']", "'0000'"));
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/f", O_RDWR | O_TMPFILE, 0600, 3),
		   "open: O_TMPFILE (not O_DIRECTORY), mode",
		   OPEN_FLAGS(O_RDWR | O_TMPFILE, "['O_RDWR','O_TMPFILE']", "'0600'"));
}

static void test_open(void)
{
	struct tinst t = inst_new("open", &ki_none, "max_path: 16");
	struct monitor_inst *inst = t.inst;
	size_t size;

	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/etc/passwd", O_RDONLY | O_CLOEXEC, 0, 3),
		   "open: openat",
		   "{'op':'openat','dirfd':-100,'path':'/etc/passwd','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':%d,'flags_names':['O_RDONLY','O_CLOEXEC'],'mode':null,"
		   "'resolve':null,'resolve_names':null,'ret':3,'error':null}",
		   O_RDONLY | O_CLOEXEC);
	decodes_to(inst, OPEN_EV(OPEN_OP_OPEN, "out", O_WRONLY | O_CREAT | O_TRUNC, 0644, 4),
		   "open: open (no dirfd), O_CREAT",
		   "{'op':'open','dirfd':null,'path':'out','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':%d,"
		   "'flags_names':['O_WRONLY','O_CREAT','O_TRUNC'],'mode':'0644','resolve':null,"
		   "'resolve_names':null,'ret':4,'error':null}", O_WRONLY | O_CREAT | O_TRUNC);
	decodes_to(inst, open_ev(OPEN_OP_OPENAT, 7, "x", 2, O_RDONLY, 0, -ENOENT),
		   "open: failed, ENOENT, a dirfd",
		   "{'op':'openat','dirfd':7,'path':'x','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,"
		   "'flags_names':['O_RDONLY'],'mode':null,'resolve':null,'resolve_names':null,"
		   "'ret':-2,'error':'ENOENT'}");
	test_open_flags(inst);

	/* max_path 16: the probe reads 17 bytes, more than 16 means cut. */
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/0123456789abcdefg", O_RDONLY, 0, -ENOENT),
		   "open: a path past max_path: cut, path_truncated",
		   "{'op':'openat','dirfd':-100,'path':'/0123456789abcde','path_truncated':true,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,'flags_names':['O_RDONLY'],'mode':null,'resolve':null,"
		   "'resolve_names':null,'ret':-2,'error':'ENOENT'}");
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/0123456789abcde", O_RDONLY, 0, 5),
		   "open: a path of max_path exactly: whole",
		   "{'op':'openat','dirfd':-100,'path':'/0123456789abcde','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,'flags_names':['O_RDONLY'],'mode':null,'resolve':null,"
		   "'resolve_names':null,'ret':5,'error':null}");
	decodes_to(inst, open_ev(OPEN_OP_OPENAT, AT_FDCWD, "/tmp/ab", 5, O_RDONLY, 0, 3),
		   "open: a path sent without its NUL: path_len bytes",
		   "{'op':'openat','dirfd':-100,'path':'/tmp/','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,"
		   "'flags_names':['O_RDONLY'],'mode':null,'resolve':null,'resolve_names':null,"
		   "'ret':3,'error':null}");
	decodes_to(inst, open_ev(OPEN_OP_OPENAT, AT_FDCWD, "", 0, O_RDONLY, 0, -ENOENT),
		   "open: no path bytes: empty",
		   "{'op':'openat','dirfd':-100,'path':'','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,"
		   "'flags_names':['O_RDONLY'],'mode':null,'resolve':null,'resolve_names':null,"
		   "'ret':-2,'error':'ENOENT'}");
	decodes_to(inst, OPEN_EV(OPEN_OP_OPENAT, "/tmp/\xfe\xff", O_RDONLY, 0, 3),
		   "open: invalid UTF-8 in the path",
		   "{'op':'openat','dirfd':-100,'path':'/tmp/\\ufffd\\ufffd',"
		   "'path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,'flags_names':['O_RDONLY'],'mode':null,"
		   "'resolve':null,'resolve_names':null,'ret':3,'error':null}");
	size = OPEN_EV(OPEN_OP_OPENAT, "", O_RDONLY, 0, -EFAULT);
	((struct open_event *)ev.b)->info = OPEN_I_PATH_UNAVAILABLE;
	decodes_to(inst, size, "open: the path unreadable: null",
		   "{'op':'openat','dirfd':-100,'path':null,'path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,"
		   "'flags_names':['O_RDONLY'],'mode':null,'resolve':null,'resolve_names':null,"
		   "'ret':-14,'error':'EFAULT'}");

	decodes_to(inst, openat2_ev("/d", O_RDONLY | O_DIRECTORY, 0, 0x0c, 0, 3),
		   "open: openat2, resolve",
		   "{'op':'openat2','dirfd':-100,'path':'/d','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':%d,"
		   "'flags_names':['O_RDONLY','O_DIRECTORY'],'mode':null,'resolve':12,"
		   "'resolve_names':['RESOLVE_NO_SYMLINKS','RESOLVE_BENEATH'],'ret':3,"
		   "'error':null}", O_RDONLY | O_DIRECTORY);
	decodes_to(inst, openat2_ev("/d", O_WRONLY | O_CREAT, 0640, 0x7f, 0, -EXDEV),
		   "open: openat2, every resolve bit and an unknown one",
		   "{'op':'openat2','dirfd':-100,'path':'/d','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':%d,"
		   "'flags_names':['O_WRONLY','O_CREAT'],'mode':'0640','resolve':127,"
		   "'resolve_names':['RESOLVE_NO_XDEV','RESOLVE_NO_MAGICLINKS',"
		   "'RESOLVE_NO_SYMLINKS','RESOLVE_BENEATH','RESOLVE_IN_ROOT','RESOLVE_CACHED',"
		   "'0x40'],'ret':-18,'error':'EXDEV'}", O_WRONLY | O_CREAT);
	decodes_to(inst, openat2_ev("/d", O_RDONLY, 0, 0, 0, 3), "open: openat2, resolve 0",
		   "{'op':'openat2','dirfd':-100,'path':'/d','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':0,"
		   "'flags_names':['O_RDONLY'],'mode':null,'resolve':0,'resolve_names':[],"
		   "'ret':3,'error':null}");
	decodes_to(inst, openat2_ev("/d", O_CREAT, 0644, 0x08, OPEN_I_HOW_UNAVAILABLE, -EFAULT),
		   "open: openat2, open_how unreadable: flags, mode and resolve null",
		   "{'op':'openat2','dirfd':-100,'path':'/d','path_truncated':false,"
		   "'full_path':null,'full_path_truncated':false,'full_path_error':'unavailable',"
		   "'flags':null,"
		   "'flags_names':null,'mode':null,'resolve':null,'resolve_names':null,"
		   "'ret':-14,'error':'EFAULT'}");

	size = OPEN_EV(OPEN_OP_OPENAT, "/abc", O_RDONLY, 0, 3);
	rejects(inst, size - 1, "open: path_len past the sample");
	rejects(inst, sizeof(struct open_event) - 1, "open: shorter than its struct");
	((struct open_event *)ev.b)->op = OPEN_OP_OPENAT2 + 1;
	rejects(inst, size, "open: op past openat2");
	is_int(self_emits, 0, "open: on_event emits nothing itself");
	inst_free(&t);
}

/* ---------------------------------------------------------------------------
 * interrupt
 */

static size_t interrupt_ev(unsigned kind, int num, int ret, unsigned long long duration_ns,
			   const char *name, size_t name_len)
{
	struct interrupt_event *e = ev_init();

	e->kind = kind;
	e->num = num;
	e->ret = ret;
	e->duration_ns = duration_ns;
	memcpy(e->name, name, name_len);
	return sizeof(*e);
}

static void test_interrupt(void)
{
	static const char *const vecs[] = { "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK",
					    "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU" };
	struct tinst t = inst_new("interrupt", &ki_none, NULL), mig;
	struct monitor_inst *inst = t.inst;
	struct interrupt_event *e;
	char name[INTERRUPT_NAME_LEN + 1];

	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_HARDIRQ, 24, 1, 5000, "eth0", 4),
		   "interrupt: hardirq, handled",
		   "{'kind':'hardirq','irq':24,'name':'eth0','handled':true,'duration_ns':5000}");
	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_HARDIRQ, 1, 0, 7, "i8042", 5),
		   "interrupt: hardirq, not handled",
		   "{'kind':'hardirq','irq':1,'name':'i8042','handled':false,'duration_ns':7}");
	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_HARDIRQ, 9, 2, 7, "acpi\xff", 5),
		   "interrupt: hardirq, invalid UTF-8 name, IRQ_WAKE_THREAD handled",
		   "{'kind':'hardirq','irq':9,'name':'acpi\\ufffd','handled':true,"
		   "'duration_ns':7}");
	memset(name, 'n', INTERRUPT_NAME_LEN);
	name[INTERRUPT_NAME_LEN] = 0;
	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_HARDIRQ, 30, 1, 1, name, INTERRUPT_NAME_LEN),
		   "interrupt: hardirq, a name filling its array, no NUL",
		   "{'kind':'hardirq','irq':30,'name':'%s','handled':true,'duration_ns':1}", name);
	for (int vec = 0; vec < (int)ARRAY_SIZE(vecs); vec++)
		decodes_to(inst, interrupt_ev(INTERRUPT_KIND_SOFTIRQ, vec, 0, 100 + vec, "", 0),
			   nm("interrupt: softirq %d is %s", vec, vecs[vec]),
			   "{'kind':'softirq','vec':%d,'name':'%s','duration_ns':%d}", vec,
			   vecs[vec], 100 + vec);
	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_SOFTIRQ, 10, 0, 1, "", 0),
		   "interrupt: softirq past the kernel's names: null",
		   "{'kind':'softirq','vec':10,'name':null,'duration_ns':1}");
	decodes_to(inst, interrupt_ev(INTERRUPT_KIND_SOFTIRQ, -1, 0, 1, "", 0),
		   "interrupt: softirq -1: null",
		   "{'kind':'softirq','vec':-1,'name':null,'duration_ns':1}");
	e = (struct interrupt_event *)ev.b;
	interrupt_ev(INTERRUPT_KIND_MIGRATION, 0, 0, 0, "", 0);
	/* As the probe sends it: the moved task's tid as pid, no ppid. */
	e->hdr.pid = e->hdr.tid;
	e->hdr.flags = 0;
	e->orig_cpu = 0;
	e->dest_cpu = 1;
	decodes_to(inst, sizeof(*e), "interrupt: migration: uid and user null in place",
		   "{'pid':%d,'ppid':null,'uid':null,'user':null,'kind':'migration',"
		   "'orig_cpu':0,'dest_cpu':1}", T_PID + 1);
	rejects(inst, interrupt_ev(INTERRUPT_KIND_MIGRATION + 1, 0, 0, 0, "", 0),
		"interrupt: kind past migration");
	rejects(inst, interrupt_ev(INTERRUPT_KIND_HARDIRQ, 0, 0, 0, "", 0) - 1,
		"interrupt: shorter than its struct");
	is_str(render_vars__get(&inst->vars, "MIG_COMM_DATA_LOC"), "0",
	       "interrupt: no migrations: no comm format read");
	is_int(self_emits, 0, "interrupt: on_event emits nothing itself");
	inst_free(&t);

	/* The fake tracefs has 6.x's sched_migrate_task format: comm a __data_loc string. */
	mig = inst_new("interrupt", &ki_fake, "migrations: true");
	is_str(render_vars__get(&mig.inst->vars, "MIG_COMM_DATA_LOC"), "1",
	       "interrupt: migrations: __data_loc comm read from the format");
	inst_free(&mig);
}

/* ---------------------------------------------------------------------------
 * page_fault
 */

static size_t page_fault_ev(unsigned flags, unsigned long long address, unsigned long long ip,
			    unsigned long long error_code, unsigned long long duration_ns)
{
	struct page_fault_event *e = ev_init();

	e->flags = flags;
	e->address = address;
	e->ip = ip;
	e->error_code = error_code;
	e->duration_ns = duration_ns;
	return sizeof(*e);
}

static void test_page_fault(void)
{
	struct tinst t = inst_new("page_fault", &ki_none, NULL);
	struct monitor_inst *inst = t.inst;

	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_ACCOUNTED, 0x7f1234565000, 0x401000,
				       PAGE_FAULT_EC_USER, 1200),
		   "page_fault: user read, minor",
		   "{'space':'user','address':'0x7f1234565000','ip':'0x401000','error_code':4,"
		   "'access':'read','present':false,'major':false,'duration_ns':1200}");
	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_ACCOUNTED | PAGE_FAULT_F_MAJOR, 0x1000, 0x2000,
				       PAGE_FAULT_EC_USER | PAGE_FAULT_EC_WRITE, 9000000),
		   "page_fault: user write, major",
		   "{'space':'user','address':'0x1000','ip':'0x2000','error_code':6,"
		   "'access':'write','present':false,'major':true,'duration_ns':9000000}");
	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_KERNEL | PAGE_FAULT_F_ACCOUNTED,
				       0xffff888000000000, 0xffffffff81000000,
				       PAGE_FAULT_EC_WRITE | PAGE_FAULT_EC_PRESENT, 50),
		   "page_fault: kernel mode, write to a present page",
		   "{'space':'kernel','address':'0xffff888000000000','ip':'0xffffffff81000000',"
		   "'error_code':3,'access':'write','present':true,'major':false,"
		   "'duration_ns':50}");
	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_ACCOUNTED, 0x400000, 0x400000,
				       PAGE_FAULT_EC_INSTR | PAGE_FAULT_EC_USER |
				       PAGE_FAULT_EC_PRESENT, 1),
		   "page_fault: instruction fetch: exec",
		   "{'space':'user','address':'0x400000','ip':'0x400000','error_code':21,"
		   "'access':'exec','present':true,'major':false,'duration_ns':1}");
	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_ACCOUNTED, 0, 0,
				       PAGE_FAULT_EC_INSTR | PAGE_FAULT_EC_WRITE, 1),
		   "page_fault: fetch and write bits: exec, address 0",
		   "{'space':'user','address':'0x0','ip':'0x0','error_code':18,"
		   "'access':'exec','present':false,'major':false,'duration_ns':1}");
	decodes_to(inst, page_fault_ev(PAGE_FAULT_F_MAJOR, UINT64_MAX, 1, PAGE_FAULT_EC_USER, 77),
		   "page_fault: never accounted: major and duration_ns null",
		   "{'space':'user','address':'0xffffffffffffffff','ip':'0x1','error_code':4,"
		   "'access':'read','present':false,'major':null,'duration_ns':null}");
	rejects(inst, page_fault_ev(0, 0, 0, 0, 0) - 1, "page_fault: shorter than its struct");
	is_int(self_emits, 0, "page_fault: on_event emits nothing itself");
	inst_free(&t);
}

/* ---------------------------------------------------------------------------
 * schedule
 */

static size_t schedule_ev(unsigned flags, unsigned long long latency_ns, unsigned prev_pid,
			  const char *prev_comm)
{
	struct schedule_event *e = ev_init();

	e->flags = flags;
	e->latency_ns = latency_ns;
	e->prev_pid = prev_pid;
	memcpy(e->prev_comm, prev_comm, strnlen(prev_comm, sizeof(e->prev_comm)));
	return sizeof(*e);
}

static void test_schedule(void)
{
	struct tinst t = inst_new("schedule", &ki_none, "mode: events, min_latency_us: 0");
	struct monitor_inst *inst = t.inst;

	ok(inst->verdict == VERDICT_UNAVAILABLE && strstr(inst->why, "no BTF"),
	   "schedule: no BTF: unavailable, saying so (%s)", inst->why);
	decodes_to(inst, schedule_ev(0, 12345678, 42, "burner"), "schedule: a wakeup",
		   "{'latency_ns':12345678,'queued_by':'wakeup','prev_pid':42,'prev_comm':'burner'}");
	decodes_to(inst, schedule_ev(SCHEDULE_F_PREEMPTED, 9000000000000000000ULL, 0, "swapper/1"),
		   "schedule: preempted, a huge latency, after the idle task",
		   "{'latency_ns':9000000000000000000,'queued_by':'preemption','prev_pid':0,"
		   "'prev_comm':'swapper/1'}");
	decodes_to(inst, schedule_ev(0, 0, 7, "0123456789abcdefXX"),
		   "schedule: a 16-byte prev_comm, no NUL",
		   "{'latency_ns':0,'queued_by':'wakeup','prev_pid':7,'prev_comm':'0123456789abcdef'}");
	rejects(inst, schedule_ev(0, 0, 0, "") - 1, "schedule: shorter than its struct");
	is_int(self_emits, 0, "schedule: on_event emits nothing itself");
	inst_free(&t);
}

/* ---------------------------------------------------------------------------
 * func
 */

static size_t func_ev(unsigned index, unsigned flags, unsigned long long duration_ns)
{
	struct func_event *e = ev_init();

	e->index = index;
	e->flags = flags;
	e->duration_ns = duration_ns;
	return sizeof(*e);
}

/*
 * Names come from /proc/kallsyms, read at configure (no root needed). With
 * neither kprobes nor fentry func is unavailable, but still configured.
 */
static void test_func(void)
{
	struct tinst t = inst_new("func", &ki_none, "patterns: [vfs_write, vfs_read]"), lat;
	struct monitor_inst *inst = t.inst;

	if (inst->n_items != 2) {
		printf("ok %d # SKIP func: vfs_read or vfs_write not in /proc/kallsyms\n",
		       ++tap_n);
		inst_free(&t);
		return;
	}
	is_int(inst->verdict, VERDICT_UNAVAILABLE, "func: no kprobes, no fentry: unavailable");
	is_str(render_vars__get(&inst->items[0], "FUNC"), "vfs_read", "func: index 0 vfs_read");
	is_str(render_vars__get(&inst->items[1], "FUNC"), "vfs_write", "func: index 1 vfs_write");
	decodes_to(inst, func_ev(0, 0, 0), "func: a call", "{'function':'vfs_read'}");
	decodes_to(inst, func_ev(1, FUNC_F_DURATION, 5), "func: no latency: no duration_ns",
		   "{'function':'vfs_write'}");
	rejects(inst, func_ev(2, 0, 0), "func: index past the functions");
	rejects(inst, func_ev(UINT32_MAX, 0, 0), "func: index 0xffffffff");
	rejects(inst, func_ev(0, 0, 0) - 1, "func: shorter than its struct");
	inst_free(&t);

	lat = inst_new("func", &ki_none, "patterns: [vfs_read, vfs_write], latency: true");
	inst = lat.inst;
	decodes_to(inst, func_ev(1, FUNC_F_DURATION, 777), "func: latency: duration_ns",
		   "{'function':'vfs_write','duration_ns':777}");
	decodes_to(inst, func_ev(0, 0, 777), "func: latency, an entry event: duration_ns null",
		   "{'function':'vfs_read','duration_ns':null}");
	is_int(self_emits, 0, "func: on_event emits nothing itself");
	inst_free(&lat);
}

/* ---------------------------------------------------------------------------
 * main
 */

/* tmpdir/events/...: what kernel_info__has_tracepoint and the format reader look at. */
static const char *const fake_dirs[] = {
	"events", "events/syscalls", "events/syscalls/sys_enter_close", "events/sched",
	"events/sched/sched_migrate_task",
};
#define FAKE_FORMAT "events/sched/sched_migrate_task/format"

static void fake_tracefs_make(void)
{
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(fake_dirs); i++) {
		path = fmt("%s/%s", tmpdir, fake_dirs[i]);
		xmkdir(path);
		free(path);
	}
	path = fmt("%s/" FAKE_FORMAT, tmpdir);
	write_file(path, "name: sched_migrate_task\nformat:\n"
		   "\tfield:__data_loc char[] comm;\toffset:8;\tsize:4;\tsigned:0;\n");
	free(path);
}

static void fake_tracefs_remove(void)
{
	char *path = fmt("%s/" FAKE_FORMAT, tmpdir);

	unlink(path);
	free(path);
	for (size_t i = ARRAY_SIZE(fake_dirs); i-- > 0;) {
		path = fmt("%s/%s", tmpdir, fake_dirs[i]);
		rmdir(path);
		free(path);
	}
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	/* ki.tracefs holds 64 bytes. */
	if (base && strlen(base) > 32)
		setenv("TMPDIR", "/tmp", 1);
	tmpdir_setup("test_decode");
	fake_tracefs_make();
	snprintf(ki_none.raw_tracepoints_why, sizeof(ki_none.raw_tracepoints_why),
		 "not probed in a unit test");
	ki_fake = ki_none;
	ki_fake.tracefs_ok = true;
	snprintf(ki_fake.tracefs, sizeof(ki_fake.tracefs), "%s", tmpdir);

	test_exec();
	test_syscall();
	test_io();
	test_open();
	test_interrupt();
	test_page_fault();
	test_schedule();
	test_func();

	record__release(&sess.rec);
	record__release(&scratch);
	users_cache_free();
	fake_tracefs_remove();
	ok(!rmdir(tmpdir), "tmpdir left empty");
	return done_testing();
}
