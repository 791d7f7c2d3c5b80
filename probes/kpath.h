/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Paths from the kernel: a struct path (or the file behind an fd, or the
 * task's cwd) turned into a string by walking d_parent up to the task's
 * root, crossing mount points through struct mount (mnt_parent,
 * mnt_mountpoint) as d_path() does. Bounded for the verifier: at most
 * KPATH_DEPTH steps (a component or a mount crossing each), components of at
 * most KPATH_NAME_MAX bytes, KPATH_MAX bytes in all; what does not fit is the
 * top of the path, cut and marked: the string starts with "..." and
 * KPATH_F_TRUNCATED is set. Never garbage: a walk that cannot read a pointer
 * ends with KPATH_F_UNAVAILABLE.
 *
 * Offsets come from BTF as constants (BTF_OFFSETOF, -1 when unknown);
 * struct mount is private to fs/, so no header tree can give its layout and
 * without BTF every walk ends KPATH_F_UNAVAILABLE (kernel_info__kpath_why()
 * says why, for --check). The flags are in common.h, for the host.
 *
 * A probe that includes this defines KPATH_MAX first if 4096 is not its
 * bound (a power of two); each buffer it hands in has KPATH_OUT_SIZE bytes.
 */
#ifndef EBPFMON_KPATH_H
#define EBPFMON_KPATH_H

#ifndef KPATH_MAX
#define KPATH_MAX 4096
#endif
#define KPATH_OUT_SIZE (2 * KPATH_MAX)	/* masked offsets + bounded reads stay inside */
#define KPATH_DEPTH 32			/* a power of two */
#define KPATH_NAME_MAX 255

#define KPATH_OFF_TASK_FS @BTF_OFFSETOF(task_struct,fs)@
#define KPATH_OFF_TASK_FILES @BTF_OFFSETOF(task_struct,files)@
#define KPATH_OFF_FS_ROOT @BTF_OFFSETOF(fs_struct,root)@
#define KPATH_OFF_FS_PWD @BTF_OFFSETOF(fs_struct,pwd)@
#define KPATH_OFF_FILES_FDT @BTF_OFFSETOF(files_struct,fdt)@
#define KPATH_OFF_FDT_MAX_FDS @BTF_OFFSETOF(fdtable,max_fds)@
#define KPATH_OFF_FDT_FD @BTF_OFFSETOF(fdtable,fd)@
#define KPATH_OFF_FILE_PATH @BTF_OFFSETOF(file,f_path)@
#define KPATH_OFF_PATH_MNT @BTF_OFFSETOF(path,mnt)@
#define KPATH_OFF_PATH_DENTRY @BTF_OFFSETOF(path,dentry)@
#define KPATH_OFF_DENTRY_PARENT @BTF_OFFSETOF(dentry,d_parent)@
#define KPATH_OFF_DENTRY_NAME @BTF_OFFSETOF(dentry,d_name)@
#define KPATH_OFF_QSTR_LEN @BTF_OFFSETOF(qstr,len)@
#define KPATH_OFF_QSTR_NAME @BTF_OFFSETOF(qstr,name)@
#define KPATH_OFF_VFSMOUNT_ROOT @BTF_OFFSETOF(vfsmount,mnt_root)@
#define KPATH_OFF_MOUNT_MNT @BTF_OFFSETOF(mount,mnt)@
#define KPATH_OFF_MOUNT_PARENT @BTF_OFFSETOF(mount,mnt_parent)@
#define KPATH_OFF_MOUNT_MOUNTPOINT @BTF_OFFSETOF(mount,mnt_mountpoint)@

#define KPATH_OK (KPATH_OFF_TASK_FS >= 0 && KPATH_OFF_TASK_FILES >= 0 && \
		  KPATH_OFF_FS_ROOT >= 0 && KPATH_OFF_FS_PWD >= 0 && \
		  KPATH_OFF_FILES_FDT >= 0 && KPATH_OFF_FDT_MAX_FDS >= 0 && \
		  KPATH_OFF_FDT_FD >= 0 && KPATH_OFF_FILE_PATH >= 0 && \
		  KPATH_OFF_PATH_MNT >= 0 && KPATH_OFF_PATH_DENTRY >= 0 && \
		  KPATH_OFF_DENTRY_PARENT >= 0 && KPATH_OFF_DENTRY_NAME >= 0 && \
		  KPATH_OFF_QSTR_LEN >= 0 && KPATH_OFF_QSTR_NAME >= 0 && \
		  KPATH_OFF_VFSMOUNT_ROOT >= 0 && KPATH_OFF_MOUNT_MNT >= 0 && \
		  KPATH_OFF_MOUNT_PARENT >= 0 && KPATH_OFF_MOUNT_MOUNTPOINT >= 0)

