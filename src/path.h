/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PATH_H
#define FILEMOND_PATH_H

#include <stddef.h>

/*
 * Turn the kernel's leaf-first component encoding (struct fm_event.path)
 * into an absolute path.  out must hold len + 2 bytes.  Returns the path
 * length, or -1 if the encoding is malformed.
 */
int path_decode(const char *enc, size_t len, char *out, size_t outsz);

#endif
