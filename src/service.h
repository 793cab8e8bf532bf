/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SERVICE_H
#define FILEMOND_SERVICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "consumer.h"
#include "result.h"
#include "session.h"
#include "tracer.h"

/*
 * The session service: the one core every frontend drives (the CLI's
 * in-process backend, the daemon's socket, /dev/filemon).  The audit is
 * not a session: it is an output of the same consumer (service_opts.audit),
 * fed every record.  It owns the BPF object and the ring consumer, knows
 * every open session, and keeps in one place what a session may do:
 *
 *   open      with the client's credentials; limits: --max-sessions, and
 *             for users other than root --user-sessions, an eighth of the
 *             slots kept for root, and a process quota per session
 *   set_log   the client's fd (session_set_log)
 *   attach    ptrace's rule per process (access.h), EBUSY, trees in steps
 *   close     detach, write what is queued, end the log -> the result
 *
 * Lifetime (the vmspace hold/drop seed): the consumer routes a slot's
 * records to its session's output until the last record queued before
 * the slot was freed has been written; a later session on the slot is
 * told apart by generation.  The programs are attached while sessions
 * exist, and detached after IDLE_DETACH_MS without one; with the audit
 * (every process recorded, every record also to the audit's output) they
 * are attached from the load on and stay.
 */
struct service_opts {
	struct tracer_opts tracer;
	int max_sessions; /* at most FM_MAX_SESSIONS */
	int user_sessions; /* most open sessions of one uid other than root */
	struct audit *audit; /* the audit service's output (tracer.audit set), or NULL */
};

struct service {
	const struct service_opts *o;
	struct tracer tracer;
	struct consumer consumer;
	struct session *open[FM_MAX_SESSIONS]; /* by slot */
	int nsessions;
	long long idle_since_ms;
};

/* Load the BPF object (not attached) and set up the consumer.  0, or -1
 * after a one-line error. */
int service_load(struct service *svc, const struct service_opts *o);
/* An fd that polls readable when records are waiting. */
int service_ring_fd(const struct service *svc);
/* Write out the records queued; true if the audit's writer is behind and
 * some were left in the ring for later (back-pressure, consumer.h). */
bool service_drain(struct service *svc);
/* Everything, waiting up to ms for a writer behind (the end of a run). */
void service_drain_all(struct service *svc, long long ms);
/* Open s for cred.  0; -EUSERS (no slot for it), -EDQUOT (its user's
 * limit), -EIO (the programs could not be attached). */
int service_open(struct service *svc, struct session *s, const struct client_cred *cred);
int service_set_log(struct service *svc, struct session *s, int fd, int done_fd, bool json);
int service_attach(struct service *svc, struct session *s, pid_t pid, bool tree, pid_t caller);
/* Hand everything s's processes did so far to its log's writer (a
 * /dev/filemon close: the reader looks next); session_log_written tells
 * when it is written. */
void service_sync(struct service *svc, struct session *s);
/* Go on with a tree attach (session_scan_step); true once done. */
bool service_scan_step(struct service *svc, struct session *s, int budget);
/* Something was attached and it has all exited (its records written). */
bool service_empty(struct service *svc, struct session *s);
/* End the session: the slot is free at once; the log's writer finishes
 * on its own (session_log_done), then session_finish gives the result. */
void service_close(struct service *svc, struct session *s);
/* Detach the programs after a while without sessions. */
void service_idle(struct service *svc);
/* --status as text (malloc'd): root sees every session, others their own. */
char *service_status(struct service *svc, const struct client_cred *asker);
/* NULL-safe after a failed load; closes nothing a client still holds. */
void service_free(struct service *svc);

#endif
