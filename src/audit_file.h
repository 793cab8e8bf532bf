/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_AUDIT_FILE_H
#define FILEMOND_AUDIT_FILE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Where the audit's JSON lines go: DIR/audit.json, rotated by size, or
 * standard output.  Each file has a log_sink (log_sink.h): the consumer
 * never waits for the disk.  A rotation happens between two lines (a
 * line never spans files): audit.json.N-1 becomes .N (up to keep; the
 * oldest goes), audit.json becomes .1, a new audit.json is opened; the old
 * file's writer finishes on its own.  audit_file_reopen (SIGUSR1) opens
 * audit.json again for an external logrotate.  Lines not written (a full
 * queue, a full disk) are counted: audit_file_lost.
 */
struct audit_file;

/* dir NULL: standard output.  0, or -1 after a one-line error. */
int audit_file_open(struct audit_file **out, const char *dir, unsigned long long rotate_size, unsigned int keep);
/* The stream to format the next line into. */
FILE *audit_file_fp(struct audit_file *f);
/* A whole line of n bytes was formatted: rotate if the file is full. */
void audit_file_line(struct audit_file *f, size_t n);
/* Hand what was formatted to the writer; reap finished writers. */
void audit_file_flush(struct audit_file *f);
/* Reopen the file by its name (SIGUSR1). */
void audit_file_reopen(struct audit_file *f);
/* New rotation limits (a reload). */
void audit_file_set_rotation(struct audit_file *f, unsigned long long rotate_size, unsigned int keep);
/* Is the writer more than half a queue (SINK_MAX_BYTES) behind? */
bool audit_file_full(struct audit_file *f);
/* Is every line handed over written or counted lost? */
bool audit_file_drained(struct audit_file *f);
/* Lines lost so far. */
unsigned long long audit_file_lost(const struct audit_file *f);
/* The file's path, or "-" for standard output. */
const char *audit_file_path(const struct audit_file *f);
/* Write everything, wait for the writers, free.  Lines lost in all added to *lost. */
void audit_file_close(struct audit_file *f, unsigned long long *lost);

#endif
