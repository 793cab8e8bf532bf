// SPDX-License-Identifier: BSD-2-Clause
/*
 * run.c - "filemond -- CMD" and "filemond --pid PID" with an embedded
 * session: the BPF programs loaded in this process, one session, one log.
 * The session ends when the traced tree is empty (for CMD, once CMD itself
 * has been reaped too) or on a stop signal (job.c).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "consumer.h"
#include "job.h"
#include "session.h"
#include "util.h"

#define POLL_MS 10

int open_log_fd(const char *output)
{
	int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : fcntl(2, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		fm_error("cannot open log '%s': %s", output ? output : "<stderr>", strerror(errno));
	return fd;
}

struct run {
	struct tracer tracer;
	struct consumer consumer;
	struct session sess;
	struct job job;
	int epfd;
};

static int setup(struct run *r, const struct run_opts *o, int log_fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct client_cred self;
	int err;

	client_cred_self(&self);
	if (tracer_open(&r->tracer, &o->tracer))
		return -1;
	if ((err = consumer_init(&r->consumer, &r->tracer)) || (err = session_open(&r->sess, &r->tracer, &self, 0)) ||
	    (err = session_set_log(&r->sess, log_fd, -1)) || (err = job_init(&r->job))) {
		fm_error("cannot set up the session: %s", strerror(-err));
		return -1;
	}
	consumer_set_session(&r->consumer, r->sess.slot, &r->sess);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->job.sigfd, &ev) ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, consumer_fd(&r->consumer), &ev)) {
		fm_error("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Attach the job: a held child, or --pid's tree.  0 or an exit status. */
static int attach(struct run *r, const struct run_opts *o)
{
	int err;

	if (o->pid) {
		err = session_attach(&r->sess, &r->tracer, o->pid, true);
		while (!err && !session_scan_step(&r->sess, &r->tracer, 1 << 20))
			;
		if (err)
			fm_error("cannot trace pid %d: %s", (int)o->pid, strerror(-err));
		return err ? EXIT_FAILURE_FM : 0;
	}
	if ((err = job_spawn(&r->job, o->argv)))
		return err;
	err = session_attach(&r->sess, &r->tracer, r->job.child, false);
	if (err) {
		fm_error("cannot trace the command: %s", strerror(-err));
		return EXIT_FAILURE_FM;
	}
	job_release(&r->job, o->argv[0]);
	return 0;
}

static void wait_job(struct run *r)
{
	while (!job_done(&r->job, session_empty(&r->sess, &r->tracer))) {
		struct epoll_event ev[2];

		epoll_wait(r->epfd, ev, 2, POLL_MS);
		consumer_drain(&r->consumer);
		job_signals(&r->job);
	}
}

int run_embedded(const struct run_opts *o)
{
	struct run r = { .epfd = -1, .sess = { .slot = -1 } };
	unsigned long long lost = 0;
	int log_fd = open_log_fd(o->output);
	int ret = EXIT_FAILURE_FM, err;

	r.job.sigfd = r.job.gate_w = r.job.err_r = -1;
	if (log_fd < 0)
		return EXIT_FAILURE_FM;
	if (setup(&r, o, log_fd) || (ret = attach(&r, o)))
		goto out;
	wait_job(&r);
	session_close(&r.sess, &r.tracer, &r.consumer);
	if ((err = session_finish(&r.sess, &lost))) {
		fm_error("cannot write log '%s': %s", o->output ? o->output : "<stderr>", strerror(-err));
		ret = EXIT_FAILURE_FM;
		goto out;
	}
	ret = job_exit_status(&r.job, lost, r.sess.log.unresolved, r.sess.log.iouring);
out:
	session_close(&r.sess, &r.tracer, &r.consumer);
	session_finish(&r.sess, &lost);
	if (r.consumer.rb)
		consumer_free(&r.consumer);
	tracer_close(&r.tracer);
	job_cleanup(&r.job);
	if (r.epfd >= 0)
		close(r.epfd);
	close(log_fd);
	return ret;
}
