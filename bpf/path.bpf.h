/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * path.bpf.h - the path segments of a record (see struct fm_seg):
 *
 *   seg_walk()   absolute path of a struct path, the way d_path() builds
 *                it: d_parent up to the task's root, crossing mount points
 *                through mnt_mountpoint/mnt_parent; names appended leaf
 *                first, userspace reverses them
 *   seg_str()    a string as the caller wrote it (user or kernel memory)
 *   seg_name_at()  a path argument plus, if it is relative, the walk of
 *                its base (the cwd or the dirfd), so userspace can make it
 *                absolute without guessing
 *
 * The walk takes no locks (as every BPF path walker): a rename racing with
 * it can yield a mixed path.  Segments that are too long, too deep or
 * unreadable are flagged, never cut silently.
 */
#ifndef FILEMOND_PATH_BPF_H
#define FILEMOND_PATH_BPF_H

#define AT_FDCWD -100

/* Enough iterations for FM_PATH_MAX of one-letter names plus mount hops. */
#define WALK_MAX_STEPS (FM_PATH_MAX + 64)

/*
 * Kernel pointers are followed with direct BTF loads (fault-safe, a few ns)
 * rather than bpf_probe_read calls (a helper call each): pointers read out
 * of plain memory are re-typed with bpf_rdonly_cast.  Names are copied the
 * same way, eight bytes a load (bpf_rdonly_cast to void); a helper call
 * per path component was a third of an open's cost on a machine where
 * every call and return is expensive (retpolines, SRSO safe-RET).
 *
 * The hooks also cast their trusted arguments (tp_btf args, the current
 * task) this way before walking them.  Every pointer load from a *trusted*
 * pointer makes the verifier look up "<type>__safe_trusted" and its
 * variants by name, a linear scan of the kernel's BTF each time: that was
 * most of the 130 ms it took to load the programs.  Loads through an
 * untrusted (read-only) pointer skip it, and the walk needs no trust.
 *
 * Older kernels lack parts of this, so the object is built at three
 * levels (FM_KLEVEL), all embedded; src/tracer.c loads the one the kernel
 * takes (kernel BTF, then a probe load):
 *   3  Linux 6.17+: as above
 *   2  6.2-6.16: bpf_rdonly_cast takes only struct types: names and fd
 *      slots are read with helpers, the rest is as at 3
 *   1  6.1: no bpf_rdonly_cast: every kernel load is a helper read
 *      (BPF_CORE_READ), as in every pre-6.2 CO-RE tool
 * KR(p, a, b) is p->a->b at levels 2-3 and BPF_CORE_READ(p, a, b) at 1.
 */
#ifndef FM_KLEVEL
#define FM_KLEVEL 3
#endif
#if FM_KLEVEL >= 2
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define kcast(ptr, type) ((type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(type)))
#define KR(...) ___arrow(__VA_ARGS__)
#else
#define kcast(ptr, type) ((type *)(unsigned long)(ptr))
#define KR(...) BPF_CORE_READ(__VA_ARGS__)
#endif

struct walk {
	struct dentry *dentry;
	struct vfsmount *mnt;
	struct dentry *mnt_root; /* cached mnt->mnt_root */
	struct dentry *root_dentry; /* the task's root: stop there */
	struct vfsmount *root_mnt;
	char *buf; /* the record's data */
	__u32 base; /* data offset of the segment's bytes */
	__u32 off; /* bytes encoded so far */
	__u8 flags;
	__u8 done;
};

/* Data offset where a new segment's bytes go, or -1 if it cannot fit. */
static __always_inline long seg_begin(struct fm_event *ev)
{
	if (ev->len > FM_DATA_MAX - FM_SEG_MAX) {
		ev->flags |= FM_EV_TOO_BIG;
		return -1;
	}
	return ev->len + sizeof(struct fm_seg);
}

