// SPDX-License-Identifier: BSD-2-Clause
/*
 * record.c - validate a ring record and decode its path segments.
 *
 * Nothing in a record is trusted: every length is checked against the
 * record's size, and a record that fails a check is malformed (counted as
 * its session's loss by the consumer), never half-used.
 */
#include "record.h"

#include <string.h>

#include "path.h"

/*
 * A name the caller passed is read from its memory at the call's end
 * without faulting pages in (BPF cannot sleep there): a page being
 * migrated or collapsed into a huge page at that moment cannot be read.
 * Exec's names are the kernel's copies; every other NAME and TEXT is the
 * caller's.
 */
static const char *seg_problem(const struct fm_event *ev, const struct fm_seg *h)
{
	if (h->flags & FM_SEG_TRUNCATED)
		return "path longer than PATH_MAX";
	if ((h->flags & FM_SEG_UNREADABLE) && ev->kind != FM_EXEC &&
	    (h->role == FM_SEG_NAME || h->role == FM_SEG_TEXT))
		return "name unreadable in the caller's memory (page not resident at the call's end)";
	if (h->flags & FM_SEG_UNREADABLE)
		return "path unreadable in the kernel";
	if (h->flags & FM_SEG_MISSING)
		return "no file behind the descriptor";
	return NULL;
}

/* A NUL-terminated string segment, or NULL. */
static const char *seg_string(const struct fm_seg *h, const char *bytes)
{
	return h->len > 0 && bytes[h->len - 1] == '\0' ? bytes : NULL;
}

/*
 * execveat(dirfd, name) and fexecve run "/dev/fd/N[/name]": a name only
 * the DIRFD segment that follows can make absolute.  If fd N was
 * close-on-exec it is gone by then, and the executed file alone is logged.
 */
static int is_dev_fd(const struct fm_event *ev, const char *name)
{
	return ev->kind == FM_EXEC && strncmp(name, "/dev/fd/", 8) == 0;
}

/* The base a relative name is joined to: walked, or the FILE's directory. */
static int decode_base(struct record_paths *rp, const struct fm_seg *h, const char *bytes)
{
	if (h->role == FM_SEG_BASE || h->role == FM_SEG_DIRFD)
		return path_decode(bytes, h->len, rp->base_buf, sizeof(rp->base_buf));
	if (!rp->file)
		return -1;
	strcpy(rp->base_buf, rp->file);
	path_dirname(rp->base_buf);
	return 0;
}

/* named[k] = base + name, folded; a result of PATH_MAX or more is not
 * written (the rule for every path, as for the kernel's walks). */
static void join_name(struct record_paths *rp, int k, const char *base, const char *name)
{
	if (path_join(base, name, rp->named_buf[k], FM_PATH_MAX) < 0)
		rp->why = "path longer than PATH_MAX";
	else
		rp->named[k] = rp->named_buf[k];
}

/* The audit's segments: who and when, an exec's arguments. */
static int apply_audit(struct record_paths *rp, const struct fm_seg *h, const char *bytes)
{
	if (h->role == FM_SEG_AUDIT) {
		if (h->len != sizeof(rp->audit_buf) || rp->audit)
			return -1;
		memcpy(&rp->audit_buf, bytes, sizeof(rp->audit_buf)); /* aligned copy */
		rp->audit = &rp->audit_buf;
		return 0;
	}
	if (h->role == FM_SEG_OWNER) {
		if (h->len != 8)
			return -1;
		memcpy(&rp->owner_uid, bytes, 4);
		memcpy(&rp->owner_gid, bytes + 4, 4);
		rp->has_owner = true;
		return 0;
	}
	if (h->flags & FM_SEG_UNREADABLE)
		return 0;
	rp->argv = bytes;
	rp->argv_len = h->len;
	rp->argv_cut = h->flags & FM_SEG_TRUNCATED;
	return 0;
}

