// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor.bpf.c - the floor: the minimal tracer design of
 * ../shared/reference/perf-floor.md ("sys-full-batch"), rebuilt so the
 * benchmark measures on its own machine, in the same run, what any tracer
 * of the right shape pays.  The process tree in a tgid hash filled at fork;
 * one program at the exit of each open-family syscall that looks the
 * process up, reserves a fixed record, reads the path as passed from the
 * saved registers and submits it without a wakeup; exec from
 * sched_process_exec.  No path resolution, no sessions, no loss
 * accounting: what filemond adds on top is its own cost.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "floor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} tree SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

__u64 lost;

struct syscall_exit_ctx {
	__u64 common;
	int nr;
	long ret;
};

enum { NR_openat = 257, NR_openat2 = 437 };

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (ptgid != ctgid && bpf_map_lookup_elem(&tree, &ptgid))
		bpf_map_update_elem(&tree, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit, struct task_struct *task, bool group_dead)
{
	__u32 tgid = task->tgid;

	if (group_dead)
		bpf_map_delete_elem(&tree, &tgid);
	return 0;
}

static __always_inline struct floor_rec *reserve(__u32 kind, __u32 tgid)
{
	struct floor_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	r->kind = kind;
	r->pid = tgid;
	return r;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;
	struct floor_rec *r;

	if (!bpf_map_lookup_elem(&tree, &tgid) || !(r = reserve(FLOOR_EXEC, tgid)))
		return 0;
	bpf_probe_read_kernel_str(r->path, sizeof(r->path), bprm->filename);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_open(struct syscall_exit_ctx *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct floor_rec *r;
	struct pt_regs *regs;
	const char *name;

	if (ctx->ret < 0 || !bpf_map_lookup_elem(&tree, &tgid) || !(r = reserve(FLOOR_OPEN, tgid)))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	name = (const char *)(ctx->nr == NR_openat || ctx->nr == NR_openat2 ? regs->si : regs->di);
	bpf_probe_read_user_str(r->path, sizeof(r->path), name);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}
