/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * path.bpf.h - absolute path of a struct path, the way d_path() builds it:
 * walk d_parent up to the task's root, crossing mount points through
 * mnt_mountpoint/mnt_parent.  Names are appended leaf first into the event
 * (see struct fm_event); userspace reverses them.
 *
 * The walk takes no locks (as every BPF path walker): a rename racing with
 * it can yield a mixed path.  Paths longer than FM_PATH_MAX, deeper than
 * the loop bound, or whose memory cannot be read are flagged in
 * path_flags, never cut silently.
 */
#ifndef FILEMOND_PATH_BPF_H
#define FILEMOND_PATH_BPF_H

/* Enough iterations for FM_PATH_MAX of one-letter names plus mount hops. */
#define WALK_MAX_STEPS (FM_PATH_MAX + 64)

struct walk {
	struct dentry *dentry;
	struct vfsmount *mnt;
	struct dentry *mnt_root; /* cached mnt->mnt_root */
	struct dentry *root_dentry; /* the task's root: stop there */
	struct vfsmount *root_mnt;
	__u32 off; /* bytes encoded so far */
	__u8 flags;
	__u8 done;
};

static __always_inline struct mount *real_mount(struct vfsmount *mnt)
{
	return (void *)mnt - bpf_core_field_offset(struct mount, mnt);
}

/* Step to the mount this one is mounted on; 0 at the namespace root. */
static __always_inline int walk_cross_mount(struct walk *w)
{
	struct mount *m = real_mount(w->mnt);
	struct mount *parent = BPF_CORE_READ(m, mnt_parent);
	struct vfsmount *mnt;

	if (!parent || parent == m)
		return 0;
	mnt = (void *)parent + bpf_core_field_offset(struct mount, mnt);

	w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
	w->mnt = mnt;
	w->mnt_root = BPF_CORE_READ(mnt, mnt_root);
	return 1;
}

/* Append one name; 0 when the walk must stop. */
static __always_inline int walk_append(struct walk *w, struct dentry *d)
{
	__u32 zero = 0;
	union scratch *sc = bpf_map_lookup_elem(&scratch, &zero);
	struct qstr name;
	long n;

	if (!sc || bpf_core_read(&name, sizeof(name), &d->d_name)) {
		w->flags |= FM_PATH_UNREADABLE;
		return 0;
	}
	if (w->off + name.len + 1 > FM_PATH_MAX) {
		w->flags |= FM_PATH_TRUNCATED;
		return 0;
	}
	n = bpf_probe_read_kernel_str(sc->ev.path + (w->off & (FM_PATH_MAX - 1)), FM_NAME_MAX, name.name);
	if (n <= 0) {
		w->flags |= FM_PATH_UNREADABLE;
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

	if (d == w->root_dentry && w->mnt == w->root_mnt)
		goto done;
	if (d == w->mnt_root) {
		if (!walk_cross_mount(w))
			goto done;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d || !walk_append(w, d))
		goto done;
	w->dentry = parent;
	return 0;
done:
	w->done = 1;
	return 1;
}

/* Encode the absolute path of p, as seen from task's root, into ev. */
static __always_inline void path_encode(struct fm_event *ev, struct task_struct *task, struct path *p)
{
	struct vfsmount *mnt = BPF_CORE_READ(p, mnt);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct walk w = {};

	w.dentry = BPF_CORE_READ(p, dentry);
	if (!w.dentry || !mnt) {
		ev->path_flags |= FM_PATH_NONE;
		return;
	}
	w.mnt = mnt;
	w.mnt_root = BPF_CORE_READ(mnt, mnt_root);
	w.root_dentry = BPF_CORE_READ(fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(fs, root.mnt);
	bpf_loop(WALK_MAX_STEPS, walk_step, &w, 0);
	if (!w.done)
		w.flags |= FM_PATH_TRUNCATED;
	ev->path_flags |= w.flags;
	ev->path_len = w.off > FM_PATH_MAX ? FM_PATH_MAX : w.off;
}

/* Encode the path of the file open as fd in task. */
static __always_inline void path_encode_fd(struct fm_event *ev, struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds)) {
		ev->path_flags |= FM_PATH_NONE;
		return;
	}
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f) {
		ev->path_flags |= FM_PATH_NONE;
		return;
	}
	path_encode(ev, task, &f->f_path);
}

#endif /* FILEMOND_PATH_BPF_H */
