// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/bpf/render.c: variables, OFFSETOF, #include, resources,
 * render_repeat and the error lines. The embedded table is t/embedded_test.c,
 * made from t/data/render-include.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "bpf/render.h"
#include "tap.h"
#include "testutil.h"

/* t/data/render-include.h, byte for byte. */
#define EMBEDDED_INCLUDE \
	"/* included by the render test */\n" \
	"#define FROM_INCLUDE @GREETING@\n"

/* ---------------------------------------------------------------------------
 * Helpers
 */

/* The OFFSETOF callback: records its arguments, answers from a tiny table. */
struct offsets {
	int calls;
	char type[64];
	char member[64];
};

static int offset_cb(void *ctx, const char *type, const char *member, char **out)
{
	struct offsets *o = ctx;

	o->calls++;
	snprintf(o->type, sizeof(o->type), "%s", type);
	snprintf(o->member, sizeof(o->member), "%s", member);
	if (!strcmp(type, "task_struct") && !strcmp(member, "real_parent"))
		*out = strdup("offsetof(struct task_struct, real_parent)");
	else if (!strcmp(type, "task_struct") && !strcmp(member, "pid"))
		*out = strdup("1234");
	else if (!strcmp(type, "broken"))
		return -EIO;
	else
		return -ENOENT;
	return *out ? 0 : -ENOMEM;
}

/*
 * Render with stderr captured. Returns the result (malloc'd or NULL); *err
 * gets what was printed, *errno_out errno right after the call.
 */
static char *render_cap(const char *name, const char *text, const struct render_ctx *ctx,
			char **err, int *errno_out)
{
	struct capture c;
	char *out;

	capture_begin(&c);
	errno = 0;
	out = render(name, text, ctx);
	*errno_out = errno;
	*err = capture_end(&c);
	return out;
}

/* Expect TEXT to render to WANT with nothing on stderr. */
static void renders(const char *name, const char *text, const struct render_ctx *ctx,
		    const char *want)
{
	char *out, *err;
	int e;

	out = render_cap("t.bpf.c", text, ctx, &err, &e);
	is_str(out, want, name);
	is_str(err, "", nm("%s: nothing on stderr", name));
	free(out);
	free(err);
}

/* Expect TEXT to fail with errno WANT_ERRNO and exactly the stderr WANT_ERR. */
static void render_fails(const char *name, const char *file, const char *text,
			 const struct render_ctx *ctx, int want_errno, const char *want_err)
{
	char *out, *err;
	int e;

	out = render_cap(file, text, ctx, &err, &e);
	ok(out == NULL, "%s: NULL", name);
	is_int(e, want_errno, nm("%s: errno", name));
	is_str(err, want_err, nm("%s: error line", name));
	free(out);
	free(err);
}

/* Expect resource_load(NAME) to give exactly WANT. */
static void resource_is(const char *name, const char *want, const char *test)
{
	char *text = resource_load(name);

	is_str(text, want, test);
	free(text);
}

/* ---------------------------------------------------------------------------
 * render_vars
 */

static void test_vars(void)
{
	struct render_vars rv = { 0 };

	ok(render_vars__get(NULL, "X") == NULL, "get on NULL vars: NULL");
	ok(render_vars__get(&rv, "X") == NULL, "get on empty vars: NULL");
	is_int(render_vars__set(&rv, "A", "%d", 42), 0, "set A");
	is_int(render_vars__set(&rv, "B", "%s-%s", "x", "y"), 0, "set B");
	is_int(rv.n, 2, "two vars");
	is_str(render_vars__get(&rv, "A"), "42", "get A");
	is_str(render_vars__get(&rv, "B"), "x-y", "get B (formatted)");
	ok(render_vars__get(&rv, "a") == NULL, "names are case-sensitive");
	ok(render_vars__get(&rv, "AB") == NULL, "no prefix match");

	is_int(render_vars__set(&rv, "A", "%s", "replaced"), 0, "set A again");
	is_int(rv.n, 2, "replacing does not add a var");
	is_str(render_vars__get(&rv, "A"), "replaced", "A replaced");
	is_str(render_vars__get(&rv, "B"), "x-y", "B untouched");
	is_int(render_vars__set(&rv, "E", "%s", ""), 0, "set E empty");
	is_str(render_vars__get(&rv, "E"), "", "empty value kept");

	render_vars__free(&rv);
	ok(rv.n == 0 && !rv.names && !rv.values, "free resets the struct");
	render_vars__free(&rv);
	ok(rv.n == 0 && !rv.names && !rv.values, "free twice is harmless: still empty");
	is_int(render_vars__set(&rv, "A", "%s", "again"), 0, "free twice: the vars take a set");
	is_str(render_vars__get(&rv, "A"), "again", "free twice: the new var");
	ok(rv.n == 1 && render_vars__get(&rv, "B") == NULL, "free twice: no old var back");
	render_vars__free(&rv);
	ok(rv.n == 0 && !rv.names && !rv.values, "free twice: and free again");
}

