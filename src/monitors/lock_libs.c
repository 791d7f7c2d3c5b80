// SPDX-License-Identifier: GPL-2.0
/*
 * The lock monitor's C libraries. glibc 2.34 moved the pthread functions
 * from libpthread.so.0 (a stub since) into libc.so.6; a static program or
 * another libc holds its own copy, named in monitors.lock.libs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/probe_set.h"
#include "monitors/lock_libs.h"
#include "util/log.h"
#include "util/trust.h"

const struct lock_fn lock_fns[LOCK_FN_COUNT] = {
	{ "pthread_mutex_lock", "lock_call_mutex", true },
	{ "pthread_mutex_trylock", "lock_call_mutex_try", true },
	{ "pthread_rwlock_rdlock", "lock_call_rdlock", true },
	{ "pthread_rwlock_tryrdlock", "lock_call_rdlock_try", true },
	{ "pthread_rwlock_wrlock", "lock_call_wrlock", true },
	{ "pthread_rwlock_trywrlock", "lock_call_wrlock_try", true },
	{ "pthread_spin_lock", "lock_call_spin", true },
	{ "pthread_spin_trylock", "lock_call_spin_try", true },
	{ "pthread_mutex_unlock", "lock_unlock", false },
	{ "pthread_rwlock_unlock", "lock_unlock_rwlock", false },
	{ "pthread_spin_unlock", "lock_unlock", false },
	/*
	 * A condition wait unlocks its mutex inside (not through
	 * pthread_mutex_unlock) and locks it again before it returns: the hold
	 * ends at its call and starts anew at its return.
	 */
	{ "pthread_cond_wait", "lock_cond_wait", true },
	{ "pthread_cond_timedwait", "lock_cond_wait", true },
	{ "pthread_cond_clockwait", "lock_cond_wait", true, true },	/* glibc 2.30+ */
};

#define LOCK_LDCONFIG_1 "/sbin/ldconfig"
#define LOCK_LDCONFIG_2 "/usr/sbin/ldconfig"

static void why_add(struct lock_libs *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_add(struct lock_libs *l, const char *fmt, ...)
{
	size_t len = strlen(l->why);
	va_list ap;

	if (len + 3 >= sizeof(l->why))
		return;
	if (len)
		len += snprintf(l->why + len, sizeof(l->why) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(l->why + len, sizeof(l->why) - len, fmt, ap);
	va_end(ap);
}

/* A file mapped read-only. */
struct elf_map {
	const unsigned char *p;
	size_t size;
};

static bool elf_in(const struct elf_map *m, uint64_t off, uint64_t len)
{
	return off <= m->size && len <= m->size - off;
}

/* The file offset of virtual address VADDR: in the PT_LOAD that holds it. */
static int elf64_file_offset(const struct elf_map *m, const Elf64_Ehdr *eh, uint64_t vaddr,
			     uint64_t *off)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(m->p + eh->e_phoff + (uint64_t)i *
						      eh->e_phentsize);

		if (!elf_in(m, eh->e_phoff + (uint64_t)i * eh->e_phentsize, sizeof(*ph)))
			return -ENOENT;
		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr < ph->p_vaddr + ph->p_filesz) {
			*off = vaddr - ph->p_vaddr + ph->p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * SYMBOL's default version in .dynsym (the @@ one, .gnu.version's hidden
 * bit clear). libbcc takes the first symbol of the name, which for glibc's
 * pthread_cond_timedwait is the compat pthread_cond_timedwait@GLIBC_2.2.5
 * that today's programs never call. ELF64 only; -ENOENT otherwise.
 */
static int elf64_default_sym(const struct elf_map *m, const char *symbol, uint64_t *off)
{
	const Elf64_Ehdr *eh = (const void *)m->p;
	const Elf64_Shdr *sh, *dynsym = NULL, *strtab, *versym = NULL;

	if (!elf_in(m, 0, sizeof(*eh)) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(*sh) ||
	    !elf_in(m, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh)))
		return -ENOENT;
	sh = (const void *)(m->p + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
		else if (sh[i].sh_type == SHT_GNU_versym)
			versym = &sh[i];
	}
	if (!dynsym || dynsym->sh_link >= eh->e_shnum || !elf_in(m, dynsym->sh_offset,
								  dynsym->sh_size))
		return -ENOENT;
	strtab = &sh[dynsym->sh_link];
	if (!elf_in(m, strtab->sh_offset, strtab->sh_size))
		return -ENOENT;
	for (uint64_t i = 0; i < dynsym->sh_size / sizeof(Elf64_Sym); i++) {
		const Elf64_Sym *sym = (const void *)(m->p + dynsym->sh_offset) + i * sizeof(*sym);
		const char *name = (const char *)m->p + strtab->sh_offset + sym->st_name;
		unsigned type = ELF64_ST_TYPE(sym->st_info);
		Elf64_Half ver = 0;

		if (sym->st_name >= strtab->sh_size || !sym->st_value || sym->st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    strnlen(name, strtab->sh_size - sym->st_name) != strlen(symbol) ||
		    strcmp(name, symbol))
			continue;
		if (versym && elf_in(m, versym->sh_offset + i * sizeof(ver), sizeof(ver)))
			memcpy(&ver, m->p + versym->sh_offset + i * sizeof(ver), sizeof(ver));
		if (ver & 0x8000)
			continue;	/* a hidden (non-default) version */
		return elf64_file_offset(m, eh, sym->st_value, off);
	}
	return -ENOENT;
}

