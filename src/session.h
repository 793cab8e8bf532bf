/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SESSION_H
#define FILEMOND_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "filemon_log.h"

struct tracer;
struct consumer;

/*
 * A session: the userspace twin of an open /dev/filemon handle.  It owns a
 * slot in the tracer map and a log, and lives until it is closed (the
 * client's connection closes, or the traced tree ends for the CLI).
 */
struct session {
	int slot; /* -1: not open */
	uint32_t gen_first; /* records of generations >= this on the slot are ours */
	struct filemon_log log; /* log.fp is NULL until a log is set */
	pid_t client_pid; /* who opened it: the log's "Target pid" */
	uid_t client_uid;
	bool had_procs; /* something was attached: "empty" now means done */
};

/* Claim a slot.  0, or -EBUSY when every slot is in use. */
int session_open(struct session *s, struct tracer *t, pid_t client_pid, uid_t client_uid);
/* Take fd as the log and write the header.  0; -EEXIST if a log is set;
 * -EBADF if fd is not open for writing. */
int session_set_log(struct session *s, int fd);
/*
 * Attach pid, after detaching every process the session had (FILEMON_SET_PID).
 * With tree, pid's current descendants too.  A process in another session
 * gives -EBUSY unless it is the caller itself (self), which moves here.
 */
int session_attach(struct session *s, struct tracer *t, pid_t pid, pid_t self, bool tree);
/* Does a record from (slot, gen) belong to this session? */
bool session_owns(const struct session *s, uint32_t slot, uint32_t gen);
/* Processes attached and alive. */
int session_nproc(const struct session *s, const struct tracer *t);
/* Something was attached and every such process has exited. */
bool session_empty(const struct session *s, const struct tracer *t);
unsigned long long session_lost(const struct session *s, const struct tracer *t);
/*
 * Detach everything, write the records still queued, the lost count and the
 * trailer, close the log.  *lost gets the events lost.  0 or -errno of a
 * log write error.
 */
int session_close(struct session *s, struct tracer *t, struct consumer *c, unsigned long long *lost);

#endif