static __always_inline void seg_end(struct fm_event *ev, __u8 role, __u32 len, __u8 flags)
{
	struct fm_seg *h = (void *)(ev->data + (ev->len & FM_DATA_MASK));

	h->role = role;
	h->flags = flags;
	h->len = len;
	/* The padding to the next 4-byte boundary goes out as zeroes, not as
	 * whatever an earlier record or a name copy left there. */
	*(__u32 *)(ev->data + ((ev->len + sizeof(*h) + len) & FM_DATA_MASK)) = 0;
	ev->len += sizeof(*h) + ((len + 3) & ~3U);
	ev->nseg++;
}

/* Step to the mount this one is mounted on; 0 at the namespace root. */
static __always_inline int walk_cross_mount(struct walk *w)
{
	unsigned long off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = kcast((unsigned long)w->mnt - off, struct mount);
	struct mount *parent = KR(m, mnt_parent);

	if (!parent || parent == m)
		return 0;
	w->dentry = KR(m, mnt_mountpoint);
	w->mnt = &parent->mnt;
	w->mnt_root = KR(parent, mnt.mnt_root);
	return 1;
}

/* Names shorter than this are copied with direct loads; longer ones (rare)
 * with a helper. */
#define NAME_DIRECT_MAX 64

/*
 * Copy a name of len bytes (len < NAME_DIRECT_MAX) and its NUL to dst, a
 * whole 64-byte block at a time: no branch per word keeps the verifier's
 * work small.  Reading past the name is harmless (the loads are
 * fault-safe; a short name sits in the dentry's inline array, a long one
 * in its own allocation) and what lands past the NUL is overwritten by the
 * next name or left out of the segment (seg_end zeroes the padding).
 * The caller checks that len and the bytes belong together (d_seq).
 */
#if FM_KLEVEL >= 3
static __always_inline void copy_name(char *dst, const void *name, __u32 len)
{
	const __u64 *src = bpf_rdonly_cast(name, 0);
	__u64 *d = (__u64 *)dst;

	d[0] = src[0];
	d[1] = src[1];
	d[2] = src[2];
	d[3] = src[3];
	d[4] = src[4];
	d[5] = src[5];
	d[6] = src[6];
	d[7] = src[7];
	dst[len & (NAME_DIRECT_MAX - 1)] = '\0';
}
#endif

/*
 * Append one name; 0 when the walk must stop.  d_name's length, pointer and
 * bytes change together under d_seq when the dentry is renamed, so a copy
 * is kept only if d_seq was even and unchanged around it (the kernel's own
 * RCU path walk relies on the same); otherwise a length from one name with
 * bytes from another could send out memory past the name.  Then, and for
 * long names, the helper copies up to the NUL instead.
 */
static __always_inline int walk_append(struct walk *w, struct dentry *d)
{
	char *dst = w->buf + ((w->base + w->off) & FM_DATA_MASK);
	__u32 len;
	long n;
#if FM_KLEVEL >= 3
	__u32 seq = d->d_seq.seqcount.sequence;

	asm volatile("" ::: "memory"); /* d_seq before the name (clang moved it after) */
#endif
	len = KR(d, d_name.len);
	if (w->off + len + 1 > FM_PATH_MAX) {
		w->flags |= FM_SEG_TRUNCATED;
		return 0;
	}
#if FM_KLEVEL >= 3
	if (len < NAME_DIRECT_MAX && !(seq & 1)) {
		copy_name(dst, d->d_name.name, len);
		asm volatile("" ::: "memory"); /* the copy before the second look */
		if (d->d_seq.seqcount.sequence == seq) {
			if (len && !dst[0]) { /* the load faulted: no name starts with NUL */
				w->flags |= FM_SEG_UNREADABLE;
				return 0;
			}
			w->off += len + 1;
			return 1;
		}
	}
#endif
	n = bpf_probe_read_kernel_str(dst, FM_NAME_MAX, KR(d, d_name.name));
	if (n <= 0) {
		w->flags |= FM_SEG_UNREADABLE;
		return 0;
	}
	w->off += n;
	return 1;
}

static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct dentry *d = w->dentry;
	struct dentry *parent;

	if (!d || (d == w->root_dentry && w->mnt == w->root_mnt))
		goto done;
	if (d == w->mnt_root) {
		if (!walk_cross_mount(w))
			goto done;
		return 0;
	}
	parent = KR(d, d_parent);
	if (!parent || parent == d || !walk_append(w, d))
		goto done;
	w->dentry = parent;
	return 0;
