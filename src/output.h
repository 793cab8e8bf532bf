/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_OUTPUT_H
#define FILEMOND_OUTPUT_H

#include <stdbool.h>

#include "record.h"

/*
 * Where the ring consumer sends a slot's records: an output.  The
 * consumer knows nothing else of what it writes to; today's output is a
 * session's filemon log (output_filemon.h); the audit service's JSON lines
 * and journal plug in here too.  All calls come from the consumer's thread.
 */
struct output;

struct output_ops {
	/* A valid record and its decoded paths. */
	void (*record)(struct output *o, const struct fm_event *ev, const struct record_paths *rp);
	/* A record of this output's that failed validation: lost. */
	void (*malformed)(struct output *o);
	/* The end of a drain: hand what was written to the writer.  whole:
	 * the drain took everything the ring had (it did not stop early for
	 * back-pressure), so a gap in the audit's sequence is not a record
	 * still waiting there. */
	void (*flush)(struct output *o, bool whole);
	/* Optional (the audit): its writer's queue is past its mark, so the
	 * consumer leaves the next records in the ring until it is not. */
	bool (*full)(struct output *o);
};

struct output {
	const struct output_ops *ops;
};

#endif
