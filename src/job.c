// SPDX-License-Identifier: BSD-2-Clause
/*
 * job.c - the command or tree being traced, from the CLI's side.
 *
 * Race-free start: the child is forked and waits on a gate pipe while the
 * caller attaches it to a session; only then does it exec, so its E and
 * first opens cannot be missed.  A failed exec is reported through a
 * close-on-exec pipe, as the child's own one-line error.
 *
 * Signals: the first SIGINT reaches CMD from the terminal and filemond waits
 * for the tree to finish; SIGTERM, SIGHUP or a second SIGINT end now.
 */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int job_init(struct job *j)
{
	sigset_t mask;

	memset(j, 0, sizeof(*j));
	j->gate_w = j->err_r = j->sigfd = -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &j->oldmask))
		return -errno;
	j->blocked = true;
	j->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return j->sigfd < 0 ? -errno : 0;
}

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

int job_spawn(struct job *j, char *const argv[])
{
	int gate[2], errp[2];

	if (pipe2(gate, O_CLOEXEC))
		goto fail;
	if (pipe2(errp, O_CLOEXEC)) {
		close(gate[0]);
		close(gate[1]);
		goto fail;
	}
	j->child = fork();
	if (j->child == 0) {
		close(gate[1]);
		close(errp[0]);
		child_main(gate[0], errp[1], &j->oldmask, argv);
	}
	close(gate[0]);
	close(errp[1]);
	j->gate_w = gate[1];
	j->err_r = errp[0];
	if (j->child > 0)
		return 0;
fail:
	fm_error("cannot start the command: %s", strerror(errno));
	return EXIT_FAILURE_FM;
}

void job_release(struct job *j, const char *cmd)
{
	ssize_t n;
	int e = 0;

	if (write(j->gate_w, "g", 1) != 1)
		fm_warn("cannot release the command: %s", strerror(errno));
	close(j->gate_w);
	j->gate_w = -1;
	while ((n = read(j->err_r, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e))
		fm_error("cannot execute '%s': %s", cmd, strerror(e));
	close(j->err_r);
	j->err_r = -1;
}

void job_signals(struct job *j)
{
	struct signalfd_siginfo si;

	while (read(j->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int status;
			pid_t p;

			while ((p = waitpid(-1, &status, WNOHANG)) > 0)
				if (p == j->child) {
					j->child_status = status;
					j->child_done = true;
				}
		} else if (si.ssi_signo != SIGINT || ++j->nint > 1 || !j->child) {
			j->stop_signal = (int)si.ssi_signo;
		}
	}
}

bool job_done(const struct job *j, bool session_empty)
{
	return j->stop_signal || ((!j->child || j->child_done) && session_empty);
}

int job_exit_status(const struct job *j, const struct session_result *r)
{
	int st = j->child_status;
	int status = !j->child ? 0 : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	char more[96] = "";

	if (r->iouring)
		fm_warn("%llu processes used io_uring: what they did through it is not in the log",
			(unsigned long long)r->iouring);
	if (j->stop_signal && j->child)
		return 128 + j->stop_signal;
	if (!result_incomplete(r))
		return status;
	if (r->malformed)
		snprintf(more, sizeof(more), ", %llu records malformed", (unsigned long long)r->malformed);
	if (r->untraced)
		snprintf(more + strlen(more), sizeof(more) - strlen(more), ", %llu processes untraced",
			 (unsigned long long)r->untraced);
	fm_warn("%llu events lost, %llu paths unresolved%s: the log is incomplete (command exit status %d)",
		(unsigned long long)r->lost, (unsigned long long)r->unresolved, more, status);
	return EXIT_LOST;
}

void job_cleanup(struct job *j)
{
	if (j->gate_w >= 0)
		close(j->gate_w); /* a held child reads EOF and exits */
	if (j->err_r >= 0)
		close(j->err_r);
	if (j->sigfd >= 0)
		close(j->sigfd);
	if (j->blocked)
		sigprocmask(SIG_SETMASK, &j->oldmask, NULL);
	j->blocked = false;
}
