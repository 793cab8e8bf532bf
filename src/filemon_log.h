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
 *
 * Escaping, so one record stays one line: in paths, bytes below 0x20, 0x7f
 * and '\' are written as \ooo (three octal digits); inside the quoted paths
 * of M and L, so is '\''.  Other bytes, spaces and non-UTF-8 included, are
 * written as they are.
 */
struct filemon_log {
	FILE *fp;
	unsigned long long records; /* record lines written */
	unsigned long long unresolved; /* records whose path could not be written whole */
	unsigned long long escaped; /* paths that needed escaping */
	unsigned long long iouring; /* processes that used io_uring */
};

/* Which letters an open with these flags produces (FreeBSD rule: access mode only). */
enum { OPEN_R = 1, OPEN_W = 2 };
int open_records(unsigned long long flags);

void log_header(struct filemon_log *log, pid_t target, const struct timeval *start);
void log_fork(struct filemon_log *log, pid_t parent, pid_t child);
/* wait_status is the raw kernel exit code: X pid <status> <signal>. */
void log_exit(struct filemon_log *log, pid_t pid, unsigned int wait_status);
/* One-path records: C D E R W A. */
void log_path(struct filemon_log *log, char letter, pid_t pid, const char *path);
/* R and/or W as the open flags say. */
void log_open(struct filemon_log *log, pid_t pid, unsigned long long flags, const char *path);
/* Two-path records: M pid 'old' 'new', L pid 'from' 'to'. */
void log_pair(struct filemon_log *log, char letter, pid_t pid, const char *a, const char *b);
/* A record whose path is not whole becomes a comment, never a wrong path. */
void log_unresolved(struct filemon_log *log, char letter, pid_t pid, const char *why);
/* A process the session stops following, and why. */
void log_untraced(struct filemon_log *log, pid_t pid, const char *why);
void log_iouring(struct filemon_log *log, pid_t pid);
/* An unnamed file (O_TMPFILE) made in dir: a comment, no dependency. */
void log_tmpfile(struct filemon_log *log, pid_t pid, const char *dir);
/* An open of a file that has no name, by no name either (a handle). */
void log_unnamed(struct filemon_log *log, pid_t pid);
/* A comment line "# text". */
void log_comment(struct filemon_log *log, const char *text);
void log_lost(struct filemon_log *log, unsigned long long lost);
void log_trailer(struct filemon_log *log, const struct timeval *stop);

#endif
