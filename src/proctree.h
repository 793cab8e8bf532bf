/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PROCTREE_H
#define FILEMOND_PROCTREE_H

#include <sys/types.h>

/*
 * Attach root and all its current descendants with attach(pid, ctx).  New
 * children of attached processes inherit the session in the kernel, so only
 * those forked before their parent was attached can be missed: the scan
 * repeats until a pass attaches nothing new.  Returns root's attach result.
 */
int proctree_attach(pid_t root, int (*attach)(pid_t pid, void *ctx), void *ctx);

#endif