/* ---------------------------------------------------------------------------
 * Substitution
 */

static void test_substitution(void)
{
	struct render_vars vars = { 0 }, globals = { 0 };
	struct render_ctx ctx = { .vars = &vars, .globals = &globals };
	struct render_ctx none = { 0 };

	render_vars__set(&vars, "X", "1");
	render_vars__set(&vars, "MAX_ARGS", "%d", 20);
	render_vars__set(&vars, "E", "%s", "");
	render_vars__set(&globals, "VERSION", "0.1");

	renders("plain substitution", "a @X@ b @MAX_ARGS@ c\n", &ctx, "a 1 b 20 c\n");
	renders("global var", "v=@VERSION@\n", &ctx, "v=0.1\n");
	renders("adjacent placeholders", "@X@@X@@VERSION@\n", &ctx, "110.1\n");
	renders("empty value", "[@E@]\n", &ctx, "[]\n");
	renders("no trailing newline", "x @X@", &ctx, "x 1");
	renders("several lines", "@X@\n\n@VERSION@\n", &ctx, "1\n\n0.1\n");
	renders("empty text", "", &ctx, "");
	renders("no vars at all: text unchanged", "int x;\n", &none, "int x;\n");
	renders("values are not re-rendered", "@V2@\n",
		&(struct render_ctx){ .vars = &(struct render_vars){
			.names = (char *[]){ "V2" }, .values = (char *[]){ "@X@" }, .n = 1 } },
		"@X@\n");

	/* '@' that does not start a placeholder stays. */
	renders("lone @", "@\n", &ctx, "@\n");
	renders("lone @ at the end", "x @", &ctx, "x @");
	renders("email-like a@b", "a@b\n", &ctx, "a@b\n");
	renders("email address", "mail root@example.com now\n", &ctx,
		"mail root@example.com now\n");
	renders("lowercase is not a placeholder", "@x@ @foo@\n", &ctx, "@x@ @foo@\n");
	renders("@@", "@@ @@@\n", &ctx, "@@ @@@\n");
	renders("unterminated placeholder", "@X and more\n", &ctx, "@X and more\n");
	renders("placeholder does not span lines", "@X\n@ @X@\n", &ctx, "@X\n@ 1\n");
	renders("space inside", "@X @\n", &ctx, "@X @\n");
	renders("@ then placeholder", "a@@X@\n", &ctx, "a@1\n");
	renders("system include untouched", "#include <linux/sched.h>\n", &ctx,
		"#include <linux/sched.h>\n");

	/* Precedence: vars before globals. */
	render_vars__set(&globals, "WHO", "global");
	renders("globals when vars lack it", "@WHO@\n", &ctx, "global\n");
	render_vars__set(&vars, "WHO", "var");
	renders("vars win over globals", "@WHO@\n", &ctx, "var\n");
	renders("globals alone",  "@WHO@\n", &(struct render_ctx){ .globals = &globals },
		"global\n");

	render_vars__free(&vars);
	render_vars__free(&globals);
}