/*
 * The walk writes leaf first, backwards from the end of this buffer (an
 * offset masked at every step is what keeps the verifier's work linear),
 * then copies the string to the caller's buffer.
 */
struct kpath_scratch {
	char buf[KPATH_MAX + KPATH_NAME_MAX + 1];
};

BPF_PERCPU_ARRAY(kpath_scratch, struct kpath_scratch, 1);

/* Keeps clang from dropping a bound the verifier needs to see. */
#define kpath_opaque(v) asm volatile("" : "+r"(v))

/* *(void **)(base + off), NULL when it cannot be read. */
static __always_inline void *kpath_ptr(const void *base, long off)
{
	void *p = NULL;

	if (base)
		bpf_probe_read_kernel(&p, sizeof(p), (const char *)base + off);
	return p;
}

/* The current task's struct path of its cwd, or NULL. */
static __always_inline const void *kpath_cwd(void)
{
	char *fs;

	if (!KPATH_OK)
		return NULL;
	fs = kpath_ptr((void *)bpf_get_current_task(), KPATH_OFF_TASK_FS);
	return fs ? fs + KPATH_OFF_FS_PWD : NULL;
}

/* The current task's struct file of fd, or NULL (closed, or out of range). */
static __always_inline const void *kpath_fd_file(s64 fd)
{
	char *fdt, *files;
	u32 max_fds = 0;
	void **fds;

	if (!KPATH_OK || fd < 0)
		return NULL;
	files = kpath_ptr((void *)bpf_get_current_task(), KPATH_OFF_TASK_FILES);
	fdt = kpath_ptr(files, KPATH_OFF_FILES_FDT);
	if (!fdt)
		return NULL;
	bpf_probe_read_kernel(&max_fds, sizeof(max_fds), fdt + KPATH_OFF_FDT_MAX_FDS);
	if (fd >= max_fds)
		return NULL;
	fds = kpath_ptr(fdt, KPATH_OFF_FDT_FD);
	return fds ? kpath_ptr(&fds[fd], 0) : NULL;
}

/* The struct path inside a struct file, or NULL. */
static __always_inline const void *kpath_file_path(const void *file)
{
	return KPATH_OK && file ? (const char *)file + KPATH_OFF_FILE_PATH : NULL;
}

/*
 * Write the path of struct path *PATH into OUT (KPATH_OUT_SIZE bytes) as a
 * NUL-terminated string; returns its length, adds KPATH_F_* to *FLAGS.
 */
