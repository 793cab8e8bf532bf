/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_RESULT_H
#define FILEMOND_RESULT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What a session ended with, as the core computes it: the same numbers
 * reach the CLI whether the session ran in-process or in the daemon (the
 * close reply carries them, protocol.h), so both give the same warnings
 * and the same exit status (job_exit_status).
 */
struct session_result {
	uint64_t lost; /* events dropped: in the kernel, before the log was set, lines not written */
	uint64_t malformed; /* records that failed validation */
	uint64_t unresolved; /* records whose path could not be written whole */
	uint64_t untraced; /* processes that should have been traced and could not be */
	uint64_t iouring; /* processes that used io_uring (what they did through it is not seen) */
};

/* Is the log missing something (the loss exit status)? */
static inline bool result_incomplete(const struct session_result *r)
{
	return r->lost || r->malformed || r->unresolved || r->untraced;
}

#endif