done:
	w->done = 1;
	return 1;
}

/*
 * The walking functions are global BPF functions (not static, __noinline):
 * the verifier checks a global function once per program, where it checks
 * an inlined one again at every call site (six in sys_exit_names).
 * A global function takes only numbers and pointers to plain memory, so
 * kernel pointers go in as numbers inside an args struct and are re-typed
 * with kcast; the record is this CPU's scratch, fetched again inside.
 */
struct walk_args {
	__u64 task; /* struct task_struct *: whose root ends the walk */
	__u64 dentry; /* struct dentry * */
	__u64 mnt; /* struct vfsmount * */
	__u64 role;
};

/* A segment with the absolute path of (dentry, mnt), as seen from the
 * task's root; a missing-file segment if either is NULL. */
__noinline int seg_walk_global(const struct walk_args *a)
{
	struct scratch *sc = scratch_get();
	struct task_struct *task;
	struct fs_struct *fs;
	struct vfsmount *mnt;
	struct dentry *leaf;
	struct fm_event *ev;
	struct walk w = {};
	long at;

	if (!sc || !a)
		return 0;
	ev = &sc->ev;
	at = seg_begin(ev);
	if (at < 0)
		return 0;
	task = kcast(a->task, struct task_struct);
	fs = KR(task, fs);
	leaf = kcast(a->dentry, struct dentry);
	mnt = kcast(a->mnt, struct vfsmount);
	if (!a->dentry || !a->mnt || !fs) {
		seg_end(ev, a->role, 0, FM_SEG_MISSING);
		return 0;
	}
	/* never hashed, or dropped from the hash by an unlink: no lookup finds
	 * this name (a filesystem's root is never hashed, and has a name) */
	if (!KR(leaf, d_hash.pprev) && KR(leaf, d_parent) != leaf)
		w.flags |= FM_SEG_UNNAMED;
	w.dentry = leaf;
	w.buf = ev->data;
	w.base = at;
	w.mnt = mnt;
	w.mnt_root = KR(mnt, mnt_root);
	w.root_dentry = KR(fs, root.dentry);
	w.root_mnt = KR(fs, root.mnt);
	bpf_loop(WALK_MAX_STEPS, walk_step, &w, 0);
	if (!w.done)
		w.flags |= FM_SEG_TRUNCATED;
	seg_end(ev, a->role, w.off > FM_PATH_MAX ? FM_PATH_MAX : w.off, w.flags);
	return 0;
}

static __always_inline void seg_walk(struct task_struct *task, __u8 role, struct dentry *dentry,
				     struct vfsmount *mnt)
{
	struct walk_args a = { .task = (__u64)task, .dentry = (__u64)dentry, .mnt = (__u64)mnt, .role = role };

	seg_walk_global(&a);
}

/* The file open as fd in task, or NULL.  The fd array is read as plain
 * words (bpf_rdonly_cast to void): no helper call. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = KR(task, files, fdt);
	__u64 f = 0;

	if (!fdt || fd < 0 || fd >= KR(fdt, max_fds))
		return NULL;
#if FM_KLEVEL >= 3
	f = ((const __u64 *)bpf_rdonly_cast(fdt->fd, 0))[fd];
#else
	bpf_probe_read_kernel(&f, sizeof(f), (const __u64 *)KR(fdt, fd) + fd);
#endif
	return f ? kcast(f, struct file) : NULL;
}

/* A segment with the path of file f (NULL: a missing-file segment). */
static __always_inline void seg_walk_file(struct task_struct *task, __u8 role, struct file *f)
{
	if (f)
		seg_walk(task, role, KR(f, f_path.dentry), KR(f, f_path.mnt));
	else
		seg_walk(task, role, NULL, NULL);
}

/* A segment with the path of the file open as fd in task. */
static __always_inline void seg_walk_fd(__u8 role, struct task_struct *task, long fd)
{
	seg_walk_file(task, role, fd_file(task, fd));
}

