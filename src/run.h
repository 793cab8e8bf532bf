/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_RUN_H
#define FILEMOND_RUN_H

#include <sys/types.h>

#include "tracer.h"

struct run_opts {
	const char *output; /* log file, or NULL for standard error */
	pid_t pid; /* --pid: trace this tree; 0: run argv */
	char *const *argv; /* -- CMD */
	struct tracer_opts tracer;
};

/* Open the log as the caller: its fd, or -1 after a one-line error. */
int open_log_fd(const char *output);
/* Trace in this process (needs BPF privileges).  The exit status. */
int run_embedded(const struct run_opts *o);
/* Trace through the daemon on socket sock (connected fd).  The exit status. */
int run_client(int sock, const char *sock_path, const struct run_opts *o);

#endif
