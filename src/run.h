/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_RUN_H
#define FILEMOND_RUN_H

#include "tracer.h"

struct run_opts {
	const char *output; /* log file, or NULL for standard error */
	struct tracer_opts tracer;
};

/* filemond -- CMD: trace CMD's whole tree into a log.  Returns the exit status. */
int run_command(const struct run_opts *o, char *const argv[]);

#endif
