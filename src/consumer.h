/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_CONSUMER_H
#define FILEMOND_CONSUMER_H

#include "filemond.h"

struct tracer;
struct filemon_log;
struct ring_buffer;

/*
 * The ring consumer: the worker that turns queued kernel records into log
 * lines, routing each to its session's log.
 */
struct consumer {
	struct ring_buffer *rb;
	struct filemon_log *logs[FM_MAX_SESSIONS];
	unsigned long long malformed; /* records that failed validation */
	char path[FM_PATH_MAX + 2];
};

int consumer_init(struct consumer *c, struct tracer *t);
void consumer_set_log(struct consumer *c, int slot, struct filemon_log *log);
/* An fd that polls readable when records are waiting (after a forced wakeup). */
int consumer_fd(const struct consumer *c);
/* Write out everything queued so far.  0 or -errno. */
int consumer_drain(struct consumer *c);
void consumer_free(struct consumer *c);

#endif
