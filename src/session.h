/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SESSION_H
#define FILEMOND_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "access.h"
#include "output_filemon.h"
#include "result.h"

struct tracer;
struct proctree;

/*
 * A session: the userspace twin of an open /dev/filemon handle.  It holds
 * a slot of the BPF object's session table (slots.h), the processes
 * attached to it, and its filemon output.  Frontends reach it only through
 * the service (service.h), which keeps the order of its end right.
 */
struct session {
	int slot; /* -1: not open */
	uint32_t gen_first; /* records of generations >= this on the slot are ours */
	struct filemon_output out;
	struct client_cred cred; /* who opened it (cred.pid: the log's "Target pid") */
	bool had_procs; /* something was attached: "empty" now means done */
	struct proctree *scan; /* a tree attach still finding descendants */
	pid_t scan_root;
	unsigned long scan_attached; /* descendants attached by the scan */
	int attach_err; /* the tree attach failed (a credential change, no memory) */
	unsigned long long untraced; /* processes that should have been traced and were not */
	unsigned long long kernel_lost; /* the slot's loss, kept at close */
};

/* Claim a slot; an unprivileged client follows at most max_procs live
 * processes (0: no limit).  0, or -EBUSY when every slot is in use. */
int session_open(struct session *s, struct tracer *t, const struct client_cred *cred, unsigned int max_procs);
/* Take fd as the log and write the header.  0; -EEXIST if a log is set;
 * -EBADF if fd is not open for writing; -EINVAL for a file that is no log
 * (not a regular file, pipe, socket or character device; setid).  done_fd:
 * an eventfd told when the log's writer has finished after a close, or -1.
 * json: JSON lines in the audit's schema, failed calls included (before
 * anything is attached, else -EINVAL). */
int session_set_log(struct session *s, struct tracer *t, int fd, int done_fd, bool json);
/*
 * Attach pid, after detaching every process the session had (FILEMON_SET_PID),
 * if the client may trace it (access.h): -ESRCH, -EPERM.  With tree, a scan
 * of pid's current descendants starts, run by session_scan_step.  A
 * process in another session gives -EBUSY unless it is the caller itself
 * (the process asking: the client on the socket, the ioctl's caller on
 * /dev/filemon, as FreeBSD's curproc), which moves here.
 */
int session_attach(struct session *s, struct tracer *t, pid_t pid, bool tree, pid_t caller);
/*
 * Attach about budget more descendants.  true once no scan is left.  A
 * descendant the client may not trace is left out by design and named in
 * the log; one that cannot be attached (another session has it, the map
 * or the quota is full) is named and counted untraced.  attach_err is set
 * if the attach as a whole failed.
 */
bool session_scan_step(struct session *s, struct tracer *t, int budget);
/* Processes attached and alive. */
int session_nproc(const struct session *s, const struct tracer *t);
/* Something was attached and every such process has exited. */
bool session_empty(const struct session *s, const struct tracer *t);
/* What it has lost so far (t is not used once the session is detached). */
void session_result(const struct session *s, const struct tracer *t, struct session_result *r);
/* Detach everything and free the slot (the records still queued must be
 * drained first and after: service_close does it). */
void session_detach(struct session *s, struct tracer *t);
/* Write the lost count and the trailer; the writer finishes on its own. */
void session_end_log(struct session *s);
/* Is the log written (or given up on)?  True without a log. */
bool session_log_done(const struct session *s);
/* Is what was handed to the log's writer written?  1, 0, or -errno (sink_written). */
int session_log_written(const struct session *s);
/* Give up on a log that accepts nothing: what is not written is lost. */
void session_log_cancel(struct session *s);
/* Wait for the log's writer, free the log, fill r.  0 or the first -errno
 * of a log write. */
int session_finish(struct session *s, struct session_result *r);

#endif
