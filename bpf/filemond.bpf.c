// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * filemond.bpf.c - the hooks.  Each one does the minimum in the traced
 * task: look the process up in the tracer map, fill one record, queue it.
 * Formatting and writing happen in userspace (src/consumer.c), like
 * ktrace's worker thread.
 *
 *   sched_process_fork  (tp_btf)  F, and inheritance of the session
 *   sched_process_exec  (tp_btf)  E: the file executed, the name it was
 *                                 run by, the #! interpreter
 *   sched_process_exit  (tp_btf)  X, once per process (group_dead)
 *   syscalls/sys_exit_* (tracepoint) R W C D M L: two programs (the open
 *       family, the rest) attached to each call's exit tracepoint,
 *       dispatching on the syscall number.
 *       At exit the result is known, the arguments are read from the saved
 *       user registers (x86_64: di si dx r10) and the path strings were
 *       faulted in by the syscall itself.
 *   io_uring/io_uring_submit_req  one warning per process: its io_uring
 *       file operations bypass the syscall tracepoints.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "filemond.h"
#include "fm_syscalls.h"
#include "tracer.bpf.h"
#include "ring.bpf.h"
#include "path.bpf.h"
#include "audit.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The record ABI this object was built with; tracer_load checks it. */
const volatile __u32 abi_version = FM_ABI_VERSION;

/* The fixed part of every syscalls/sys_exit_* tracepoint (tracefs format). */
struct syscall_exit_ctx {
	__u64 common;
	int nr;
	long ret;
};

#define CREAT_FLAGS 01101 /* O_WRONLY | O_CREAT | O_TRUNC, as creat(2) */
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400

/* No session, but the audit records the process: a tracee of no session. */
static __always_inline int audited(__u32 tgid, __u8 kind, struct fm_tracee *t)
{
	if (!audit_mode || tgid == audit_self || (kind && !(audit_kinds & (1U << kind))) || audit_excluded())
		return 0;
	t->session = FM_NO_SESSION;
	t->gen = 0;
	t->flags = 0;
	return 1;
}

/*
 * The child inherits its parent's session.  The child is in its parent's
 * /proc children list before this hook runs, so a --pid scan may attach it
 * first: both sides insert only where no entry exists, and the insert that
 * succeeds is the one that counts the process (a double count would keep
 * the session from ever becoming empty).  A session at its process quota
 * (max_procs), a full map or an entry of another session: the child is not
 * followed, and that counts as loss.
 */
static __always_inline void inherit(struct fm_session *s, struct fm_tracee *t, __u32 child)
{
	struct fm_tracee *v;

	if (s->max_procs && s->nproc[t->gen & 1] >= (int)s->max_procs)
		goto untracked;
	if (bpf_map_update_elem(&tracees, &child, t, BPF_NOEXIST) == 0) {
		__sync_fetch_and_add(&s->nproc[t->gen & 1], 1);
		/* Detached since traced() looked: its sweep may have passed this
		 * key already, so the entry goes now (the map update's lock
		 * orders this read after the insert). */
		if (*(volatile __u32 *)&s->gen != t->gen || *(volatile __u32 *)&s->state != FM_SESSION_OPEN)
			bpf_map_delete_elem(&tracees, &child);
		return;
	}
	v = bpf_map_lookup_elem(&tracees, &child);
	if (v && v->session == t->session && v->gen == t->gen)
		return; /* attached by userspace between clone and here, and counted */
untracked:
	count_lost(s, FM_LOST_UNTRACKED);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	struct fm_tracee t;
	struct fm_session *s;

	if (ctgid == ptgid) /* a new thread, not a new process */
		return 0;
	s = traced(ptgid, &t);
	if (!s && !audited(ptgid, FM_FORK, &t))
		return 0;
	/* Runs in the parent before the child is woken: the child can make
	 * no syscall untracked, and F is queued before any of its records. */
	t.flags = 0;
	if (s)
		inherit(s, &t, ctgid);
	emit_plain(s, FM_FORK, &t, ptgid, ctgid, 0);
	return 0;
}

