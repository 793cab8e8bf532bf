/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_TRACER_H
#define FILEMOND_TRACER_H

#include <stdbool.h>

struct filemond_bpf;
struct bpf_link;

struct tracer_opts {
	unsigned long ring_size; /* bytes, power of two >= page size */
	unsigned int max_procs; /* tracer map capacity */
	bool verbose; /* show libbpf's messages */
};

/* The most BPF programs the object has (checked at open). */
#define TRACER_MAX_PROGS 32

/* The loaded BPF programs, and their links while attached: one per filemond process. */
struct tracer {
	struct filemond_bpf *skel;
	int tp_ids[TRACER_MAX_PROGS]; /* tracepoint ids, resolved at load */
	struct bpf_link *links[TRACER_MAX_PROGS];
	int held[TRACER_MAX_PROGS]; /* links[i]'s perf event, kept past detach (tracer_detach), or -1 */
	int nlinks; /* 0: detached */
	int programs_off; /* readable once the last detach took the programs off, or -1 */
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
/* Detach and free. */
void tracer_close(struct tracer *t);
/* Records dropped in the kernel, all CPUs and kinds. */
unsigned long long tracer_lost(const struct tracer *t);

#endif
