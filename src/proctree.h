/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PROCTREE_H
#define FILEMOND_PROCTREE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * A scan of a process's current descendants, from
 * /proc/PID/task/TID/children, done in steps so a large tree does not hold
 * the caller's loop.  Each descendant is offered to attach() once (root is
 * the caller's).  New children of attached processes inherit the session
 * in the kernel, so only those forked before their parent was attached can
 * be missed: the scan repeats until a whole pass finds nothing new.  A
 * hash set keeps each pass linear; it grows with the tree, which has no
 * size limit but memory.
 */
struct proctree;

/* NULL if out of memory. */
struct proctree *proctree_new(pid_t root);
/* Scan or attach about budget processes.  1 once the scan is complete, 0
 * if there is more, -ENOMEM if a descendant found could not be kept (the
 * scan cannot be complete). */
int proctree_step(struct proctree *tr, int budget, void (*attach)(pid_t pid, void *ctx), void *ctx);
void proctree_free(struct proctree *tr);

#endif
