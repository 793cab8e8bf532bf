// SPDX-License-Identifier: BSD-2-Clause
/*
 * run.c - "filemond -- CMD": one embedded session tracing a new command.
 *
 * Start is race-free: the child is forked, waits on a gate pipe while the
 * parent puts it in the tracer map, and only then execs; its E and first
 * opens cannot be missed.  The session ends when the root has been reaped
 * and no traced process is left (its refcount, fm_session.nproc, is 0),
 * or early on SIGTERM/SIGHUP (or a second SIGINT: the first reaches CMD
 * from the terminal and filemond waits for the tree to finish).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consumer.h"
#include "filemon_log.h"
#include "session.h"
#include "util.h"

/* How often queued records are written when no wakeup forces it. */
#define POLL_MS 10

struct run {
	struct tracer tracer;
	struct consumer consumer;
	struct filemon_log log;
	int slot;
	int sigfd, epfd;
	sigset_t oldmask;
	pid_t child;
	int child_status;
	bool child_done;
	int stop_signal; /* ended early by this signal */
	int nint;
};

static FILE *open_log(const char *path)
{
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : fcntl(2, F_DUPFD_CLOEXEC, 3);
	FILE *fp;

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "w");
	if (!fp)
		close(fd);
	else
		setvbuf(fp, NULL, _IOFBF, 1 << 16);
	return fp;
}

/* Child: wait at the gate until traced, then become CMD.  Reports exec errno. */
static void __attribute__((noreturn)) child_main(int gate, int errfd, const sigset_t *mask, char *const argv[])
{
	char go;
	int e;

	if (read(gate, &go, 1) != 1)
		_exit(EXIT_FAILURE_FM); /* the parent gave up */
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		e = EIO;
	_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* Fork CMD, attach it, release it.  0, or an exit status on failure. */
static int start_command(struct run *r, char *const argv[])
{
	int gate[2], errp[2], e = 0;
	ssize_t n;

	if (pipe2(gate, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		fm_error("cannot create pipe: %s", strerror(errno));
		return EXIT_FAILURE_FM;
	}
	r->child = fork();
	if (r->child == 0) {
		close(gate[1]);
		close(errp[0]);
		child_main(gate[0], errp[1], &r->oldmask, argv);
	}
	close(gate[0]);
	close(errp[1]);
	if (r->child < 0 || (e = -session_attach(&r->tracer, r->slot, r->child))) {
		fm_error("cannot start traced command: %s", strerror(r->child < 0 ? errno : e));
		close(gate[1]); /* the child reads EOF and exits */
		close(errp[0]);
		return EXIT_FAILURE_FM;
	}
	if (write(gate[1], "g", 1) != 1)
		fm_warn("cannot release traced command: %s", strerror(errno));
	close(gate[1]);
	while ((n = read(errp[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e))
		fm_error("cannot execute '%s': %s", argv[0], strerror(e));
	close(errp[0]);
	return 0;
}

static void reap(struct run *r)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == r->child) {
			r->child_status = status;
			r->child_done = true;
		}
	}
}

static void handle_signals(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(r);
		else if (si.ssi_signo != SIGINT || ++r->nint > 1)
			r->stop_signal = (int)si.ssi_signo;
	}
}

static int event_loop(struct run *r)
{
	for (;;) {
		struct epoll_event ev[2];

		if (epoll_wait(r->epfd, ev, 2, POLL_MS) < 0 && errno != EINTR) {
			fm_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
		consumer_drain(&r->consumer);
		handle_signals(r);
		if (r->stop_signal || (r->child_done && session_nproc(&r->tracer, r->slot) <= 0))
			return 0;
	}
}

static int setup_events(struct run *r)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &r->oldmask))
		return -1;
	r->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->sigfd < 0 || r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->sigfd, &ev))
		return -1;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, consumer_fd(&r->consumer), &ev);
}

/* Close the session, write what is left and the trailer.  The log error, if any. */
static int finish_log(struct run *r, unsigned long long *lost)
{
	struct timeval now;

	consumer_drain(&r->consumer);
	*lost = session_lost(&r->tracer, r->slot) + r->consumer.malformed;
	session_close(&r->tracer, r->slot);
	consumer_drain(&r->consumer); /* records queued before the close */
	gettimeofday(&now, NULL);
	log_lost(&r->log, *lost);
	log_trailer(&r->log, &now);
	return log_finish(&r->log);
}

static int exit_status(const struct run *r, unsigned long long lost)
{
	int status = WIFSIGNALED(r->child_status) ? 128 + WTERMSIG(r->child_status) : WEXITSTATUS(r->child_status);

	if (r->log.iouring)
		fm_warn("%llu processes used io_uring: what they did through it is not in the log", r->log.iouring);
	if (r->stop_signal)
		return 128 + r->stop_signal;
	if (lost || r->log.unresolved) {
		fm_warn("%llu events lost, %llu paths unresolved: the log is incomplete (command exit status %d)",
			lost, r->log.unresolved, status);
		return EXIT_LOST;
	}
	return status;
}

int run_command(const struct run_opts *o, char *const argv[])
{
	struct run r = { .sigfd = -1, .epfd = -1, .slot = -1 };
	struct timeval start;
	unsigned long long lost = 0;
	int ret = EXIT_FAILURE_FM, err;

	r.log.fp = open_log(o->output);
	if (!r.log.fp) {
		fm_error("cannot open log '%s': %s", o->output ? o->output : "<stderr>", strerror(errno));
		return EXIT_FAILURE_FM;
	}
	if (tracer_open(&r.tracer, &o->tracer))
		goto out_log;
	r.slot = session_open(&r.tracer);
	if (r.slot < 0) {
		fm_error("cannot open a session: %s", strerror(-r.slot));
		goto out;
	}
	if ((err = consumer_init(&r.consumer, &r.tracer)) || setup_events(&r)) {
		fm_error("cannot set up the event loop: %s", strerror(err ? -err : errno));
		goto out;
	}
	consumer_set_log(&r.consumer, r.slot, &r.log);
	gettimeofday(&start, NULL);
	log_header(&r.log, getpid(), &start);
	if ((ret = start_command(&r, argv)) || event_loop(&r)) {
		ret = ret ? ret : EXIT_FAILURE_FM;
		goto out;
	}
	if ((err = finish_log(&r, &lost))) {
		fm_error("cannot write log '%s': %s", o->output ? o->output : "<stderr>", strerror(-err));
		ret = EXIT_FAILURE_FM;
		goto out;
	}
	ret = exit_status(&r, lost);
out:
	if (r.consumer.rb)
		consumer_free(&r.consumer);
	tracer_close(&r.tracer);
	if (r.sigfd >= 0)
		close(r.sigfd);
	if (r.epfd >= 0)
		close(r.epfd);
	sigprocmask(SIG_SETMASK, &r.oldmask, NULL);
out_log:
	fclose(r.log.fp);
	return ret;
}