static void test_unknown(void)
{
	struct render_vars vars = { 0 }, globals = { 0 };
	struct render_ctx ctx = { .vars = &vars, .globals = &globals };
	char longname[200];

	render_vars__set(&vars, "X", "1");
	render_fails("unknown placeholder", "exec.bpf.c", "line one\nint x = @FOO@;\n", &ctx,
		     EINVAL, "render: exec.bpf.c:2: unknown placeholder @FOO@\n");
	render_fails("unknown on line 1", "a.c", "@FOO@", &ctx,
		     EINVAL, "render: a.c:1: unknown placeholder @FOO@\n");
	render_fails("unknown after a good one, line 3", "b.c", "@X@\n\n@X@ @NOPE_2@\n@ALSO@\n",
		     &ctx, EINVAL, "render: b.c:3: unknown placeholder @NOPE_2@\n");
	render_fails("no vars at all", "c.c", "@X@\n", &(struct render_ctx){ 0 },
		     EINVAL, "render: c.c:1: unknown placeholder @X@\n");

	memset(longname, 'A', sizeof(longname));
	longname[0] = '@';
	longname[sizeof(longname) - 2] = '@';
	longname[sizeof(longname) - 1] = 0;
	render_fails("very long name", "d.c", longname, &ctx, EINVAL,
		     nm("render: d.c:1: unknown placeholder %s\n", longname));

	render_vars__free(&vars);
	render_vars__free(&globals);
}

/* ---------------------------------------------------------------------------
 * OFFSETOF
 */

static void test_offsetof(void)
{
	struct offsets o = { 0 };
	struct render_ctx ctx = { .offset = offset_cb, .offset_ctx = &o };
	char *out, *err;
	int e;

	out = render_cap("t.bpf.c", "p = (void *)t + @OFFSETOF(task_struct,real_parent)@;\n",
			 &ctx, &err, &e);
	is_str(out, "p = (void *)t + offsetof(struct task_struct, real_parent);\n",
	       "OFFSETOF inserts the callback's text");
	is_str(err, "", "OFFSETOF: nothing on stderr");
	is_int(o.calls, 1, "OFFSETOF: callback called once");
	is_str(o.type, "task_struct", "OFFSETOF: type passed");
	is_str(o.member, "real_parent", "OFFSETOF: member passed");
	free(out);
	free(err);

	memset(&o, 0, sizeof(o));
	renders("two OFFSETOFs on a line",
		"@OFFSETOF(task_struct,pid)@+@OFFSETOF(task_struct,pid)@\n", &ctx,
		"1234+1234\n");
	is_int(o.calls, 2, "two OFFSETOFs: two calls");

	memset(&o, 0, sizeof(o));
	render_fails("OFFSETOF -ENOENT", "off.bpf.c", "int a;\nx = @OFFSETOF(task_struct,nope)@;\n",
		     &ctx, ENOENT,
		     "render: off.bpf.c:2: task_struct.nope: no such struct member in this kernel\n");
	is_int(o.calls, 1, "OFFSETOF -ENOENT: callback called");
	is_str(o.member, "nope", "OFFSETOF -ENOENT: member passed");

	render_fails("OFFSETOF other error", "off.bpf.c", "@OFFSETOF(broken,x)@\n", &ctx, EIO,
		     "render: off.bpf.c:1: broken.x: Input/output error\n");

	render_fails("OFFSETOF without a callback", "n.c", "@OFFSETOF(task_struct,pid)@\n",
		     &(struct render_ctx){ 0 }, EINVAL,
		     "render: n.c:1: no struct offsets available for @OFFSETOF(task_struct,pid)@\n");

	memset(&o, 0, sizeof(o));
	render_fails("OFFSETOF with a space", "s.c", "@OFFSETOF(task_struct, pid)@\n", &ctx,
		     EINVAL, "render: s.c:1: unknown placeholder @OFFSETOF(task_struct, pid)@\n");
	render_fails("OFFSETOF missing member", "s.c", "@OFFSETOF(task_struct)@\n", &ctx,
		     EINVAL, "render: s.c:1: unknown placeholder @OFFSETOF(task_struct)@\n");
	render_fails("OFFSETOF uppercase type", "s.c", "@OFFSETOF(Task,pid)@\n", &ctx,
		     EINVAL, "render: s.c:1: unknown placeholder @OFFSETOF(Task,pid)@\n");
	render_fails("OFFSETOF without ')'", "s.c", "@OFFSETOF(task_struct,pid@\n", &ctx,
		     EINVAL, "render: s.c:1: unknown placeholder @OFFSETOF(task_struct,pid@\n");
	is_int(o.calls, 0, "malformed OFFSETOFs: callback never called");

	renders("OFFSETOF not closed on its line", "@OFFSETOF(task_struct,pid)\n@\n", &ctx,
		"@OFFSETOF(task_struct,pid)\n@\n");
	is_int(o.calls, 0, "unclosed OFFSETOF: callback not called");

	/* Text between the member and the closing ')' is not an offset. */
	memset(&o, 0, sizeof(o));
	{
		char *got = render_cap("g.c", "@OFFSETOF(task_struct,pid + 4)@\n", &ctx, &err, &e);

		is_str(got ? got : err,
		       "render: g.c:1: unknown placeholder @OFFSETOF(task_struct,pid + 4)@\n",
		       "OFFSETOF with junk after the member is rejected");
		free(got);
		free(err);
	}
}

