// SPDX-License-Identifier: BSD-2-Clause
/*
 * client.c - "filemond -- CMD" and "--pid PID" through the daemon: the
 * log is opened here, with the caller's own permissions, and handed over
 * (SET_FD); the command is held at its gate until the daemon has attached
 * it (SET_PID); the daemon says when the traced tree is empty; CLOSE makes
 * it write the trailer and reports what was lost.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "protocol.h"
#include "run.h"
#include "util.h"

/* The daemon's errors that name one of its limits (protocol.h). */
static const char *daemon_error(int err)
{
	switch (err) {
	case EUSERS: return "the daemon has no free session (--max-sessions)";
	case EDQUOT: return "this user already has the most sessions the daemon allows one user (--user-sessions)";
	case EMFILE: return "this user already has the most connections the daemon allows one user";
	case ENFILE: return "the daemon has too many connections";
	case ENOSPC: return "the daemon's tracer map is full (--max-procs)";
	case ETIMEDOUT: return "the log accepted nothing for --log-timeout seconds";
	default: return strerror(err);
	}
}

static int request(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd, bool *empty, struct fm_reply *r)
{
	int e = 0, err = proto_call(sock, op, pid, flags, fd, &e, r);

	*empty = *empty || e;
	return err;
}

/*
 * The daemon went away (or ended the session) before the trailer: say so
 * in the log itself, through our own copy of its fd, so no consumer takes
 * it for complete.  The daemon writes whole lines.
 */
static void mark_incomplete(int log_fd, int err)
{
	dprintf(log_fd, "# filemond: the daemon ended the session early (%s): the log is incomplete\n",
		daemon_error(err));
}

/* Wait for the job and the daemon's EMPTY note.  0, or -errno: the
 * connection failed, or the daemon ended the session (ENDED). */
static int wait_job(int sock, struct job *j, bool *empty, uint64_t *lost)
{
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = j->sigfd, .events = POLLIN } };

	while (!job_done(j, *empty)) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents) {
			struct fm_reply r;
			char *text;
			int err = proto_recv_reply(sock, &r, &text);

			free(text);
			if (err)
				return err;
			if (r.type == FM_NOTE_ENDED) {
				*lost = r.value;
				return -(r.err ? r.err : EIO);
			}
			*empty = *empty || r.type == FM_NOTE_EMPTY;
		}
		job_signals(j);
	}
	return 0;
}

/* Attach the job through the daemon.  0 or an exit status. */
static int attach(int sock, struct job *j, const struct run_opts *o, bool *empty)
{
	int err;

	if (o->pid) {
		err = request(sock, FM_OP_SET_PID, o->pid, FM_PID_TREE, -1, empty, NULL);
		if (err)
			fm_error("cannot trace pid %d: %s", (int)o->pid, daemon_error(-err));
		return err ? EXIT_FAILURE_FM : 0;
	}
	if ((err = job_spawn(j, o->argv)))
		return err;
	err = request(sock, FM_OP_SET_PID, j->child, 0, -1, empty, NULL);
	if (err) {
		fm_error("cannot trace the command: %s", daemon_error(-err));
		return EXIT_FAILURE_FM;
	}
	job_release(j, o->argv[0]);
	return 0;
}

int run_client(int sock, const char *sock_path, const struct run_opts *o)
{
	struct fm_reply r = { 0 };
	struct job j;
	bool empty = false;
	uint64_t lost = 0;
	int log_fd = open_log_fd(o->output), ret = EXIT_FAILURE_FM, err;

	if (log_fd < 0 || (err = job_init(&j))) {
		if (log_fd >= 0)
			fm_error("cannot set up signals: %s", strerror(-err));
		goto out_sock;
	}
	if ((err = request(sock, FM_OP_SET_FD, 0, 0, log_fd, &empty, NULL))) {
		fm_error("daemon on %s refused the log: %s", sock_path, daemon_error(-err));
		goto out;
	}
	if ((ret = attach(sock, &j, o, &empty)))
		goto out;
	ret = EXIT_FAILURE_FM;
	err = wait_job(sock, &j, &empty, &lost);
	if (!err)
		err = request(sock, FM_OP_CLOSE, 0, 0, -1, &empty, &r);
	if (r.type == FM_NOTE_ENDED || (r.type == FM_REPLY && err == -ETIMEDOUT))
		lost = r.value;
	if (err == -ETIMEDOUT) {
		/* The log takes nothing: no line of ours could go there either. */
		fm_error("the daemon on %s ended the session: %s; %llu events lost, the log is incomplete", sock_path,
			 daemon_error(-err), (unsigned long long)lost);
		ret = EXIT_LOST;
	} else if (r.type == FM_REPLY && err) {
		fm_error("cannot write the log: %s", strerror(-err));
	} else if (r.type == FM_REPLY) {
		ret = job_exit_status(&j, r.value, r.aux, 0);
	} else if (err == -ESHUTDOWN) {
		fm_error("the daemon on %s stopped: the log ends here", sock_path);
	} else {
		mark_incomplete(log_fd, -err);
		fm_error("the daemon on %s ended the session: %s", sock_path, strerror(-err));
	}
out:
	job_cleanup(&j);
out_sock:
	if (log_fd >= 0)
		close(log_fd);
	close(sock);
	return ret;
}
