/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PROTOCOL_H
#define FILEMOND_PROTOCOL_H

#include <stdint.h>
#include <sys/types.h>

#include "result.h"

/*
 * The daemon's socket protocol.  One connection is one session, the
 * equivalent of an open /dev/filemon; requests mirror its ioctls.
 *
 *   SET_FD    the log: an fd passed with SCM_RIGHTS (FILEMON_SET_FD);
 *             EEXIST if set, EBADF if not open for writing
 *   SET_PID   attach pid, detaching the session's earlier processes
 *             (FILEMON_SET_PID); with FM_PID_TREE its descendants too;
 *             ESRCH, EPERM, EBUSY
 *   CLOSE     end the session: trailer written, log closed; the reply
 *             comes once the log is written and carries the session's
 *             result (result.h: lost, malformed, unresolved, untraced,
 *             io_uring)
 *   STATUS    the daemon's sessions as text (no session is opened)
 *
 * Every request gets one reply.  The daemon also sends EMPTY, once, when
 * every process attached to the session has exited, and ENDED when it
 * ended the session itself, after which it closes the connection: err
 * ETIMEDOUT, the log accepted nothing for --log-timeout (sent once its
 * writer gave up; the result says what was lost; the log has no
 * trailer); ESHUTDOWN, the daemon is stopping (sent once the log is
 * written, trailer included).  CLOSE's reply has err ETIMEDOUT when the log
 * timed out during the close.  A malformed request gets an EINVAL reply
 * and the connection is closed.
 *
 * Versions: every request and reply carries FM_PROTO_VERSION; the first
 * 8 bytes (magic, type or op, version) keep their place in every version.
 * A request of another version gets an EPROTONOSUPPORT reply (of the
 * daemon's version) and the connection is closed; a client that reads a
 * reply of another version stops with the same error.  Version 0 is the
 * first protocol, which had no version field (a zero there).  A connection over a limit gets one reply to its first
 * request, then is closed: ENFILE (the daemon has too many connections),
 * EMFILE (this user has), EDQUOT (this user has --user-sessions sessions),
 * EUSERS (--max-sessions), ENOSPC (the tracer map is full: --max-procs).
 */

#define FM_PROTO_MAGIC 0x464d4f4e /* "FMON" */
#define FM_PROTO_VERSION 2
#define FM_DEFAULT_SOCKET "/run/filemond.sock"

enum fm_op {
	FM_OP_SET_FD = 1,
	FM_OP_SET_PID = 2,
	FM_OP_CLOSE = 3,
	FM_OP_STATUS = 4,
};

enum {
	FM_PID_TREE = 1, /* SET_PID */
	FM_LOG_JSON = 2, /* SET_FD: the log in the audit's JSON schema (--format json) */
};

struct fm_request {
	uint32_t magic;
	uint16_t op; /* enum fm_op */
	uint16_t version; /* FM_PROTO_VERSION */
	int32_t pid; /* SET_PID */
	uint32_t flags; /* SET_PID: FM_PID_TREE; SET_FD: FM_LOG_JSON */
};

enum fm_reply_type {
	FM_REPLY = 1, /* the answer to a request */
	FM_NOTE_EMPTY = 2, /* the session's processes have all exited */
	FM_NOTE_ENDED = 3, /* the daemon ended the session (err says why) */
};

struct fm_reply {
	uint32_t magic;
	uint16_t type; /* enum fm_reply_type */
	uint16_t version; /* FM_PROTO_VERSION */
	uint32_t op; /* the request answered */
	int32_t err; /* 0 or an errno */
	uint32_t len; /* bytes of text that follow (STATUS) */
	uint32_t reserved; /* 0 */
	struct session_result result; /* CLOSE and ENDED: what the session lost */
};

_Static_assert(sizeof(struct fm_request) == 16, "fm_request layout");
_Static_assert(__builtin_offsetof(struct fm_request, version) == 6, "fm_request version offset");
_Static_assert(__builtin_offsetof(struct fm_reply, version) == 6, "fm_reply version offset");
_Static_assert(__builtin_offsetof(struct fm_reply, result) == 24, "fm_reply result offset");
_Static_assert(sizeof(struct session_result) == 40, "session_result layout");
_Static_assert(sizeof(struct fm_reply) == 64, "fm_reply layout");

/* Send a request, with fd attached if fd >= 0.  0 or -errno. */
int proto_send_request(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd);
/* Send a reply with an optional result and text.  0 or -errno. */
int proto_send_reply(int sock, uint32_t type, uint32_t op, int err, const struct session_result *res,
		     const char *text);
/* Receive one reply (blocking); *text is malloc'd if len > 0.  0 or -errno
 * (-EPIPE at EOF; -EPROTONOSUPPORT for a reply of another version, whose
 * r->version is set). */
int proto_recv_reply(int sock, struct fm_reply *r, char **text);
/* Send a request and wait for its reply (an EMPTY note on the way sets
 * *empty; an ENDED note is returned as the reply).  r (may be NULL) gets
 * the reply.  0, the daemon's -errno, or -errno of the transport. */
int proto_call(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd, int *empty, struct fm_reply *r);
/* Is a reply (or note) waiting to be read? */
int proto_readable(int sock);
/* Is this a request the daemon understands (its version checked apart)? */
int proto_request_valid(const struct fm_request *req);
/* How proto_recv_request closes extra passed fds (default: close(2)). */
void proto_set_fd_closer(void (*closer)(int));
/* Read request bytes into buf[*have..16) with any passed fd in *fd.
 * 1 when a whole request is there, 0 for more to come, -errno, -EPIPE at EOF. */
int proto_recv_request(int sock, struct fm_request *req, size_t *have, int *fd);
/* Connect to the daemon's socket, waiting at most a few seconds (a daemon
 * whose backlog is full does not hold the caller forever).  The fd or
 * -errno (-ETIMEDOUT). */
int proto_connect(const char *path);

#endif