/* BTF_OFFSETOF: a number, or -1 when BTF has none; never an error. */
static int btf_offset_cb(void *ctx, const char *type, const char *member, long *off)
{
	struct offsets *o = ctx;

	o->calls++;
	if (!strcmp(type, "dentry") && !strcmp(member, "d_parent")) {
		*off = 24;
		return 0;
	}
	return strcmp(type, "mount") ? -ENOENT : -ENODATA;
}

static void test_btf_offsetof(void)
{
	struct offsets o = { 0 };
	struct render_ctx ctx = { .offset = offset_cb, .btf_offset = btf_offset_cb,
				  .offset_ctx = &o };

	renders("BTF_OFFSETOF known", "#define X @BTF_OFFSETOF(dentry,d_parent)@\n", &ctx,
		"#define X 24\n");
	renders("BTF_OFFSETOF unknown member: -1", "#if @BTF_OFFSETOF(dentry,nope)@ >= 0\n",
		&ctx, "#if -1 >= 0\n");
	renders("BTF_OFFSETOF without BTF: -1", "@BTF_OFFSETOF(mount,mnt_parent)@\n", &ctx,
		"-1\n");
	is_int(o.calls, 3, "BTF_OFFSETOF: the BTF callback, never OFFSETOF's");
	renders("BTF_OFFSETOF without a callback: -1", "@BTF_OFFSETOF(dentry,d_parent)@\n",
		&(struct render_ctx){ 0 }, "-1\n");
	render_fails("BTF_OFFSETOF with junk", "j.c", "@BTF_OFFSETOF(dentry,d_parent)x@\n", &ctx,
		     EINVAL, "render: j.c:1: unknown placeholder @BTF_OFFSETOF(dentry,d_parent)x@\n");
}

/* ---------------------------------------------------------------------------
 * #include and resources
 */