/* Is (dir, mnt) the directory the file reached lives in?  Then the base
 * need not be walked again: it is the FILE segment's directory. */
static __always_inline int is_parent_of(struct file *reached, struct dentry *dir, struct vfsmount *mnt)
{
	struct dentry *d;

	if (!reached || !dir)
		return 0;
	d = KR(reached, f_path.dentry);
	return d && KR(d, d_parent) == dir && d != dir && KR(reached, f_path.mnt) == mnt;
}

/* A segment with the cwd of task. */
static __always_inline void seg_walk_cwd(__u8 role, struct task_struct *task)
{
	struct fs_struct *fs = KR(task, fs);

	seg_walk(task, role, KR(fs, pwd.dentry), KR(fs, pwd.mnt));
}

/* A string segment from user (user=1) or kernel memory; the data offset of
 * its bytes, or -1 if it could not be read. */
static __always_inline long seg_str(struct fm_event *ev, __u8 role, const void *str, int user)
{
	long at = seg_begin(ev);
	long n;

	if (at < 0)
		return -1;
	if (user) {
		n = bpf_probe_read_user_str(ev->data + (at & FM_DATA_MASK), FM_PATH_MAX, str);
		/* before 6.x the user variant returns 0, not 1, for "" (the
		 * AT_EMPTY_PATH name): the NUL is there all the same */
		if (n == 0) {
			ev->data[at & FM_DATA_MASK] = '\0';
			n = 1;
		}
	} else {
		n = bpf_probe_read_kernel_str(ev->data + (at & FM_DATA_MASK), FM_PATH_MAX, str);
	}
	if (n <= 0) {
		seg_end(ev, role, 0, FM_SEG_UNREADABLE);
		return -1;
	}
	seg_end(ev, role, n, 0);
	return at;
}

struct name_args {
	__u64 task; /* struct task_struct *: the caller */
	__u64 name; /* const char __user * */
	__u64 reached; /* struct file *: what the call opened, or 0 */
	__s64 dirfd;
};

/*
 * A path argument and, if relative, its base (cwd or dirfd): walked, or,
 * when the base is the directory of the file the call reached, just said
 * so.  Global, as seg_walk_global.
 */
__noinline int seg_name_at_global(const struct name_args *a)
{
	struct scratch *sc = scratch_get();
	struct task_struct *task;
	struct file *reached, *dir;
	struct fs_struct *fs;
	struct fm_event *ev;
	long at;

	if (!sc || !a)
		return 0;
	ev = &sc->ev;
	at = seg_str(ev, FM_SEG_NAME, (const char *)a->name, 1);
	if (at < 0 || ev->data[at & FM_DATA_MASK] == '/')
		return 0;
	task = kcast(a->task, struct task_struct);
	reached = a->reached ? kcast(a->reached, struct file) : NULL;
	if ((int)a->dirfd == AT_FDCWD) {
		fs = KR(task, fs);
		if (fs && is_parent_of(reached, KR(fs, pwd.dentry), KR(fs, pwd.mnt))) {
			if (seg_begin(ev) >= 0)
				seg_end(ev, FM_SEG_BASE_PARENT, 0, 0);
			return 0;
		}
		seg_walk_cwd(FM_SEG_BASE, task);
		return 0;
	}
	dir = fd_file(task, (int)a->dirfd);
	if (dir && is_parent_of(reached, KR(dir, f_path.dentry), KR(dir, f_path.mnt))) {
		if (seg_begin(ev) >= 0)
			seg_end(ev, FM_SEG_DIRFD_PARENT, 0, 0);
		return 0;
	}
	seg_walk_file(task, FM_SEG_DIRFD, dir);
	return 0;
}

static __always_inline void seg_name_at(struct task_struct *task, long dirfd, const char *name,
					struct file *reached)
{
	struct name_args a = { .task = (__u64)task, .name = (__u64)name, .reached = (__u64)reached, .dirfd = dirfd };

	seg_name_at_global(&a);
}

#endif /* FILEMOND_PATH_BPF_H */
