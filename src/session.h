/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SESSION_H
#define FILEMOND_SESSION_H

#include <sys/types.h>

struct tracer;

/*
 * Sessions: the userspace half of the tracer map (see bpf/tracer.bpf.h).
 * A session is a slot; processes attached to it, and their descendants,
 * are traced into it until it is closed.
 */

/* Claim a free slot.  The slot, or -EBUSY when all are in use. */
int session_open(struct tracer *t);
/* Trace pid (its descendants follow by inheritance).  0 or -errno. */
int session_attach(struct tracer *t, int slot, pid_t pid);
/* Processes attached and alive (the session's refcount). */
int session_nproc(const struct tracer *t, int slot);
/* Records of this session dropped in the kernel. */
unsigned long long session_lost(const struct tracer *t, int slot);
/* Detach every process and stop inheritance; frees the slot. */
void session_close(struct tracer *t, int slot);

#endif
