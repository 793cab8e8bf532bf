/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PROTOCOL_H
#define FILEMOND_PROTOCOL_H

#include <stdint.h>
#include <sys/types.h>

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
 *             comes once the log is written, its value is the number of
 *             events lost, its aux the number of paths unresolved
 *   STATUS    the daemon's sessions as text (no session is opened)
 *
 * Every request gets one reply.  The daemon also sends EMPTY, once, when
 * every process attached to the session has exited, and ENDED when it
 * ended the session itself, after which it closes the connection: err
 * ETIMEDOUT, the log accepted nothing for --log-timeout (sent once its
 * writer gave up; value: events lost; the log has no trailer); ESHUTDOWN,
 * the daemon is stopping (sent once the log is written, trailer included).
 * CLOSE's reply has err ETIMEDOUT when the log timed out during the close.  A malformed request gets an EINVAL reply and the connection
 * is closed.  A connection over a limit gets one reply to its first
 * request, then is closed: ENFILE (the daemon has too many connections),
 * EMFILE (this user has), EDQUOT (this user has --user-sessions sessions),
 * EUSERS (--max-sessions), ENOSPC (the tracer map is full: --max-procs).
 */

#define FM_PROTO_MAGIC 0x464d4f4e /* "FMON" */
#define FM_DEFAULT_SOCKET "/run/filemond.sock"

enum fm_op {
	FM_OP_SET_FD = 1,
	FM_OP_SET_PID = 2,
	FM_OP_CLOSE = 3,
	FM_OP_STATUS = 4,
};

enum { FM_PID_TREE = 1 };

struct fm_request {
	uint32_t magic;
	uint32_t op; /* enum fm_op */
	int32_t pid; /* SET_PID */
	uint32_t flags; /* SET_PID: FM_PID_TREE */
};

enum fm_reply_type {
	FM_REPLY = 1, /* the answer to a request */
	FM_NOTE_EMPTY = 2, /* the session's processes have all exited */
	FM_NOTE_ENDED = 3, /* the daemon ended the session (err says why) */
};

struct fm_reply {
	uint32_t magic;
	uint32_t type; /* enum fm_reply_type */
	uint32_t op; /* the request answered */
	int32_t err; /* 0 or an errno */
	uint64_t value; /* CLOSE: events lost */
	uint32_t len; /* bytes of text that follow (STATUS) */
	uint32_t aux; /* CLOSE: paths unresolved */
};

_Static_assert(sizeof(struct fm_request) == 16, "fm_request layout");
_Static_assert(sizeof(struct fm_reply) == 32, "fm_reply layout");

/* Send a request, with fd attached if fd >= 0.  0 or -errno. */
int proto_send_request(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd);
/* Send a reply with optional text.  0 or -errno. */
int proto_send_reply(int sock, uint32_t type, uint32_t op, int err, uint64_t value, uint32_t aux, const char *text);
/* Receive one reply (blocking); *text is malloc'd if len > 0.  0 or -errno (-EPIPE at EOF). */
int proto_recv_reply(int sock, struct fm_reply *r, char **text);
/* Send a request and wait for its reply (an EMPTY note on the way sets
 * *empty; an ENDED note is returned as the reply).  r (may be NULL) gets
 * the reply.  0, the daemon's -errno, or -errno of the transport. */
int proto_call(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd, int *empty, struct fm_reply *r);
/* Is this a request the daemon understands? */
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
