// SPDX-License-Identifier: BSD-2-Clause
/*
 * probe_cast.bpf.c - loaded once at start, never attached: does the
 * verifier take bpf_rdonly_cast(ptr, 0), the cast to untyped memory of
 * Linux 6.17+?  The kernel's BTF cannot say (6.2-6.16 have the kfunc but
 * want a struct type); src/tracer.c picks the BPF level from the answer.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(probe_untyped_cast, struct task_struct *parent)
{
	const char *p = bpf_rdonly_cast(parent, 0);

	return p[0];
}
