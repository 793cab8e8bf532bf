// SPDX-License-Identifier: BSD-2-Clause
/* kernel_features.c - what the running kernel offers the BPF side (see kernel_features.h). */
#include "kernel_features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "probe_cast.skel.h"
#include "util.h"

const char *features_level_text(int level)
{
	switch (level) {
	case 3: return "3 (Linux 6.17+: direct kernel loads, names copied directly)";
	case 2: return "2 (Linux 6.2+: direct kernel loads, names copied by helper)";
	case 1: return "1 (Linux 6.1+: every kernel read by helper)";
	default: return "none";
	}
}

/* Does the verifier take bpf_rdonly_cast(ptr, 0)?  Only a load can tell. */
static bool takes_untyped_cast(void)
{
	libbpf_print_fn_t print = libbpf_set_print(NULL); /* its failure is an answer, not an error */
	struct probe_cast_bpf *p = probe_cast_bpf__open();
	bool ok = p && probe_cast_bpf__load(p) == 0;

	probe_cast_bpf__destroy(p);
	libbpf_set_print(print);
	return ok;
}

/* btf_trace_sched_process_exit is a pointer to (void *, task[, group_dead]). */
static bool exit_passes_group_dead(const struct btf *b)
{
	int id = btf__find_by_name_kind(b, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(b, (unsigned int)id);

	if (t)
		t = btf__type_by_id(b, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(b, t->type);
	return t && btf_is_func_proto(t) && btf_vlen(t) >= 3;
}

/* What the floor (6.1) needs and older kernels lack; NULL if nothing. */
static const char *below_floor(const struct btf *b)
{
	if (btf__find_by_name_kind(b, "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF) < 0)
		return "no BTF-typed sched_process_exec tracepoint (Linux 5.5)";
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		return "no BPF ring buffer (Linux 5.8)";
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) <= 0)
		return "no bpf_task_pt_regs (Linux 5.15)";
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0)
		return "no bpf_loop (Linux 5.17)";
	return NULL;
}

int features_probe(struct kernel_features *f, int forced_level)
{
	struct utsname u;
	struct btf *b;
	const char *missing;
	int best;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	b = btf__load_vmlinux_btf();
	if (!b) {
		fm_error("kernel %s has no BTF (/sys/kernel/btf/vmlinux): filemond needs Linux 6.1 or newer built "
			 "with CONFIG_DEBUG_INFO_BTF", f->release);
		return -1;
	}
	if ((missing = below_floor(b))) {
		fm_error("kernel %s is too old: %s; filemond needs Linux 6.1 or newer", f->release, missing);
		btf__free(b);
		return -1;
	}
	f->exit_group_dead = exit_passes_group_dead(b);
	if (btf__find_by_name_kind(b, "bpf_rdonly_cast", BTF_KIND_FUNC) < 0)
		best = 1;
	else
		best = takes_untyped_cast() ? 3 : 2;
	btf__free(b);
	if (forced_level > best) {
		fm_error("BPF level %d needs a newer kernel than %s, which takes level %d at most", forced_level,
			 f->release, best);
		return -1;
	}
	f->level = forced_level ? forced_level : best;
	/* a level forced below the kernel's takes every fallback of the older
	 * kernels it is for, the exit test of those before 6.16 included */
	if (f->level < best)
		f->exit_group_dead = false;
	return 0;
}
