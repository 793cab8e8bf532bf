/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_JOB_H
#define FILEMOND_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "result.h"

/*
 * The traced job as the CLI sees it: "-- CMD" (a child it starts) or
 * "--pid PID" (a tree it joins), the signals that end it, and the exit
 * status (cli.c).
 */
struct job {
	pid_t child; /* -- CMD: the command; 0 for --pid */
	int gate_w, err_r; /* the child waits on gate_w; reports exec errno on err_r */
	int child_status;
	bool child_done;
	int sigfd;
	sigset_t oldmask;
	bool blocked; /* oldmask is to be restored */
	int stop_signal; /* SIGTERM, SIGHUP, or a second SIGINT */
	int nint;
};

/* Block the job's signals into a signalfd.  0 or -errno. */
int job_init(struct job *j);
/* Fork CMD, held at a gate until job_release().  0, or an exit status. */
int job_spawn(struct job *j, char *const argv[]);
/* Let the held child exec.  It reports a failed exec itself. */
void job_release(struct job *j, const char *cmd);
/* Read pending signals: reap the child, note stop requests. */
void job_signals(struct job *j);
/* Is the job over, given whether the session has no process left? */
bool job_done(const struct job *j, bool session_empty);
/* filemond's exit status for the job and its session's result; warns on
 * stderr about what is missing from the log. */
int job_exit_status(const struct job *j, const struct session_result *r);
void job_cleanup(struct job *j);

#endif
