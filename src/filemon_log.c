// SPDX-License-Identifier: BSD-2-Clause
/*
 * filemon_log.c - the filemon v5 text format.  Consumers (bmake's meta
 * mode, meta2deps.py/.sh) are strict: a record needs a field after the
 * pid, an empty line or a missing final newline makes the whole section
 * "malformed", and meta2deps needs V and an X for every E.
 */
#include "filemon_log.h"

#include <fcntl.h>

#define FILEMON_VERSION 5

int open_records(unsigned long long flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return OPEN_R; /* O_PATH and O_CREAT do not matter */
	case O_RDWR:
		return OPEN_R | OPEN_W; /* FreeBSD writes R, then W */
	default:
		return OPEN_W; /* O_WRONLY, and 3 (ioctl-only opens) */
	}
}

void log_header(struct filemon_log *log, pid_t target, const struct timeval *start)
{
	fprintf(log->fp, "# filemon version %d\n# Target pid %d\n# Start %lld.%06ld\nV %d\n", FILEMON_VERSION,
		(int)target, (long long)start->tv_sec, (long)start->tv_usec, FILEMON_VERSION);
}

void log_fork(struct filemon_log *log, pid_t parent, pid_t child)
{
	fprintf(log->fp, "F %d %d\n", (int)parent, (int)child);
	log->records++;
}

void log_exit(struct filemon_log *log, pid_t pid, unsigned int wait_status)
{
	fprintf(log->fp, "X %d %u %u\n", (int)pid, (wait_status >> 8) & 0xff, wait_status & 0x7f);
	log->records++;
}

/* Write path with the escaping rule above; quote also escapes '\''. */
static void put_path(struct filemon_log *log, const char *path, int quote)
{
	int escaped = 0;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (quote && *p == '\'')) {
			fprintf(log->fp, "\\%03o", *p);
			escaped = 1;
		} else {
			putc(*p, log->fp);
		}
	}
	log->escaped += (unsigned long long)escaped;
}

/*
 * A record needs a field after the pid: an empty path (a name another
 * thread emptied during the call, see the SECURITY section of filemond(8))
 * becomes a comment, never "L pid " with nothing after it.
 */
void log_path(struct filemon_log *log, char letter, pid_t pid, const char *path)
{
	if (!path[0]) {
		log_unresolved(log, letter, pid, "empty path");
		return;
	}
	fprintf(log->fp, "%c %d ", letter, (int)pid);
	put_path(log, path, 0);
	putc('\n', log->fp);
	log->records++;
}

void log_open(struct filemon_log *log, pid_t pid, unsigned long long flags, const char *path)
{
	int r = open_records(flags);

	if (r & OPEN_R)
		log_path(log, 'R', pid, path);
	if (r & OPEN_W)
		log_path(log, 'W', pid, path);
}

void log_pair(struct filemon_log *log, char letter, pid_t pid, const char *a, const char *b)
{
	if (!a[0] || !b[0]) {
		log_unresolved(log, letter, pid, "empty path");
		return;
	}
	fprintf(log->fp, "%c %d '", letter, (int)pid);
	put_path(log, a, 1);
	fputs("' '", log->fp);
	put_path(log, b, 1);
	fputs("'\n", log->fp);
	log->records++;
}

void log_unresolved(struct filemon_log *log, char letter, pid_t pid, const char *why)
{
	fprintf(log->fp, "# unresolved %c %d: %s\n", letter, (int)pid, why);
	log->unresolved++;
}

void log_untraced(struct filemon_log *log, pid_t pid, const char *why)
{
	fprintf(log->fp, "# untraced %d: %s\n", (int)pid, why);
}

void log_iouring(struct filemon_log *log, pid_t pid)
{
	fprintf(log->fp, "# io_uring %d: file operations submitted through io_uring are not recorded\n", (int)pid);
	log->iouring++;
}

void log_tmpfile(struct filemon_log *log, pid_t pid, const char *dir)
{
	fprintf(log->fp, "# tmpfile %d ", (int)pid);
	put_path(log, dir, 0);
	fputs(": an unnamed file (O_TMPFILE), no dependency unless it is linked\n", log->fp);
}

void log_unnamed(struct filemon_log *log, pid_t pid)
{
	fprintf(log->fp, "# unnamed %d: an open of a file with no name (O_TMPFILE or deleted)\n", (int)pid);
}

void log_comment(struct filemon_log *log, const char *text)
{
	fprintf(log->fp, "# %s\n", text);
}

void log_lost(struct filemon_log *log, unsigned long long lost)
{
	if (lost)
		fprintf(log->fp, "# lost %llu events\n", lost);
}

void log_trailer(struct filemon_log *log, const struct timeval *stop)
{
	fprintf(log->fp, "# Stop %lld.%06ld\n# Bye bye\n", (long long)stop->tv_sec, (long)stop->tv_usec);
}
