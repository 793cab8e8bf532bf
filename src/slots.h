/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SLOTS_H
#define FILEMOND_SLOTS_H

#include <stdint.h>
#include <sys/types.h>

struct tracer;
struct target;

/*
 * Session slots: the userspace half of the tracer map (bpf/tracer.bpf.h).
 * Processes attached to a slot, and their descendants, are traced into it
 * until it is closed or detached.
 */

/* Claim a free slot with its flags (enum fm_session_flag) and process
 * quota (0: none).  The slot, or -EBUSY when all are in use. */
int slot_open(struct tracer *t, uint32_t flags, uint32_t max_procs);
/* The slot's current generation (events carry it). */
uint32_t slot_gen(const struct tracer *t, int slot);
/*
 * Trace the pinned process (its descendants follow by inheritance).  0;
 * -EEXIST if it is already in this slot; -EBUSY if another open slot traces
 * it; -ESRCH if it is gone or exiting; -ENOSPC if the tracer map is full.
 * Permission is the caller's business (access.h).
 */
int slot_attach(struct tracer *t, int slot, const struct target *tg);
/* Which open slot traces pid, or -1. */
int slot_of_pid(const struct tracer *t, pid_t pid);
/* Stop tracing pid in whatever slot has it (a process moving between sessions). */
void slot_forget(struct tracer *t, pid_t pid);
/* Detach every process of the slot; it stays open with a new generation. */
void slot_detach_all(struct tracer *t, int slot);
/* Processes attached and alive (the slot's refcount). */
int slot_nproc(const struct tracer *t, int slot);
/* The slot's records carry the audit segment and its failed calls are
 * recorded (--format json), until it closes. */
void slot_set_json(struct tracer *t, int slot);
/* Records of this slot dropped in the kernel. */
unsigned long long slot_lost(const struct tracer *t, int slot);
/* Detach every process and stop inheritance; frees the slot. */
void slot_close(struct tracer *t, int slot);
/* Tracer-map entries in use, stale ones included (for status and tests). */
int slot_map_entries(const struct tracer *t);

#endif
