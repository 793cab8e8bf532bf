/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_CLI_H
#define FILEMOND_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "tracer.h"

struct cli_opts {
	const char *output; /* log file, or NULL for standard error */
	pid_t pid; /* --pid: trace this tree; 0: run argv */
	char *const *argv; /* -- CMD */
	const char *socket_path;
	bool connect_only, standalone;
	bool json; /* --format json */
	struct tracer_opts tracer;
};

/* "filemond -- CMD" and "--pid PID": through the daemon if it answers,
 * else in this process.  The exit status. */
int cli_trace(const struct cli_opts *o);
/* "filemond --status": print the daemon's sessions.  The exit status. */
int cli_status(const char *socket_path);

#endif
