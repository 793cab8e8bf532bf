// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli.c - "filemond -- CMD" and "filemond --pid PID": one flow over either
 * backend (backend.h).  The log is opened here, as the caller; the command
 * is held at its gate until it is attached (job.c); the session ends when
 * the traced tree is empty (for CMD, once CMD itself has been reaped too)
 * or on a stop signal; the exit status comes from the session's result.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "job.h"
#include "protocol.h"
#include "util.h"

/* The log, opened as the caller: its fd, or -1 after a one-line error. */
static int open_log_fd(const char *output)
{
	int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : fcntl(2, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		fm_error("cannot open log '%s': %s", output ? output : "<stderr>", strerror(errno));
	return fd;
}

/* Attach the job: a held child, or --pid's tree.  0 or an exit status. */
static int attach(struct backend *b, struct job *j, const struct cli_opts *o)
{
	int err;

	if (o->pid) {
		if ((err = b->ops->attach(b, o->pid, true)))
			fm_error("cannot trace pid %d: %s", (int)o->pid, b->ops->strerror(b, -err));
		return err ? EXIT_FAILURE_FM : 0;
	}
	if ((err = job_spawn(j, o->argv)))
		return err;
	if ((err = b->ops->attach(b, j->child, false))) {
		fm_error("cannot trace the command: %s", b->ops->strerror(b, -err));
		return EXIT_FAILURE_FM;
	}
	job_release(j, o->argv[0]);
	return 0;
}

/* Until the job is done or the session cannot go on. */
static void wait_job(struct backend *b, struct job *j)
{
	struct pollfd p[2] = { { .fd = b->fd, .events = POLLIN }, { .fd = j->sigfd, .events = POLLIN } };
	bool empty = false;

	while (!job_done(j, empty)) {
		if (poll(p, 2, b->poll_ms) < 0 && errno != EINTR)
			return;
		if (b->ops->step(b, &empty))
			return;
		job_signals(j);
	}
}

/*
 * The session ended before its trailer: say so in the log itself, through
 * our own copy of its fd, so no consumer takes it for complete (the daemon
 * writes whole lines).
 */
static void mark_incomplete(int log_fd, const char *why)
{
	dprintf(log_fd, "# filemond: the session ended early (%s): the log is incomplete\n", why);
}

/* End the session and turn its result into the exit status. */
static int finish(struct backend *b, struct job *j, int log_fd, const struct cli_opts *o)
{
	const char *where = o->socket_path;
	struct session_result r = { 0 };
	int err = b->ops->close(b, &r);

	if (!err)
		return job_exit_status(j, &r);
	if (err == -ETIMEDOUT) {
		/* The log takes nothing: no line of ours could go there either. */
		fm_error("the daemon on %s ended the session: %s; %llu events lost, the log is incomplete", where,
			 b->ops->strerror(b, -err), (unsigned long long)(r.lost + r.malformed));
		return EXIT_LOST;
	}
	if (err == -ESHUTDOWN) {
		fm_error("the daemon on %s stopped: the log ends here", where);
		return EXIT_FAILURE_FM;
	}
	if (b->broken) {
		mark_incomplete(log_fd, b->ops->strerror(b, -err));
		fm_error("the daemon on %s ended the session: %s", where, b->ops->strerror(b, -err));
		return EXIT_FAILURE_FM;
	}
	fm_error("cannot write log '%s': %s", o->output ? o->output : "<stderr>", strerror(-err));
	return EXIT_FAILURE_FM;
}

static int run(struct backend *b, const struct cli_opts *o)
{
	struct job j;
	int log_fd = open_log_fd(o->output), ret = EXIT_FAILURE_FM, err;

	if (log_fd < 0)
		return EXIT_FAILURE_FM;
	if ((err = job_init(&j))) {
		fm_error("cannot set up signals: %s", strerror(-err));
	} else if ((err = b->ops->set_log(b, log_fd, o->json))) {
		/* the first request: a protocol mismatch shows here */
		if (err == -EPROTONOSUPPORT)
			fm_error("%s", b->ops->strerror(b, -err));
		else
			fm_error("cannot use the log: %s", b->ops->strerror(b, -err));
	} else if (!(ret = attach(b, &j, o))) {
		wait_job(b, &j);
		ret = finish(b, &j, log_fd, o);
	}
	job_cleanup(&j);
	close(log_fd);
	return ret;
}

/* The daemon if it answers (unless --standalone), else this process (unless --connect). */
static struct backend *choose_backend(const struct cli_opts *o)
{
	int sock = o->standalone ? -ENOENT : proto_connect(o->socket_path);

	if (sock >= 0)
		return backend_remote(sock);
	if (o->connect_only) {
		fm_error("no daemon answers on %s: %s (start one with 'filemond --daemon')", o->socket_path,
			 strerror(-sock));
		return NULL;
	}
	if (!o->standalone && geteuid() != 0) {
		fm_error("no daemon answers on %s (start one with 'filemond --daemon'), and tracing alone needs root",
			 o->socket_path);
		return NULL;
	}
	return backend_local(&o->tracer);
}

int cli_trace(const struct cli_opts *o)
{
	struct backend *b = choose_backend(o);
	int ret;

	if (!b)
		return EXIT_FAILURE_FM;
	ret = run(b, o);
	b->ops->free(b);
	return ret;
}

int cli_status(const char *socket_path)
{
	struct fm_reply r;
	char *text = NULL;
	int s = proto_connect(socket_path), err;

	if (s < 0) {
		fm_error("no daemon answers on %s: %s", socket_path, strerror(-s));
		return EXIT_FAILURE_FM;
	}
	err = proto_send_request(s, FM_OP_STATUS, 0, 0, -1);
	if (!err)
		err = proto_recv_reply(s, &r, &text);
	close(s);
	if (err || r.err) {
		fm_error("status from %s: %s", socket_path, strerror(err ? -err : r.err));
		free(text);
		return EXIT_FAILURE_FM;
	}
	fputs(text ? text : "", stdout);
	free(text);
	return 0;
}
