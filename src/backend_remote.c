// SPDX-License-Identifier: BSD-2-Clause
/*
 * backend_remote.c - the CLI's session run by the daemon: requests over
 * its socket (protocol.h).  The log is opened by the CLI, with the
 * caller's own permissions, and handed over (SET_FD); the daemon says
 * when the traced tree is empty (EMPTY) and, at CLOSE, what was lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "protocol.h"
#include "util.h"

struct remote {
	struct backend b;
	int sock;
	int ended; /* the daemon ended the session: its errno (ENDED) */
	struct session_result result; /* ENDED's */
	bool empty;
	unsigned int peer_version; /* the daemon's, when it is not ours */
	char message[160];
};

/* The daemon's errors that name one of its limits (protocol.h). */
static const char *remote_strerror(struct backend *b, int err)
{
	struct remote *r = (struct remote *)b;

	switch (err) {
	case EUSERS: return "the daemon has no free session (--max-sessions)";
	case EDQUOT: return "this user already has the most sessions the daemon allows one user (--user-sessions)";
	case EMFILE: return "this user already has the most connections the daemon allows one user";
	case ENFILE: return "the daemon has too many connections";
	case ENOSPC: return "the daemon's tracer map is full (--max-procs)";
	case ETIMEDOUT: return "the log accepted nothing for --log-timeout seconds";
	case EIO: return "the daemon could not attach its BPF programs (its own log says why)";
	case EPROTONOSUPPORT:
		if (!r->peer_version) /* it refused ours */
			snprintf(r->message, sizeof(r->message),
				 "the daemon does not speak protocol version %u: use the filemond that came with it",
				 FM_PROTO_VERSION);
		else
			snprintf(r->message, sizeof(r->message),
				 "the daemon speaks protocol version %u, this filemond %u: use the filemond that came with it",
				 r->peer_version, FM_PROTO_VERSION);
		return r->message;
	default: return strerror(err);
	}
}

/* One request and its reply; an EMPTY note on the way is kept. */
static int call(struct remote *r, uint32_t op, pid_t pid, uint32_t flags, int fd, struct fm_reply *rep)
{
	struct fm_reply mine = { 0 };
	int empty = 0, err;

	if (!rep)
		rep = &mine;
	err = proto_call(r->sock, op, pid, flags, fd, &empty, rep);
	r->empty = r->empty || empty;
	if (err == -EPROTONOSUPPORT && rep->version != FM_PROTO_VERSION)
		r->peer_version = rep->version;
	return err;
}

static int remote_set_log(struct backend *b, int fd, bool json)
{
	return call((struct remote *)b, FM_OP_SET_FD, 0, json ? FM_LOG_JSON : 0, fd, NULL);
}

static int remote_attach(struct backend *b, pid_t pid, bool tree)
{
	return call((struct remote *)b, FM_OP_SET_PID, pid, tree ? FM_PID_TREE : 0, -1, NULL);
}

static int remote_step(struct backend *b, bool *empty)
{
	struct remote *r = (struct remote *)b;
	struct fm_reply rep;
	char *text;
	int err;

	*empty = *empty || r->empty;
	if (!proto_readable(r->sock))
		return 0;
	err = proto_recv_reply(r->sock, &rep, &text);
	free(text);
	if (err) {
		b->broken = true;
		return err;
	}
	if (rep.type == FM_NOTE_ENDED) {
		r->ended = rep.err ? rep.err : EIO;
		r->result = rep.result;
		b->broken = r->ended != ESHUTDOWN && r->ended != ETIMEDOUT;
		return -r->ended;
	}
	*empty = r->empty = r->empty || rep.type == FM_NOTE_EMPTY;
	return 0;
}

static int remote_close(struct backend *b, struct session_result *res)
{
	struct remote *r = (struct remote *)b;
	struct fm_reply rep = { 0 };
	int err;

	if (r->ended || b->broken) {
		*res = r->result;
		return -(r->ended ? r->ended : EPIPE);
	}
	err = call(r, FM_OP_CLOSE, 0, 0, -1, &rep);
	*res = rep.result;
	if (rep.type == FM_NOTE_ENDED)
		r->ended = -err;
	else if (rep.type != FM_REPLY)
		b->broken = true; /* the connection failed */
	return err;
}

static void remote_free(struct backend *b)
{
	struct remote *r = (struct remote *)b;

	close(r->sock);
	free(r);
}

static const struct backend_ops remote_ops = {
	.set_log = remote_set_log, .attach = remote_attach, .step = remote_step,
	.close = remote_close, .strerror = remote_strerror, .free = remote_free,
};

struct backend *backend_remote(int sock)
{
	struct remote *r = calloc(1, sizeof(*r));

	if (!r) {
		close(sock);
		fm_error("out of memory");
		return NULL;
	}
	r->b.ops = &remote_ops;
	r->b.fd = r->sock = sock;
	r->b.poll_ms = -1;
	return &r->b;
}
