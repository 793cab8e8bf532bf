/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_JOURNAL_H
#define FILEMOND_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * journald's native protocol (systemd.journal-fields(7), "Native Journal
 * Protocol"), implemented here rather than by linking libsystemd: one
 * datagram per entry to /run/systemd/journal/socket, each field
 * "KEY=value\n", or "KEY\n" + 64-bit little-endian length + bytes + "\n"
 * when the value holds a newline (or is not text); an entry too big for a
 * datagram goes as a sealed memfd passed with SCM_RIGHTS.
 *
 * Never waits: a journal that cannot take an entry now (its socket buffer
 * full) loses it, and journal_send says so; the caller counts it.
 */
struct journal_entry {
	char *buf;
	size_t len, cap;
	bool failed; /* out of memory: the entry is not sent */
};

/* Is journald there to take entries? */
bool journal_available(void);
/* Fields, in order; values are bytes (len), or text (journal_addf). */
void journal_add(struct journal_entry *e, const char *key, const char *value, size_t len);
void journal_addf(struct journal_entry *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Send and reset e (its buffer is kept for the next entry).  0, or -errno
 * (the entry is lost). */
int journal_send(struct journal_entry *e);
void journal_entry_free(struct journal_entry *e);
/* Close the socket (the next send opens it again). */
void journal_close(void);

#endif
