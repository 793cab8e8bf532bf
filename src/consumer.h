/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_CONSUMER_H
#define FILEMOND_CONSUMER_H

#include "filemond.h"

struct tracer;
struct filemon_log;
struct ring_buffer;
struct session;

/* The paths of one record, decoded from its segments (see struct fm_seg). */
struct record_paths {
	const char *file; /* the file reached, resolved by the kernel */
	const char *named[2]; /* the path arguments, made absolute */
	const char *dirfd_rel[2]; /* a relative argument given with a real dirfd (A) */
	const char *interp; /* #! interpreter name */
	const char *text; /* symlink text */
	const char *why; /* set if some path is not whole */
	char file_buf[FM_PATH_MAX + 2];
	char base_buf[FM_PATH_MAX + 2];
	char named_buf[2][2 * FM_PATH_MAX + 2];
};

/*
 * The ring consumer: the worker that turns queued kernel records into log
 * lines, routing each to its session's log.
 */
struct consumer {
	struct ring_buffer *rb;
	struct session *sessions[FM_MAX_SESSIONS]; /* by slot */
	unsigned long long malformed; /* records that failed validation */
	struct record_paths paths;
};

int consumer_init(struct consumer *c, struct tracer *t);
/* Route records of slot to s (NULL: drop them). */
void consumer_set_session(struct consumer *c, int slot, struct session *s);
/* An fd that polls readable when records are waiting (after a forced wakeup). */
int consumer_fd(const struct consumer *c);
/* Write out everything queued so far.  0 or -errno. */
int consumer_drain(struct consumer *c);
void consumer_free(struct consumer *c);

/* Decode ev's segments into rp.  0, or -1 if the record is malformed. */
int record_paths_decode(struct record_paths *rp, const struct fm_event *ev, size_t size);
/* Write ev as filemon lines. */
void record_write(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp);

#endif
