/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_AUDIT_H
#define FILEMOND_AUDIT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "audit_config.h"

/*
 * The audit service's output: every record of the one BPF object (a
 * session's too) as a JSON line (docs/AUDIT.md has the schema), with the
 * host, the wall-clock time, the executable and the cgroup path added
 * here, the configuration's rules applied, and every loss written into
 * the stream itself as a "lost" event:
 *
 *   ring    the kernel took a sequence number and could not queue the
 *           record: the numbers missing from the stream are the range
 *   records records that failed validation
 *   writer  lines the file's writer could not write (a full queue, a
 *           full disk), and lines the rules could not see
 *   journal entries journald could not take at once (its socket full)
 *
 * A hole in the sequence may be a record still being queued by another
 * CPU: it is reported only if still open at the end of the next drain that
 * took all the ring had (not one stopped early by back-pressure).
 */
struct audit;
struct output;
struct fm_event;
struct record_paths;

/*
 * A session's JSON lines (--format json): the same schema, written to the
 * session's log stream; no rules, no file, no sequence check (the
 * session's loss is counted per session, and its stream shares the
 * object's sequence with other sessions).
 */
struct audit *audit_render_new(void);
/* One record as a line on out; false if it carries no audit segment. */
bool audit_render_event(struct audit *a, FILE *out, const struct fm_event *ev, const struct record_paths *rp);
/* A line of the session's own: action (start, complete, untraced, end),
 * the pid it is about (or 0), a message, and for end the loss. */
void audit_render_note(struct audit *a, FILE *out, const char *action, pid_t pid, const char *message,
		       long long lost);
void audit_render_free(struct audit *a);

/* out_path: NULL for the configuration's log directory, "-" for
 * standard output.  0, or -1 after a one-line error. */
int audit_open(struct audit **a, const struct audit_config *cfg, const char *out_path);
struct output *audit_output(struct audit *a);
/* SIGUSR1: open the file again by its name. */
void audit_reopen(struct audit *a);
/* A line of the service's own life (action "start", "reload", "stop"),
 * to the stream and, unless the configuration says off, to journald. */
void audit_lifecycle(struct audit *a, const char *action, const char *message);
/* From now on these rules and rotation limits (a reload; the log
 * directory stays).  cfg must outlive its use. */
void audit_set_config(struct audit *a, const struct audit_config *cfg);
/* Events written, and lost anywhere (ring, records, writer, journal). */
void audit_counts(const struct audit *a, unsigned long long *events, unsigned long long *lost);
/* Lines for --status. */
void audit_status(const struct audit *a, FILE *f);
/* The end of the stream (the last drain done): every hole still open is
 * reported lost, before the "stop" line. */
void audit_end_holes(struct audit *a);
/* Report what is still open, write everything, free.  Lines lost in all
 * (the stream's own count) go to *lost. */
void audit_close(struct audit *a, unsigned long long *lost);

#endif
