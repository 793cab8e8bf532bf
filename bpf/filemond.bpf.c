// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * filemond.bpf.c - the hooks.  Each one does the minimum in the traced
 * task: look the process up in the tracer map, fill one record, queue it.
 * Formatting and writing happen in userspace (src/consumer.c), like
 * ktrace's worker thread.
 *
 *   sched_process_fork  (tp_btf)  F, and inheritance of the session
 *   sched_process_exec  (tp_btf)  E
 *   sched_process_exit  (tp_btf)  X, once per process (group_dead)
 *   syscalls/sys_exit_* (tracepoint) R/W, at syscall exit: the result is
 *       known, the arguments are read from the saved user registers, and
 *       the path comes from the new fd, so it is absolute and resolved.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "filemond.h"
#include "tracer.bpf.h"
#include "ring.bpf.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The fixed part of every syscalls/sys_exit_* tracepoint (tracefs format). */
struct syscall_exit_ctx {
	__u64 common;
	int nr;
	long ret;
};

/* Open flags as creat(2) passes them (O_WRONLY | O_CREAT | O_TRUNC). */
#define CREAT_FLAGS 01101

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
	if (!s)
		return 0;
	/* Runs in the parent before the child is woken: the child can make
	 * no syscall untracked, and F is queued before any of its records. */
	if (bpf_map_update_elem(&tracees, &ctgid, &t, BPF_ANY))
		count_lost(s, FM_LOST_UNTRACKED);
	else
		__sync_fetch_and_add(&s->nproc, 1);
	emit_plain(s, FM_FORK, t.session, ptgid, ctgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct fm_tracee t;
	struct fm_session *s = traced(p->tgid, &t);
	struct fm_event *ev;

	if (!s)
		return 0;
	ev = event_begin(FM_EXEC, t.session, p->tgid, 0);
	if (!ev) {
		count_lost(s, FM_LOST_RING);
		return 0;
	}
	path_encode(ev, p, &bprm->file->f_path);
	event_submit(ev, s);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid;
	struct signal_struct *sig;
	struct fm_tracee t;
	struct fm_session *s;
	__u32 code;

	if (!group_dead)
		return 0;
	s = traced(tgid, &t);
	/* Deleting the entry is the once-only token for X. */
	if (!s || bpf_map_delete_elem(&tracees, &tgid))
		return 0;
	/* What waitpid will report: the group exit code if the group was
	 * told to exit, else the leader's own code (it may have left first
	 * through pthread_exit). */
	sig = p->signal;
	if (sig->flags & SIGNAL_GROUP_EXIT)
		code = sig->group_exit_code;
	else
		code = p->group_leader->exit_code;
	emit_plain(s, FM_EXIT, t.session, tgid, code);
	__sync_fetch_and_add(&s->nproc, -1);
	return 0;
}

/* Common tail of the open family: record fd's file with the open flags. */
static __always_inline int on_open(long fd, __u32 flags)
{
	struct fm_tracee t;
	struct fm_session *s;
	struct fm_event *ev;
	__u32 tgid;

	if (fd < 0)
		return 0;
	tgid = current_tgid();
	s = traced(tgid, &t);
	if (!s)
		return 0;
	ev = event_begin(FM_OPEN, t.session, tgid, flags);
	if (!ev) {
		count_lost(s, FM_LOST_RING);
		return 0;
	}
	path_encode_fd(ev, bpf_get_current_task_btf(), fd);
	event_submit(ev, s);
	return 0;
}

static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

SEC("tracepoint/syscalls/sys_exit_open")
int sys_exit_open(struct syscall_exit_ctx *ctx)
{
	if (ctx->ret < 0)
		return 0;
	return on_open(ctx->ret, BPF_CORE_READ(user_regs(), si));
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_openat(struct syscall_exit_ctx *ctx)
{
	if (ctx->ret < 0)
		return 0;
	return on_open(ctx->ret, BPF_CORE_READ(user_regs(), dx));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct syscall_exit_ctx *ctx)
{
	__u64 flags = 0;
	void *how;

	if (ctx->ret < 0)
		return 0;
	/* struct open_how starts with __u64 flags; the kernel already
	 * copied it in, so the page is present. */
	how = (void *)BPF_CORE_READ(user_regs(), dx);
	bpf_probe_read_user(&flags, sizeof(flags), how);
	return on_open(ctx->ret, flags);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int sys_exit_creat(struct syscall_exit_ctx *ctx)
{
	if (ctx->ret < 0)
		return 0;
	return on_open(ctx->ret, CREAT_FLAGS);
}