/* Apply one segment; the name index advances at each NAME. */
static int apply_segment(struct record_paths *rp, const struct fm_event *ev, const struct fm_seg *h,
			 const char *bytes, int *k, const char **raw)
{
	const char *problem;

	if (h->role == FM_SEG_AUDIT || h->role == FM_SEG_ARGV || h->role == FM_SEG_OWNER)
		return apply_audit(rp, h, bytes);
	problem = seg_problem(ev, h);
	if (h->role == FM_SEG_NAME && ++*k >= 2)
		return -1;
	if (problem) {
		/* fexecve of a close-on-exec fd: the fd is gone, the file is known. */
		if (!(ev->kind == FM_EXEC && h->role == FM_SEG_DIRFD))
			rp->why = problem;
		return 0;
	}
	switch (h->role) {
	case FM_SEG_FILE:
		if (path_decode(bytes, h->len, rp->file_buf, sizeof(rp->file_buf)) < 0)
			return -1;
		rp->file = rp->file_buf;
		rp->file_unnamed = h->flags & FM_SEG_UNNAMED;
		return 0;
	case FM_SEG_NAME:
		raw[*k] = seg_string(h, bytes);
		if (!raw[*k])
			return -1;
		if (raw[*k][0] == '/' && !is_dev_fd(ev, raw[*k]))
			join_name(rp, *k, "", raw[*k]);
		return 0;
	case FM_SEG_BASE:
	case FM_SEG_DIRFD:
	case FM_SEG_BASE_PARENT:
	case FM_SEG_DIRFD_PARENT:
		if (*k < 0 || !raw[*k])
			return -1;
		if (!rp->file && rp->why)
			return 0; /* the file was not whole: neither is this name */
		if (decode_base(rp, h, bytes) < 0)
			return -1;
		if (is_dev_fd(ev, raw[*k])) {
			const char *rest = strchr(raw[*k] + 8, '/');

			raw[*k] = rest ? rest + 1 : "";
		} else if ((h->role == FM_SEG_DIRFD || h->role == FM_SEG_DIRFD_PARENT) && raw[*k][0]) {
			rp->dirfd_rel[*k] = raw[*k];
		} else if (h->role == FM_SEG_DIRFD && (h->flags & FM_SEG_UNNAMED)) {
			rp->fd_unnamed[*k] = true;
		}
		join_name(rp, *k, rp->base_buf, raw[*k]);
		return 0;
	case FM_SEG_INTERP:
		return (rp->interp = seg_string(h, bytes)) ? 0 : -1;
	case FM_SEG_TEXT:
		return (rp->text = seg_string(h, bytes)) ? 0 : -1;
	default:
		return -1;
	}
}

int record_paths_decode(struct record_paths *rp, const struct fm_event *ev, size_t size)
{
	const char *raw[2] = { NULL, NULL };
	size_t off = 0;
	int k = -1;

	rp->file = rp->interp = rp->text = rp->why = NULL;
	rp->named[0] = rp->named[1] = rp->dirfd_rel[0] = rp->dirfd_rel[1] = NULL;
	rp->file_unnamed = rp->fd_unnamed[0] = rp->fd_unnamed[1] = false;
	rp->audit = NULL;
	rp->argv = NULL;
	rp->argv_len = 0;
	rp->argv_cut = rp->has_owner = false;
	if (size < FM_EVENT_HDR_SIZE || ev->len > size - FM_EVENT_HDR_SIZE)
		return -1;
	for (int i = 0; i < ev->nseg; i++) {
		const struct fm_seg *h = (const void *)(ev->data + off);

		if (off + sizeof(*h) > ev->len || h->len > ev->len - off - sizeof(*h))
			return -1;
		if (apply_segment(rp, ev, h, ev->data + off + sizeof(*h), &k, raw))
			return -1;
		off += sizeof(*h) + ((h->len + 3u) & ~3u);
	}
	if (ev->flags & FM_EV_TOO_BIG)
		rp->why = "paths too long for one record";
	/* A relative name whose base did not come: not absolute, not written. */
	for (int i = 0; i <= k && i < 2; i++)
		if (!rp->named[i] && !rp->why && ev->kind != FM_EXEC) /* (a NAME not whole set why) */
			rp->why = "no base directory for a relative path";
	return 0;
}

int record_header_valid(const struct fm_event *ev, size_t size)
{
	return size >= FM_EVENT_HDR_SIZE && ev->kind != 0 && ev->kind < FM_NKINDS && ev->len <= size - FM_EVENT_HDR_SIZE;
}
