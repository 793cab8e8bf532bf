/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_JSON_H
#define FILEMOND_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * JSON strings from bytes.  Paths and arguments are bytes, JSON is UTF-8:
 * valid UTF-8 is written as is (", \ and control bytes escaped); each byte
 * that is not part of valid UTF-8 is written as the escape \udcXX, XX the
 * byte (U+DC80..U+DCFF, Python's "surrogateescape", PEP 383), so the bytes
 * come back exactly: in Python, s.encode('utf-8', 'surrogateescape').  The
 * caller flags such a string (it is not valid Unicode).
 *
 * Writes the quoted string to f; true if some byte was not valid UTF-8.
 */
bool json_str(FILE *f, const char *s, size_t n);
/* The same for a NUL-terminated string. */
bool json_cstr(FILE *f, const char *s);

#endif
