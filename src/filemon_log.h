/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_FILEMON_LOG_H
#define FILEMOND_FILEMON_LOG_H

#include <stdio.h>
#include <sys/time.h>
#include <sys/types.h>

/*
 * The filemon version 5 log writer: one line per record, "<L> <pid> <data>\n",
 * header and trailer as FreeBSD filemon(4) writes them.  Every line ends in
 * '\n' and none is empty, which is what bmake and meta2deps require.
 */
struct filemon_log {
	FILE *fp;
	unsigned long long records; /* record lines written */
	unsigned long long unresolved; /* records whose path could not be written whole */
};

/* Which letters an open with these flags produces (FreeBSD rule: access mode only). */
enum { OPEN_R = 1, OPEN_W = 2 };
int open_records(unsigned int flags);

void log_header(struct filemon_log *log, pid_t target, const struct timeval *start);
void log_fork(struct filemon_log *log, pid_t parent, pid_t child);
void log_exec(struct filemon_log *log, pid_t pid, const char *path);
/* wait_status is the raw kernel exit code: X pid <status> <signal>. */
void log_exit(struct filemon_log *log, pid_t pid, unsigned int wait_status);
void log_open(struct filemon_log *log, pid_t pid, unsigned int flags, const char *path);
/* A record whose path is not whole becomes a comment, never a wrong path. */
void log_unresolved(struct filemon_log *log, char letter, pid_t pid, const char *why);
void log_lost(struct filemon_log *log, unsigned long long lost);
void log_trailer(struct filemon_log *log, const struct timeval *stop);
/* Flush; 0 or -errno of the first write error. */
int log_finish(struct filemon_log *log);

#endif