/*
 * Where a uprobe on SYMBOL of PATH goes: its default version, else what
 * libbcc finds (other ELF classes, .symtab of a static program).
 */
static int lock_sym_offset(const char *path, const char *symbol, uint64_t *off)
{
	struct elf_map m = { 0 };
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	void *p;

	if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			m.p = p;
			m.size = st.st_size;
			err = elf64_default_sym(&m, symbol, off);
			munmap(p, st.st_size);
		}
	}
	if (fd >= 0)
		close(fd);
	return err ? probe_set__symbol_offset(path, symbol, 0, off) : 0;
}

/* e_ident's class and e_machine of PATH, as one number; -1 when no ELF file. */
static long elf_kind(const char *path)
{
	unsigned char h[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return -1;
	/* e_machine: 2 bytes at 18, in the file's byte order (ours, if it can run). */
	return (long)h[EI_CLASS] << 16 | (h[18] | h[19] << 8);
}

/*
 * x86 uprobes refuse an instruction with a lock prefix (the kernel answers
 * ENOTSUPP): glibc's pthread_spin_lock starts with "lock decl". Seen in the
 * file, so --check can say so.
 */
static bool lock_fn_probeable(const char *path, uint64_t off)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned char op = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;	/* the attach will tell */
	if (pread(fd, &op, 1, (off_t)off) != 1)
		op = 0;
	close(fd);
	return op != 0xf0;
#else
	(void)path;
	(void)off;
	return true;
#endif
}

static bool lock_libs_has(const struct lock_libs *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return true;
	return false;
}

/*
 * Add PATH (resolved) when it holds pthread_mutex_lock: 1 added, 0 not (why
 * said when QUIET is false), -ENOMEM.
 */
