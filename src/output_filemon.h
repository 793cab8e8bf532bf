/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_OUTPUT_FILEMON_H
#define FILEMOND_OUTPUT_FILEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "filemon_log.h"
#include "output.h"

struct log_sink;
struct audit;

/*
 * The filemon output: a session's records rendered as filemon v5 lines
 * (filemon_log.h) and handed to the log's writer thread (log_sink.h).
 *
 * Which lines a record becomes:
 *   open   [A rel] then R/W of the name it was opened by, then R/W of the
 *          file reached if that differs (a symlink on the way): a build
 *          sees both the link it named and the file it got; an O_TMPFILE
 *          open is a comment naming its directory (no file has a name)
 *   exec   E of the name it was run by; E of the #! interpreter's name;
 *          E of the file executed if that differs
 *   chdir  C of the new cwd; unlink/rmdir D; rename M; link, symlink L;
 *          a link giving an O_TMPFILE file its first name: W of that name
 */
struct filemon_output {
	struct output base;
	struct filemon_log log; /* log.fp is NULL until a log is set, and after the end */
	struct log_sink *sink; /* log.fp's queue and writer; outlives the session's slot */
	unsigned long long malformed; /* its records that failed validation */
	unsigned long long before_log; /* its records that came before a log was set */
	struct audit *json; /* --format json: the lines are the audit's schema (audit.h) */
	unsigned long long lost_noted; /* the loss a sync last wrote down */
};

void fmout_init(struct filemon_output *o);
/* Take fd as the log and write the header (json: a JSON "start" line and
 * JSON lines from then on).  0 or -errno (log_sink.h). */
int fmout_open(struct filemon_output *o, int fd, int done_fd, pid_t target, bool json);
/* Comments: a process not traced, and why; where completeness starts. */
void fmout_untraced(struct filemon_output *o, pid_t pid, const char *why);
void fmout_note(struct filemon_output *o, const char *text);
/* Hand what is formatted to the writer, with a "lost N events so far"
 * comment if lost grew since the last sync (a reader may look before the
 * trailer); fmout_written tells when it is written (sink_written). */
void fmout_sync(struct filemon_output *o, unsigned long long lost);
int fmout_written(const struct filemon_output *o);
/* The last lines (lost count, trailer); the writer finishes on its own. */
void fmout_end(struct filemon_output *o, unsigned long long lost);
/* Events lost in this output so far: before the log was set, lines not written. */
unsigned long long fmout_lost(const struct filemon_output *o);
/* Render one record as filemon lines (also the unit tests' entry). */
void fmout_render(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp);

#endif
