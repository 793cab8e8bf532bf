/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_DAEMON_H
#define FILEMOND_DAEMON_H

#include "tracer.h"

struct daemon_opts {
	const char *socket_path;
	int max_sessions;
	int user_sessions; /* most sessions of one non-root uid */
	int log_timeout_s; /* a log that accepts nothing this long ends its session */
	struct tracer_opts tracer;
};

/* filemond --daemon: serve sessions until SIGTERM/SIGINT/SIGHUP.  The exit status. */
int daemon_run(const struct daemon_opts *o);
/* filemond --status: print the daemon's sessions.  The exit status. */
int daemon_status(const char *socket_path);

#endif
