/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_PATH_H
#define FILEMOND_PATH_H

#include <stddef.h>

/*
 * Turn the kernel's leaf-first component encoding (FM_SEG_FILE and base
 * segments) into an absolute path.  out must hold len + 2 bytes.  Returns
 * the path length, or -1 if the encoding is malformed.
 */
int path_decode(const char *enc, size_t len, char *out, size_t outsz);

/*
 * The absolute path a name denotes: name itself if absolute, else base/name.
 * Empty and "." components and repeated or trailing slashes are dropped;
 * ".." is kept, because only the kernel can resolve it through symlinks.
 * Returns the length, or -1 if out is too small.
 */
int path_join(const char *base, const char *name, char *out, size_t outsz);

/* Cut an absolute path to its directory in place: "/a/b" -> "/a", "/a" -> "/". */
void path_dirname(char *path);

#endif
