/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_CONSUMER_H
#define FILEMOND_CONSUMER_H

#include <stdint.h>

#include "filemond.h"
#include "record.h"

struct ring_buffer;
struct output;

/*
 * The ring consumer: the worker that validates queued kernel records,
 * decodes their paths and hands each to the output routed to its slot.
 * A route takes the records of generations from gen_first on (earlier
 * ones are of a previous session on the slot, whose end they outlived).
 */
struct consumer {
	struct ring_buffer *rb;
	struct {
		struct output *out;
		uint32_t gen_first;
	} routes[FM_MAX_SESSIONS]; /* by slot */
	struct output *audit; /* every record, a session's or not (the audit service), or NULL */
	unsigned long long unowned_malformed; /* malformed records no route could be told of */
	bool held; /* the last drain stopped early: the audit's writer is behind */
	bool never_hold; /* take everything (the last drain before exit) */
	struct record_paths paths;
};

/* Consume the ring whose map fd is ring_fd.  0 or -errno. */
int consumer_init(struct consumer *c, int ring_fd);
/* Send the records of slot from generation gen_first on to out. */
void consumer_route(struct consumer *c, int slot, uint32_t gen_first, struct output *out);
/* Drop the slot's records from now on. */
void consumer_unroute(struct consumer *c, int slot);
/* An fd that polls readable when records are waiting (after a forced wakeup). */
int consumer_fd(const struct consumer *c);
/* Hand what is queued to its outputs, then flush them: everything, or
 * up to where the audit's writer fell behind (c->held: the rest stays in
 * the ring, whose overflow is counted by the kernel's sequence numbers).
 * 0 or -errno. */
int consumer_drain(struct consumer *c);
/* NULL-safe, idempotent. */
void consumer_free(struct consumer *c);

#endif
