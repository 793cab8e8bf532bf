/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_JSON_H
#define FILEMOND_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * A JSON line being formatted: bytes appended to a buffer that grows.  The
 * audit formats one line per event, ~100 000 a second under a burst, so
 * the appends are plain copies, not stdio.  Appending never fails: without
 * memory the buffer is marked broken and takes nothing more; the caller
 * counts such a line lost (jb_broken) and starts the next (jb_reset).
 */
struct jbuf {
	char *p;
	size_t len, cap;
	bool broken;
};

bool jb_grow(struct jbuf *b, size_t n); /* room for n more bytes */
void jb_free(struct jbuf *b);

static inline void jb_mem(struct jbuf *b, const void *s, size_t n)
{
	if (b->cap - b->len < n && !jb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void jb_puts(struct jbuf *b, const char *s)
{
	jb_mem(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define JB_LIT(b, lit) jb_mem((b), "" lit, sizeof(lit) - 1)

static inline void jb_putc(struct jbuf *b, char c)
{
	jb_mem(b, &c, 1);
}

static inline void jb_reset(struct jbuf *b)
{
	b->len = 0;
	b->broken = false;
}

void jb_u64(struct jbuf *b, unsigned long long v);
void jb_i64(struct jbuf *b, long long v);
/* v in decimal, zero-padded to width digits (at most 20). */
void jb_u64_pad(struct jbuf *b, unsigned long long v, int width);
/* v in octal, zero-padded to width digits. */
void jb_oct(struct jbuf *b, unsigned int v, int width);

/*
 * JSON strings from bytes.  Paths and arguments are bytes, JSON is UTF-8:
 * valid UTF-8 is written as is (", \ and control bytes escaped); each byte
 * that is not part of valid UTF-8 is written as the escape \udcXX, XX the
 * byte (U+DC80..U+DCFF, Python's "surrogateescape", PEP 383), so the bytes
 * come back exactly: in Python, s.encode('utf-8', 'surrogateescape').  The
 * caller flags such a string (it is not valid Unicode).
 *
 * Appends the quoted string to b; true if some byte was not valid UTF-8.
 */
bool json_str(struct jbuf *b, const char *s, size_t n);
/* The same for a NUL-terminated string. */
bool json_cstr(struct jbuf *b, const char *s);

#endif