/* If name is "/dev/fd/N..." (execveat with a dirfd, fexecve), N; else -1. */
static __always_inline long dev_fd_number(struct fm_event *ev, long at)
{
	const char prefix[] = "/dev/fd/";
	long fd = 0;
	int i;

#pragma unroll
	for (i = 0; i < 8; i++)
		if (ev->data[(at + i) & FM_DATA_MASK] != prefix[i])
			return -1;
#pragma unroll
	for (i = 8; i < 16; i++) {
		char c = ev->data[(at + i) & FM_DATA_MASK];

		if (c < '0' || c > '9')
			break;
		fd = fd * 10 + (c - '0');
	}
	return i > 8 ? fd : -1;
}

/*
 * A credential-changing exec (setuid, setgid, file capabilities: the
 * kernel's secureexec) in a session that may not follow it (FreeBSD's
 * filemon_proc_drop without PRIV_DEBUG_DIFFCRED): the process is dropped
 * here, before the new image runs a single instruction.  Its E is still
 * written, then only its X; its children are not inherited.  The entry
 * stays, so the refcount and the X work as for any process.
 */
static __always_inline int drop_at_exec(struct fm_session *s, __u32 tgid, struct linux_binprm *bprm)
{
	struct fm_tracee *v;

	if ((s->flags & FM_SESSION_PRIVILEGED) || !BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec))
		return 0;
	v = bpf_map_lookup_elem(&tracees, &tgid);
	if (v)
		__sync_fetch_and_or(&v->flags, FM_TRACEE_DROPPED);
	return 1;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *binprm)
{
	struct fm_tracee t;
	struct fm_session *s = traced(task->tgid, &t);
	struct linux_binprm *bprm;
	struct task_struct *p;
	struct fm_event *ev;
	long at, fd;
	int drop;

	if (!s && !audited(task->tgid, FM_EXEC, &t))
		return 0;
	p = kcast(task, struct task_struct); /* untrusted: see kcast */
	bprm = kcast(binprm, struct linux_binprm);
	drop = s ? drop_at_exec(s, task->tgid, bprm) : 0;
	ev = event_begin(FM_EXEC, &t, task->tgid, drop ? FM_EXEC_DROPPED : 0);
	if (!ev) {
		count_lost(s, FM_LOST_RING);
		return 0;
	}
	seg_walk_file(p, FM_SEG_FILE, KR(bprm, file));
	at = seg_str(ev, FM_SEG_NAME, KR(bprm, filename), 0);
	if (at >= 0) {
		if (ev->data[at & FM_DATA_MASK] != '/')
			seg_walk_cwd(FM_SEG_BASE, p);
		else if ((fd = dev_fd_number(ev, at)) >= 0)
			seg_walk_fd(FM_SEG_DIRFD, p, fd);
	}
	/* binfmt_script replaces interp with the #! interpreter's name. */
	if (KR(bprm, interp) != KR(bprm, filename))
		seg_str(ev, FM_SEG_INTERP, KR(bprm, interp), 0);
	if (ev->flags & FM_EV_AUDIT)
		seg_argv(ev, p);
	event_submit(ev, s);
	return 0;
}

/* Does sched_process_exit pass group_dead (Linux 6.16+)?  tracer.c sets
 * it from the kernel's BTF; the other branch is dead code to the verifier. */
const volatile bool exit_has_group_dead = true;

/* Is this the exit of the process's last thread?  Before 6.16, do_exit()
 * has counted the thread out of signal->live before the tracepoint (two
 * threads exiting at once may both see 0: the tracer-map delete below is
 * the once-only token either way). */
static __always_inline bool group_dead_of(__u64 *ctx, struct task_struct *p)
{
	if (exit_has_group_dead)
		return ctx[1] != 0;
	return KR(p, signal, live.counter) == 0;
}