static void test_include(void)
{
	struct render_vars vars = { 0 };
	struct render_ctx ctx = { .vars = &vars };

	errno = 0;
	resource_is("render-include.h", EMBEDDED_INCLUDE, "resource_load: embedded file");
	errno = 0;
	ok(resource_load("nope.h") == NULL && errno == ENOENT,
	   "resource_load: unknown name is ENOENT");
	errno = 0;
	ok(resource_load("data/render-include.h") == NULL && errno == ENOENT,
	   "resource_load: embedded names are basenames");

	render_vars__set(&vars, "GREETING", "hello");
	renders("include inlined and rendered",
		"int a;\n#include \"render-include.h\"\nint b = @GREETING@;\n", &ctx,
		"int a;\n"
		"/* ---- render-include.h ---- */\n"
		"/* included by the render test */\n"
		"#define FROM_INCLUDE hello\n"
		"\n"
		"int b = hello;\n");
	renders("include on the last line without newline",
		"#include \"render-include.h\"", &ctx,
		"/* ---- render-include.h ---- */\n"
		"/* included by the render test */\n"
		"#define FROM_INCLUDE hello\n"
		"\n");
	renders("include twice",
		"#include \"render-include.h\"\n#include \"render-include.h\"\n", &ctx,
		"/* ---- render-include.h ---- */\n"
		"/* included by the render test */\n"
		"#define FROM_INCLUDE hello\n"
		"\n"
		"/* ---- render-include.h ---- */\n"
		"/* included by the render test */\n"
		"#define FROM_INCLUDE hello\n"
		"\n");
	renders("#include in the middle of a line is text",
		"x #include \"render-include.h\"\n", &ctx,
		"x #include \"render-include.h\"\n");
	renders("#include without closing quote on its line is text",
		"#include \"render-include.h\nx\"\n", &ctx,
		"#include \"render-include.h\nx\"\n");

	render_fails("missing include", "m.bpf.c", "int a;\n#include \"nope.h\"\n", &ctx,
		     ENOENT,
		     "render: m.bpf.c:2: cannot include \"nope.h\": No such file or directory\n");
	render_fails("error after an include names the outer line", "o.c",
		     "#include \"render-include.h\"\nok\n@BAD@\n", &ctx, EINVAL,
		     "render: o.c:3: unknown placeholder @BAD@\n");
	render_vars__free(&vars);
	render_fails("unknown placeholder inside the include names the include",
		     "outer.c", "\n#include \"render-include.h\"\n", &ctx, EINVAL,
		     "render: render-include.h:2: unknown placeholder @GREETING@\n");
}

static void test_resource_dir(void)
{
	struct render_vars vars = { 0 };
	struct render_ctx ctx = { .vars = &vars };
	/* Below dir: a directory where text is NULL, else a file holding text. */
	static const struct {
		const char *name, *text;
	} files[] = {
		{ "probes", NULL },
		{ "templates", NULL },
		{ "render-include.h", "override @GREETING@\n" },
		{ "probes/p.h", "probe @GREETING@\n" },
		{ "templates/t.h", "template\n#include \"p.h\"\n" },
		/* Same name in probes/ and templates/: probes/ first. */
		{ "probes/both.h", "from probes\n" },
		{ "templates/both.h", "from templates\n" },
		{ "loop.h", "#include \"loop.h\"\n" },
		{ "rep.c", "@REPEAT(rep.c)@\n" },
		{ "empty.h", "" },
	};
	char *dir, *path;

	dir = fmt("%s/res", tmpdir);
	xmkdir(dir);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		path = fmt("%s/%s", dir, files[i].name);
		if (files[i].text)
			write_file(path, files[i].text);
		else
			xmkdir(path);
		free(path);
	}

	resource_set_dir(dir);

	resource_is("render-include.h", "override @GREETING@\n",
		    "dir: top-level file overrides the embedded one");
	resource_is("p.h", "probe @GREETING@\n", "dir: probes/ subdirectory");
	resource_is("t.h", "template\n#include \"p.h\"\n", "dir: templates/ subdirectory");
	resource_is("both.h", "from probes\n", "dir: probes/ before templates/");
	resource_is("empty.h", "", "dir: empty file is \"\"");
	errno = 0;
	ok(resource_load("nope.h") == NULL && errno == ENOENT, "dir: unknown name is ENOENT");

	render_vars__set(&vars, "GREETING", "hi");
	renders("dir: include uses the override",
		"#include \"render-include.h\"\n", &ctx,
		"/* ---- render-include.h ---- */\n"
		"override hi\n"
		"\n");
	renders("dir: nested include from templates/ and probes/",
		"#include \"t.h\"\nend\n", &ctx,
		"/* ---- t.h ---- */\n"
		"template\n"
		"/* ---- p.h ---- */\n"
		"probe hi\n"
		"\n"
		"\n"
		"end\n");
	renders("dir: empty include", "#include \"empty.h\"\n", &ctx,
		"/* ---- empty.h ---- */\n\n");
	render_fails("dir: include loop", "main.c", "#include \"loop.h\"\n", &ctx, ELOOP,
		     "render: loop.h:1: includes nested too deeply at \"loop.h\"\n");
	/* A template that repeats itself: refused, not a stack overflow. */
	ctx.items = &vars;
	ctx.n_items = 1;
	render_fails("dir: REPEAT loop", "main.c", "@REPEAT(rep.c)@\n", &ctx, ELOOP,
		     "render: rep.c:1: templates nested too deeply at \"rep.c\"\n");
	ctx.items = NULL;
	ctx.n_items = 0;

	/* A directory replaces the embedded set entirely. */
	path = fmt("%s/render-include.h", dir);
	unlink(path);
	free(path);
	errno = 0;
	ok(resource_load("render-include.h") == NULL && errno == ENOENT,
	   "dir: no fallback to the embedded copy");

	resource_set_dir(NULL);
	resource_is("render-include.h", EMBEDDED_INCLUDE, "resource_set_dir(NULL): embedded again");
	errno = 0;
	ok(resource_load("p.h") == NULL && errno == ENOENT,
	   "resource_set_dir(NULL): directory files gone");
	renders("resource_set_dir(NULL): include is embedded", "#include \"render-include.h\"\n",
		&ctx,
		"/* ---- render-include.h ---- */\n"
		"/* included by the render test */\n"
		"#define FROM_INCLUDE hi\n"
		"\n");

	render_vars__free(&vars);
	path = fmt("rm -rf '%s'", dir);
	if (system(path))
		fprintf(stderr, "cannot remove %s\n", dir);
	free(path);
	free(dir);
}

