/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_LOG_SINK_H
#define FILEMOND_LOG_SINK_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Where a session's log lines go: a bounded queue and a writer thread of
 * its own, so a log that blocks (a pipe nobody reads, a tty stopped with
 * ^S, a slow socket or FUSE file) holds up only its own session, never the
 * thread that drains the ring and serves the other clients.
 *
 *   main thread   formats records into sink->fp (line-buffered stdio over
 *                 sink_put: each put is whole lines) and calls sink_flush
 *                 after each pass, which hands the batch to the writer
 *   writer        write(2)s whole lines, waits on EAGAIN (a non-blocking
 *                 fd is waited for, not dropped), keeps the first error
 *
 * Nothing is lost silently: a line that finds the queue full, or that
 * cannot be written after an error or a cancel, is counted (sink_lost).
 * Lifetime: the sink is freed only after its writer has exited
 * (sink_done); sink_cancel makes a blocked writer give up at once.
 */
struct log_sink;

/* Bytes queued per session before new lines are dropped (and counted). */
#define SINK_MAX_BYTES (8u << 20)

/* Take a duplicate of fd; *fp receives the stream to format into.  0 or -errno. */
int sink_open(struct log_sink **out, FILE **fp, int fd, int done_eventfd);
/* The fd is a regular file that may fill (the audit's): on ENOSPC or
 * EDQUOT the lines are counted lost and the writer goes on, so writing
 * resumes when space returns; the file keeps only whole lines. */
void sink_outlast_full(struct log_sink *k);
/* Hand what was formatted to the writer. */
void sink_flush(struct log_sink *k, FILE *fp);
/* Lines queued and none written for at least ms milliseconds? */
bool sink_stalled(struct log_sink *k, long long now_ms, long long ms);
/* No more lines: the writer exits once everything is written. */
void sink_finish(struct log_sink *k, FILE *fp);
/* Give up on what is not written yet (counted lost, error ETIMEDOUT). */
void sink_cancel(struct log_sink *k);
/* Has the writer exited? */
bool sink_done(struct log_sink *k);
/* Is everything handed over (sink_flush) written?  1, 0 not yet, or the
 * first -errno of a write. */
int sink_written(struct log_sink *k);
/* Lines lost so far. */
unsigned long long sink_lost(struct log_sink *k);
/* Bytes formatted or queued and not yet written (main thread). */
size_t sink_queued(struct log_sink *k);
/* Wait for the writer (sink_finish or sink_cancel first), add the lines
 * lost to *lost, free.  0 or the first -errno of a write. */
int sink_close(struct log_sink *k, unsigned long long *lost);
/* Close a client's fd on a thread of its own (a FUSE close may block). */
void close_off_loop(int fd);
/* Install the signal that interrupts a blocked writer (once per process). */
void sink_init_signals(void);

#endif
