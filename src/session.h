/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SESSION_H
#define FILEMOND_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "access.h"
#include "filemon_log.h"

struct tracer;
struct consumer;
struct log_sink;
struct proctree;

/*
 * A session: the userspace twin of an open /dev/filemon handle.  It owns a
 * slot in the tracer map and a log, and lives until it is closed (the
 * client's connection closes, or the traced tree ends for the CLI).
 */
struct session {
	int slot; /* -1: not open */
	uint32_t gen_first; /* records of generations >= this on the slot are ours */
	struct filemon_log log; /* log.fp is NULL until a log is set, and after close */
	struct log_sink *sink; /* log.fp's queue and writer; outlives the slot */
	struct client_cred cred; /* who opened it (cred.pid: the log's "Target pid") */
	bool had_procs; /* something was attached: "empty" now means done */
	struct proctree *scan; /* a tree attach still finding descendants */
	int attach_err; /* a descendant's credentials changed during the attach: it failed */
	unsigned long long malformed; /* its records that failed validation */
	unsigned long long before_log; /* its records that came before a log was set */
	unsigned long long kernel_lost; /* the slot's loss, kept at close */
};

/* Claim a slot for a client; an unprivileged one follows at most max_procs
 * live processes (0: no limit).  0, or -EBUSY when every slot is in use. */
int session_open(struct session *s, struct tracer *t, const struct client_cred *cred, unsigned int max_procs);
/* Take fd as the log and write the header.  0; -EEXIST if a log is set;
 * -EBADF if fd is not open for writing; -EINVAL for a file that is no log
 * (not a regular file, pipe, socket or character device).  done_fd: an
 * eventfd told when the log's writer has finished after a close, or -1. */
int session_set_log(struct session *s, int fd, int done_fd);
/*
 * Attach pid, after detaching every process the session had (FILEMON_SET_PID),
 * if the client may trace it (access.h): -ESRCH, -EPERM.  With tree, a scan
 * of pid's current descendants starts, run by session_scan_step: each is
 * checked the same way, and those the client may not trace are left out.
 * A process in another session gives -EBUSY unless it is the client
 * itself, which moves here.
 */
int session_attach(struct session *s, struct tracer *t, pid_t pid, bool tree);
/* Attach about budget more descendants.  true once no scan is left; the
 * tree attach then failed if attach_err is set. */
bool session_scan_step(struct session *s, struct tracer *t, int budget);
/* Does a record from (slot, gen) belong to this session? */
bool session_owns(const struct session *s, uint32_t slot, uint32_t gen);
/* Processes attached and alive. */
int session_nproc(const struct session *s, const struct tracer *t);
/* Something was attached and every such process has exited. */
bool session_empty(const struct session *s, const struct tracer *t);
/* Events lost so far: in the kernel, malformed, before the log, not written. */
unsigned long long session_lost(const struct session *s, const struct tracer *t);
/* Hand the lines formatted so far to the log's writer. */
void session_flush(struct session *s);
/*
 * End the session: detach everything, write the records still queued, the
 * lost count and the trailer, and let the log's writer finish (it may take
 * a while on a slow log: session_log_done says when).  The slot is free at
 * once.
 */
void session_close(struct session *s, struct tracer *t, struct consumer *c);
/* Is the log written (or given up on)?  True without a log. */
bool session_log_done(const struct session *s);
/* Give up on a log that accepts nothing: what is not written is lost. */
void session_log_cancel(struct session *s);
/* Wait for the log's writer (a daemon asks session_log_done first), free
 * the log; *lost gets the events lost in all.  0 or the first -errno of a
 * log write. */
int session_finish(struct session *s, unsigned long long *lost);

#endif