static int lock_libs_add(struct lock_libs *l, const char *path, bool quiet)
{
	char *real = realpath(path, NULL);
	uint32_t have = 0, refused = 0;
	uint64_t off;

	if (!real) {
		if (!quiet)
			why_add(l, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (lock_libs_has(l, real) || l->n == LOCK_LIBS_MAX) {
		free(real);
		return 0;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	for (int i = 0; i < LOCK_FN_COUNT; i++) {
		if (lock_sym_offset(real, lock_fns[i].symbol, &off))
			continue;
		l->v[l->n].off[i] = off;
		if (lock_fn_probeable(real, off))
			have |= 1u << i;
		else
			refused |= 1u << i;
	}
	if (!(have & 1)) {
		if (!quiet)
			why_add(l, "%s has no pthread_mutex_lock", real);
		free(real);
		return 0;
	}
	for (int i = 0; i < LOCK_FN_COUNT; i++) {
		if (refused & 1u << i)
			why_add(l, "%s: %s starts with a lock-prefixed instruction, which the "
				"kernel's uprobes refuse", real, lock_fns[i].symbol);
		else if (!(have & 1u << i) && !lock_fns[i].optional)
			why_add(l, "%s has no %s", real, lock_fns[i].symbol);
	}
	l->v[l->n].path = real;
	l->v[l->n].have = have;
	l->v[l->n].glibc = !lock_sym_offset(real, "gnu_get_libc_version", &off);
	l->n++;
	return 1;
}

/* monitors.lock.libs: each path a trust boundary (a uprobe runs our code at its offsets). */
static int lock_libs_configured(struct lock_libs *l, char *const *libs)
{
	for (size_t i = 0; libs[i]; i++) {
		int fd = trust_open(libs[i], "monitors.lock.libs", true);

		if (fd == -ENOENT || fd == -ENOTDIR || fd == -EACCES || fd == -EISDIR) {
			why_add(l, "libs: %s: %s", libs[i], strerror(-fd));
			continue;
		}
		if (fd < 0)
			return fd;	/* refused, said */
		close(fd);
		if (!lock_libs_add(l, libs[i], false))
			why_add(l, "libs: %s: not used", libs[i]);
	}
	return 0;
}

/* What a filtered process maps executable: its C library, or itself when static. */
static int lock_libs_maps(struct lock_libs *l, uint32_t pid)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (err >= 0 && fgets(line, sizeof(line), f)) {
		char perms[8], *file = strchr(line, '/');

		if (!file || sscanf(line, "%*s %7s", perms) != 1 || !strchr(perms, 'x'))
			continue;
		file[strcspn(file, "\n")] = 0;
		if (strstr(file, " (deleted)"))
			continue;
		err = lock_libs_add(l, file, true);
	}
	fclose(f);
	return err < 0 ? err : 0;
}

/* ldconfig's libc.so.6, else libpthread.so.0, of our own ELF class and machine. */
static int lock_libs_ldconfig(struct lock_libs *l)
{
	static const char *const names[] = { "libc.so.6", "libpthread.so.0" };
	const char *ldconfig = access(LOCK_LDCONFIG_1, X_OK) ? LOCK_LDCONFIG_2 : LOCK_LDCONFIG_1;
	long self = elf_kind("/proc/self/exe");
	char cmd[64], line[PATH_MAX + 128];
	int found = 0;

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]) && !found; n++) {
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s -p 2>/dev/null", ldconfig);
		f = popen(cmd, "re");
		if (!f) {
			why_add(l, "%s: %s", ldconfig, strerror(errno));
			return 0;
		}
		while (fgets(line, sizeof(line), f)) {
			char *arrow = strstr(line, " => "), *name = line + strspn(line, " \t");

			if (!arrow || strncmp(name, names[n], strlen(names[n])) ||
			    name[strlen(names[n])] != ' ')
				continue;
			arrow += 4;
			arrow[strcspn(arrow, "\n")] = 0;
			if (elf_kind(arrow) != self)
				continue;
			found = lock_libs_add(l, arrow, false);
			if (found)
				break;
		}
		pclose(f);
	}
	if (!found)
		why_add(l, "ldconfig -p lists no libc.so.6 or libpthread.so.0 with "
			"pthread_mutex_lock");
	return found < 0 ? found : 0;
}

int lock_libs_find(struct lock_libs *out, char *const *libs, const uint32_t *pids,
		   size_t n_pids)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (libs && libs[0])
		return lock_libs_configured(out, libs);
	for (size_t i = 0; i < n_pids && !err; i++)
		err = lock_libs_maps(out, pids[i]);
	if (!err && !out->n)
		err = lock_libs_ldconfig(out);
	return err;
}

void lock_libs_release(struct lock_libs *libs)
{
	for (size_t i = 0; i < libs->n; i++)
		free(libs->v[i].path);
	memset(libs, 0, sizeof(*libs));
}