SEC("tp_btf/sched_process_exit")
int on_exit(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	struct task_struct *p = kcast(task, struct task_struct); /* untrusted: see kcast */
	__u32 tgid = task->tgid;
	struct signal_struct *sig;
	struct fm_tracee t;
	struct fm_session *s;
	__u32 code;

	if (!group_dead_of(ctx, p))
		return 0;
	s = tracer_entry(tgid, &t); /* a dropped process gets its X too */
	/* Deleting the entry is the once-only token for X. */
	if (s && bpf_map_delete_elem(&tracees, &tgid))
		return 0;
	if (!s && !audited(tgid, FM_EXIT, &t))
		return 0;
	/* What waitpid will report: the group exit code if the group was
	 * told to exit, else the leader's own code (it may have left first
	 * through pthread_exit). */
	sig = KR(p, signal);
	if (KR(sig, flags) & SIGNAL_GROUP_EXIT)
		code = KR(sig, group_exit_code);
	else
		code = KR(p, group_leader, exit_code);
	/* The session's last process: wake the consumer at once, so the end
	 * of the traced tree is seen without waiting for its next poll. */
	if (!s) {
		emit_plain(NULL, FM_EXIT, &t, tgid, code, 0);
		return 0;
	}
	emit_plain(s, FM_EXIT, &t, tgid, code, s->nproc[t.gen & 1] <= 1);
	__sync_fetch_and_add(&s->nproc[t.gen & 1], -1);
	return 0;
}

/*
 * What a syscall hook knows once it has found its process traced.  The
 * task is fetched once, and gives the tgid (no second helper call); the
 * lookup comes next, so an untraced process pays only that; then the saved
 * user registers.
 */
struct hook {
	struct fm_session *s;
	struct fm_tracee t;
	__u32 tgid;
	struct task_struct *task;
	struct pt_regs *regs;
	long ret;
};

/* ret: the call's result; a failed call goes on only for the audit. */
static __always_inline int hook_begin(struct hook *h, long ret)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct task_struct *task = kcast(cur, struct task_struct); /* untrusted: see kcast */

	bool failures = audit_mode && audit_failures;

	if (ret < 0 && !failures && !json_sessions)
		return 0;
	h->task = task;
	h->tgid = KR(task, tgid);
	h->ret = ret;
	h->s = traced(h->tgid, &h->t);
	if (!h->s && !audited(h->tgid, 0, &h->t))
		return 0;
	/* a failed call: for the audit, or for a --format json session */
	if (ret < 0 && !failures && !(h->s && (h->s->flags & FM_SESSION_JSON)))
		return 0;
	h->regs = (struct pt_regs *)bpf_task_pt_regs(cur);
	return 1;
}

static __always_inline struct fm_event *record_begin(struct hook *h, __u8 kind, __u32 aux)
{
	struct fm_event *ev;

	/* the audit's kind filter; a session's records always go */
	if (!h->s && !(audit_kinds & (1U << kind)))
		return NULL;
	ev = event_begin(kind, &h->t, h->tgid, aux);
	if (!ev) {
		count_lost(h->s, FM_LOST_RING);
		return NULL;
	}
	record_set_ret(ev, h->ret);
	return ev;
}

/* R/W: the file behind fd, and the name it was opened by (if any). */
static __always_inline int record_open(struct hook *h, long fd, __u32 flags, long dirfd, const char *name)
{
	struct fm_event *ev = record_begin(h, FM_OPEN, flags);
	struct file *f = NULL;

	if (!ev)
		return 0;
	if (fd >= 0) {
		f = fd_file(h->task, fd);
		if (f && (KR(f, f_mode) & FMODE_CREATED))
			ev->flags |= FM_EV_CREATED;
		seg_walk_file(h->task, FM_SEG_FILE, f);
	}
	if (name)
		seg_name_at(h->task, dirfd, name, f);
	event_submit(ev, h->s);
	return 0;
}

/* D M L: one or two path arguments, each with its base. */
static __always_inline int record_names(struct hook *h, __u8 kind, __u32 aux, long dirfd1, const char *name1,
					long dirfd2, const char *name2)
{
	struct fm_event *ev = record_begin(h, kind, aux);

	if (!ev)
		return 0;
	seg_name_at(h->task, dirfd1, name1, NULL);
	if (name2)
		seg_name_at(h->task, dirfd2, name2, NULL);
	event_submit(ev, h->s);
	return 0;
}

/* L for a symlink: its text as written, and where it was made. */
static __always_inline int record_symlink(struct hook *h, const char *text, long dirfd, const char *name)
{
	struct fm_event *ev = record_begin(h, FM_SYMLINK, 0);

	if (!ev)
		return 0;
	seg_str(ev, FM_SEG_TEXT, text, 1);
	seg_name_at(h->task, dirfd, name, NULL);
	event_submit(ev, h->s);
	return 0;
}