/* ---------------------------------------------------------------------------
 * render_repeat and item precedence
 */

static void test_repeat(void)
{
	struct render_vars vars = { 0 }, globals = { 0 }, items[3] = { { 0 } };
	struct render_ctx ctx = { .vars = &vars, .globals = &globals };
	static const char *const names[] = { "alpha", "beta", "gamma" };
	struct capture c;
	char *out, *err;
	int e;

	render_vars__set(&globals, "COMMON", "c");
	render_vars__set(&globals, "WHO", "global");
	render_vars__set(&vars, "WHO", "var");
	render_vars__set(&vars, "GREETING", "hey");
	for (size_t i = 0; i < 3; i++) {
		render_vars__set(&items[i], "INDEX", "%zu", i);
		render_vars__set(&items[i], "NAME", "%s", names[i]);
	}
	render_vars__set(&items[1], "WHO", "item");

	out = render_repeat("r.c", "slot @INDEX@ = @NAME@ (@COMMON@, @WHO@)\n", &ctx, items, 3);
	is_str(out,
	       "slot 0 = alpha (c, var)\n"
	       "slot 1 = beta (c, item)\n"
	       "slot 2 = gamma (c, var)\n",
	       "render_repeat: 3 items, item vars win over vars over globals");
	free(out);

	out = render_repeat("r.c", "@WHO@ ", &(struct render_ctx){ .globals = &globals },
			    items, 3);
	is_str(out, "global item global ", "render_repeat: item vars win over globals");
	free(out);

	out = render_repeat("r.c", "#include \"render-include.h\"\n", &ctx, &items[0], 1);
	is_str(out,
	       "/* ---- render-include.h ---- */\n"
	       "/* included by the render test */\n"
	       "#define FROM_INCLUDE hey\n"
	       "\n",
	       "render_repeat: include rendered with the item's context");
	free(out);

	render_vars__set(&items[2], "GREETING", "yo");
	out = render_repeat("r.c", "#include \"render-include.h\"\n", &ctx, &items[2], 1);
	is_str(out,
	       "/* ---- render-include.h ---- */\n"
	       "/* included by the render test */\n"
	       "#define FROM_INCLUDE yo\n"
	       "\n",
	       "render_repeat: item vars reach into includes");
	free(out);

	out = render_repeat("r.c", "@INDEX@\n", &ctx, items, 0);
	is_str(out, "", "render_repeat: zero items gives \"\"");
	free(out);

	render_vars__set(&items[1], "ONLY_ONE", "x");
	capture_begin(&c);
	errno = 0;
	out = render_repeat("r.c", "a\n@ONLY_ONE@\n", &ctx, items, 3);
	e = errno;
	err = capture_end(&c);
	ok(out == NULL, "render_repeat: a var missing from one item: NULL");
	is_int(e, EINVAL, "render_repeat: errno EINVAL");
	is_str(err, "render: r.c:2: unknown placeholder @ONLY_ONE@\n",
	       "render_repeat: one error line");
	free(out);
	free(err);

	/* render() never sees item vars. */
	render_fails("render: INDEX is not a var", "x.c", "@INDEX@\n", &ctx, EINVAL,
		     "render: x.c:1: unknown placeholder @INDEX@\n");

	/* Items without INDEX get their position. */
	{
		struct render_vars plain[3] = { { 0 } };

		for (size_t i = 0; i < 3; i++)
			render_vars__set(&plain[i], "NAME", "%s", names[i]);
		capture_begin(&c);
		out = render_repeat("r.c", "@INDEX@=@NAME@\n", &ctx, plain, 3);
		err = capture_end(&c);
		is_str(out, "0=alpha\n1=beta\n2=gamma\n",
		       "render_repeat provides @INDEX@ itself");
		free(out);
		free(err);
		for (size_t i = 0; i < 3; i++)
			render_vars__free(&plain[i]);
	}

	for (size_t i = 0; i < 3; i++)
		render_vars__free(&items[i]);
	render_vars__free(&vars);
	render_vars__free(&globals);
}

