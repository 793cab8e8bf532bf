/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_TRACER_H
#define FILEMOND_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel_features.h"

struct filemond_bpf;
struct bpf_link;
struct bpf_map;
struct fm_session;
struct fm_audit_id_rule;

struct tracer_opts {
	unsigned long ring_size; /* bytes, power of two >= page size */
	unsigned int max_procs; /* tracer map capacity */
	bool verbose; /* show libbpf's messages */
	int level; /* BPF level to use (kernel_features.h); 0: the best the kernel takes */
	bool audit; /* record every process, with struct fm_audit (the audit service) */
	bool audit_failures; /* with audit: failed calls too */
	uint32_t audit_kinds; /* with audit: the kinds recorded, 1 << enum fm_kind */
	const struct fm_audit_id_rule *audit_id_rules; /* with audit: the rules on uid and loginuid */
	size_t n_audit_id_rules;
	const int *audit_cgroup_fds; /* with audit: the cgroup rules the kernel applies */
	const bool *audit_cgroup_include;
	size_t n_audit_cgroups;
};

/* The most links (and tracepoint ids) a tracer keeps: checked at compile time and at attach. */
#define TRACER_MAX_PROGS 32

/* The loaded BPF programs, and their links while attached: one per filemond process. */
struct tracer {
	struct filemond_bpf *skel;
	int tp_ids[TRACER_MAX_PROGS]; /* tracepoint ids, resolved at load */
	struct bpf_link *links[TRACER_MAX_PROGS];
	int held[TRACER_MAX_PROGS]; /* links[i]'s perf event, kept past detach (tracer_detach), or -1 */
	int nlinks; /* 0: detached */
	int programs_off; /* readable once the last detach took the programs off, or -1 */
	struct kernel_features features; /* what the kernel offers, and the level in use */
	const char *iouring_tp; /* the io_uring tracepoint attached, or NULL */
	bool audit; /* loaded for the audit: the ATTR syscalls are attached too */
};

/* Open, size and load, without attaching.  0, or -1 after printing one line why. */
int tracer_load(struct tracer *t, const struct tracer_opts *o);
/* Attach every program.  0, or -1 after printing one line why. */
int tracer_attach(struct tracer *t);
/* Detach.  Returns at once: a child ("filemond-linger") takes the programs
 * off and releases the tracepoints later, so neither this process nor
 * another filemond attaching meanwhile waits for the kernel. */
void tracer_detach(struct tracer *t);
/* main() of "filemond-linger --linger NLINKS NHELD" (tracer_detach's child). */
int tracer_linger_main(int argc, char **argv);
/* Load and attach. */
int tracer_open(struct tracer *t, const struct tracer_opts *o);
/* The audit's kernel-side filters (tracer_opts' audit_*), at load and at a
 * reload.  0, or -1 after a one-line error. */
int tracer_set_audit_filter(struct tracer *t, uint32_t kinds, bool failures,
			    const struct fm_audit_id_rule *ex, size_t n);
/* The audit's cgroup rules for the kernel: n directories (fds, which the
 * caller closes after) and whether each is an include rule. */
int tracer_set_audit_cgroups(struct tracer *t, const int *fds, const bool *include, size_t n);
/* Detach and free. */
void tracer_close(struct tracer *t);
/* The object's parts, for the modules that use them (nothing else sees the skeleton):
 * the ring (consumer.c), the tracer map and the session table (slots.c). */
int tracer_ring_fd(const struct tracer *t);
const struct bpf_map *tracer_tracees(const struct tracer *t);
struct fm_session *tracer_sessions(const struct tracer *t);
/* The count of FM_SESSION_JSON slots the hooks read. */
uint32_t *tracer_json_sessions(const struct tracer *t);
/* Records dropped in the kernel, all CPUs and kinds. */
unsigned long long tracer_lost(const struct tracer *t);

#endif
