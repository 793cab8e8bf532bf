/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_KERNEL_FEATURES_H
#define FILEMOND_KERNEL_FEATURES_H

#include <stdbool.h>

/*
 * What the running kernel offers the BPF side, probed once at start from
 * its BTF (and one probe load), the way libbpf-tools' probes do:
 *
 *   level            which embedded object loads (bpf/path.bpf.h): 3 on
 *                    6.17+ (the untyped bpf_rdonly_cast), 2 on 6.2-6.16
 *                    (bpf_rdonly_cast of structs), 1 on 6.1 (helper reads)
 *   exit_group_dead  sched_process_exit passes group_dead (6.16+); else
 *                    the exit hook reads signal->live
 *
 * The floor is Linux 6.1 with BTF: below it, one line names what is
 * missing.  The io_uring tracepoint's two names are tracer.c's business.
 */
struct kernel_features {
	int level;
	bool exit_group_dead;
	char release[65]; /* uname -r */
};

#define FEATURES_LEVEL_MAX 3

/* Probe; forced_level (1-3, 0: the best the kernel takes) overrides the
 * level, if the kernel can take it, and then also uses the exit test of
 * the kernels before 6.16.  0, or -1 after a one-line error. */
int features_probe(struct kernel_features *f, int forced_level);
/* "3 (Linux 6.17+: direct loads, names copied directly)" etc. */
const char *features_level_text(int level);

#endif
