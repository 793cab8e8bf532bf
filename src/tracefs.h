/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_TRACEFS_H
#define FILEMOND_TRACEFS_H

#include <stddef.h>

struct bpf_link;
struct bpf_program;

/*
 * Look up the ids of tracepoints named "category/event".  ids[i] is set to
 * the id, or -1 if the kernel has no such event.  Works whether or not
 * tracefs is mounted: if it is not, a short-lived helper mounts it in a
 * private mount namespace, so nothing is left mounted.  0 or -errno.
 */
int tracefs_event_ids(const char *const *events, int *ids, size_t n);

/*
 * Attach prog to the classic tracepoint with this id; NULL (errno set) on
 * failure.  If held is not NULL, it receives a second descriptor of the
 * link's perf event, which keeps the event (and the tracepoint registered)
 * after the link is destroyed, until it is closed.
 */
struct bpf_link *tracepoint_attach(struct bpf_program *prog, int id, int *held);

#endif