/* C: the new cwd, read back from the task once the call succeeded; for
 * a failed chdir (the audit's), the name it was given. */
static __always_inline int record_chdir(struct hook *h, const char *name)
{
	struct fm_event *ev = record_begin(h, FM_CHDIR, 0);

	if (!ev)
		return 0;
	if (h->ret >= 0)
		seg_walk_cwd(FM_SEG_FILE, h->task);
	else if (name)
		seg_name_at(h->task, AT_FDCWD, name, NULL);
	event_submit(ev, h->s);
	return 0;
}

/* The syscall numbers (include/fm_syscalls.h). */
enum {
#define SYSCALL_NR(name, nr, prog) NR_##name = nr,
	FM_SYSCALLS(SYSCALL_NR)
#undef SYSCALL_NR
};

/* The arguments of a name-only call (D M L): up to two (dirfd, path) pairs. */
struct names {
	__u8 kind;
	__u32 aux;
	long dirfd[2];
	const char *name[2];
};

/* Decode a name-only call; 0 if nr is not one. */
static __always_inline int names_of(int nr, struct pt_regs *r, struct names *n)
{
	n->aux = 0;
	n->name[1] = NULL;
	n->dirfd[0] = n->dirfd[1] = AT_FDCWD;
	switch (nr) {
	case NR_rmdir:
		n->aux = 1;
		/* fall through */
	case NR_unlink:
		n->kind = FM_UNLINK;
		n->name[0] = (const char *)r->di;
		return 1;
	case NR_unlinkat:
		n->kind = FM_UNLINK;
		n->aux = !!(r->dx & AT_REMOVEDIR);
		n->dirfd[0] = r->di;
		n->name[0] = (const char *)r->si;
		return 1;
	case NR_rename:
	case NR_link:
		n->kind = nr == NR_rename ? FM_RENAME : FM_LINK;
		n->name[0] = (const char *)r->di;
		n->name[1] = (const char *)r->si;
		return 1;
	case NR_linkat:
		n->aux = r->r8 & AT_SYMLINK_FOLLOW ? FM_LINK_FOLLOW : 0;
		/* fall through */
	case NR_renameat:
	case NR_renameat2:
		n->kind = nr == NR_linkat ? FM_LINK : FM_RENAME;
		n->dirfd[0] = r->di;
		n->name[0] = (const char *)r->si;
		n->dirfd[1] = r->dx;
		n->name[1] = (const char *)r->r10;
		return 1;
	}
	return 0;
}

/* Decode an open-family call; 0 if nr is not one. */
static __always_inline int open_of(int nr, struct pt_regs *r, __u32 *flags, long *dirfd, const char **name)
{
	__u64 how_flags = 0;

	*dirfd = AT_FDCWD;
	switch (nr) {
	case NR_open:
		*flags = r->si;
		*name = (const char *)r->di;
		return 1;
	case NR_creat:
		*flags = CREAT_FLAGS;
		*name = (const char *)r->di;
		return 1;
	case NR_openat:
		*flags = r->dx;
		*dirfd = r->di;
		*name = (const char *)r->si;
		return 1;
	case NR_openat2:
		/* struct open_how starts with __u64 flags; the syscall read it. */
		bpf_probe_read_user(&how_flags, sizeof(how_flags), (void *)r->dx);
		*flags = how_flags;
		*dirfd = r->di;
		*name = (const char *)r->si;
		return 1;
	case NR_open_by_handle_at:
		*flags = r->dx;
		*name = NULL; /* a handle, no name */
		return 1;
	}
	return 0;
}

/*
 * Two programs, attached at exit to the syscalls they know (the list is
 * include/fm_syscalls.h; src/tracer.c attaches them by id, whatever the
 * SEC name says), dispatching on the syscall number: one for the open
 * family, the hot path, and one for the rest.  Each kind of record is built
 * at one call site, so the verifier checks each once, and start-up loads
 * two programs instead of one per syscall.
 */
SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_open(struct syscall_exit_ctx *ctx)
{
	struct hook h;
	const char *name;
	__u32 flags;
	long dirfd;

	if (!hook_begin(&h, ctx->ret) || !open_of(ctx->nr, h.regs, &flags, &dirfd, &name))
		return 0;
	return record_open(&h, ctx->ret, flags, dirfd, name);
}

/* The audit's attribute calls: mkdir, chmod, chown and their variants. */
struct attr {
	__u8 kind;
	__u32 aux, uid, gid;
	long dirfd, fd;
	const char *name;
};

static __always_inline int attr_of(int nr, struct pt_regs *r, struct attr *a)
{
	a->dirfd = AT_FDCWD;
	a->fd = -1;
	a->name = (const char *)r->di;
	a->uid = r->si;
	a->gid = r->dx;
	switch (nr) {
	case NR_mkdir:
	case NR_chmod:
		a->kind = nr == NR_mkdir ? FM_MKDIR : FM_CHMOD;
		a->aux = r->si;
		return 1;
	case NR_mkdirat:
	case NR_fchmodat:
	case NR_fchmodat2:
		a->kind = nr == NR_mkdirat ? FM_MKDIR : FM_CHMOD;
		a->dirfd = r->di;
		a->name = (const char *)r->si;
		a->aux = r->dx;
		return 1;
	case NR_fchmod:
		a->kind = FM_CHMOD;
		a->fd = r->di;
		a->name = NULL;
		a->aux = r->si;
		return 1;
	case NR_chown:
	case NR_lchown:
		a->kind = FM_CHOWN;
		return 1;
	case NR_fchown:
		a->kind = FM_CHOWN;
		a->fd = r->di;
		a->name = NULL;
		return 1;
	case NR_fchownat:
		a->kind = FM_CHOWN;
		a->dirfd = r->di;
		a->name = (const char *)r->si;
		a->uid = r->dx;
		a->gid = r->r10;
		return 1;
	}
	return 0;
}

static __always_inline int record_attr(struct hook *h, const struct attr *a)
{
	struct fm_event *ev = record_begin(h, a->kind, a->kind == FM_CHOWN ? 0 : a->aux);
	long at;

	if (!ev)
		return 0;
	if (a->kind == FM_CHOWN && (at = seg_begin(ev)) >= 0) {
		__u32 *ids = (__u32 *)(ev->data + (at & FM_DATA_MASK));

		ids[0] = a->uid;
		ids[1] = a->gid;
		seg_end(ev, FM_SEG_OWNER, 8, 0);
	}
	if (a->name)
		seg_name_at(h->task, a->dirfd, a->name, NULL);
	else
		seg_walk_fd(FM_SEG_FILE, h->task, a->fd);
	event_submit(ev, h->s);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int sys_exit_names(struct syscall_exit_ctx *ctx)
{
	struct names n;
	struct attr a;
	struct hook h;

	if (!hook_begin(&h, ctx->ret))
		return 0;
	if (names_of(ctx->nr, h.regs, &n))
		return record_names(&h, n.kind, n.aux, n.dirfd[0], n.name[0], n.dirfd[1], n.name[1]);
	if (ctx->nr == NR_symlink)
		return record_symlink(&h, (const char *)h.regs->di, AT_FDCWD, (const char *)h.regs->si);
	if (ctx->nr == NR_symlinkat)
		return record_symlink(&h, (const char *)h.regs->di, h.regs->si, (const char *)h.regs->dx);
	if (ctx->nr == NR_chdir)
		return record_chdir(&h, (const char *)h.regs->di);
	if (ctx->nr == NR_fchdir)
		return record_chdir(&h, NULL);
	if (audit_mode && attr_of(ctx->nr, h.regs, &a))
		return record_attr(&h, &a);
	return 0;
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int io_uring_submit_req(void *ctx)
{
	__u32 tgid = current_tgid();
	struct fm_tracee *v = bpf_map_lookup_elem(&tracees, &tgid);
	struct fm_tracee t;
	struct fm_session *s;

	if (!v || (v->flags & FM_TRACEE_IOURING_SEEN) || !(s = traced(tgid, &t)))
		return 0;
	__sync_fetch_and_or(&v->flags, FM_TRACEE_IOURING_SEEN);
	emit_plain(s, FM_IOURING, &t, tgid, 0, 0);
	return 0;
}
