/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_RECORD_H
#define FILEMOND_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filemond.h"

/*
 * A ring record's paths, decoded from its segments (see struct fm_seg)
 * and made absolute.  Decoding knows nothing of any output format.
 */
struct record_paths {
	const char *file; /* the file reached, resolved by the kernel */
	const char *named[2]; /* the path arguments, made absolute */
	const char *dirfd_rel[2]; /* a relative argument given with a real dirfd (A) */
	const char *interp; /* #! interpreter name */
	const char *text; /* symlink text */
	const char *why; /* set if some path is not whole */
	bool file_unnamed; /* file names nothing: O_TMPFILE, deleted, a pipe (FM_SEG_UNNAMED) */
	bool fd_unnamed[2]; /* named[i] is an fd's unnamed file (an empty name with AT_EMPTY_PATH) */
	const struct fm_audit *audit; /* who and when (audit-mode objects), or NULL */
	const char *argv; /* an exec's arguments, each NUL-terminated, or NULL */
	size_t argv_len; /* bytes of argv */
	bool argv_cut; /* cut at FM_ARGV_MAX */
	bool has_owner; /* chown: */
	uint32_t owner_uid, owner_gid;
	struct fm_audit audit_buf;
	char file_buf[FM_PATH_MAX + 2];
	char base_buf[FM_PATH_MAX + 2];
	char named_buf[2][FM_PATH_MAX];
};

/* Is the header of this size-byte record one we know (kind, length)? */
int record_header_valid(const struct fm_event *ev, size_t size);
/* Decode ev's segments into rp.  0, or -1 if the record is malformed. */
int record_paths_decode(struct record_paths *rp, const struct fm_event *ev, size_t size);

#endif
