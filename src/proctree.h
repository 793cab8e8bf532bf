/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PROCTREE_H
#define FILEMOND_PROCTREE_H

#include <sys/types.h>

/*
 * Call attach(pid, ctx) for every current descendant of root (root itself
 * is the caller's).  New children of attached processes inherit the
 * session in the kernel, so only those forked before their parent was
 * attached can be missed: the scan repeats until a pass finds nothing new.
 * Each process is offered once; a set keeps the scan linear.
 */
void proctree_attach_descendants(pid_t root, void (*attach)(pid_t pid, void *ctx), void *ctx);

#endif