static __always_inline u32 kpath_walk(char *out, const void *path, u32 *flags)
{
	char *task = (char *)bpf_get_current_task();
	char *dentry, *vfsmnt, *mnt, *mnt_root, *root_dentry, *root_mnt, *fs;
	struct kpath_scratch *sc;
	u32 zero = 0, pos = KPATH_MAX - 1, off = 0, size, i;
	int done = 0;

	out[0] = 0;
	sc = kpath_scratch.lookup(&zero);
	if (!KPATH_OK || !path || !sc) {
		*flags |= KPATH_F_UNAVAILABLE;
		return 0;
	}
	dentry = kpath_ptr(path, KPATH_OFF_PATH_DENTRY);
	vfsmnt = kpath_ptr(path, KPATH_OFF_PATH_MNT);
	fs = kpath_ptr(task, KPATH_OFF_TASK_FS);
	root_dentry = kpath_ptr(fs, KPATH_OFF_FS_ROOT + KPATH_OFF_PATH_DENTRY);
	root_mnt = kpath_ptr(fs, KPATH_OFF_FS_ROOT + KPATH_OFF_PATH_MNT);
	if (!dentry || !vfsmnt || !root_dentry) {
		*flags |= KPATH_F_UNAVAILABLE;
		return 0;
	}
	mnt = vfsmnt - KPATH_OFF_MOUNT_MNT;
	mnt_root = kpath_ptr(vfsmnt, KPATH_OFF_VFSMOUNT_ROOT);
	sc->buf[KPATH_MAX - 1] = 0;
	/* Leaf first, up to the task's root; room kept in OUT for "..." and the NUL. */
	for (i = 0; i < KPATH_DEPTH; i++) {
		char *parent, *name;
		u32 nlen = 0;

		if (dentry == root_dentry && vfsmnt == root_mnt) {
			done = 1;
			break;
		}
		if (dentry == mnt_root) {
			parent = kpath_ptr(mnt, KPATH_OFF_MOUNT_PARENT);
			if (!parent || parent == mnt) {
				/* The top of a mount tree that is not the task's root. */
				*flags |= KPATH_F_UNREACHABLE;
				done = 1;
				break;
			}
			dentry = kpath_ptr(mnt, KPATH_OFF_MOUNT_MOUNTPOINT);
			mnt = parent;
			vfsmnt = mnt + KPATH_OFF_MOUNT_MNT;
			mnt_root = kpath_ptr(vfsmnt, KPATH_OFF_VFSMOUNT_ROOT);
			if (!dentry) {
				*flags |= KPATH_F_UNAVAILABLE;
				return 0;
			}
			continue;
		}
		parent = kpath_ptr(dentry, KPATH_OFF_DENTRY_PARENT);
		if (!parent || parent == dentry) {
			/* A dentry no longer connected to a mount we know. */
			*flags |= KPATH_F_UNREACHABLE;
			done = 1;
			break;
		}
		bpf_probe_read_kernel(&nlen, sizeof(nlen),
				      dentry + KPATH_OFF_DENTRY_NAME + KPATH_OFF_QSTR_LEN);
		name = kpath_ptr(dentry, KPATH_OFF_DENTRY_NAME + KPATH_OFF_QSTR_NAME);
		if (nlen > KPATH_NAME_MAX)
			nlen = KPATH_NAME_MAX;
		if (nlen + 4 > pos)
			break;	/* longer than KPATH_MAX: the top is cut */
		pos -= nlen;
		kpath_opaque(pos);
		pos &= KPATH_MAX - 1;
		kpath_opaque(nlen);
		nlen &= KPATH_NAME_MAX;
		if (bpf_probe_read_kernel(&sc->buf[pos], nlen, name)) {
			*flags |= KPATH_F_UNAVAILABLE;
			return 0;
		}
		pos--;
		kpath_opaque(pos);
		pos &= KPATH_MAX - 1;
		sc->buf[pos] = '/';
		dentry = parent;
	}
	if (!done) {
		*flags |= KPATH_F_TRUNCATED;
		out[0] = '.';
		out[1] = '.';
		out[2] = '.';
		off = 3;
	}
	if (pos == KPATH_MAX - 1) {
		pos--;
		sc->buf[pos] = '/';	/* the root itself */
	}
	/* The string and its NUL. */
	size = KPATH_MAX - pos;
	kpath_opaque(size);
	size &= KPATH_MAX - 1;
	kpath_opaque(pos);
	pos &= KPATH_MAX - 1;
	if (bpf_probe_read_kernel(&out[off], size, &sc->buf[pos])) {
		*flags |= KPATH_F_UNAVAILABLE;
		out[0] = 0;
		return 0;
	}
	return off + size - 1;
}

/* kpath_walk of the file behind the current task's fd. */
static __always_inline u32 kpath_fd(char *out, s64 fd, u32 *flags)
{
	return kpath_walk(out, kpath_file_path(kpath_fd_file(fd)), flags);
}

/*
 * The path a *at() call names: DIRFD (AT_FDCWD: the cwd) resolved in the
 * kernel, then "/" and the caller's relative PATH (an empty PATH: the
 * directory's, as AT_EMPTY_PATH). PATH is a kernel copy (kernel != 0) or the
 * caller's memory. An absolute PATH is not handled here (the caller has it).
 * Not normalized: "." and ".." stay, and a symlink in PATH is not followed;
 * the directory part is the kernel's real path (a symlinked cwd is resolved).
 */
static __always_inline u32 kpath_at(char *out, s64 dirfd, const char *path, int kernel,
				    u32 *flags)
{
	const void *dir = dirfd == -100 /* AT_FDCWD */ ? kpath_cwd() :
			  kpath_file_path(kpath_fd_file(dirfd));
	u32 off = kpath_walk(out, dir, flags);
	long n;
	char c = 0;

	if (*flags & KPATH_F_UNAVAILABLE)
		return 0;
	if (kernel)
		bpf_probe_read_kernel(&c, 1, path);
	else
		bpf_probe_read_user(&c, 1, path);
	if (!c)
		return off;
	kpath_opaque(off);
	off &= KPATH_MAX - 1;
	if (off != 1) {	/* the root "/" needs no second one */
		out[off] = '/';
		off++;
	}
	kpath_opaque(off);
	off &= KPATH_MAX - 1;
	n = kernel ? bpf_probe_read_kernel_str(&out[off], KPATH_MAX - off, path) :
		     bpf_probe_read_user_str(&out[off], KPATH_MAX - off, path);
	if (n <= 0) {
		out[off] = 0;
		*flags |= KPATH_F_UNAVAILABLE;
		return 0;
	}
	if (off + n >= KPATH_MAX)
		*flags |= KPATH_F_TRUNCATED;	/* the caller's tail is cut */
	return off + n - 1;
}

#endif