/* @REPEAT(file)@: the template once per ctx->items entry, with its vars. */
static void test_repeat_file(void)
{
	struct render_vars items[2] = { { 0 } };
	struct render_ctx rctx = { .items = items, .n_items = 2 };
	char *out;

	render_vars__set(&items[0], "GREETING", "vfs_read");
	render_vars__set(&items[1], "GREETING", "vfs_write");
	out = render("r.c", "a\n@REPEAT(render-include.h)@b\n", &rctx);
	is_str(out, "a\n/* included by the render test */\n#define FROM_INCLUDE vfs_read\n"
	       "/* included by the render test */\n#define FROM_INCLUDE vfs_write\nb\n",
	       "REPEAT renders the template once per item");
	free(out);
	rctx.n_items = 0;
	out = render("r.c", "a\n@REPEAT(render-include.h)@b\n", &rctx);
	is_str(out, "a\nb\n", "REPEAT with no items renders nothing");
	free(out);
	for (int i = 0; i < 2; i++)
		render_vars__free(&items[i]);
}

/* @RENDER(VAR)@: a var's value rendered itself (a user's program), named VAR_NAME's value. */
static void test_render_var(void)
{
	struct render_vars vars = { 0 };
	struct offsets o = { 0 };
	struct render_ctx rctx = { .vars = &vars, .offset = offset_cb, .offset_ctx = &o };

	render_vars__set(&vars, "SRC", "int x = @OFFSETOF(task_struct,pid)@;\nint y = @V@;\n");
	render_vars__set(&vars, "V", "7");
	renders("r.c", "a\n@RENDER(SRC)@b\n", &rctx, "a\nint x = 1234;\nint y = 7;\nb\n");
	render_vars__set(&vars, "BAD", "ok\n\n@NOPE@\n");
	render_vars__set(&vars, "BAD_NAME", "program:p");
	render_fails("RENDER: an error names VAR_NAME and the line in the value", "r.c",
		     "x\n@RENDER(BAD)@\n", &rctx, EINVAL,
		     "render: program:p:3: unknown placeholder @NOPE@\n");
	render_fails("RENDER: an unknown var", "r.c", "@RENDER(NONE)@\n", &rctx, EINVAL,
		     "render: r.c:1: unknown placeholder @RENDER(NONE)@\n");
	render_vars__free(&vars);
}

int main(void)
{
	log_set_level(LOG_LEVEL_INFO);
	tmpdir_setup("test_render");

	test_vars();
	test_substitution();
	test_unknown();
	test_offsetof();
	test_btf_offsetof();
	test_include();
	test_resource_dir();
	test_repeat();
	test_repeat_file();
	test_render_var();

	rmdir(tmpdir);
		return done_testing();
}
