// SPDX-License-Identifier: BSD-2-Clause
/*
 * job_exit_status: the one reader of a session's result, for both
 * backends.  The exit status, and the warning on stderr (captured here).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "job.h"
#include "util.h"

static char warned[1024];

/* The exit status for a command that ended with wait status st (child
 * nonzero) or a --pid tree (child 0); what was warned is in warned[]. */
static int status_of(pid_t child, int st, int stop_signal, struct session_result r)
{
	struct job j = { .child = child, .child_status = st, .child_done = true, .stop_signal = stop_signal };
	FILE *cap = tmpfile();
	int saved = dup(2), ret;
	size_t n;

	fflush(stderr);
	dup2(fileno(cap), 2);
	ret = job_exit_status(&j, &r);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	n = fread(warned, 1, sizeof(warned) - 1, cap);
	warned[n] = '\0';
	fclose(cap);
	return ret;
}

int main(void)
{
	const struct session_result none = { 0 };

	CHECK(status_of(42, 3 << 8, 0, none) == 3);
	CHECK_STR(warned, "");
	CHECK(status_of(42, SIGKILL, 0, none) == 128 + SIGKILL);
	CHECK(status_of(0, 0, 0, none) == 0); /* --pid */

	CHECK(status_of(42, 0, 0, (struct session_result){ .lost = 5 }) == EXIT_LOST);
	CHECK_STR(warned, "filemond: warning: 5 events lost, 0 paths unresolved: the log is incomplete "
			  "(command exit status 0)\n");
	CHECK(status_of(42, 3 << 8, 0, (struct session_result){ .unresolved = 2 }) == EXIT_LOST);
	CHECK_STR(warned, "filemond: warning: 0 events lost, 2 paths unresolved: the log is incomplete "
			  "(command exit status 3)\n");
	CHECK(status_of(0, 0, 0, (struct session_result){ .untraced = 3, .malformed = 1 }) == EXIT_LOST);
	CHECK_STR(warned, "filemond: warning: 0 events lost, 0 paths unresolved, 1 records malformed, "
			  "3 processes untraced: the log is incomplete (command exit status 0)\n");

	/* io_uring: a warning, but the log has what it can have */
	CHECK(status_of(42, 0, 0, (struct session_result){ .iouring = 1 }) == 0);
	CHECK_STR(warned, "filemond: warning: 1 processes used io_uring: what they did through it is not in the log\n");

	/* a stop signal ends a command's run with 128+N, even with loss */
	CHECK(status_of(42, 0, SIGTERM, (struct session_result){ .lost = 1 }) == 128 + SIGTERM);
	/* ...but a --pid run (nothing of ours was killed) still reports the loss */
	CHECK(status_of(0, 0, SIGTERM, (struct session_result){ .lost = 1 }) == EXIT_LOST);
	return check_summary("exit_status");
}
