// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel records -> filemon lines: segments decoded, names joined to their
 * bases, the named and resolved paths both written, malformed records
 * refused.  Events are built by hand, as the BPF side lays them out.
 *
 * One table, one row per record: how it is built (kind, segments, and
 * what is then done to its len, nseg and size) and what must come of it
 * (lines written, a comment saying why a path is not whole, the decoder
 * refusing it, or the header check refusing it).  Every validation in
 * record.c has a row that fails without it; a failing check names its row.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "output_filemon.h"
#include "record.h"
#include "filemon_log.h"
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

struct builder {
	union {
		struct fm_event ev;
		char bytes[FM_EVENT_HDR_SIZE + FM_DATA_MAX];
	};
};

static void begin(struct builder *b, int kind, unsigned pid, unsigned aux)
{
	memset(b, 0, sizeof(*b));
	b->ev.kind = (fm_u8)kind;
	b->ev.pid = pid;
	b->ev.aux = aux;
}

/* Append a segment; bytes of len n (strings include their NUL). */
static void seg(struct builder *b, int role, int flags, const char *bytes, size_t n)
{
	struct fm_seg h = { .role = (fm_u8)role, .flags = (fm_u8)flags, .len = (fm_u16)n };

	memcpy(b->ev.data + b->ev.len, &h, sizeof(h));
	memcpy(b->ev.data + b->ev.len + sizeof(h), bytes, n);
	b->ev.len += (fm_u32)(sizeof(h) + ((n + 3) & ~3u));
	b->ev.nseg++;
}

/* One segment of a row; the row's segments end at the first without bytes. */
struct seg_spec {
	int role, flags;
	const char *bytes;
	size_t n;
};
#define STR(role, s) { (role), 0, (s), sizeof(s) } /* a string, its NUL included */
#define WALK(role, s) { (role), 0, (s), sizeof(s) - 1 } /* a walk: "leaf\0dir\0" */
#define NOTWHOLE(role, flags, s) { (role), (flags), (s), sizeof(s) - 1 }
#define RAW(role, s, n) { (role), 0, (s), (n) }
#define PARENT(role) { (role), 0, "", 0 } /* BASE_PARENT, DIRFD_PARENT: no bytes */
#define MAX_SEGS 6

enum expect {
	RENDERS, /* header valid, decoded whole (why NULL), written as out */
	UNRESOLVED, /* header valid, decoded, rp->why is why, written as out */
	MALFORMED, /* header valid, record_paths_decode refuses it */
	BAD_HEADER, /* record_header_valid refuses it, and so does record_paths_decode */
	BAD_KIND, /* record_header_valid refuses it (the kind is the header's alone) */
};

struct rec_case {
	const char *name;
	int kind;
	unsigned pid, aux;
	unsigned flags; /* fm_event.flags */
	struct seg_spec seg[MAX_SEGS];
	int len_delta; /* added to ev.len once the segments are in */
	int nseg_delta; /* added to ev.nseg */
	long long size_delta; /* the size given: header + ev.len + this */
	enum expect expect;
	const char *why; /* UNRESOLVED: rp->why */
	const char *out; /* RENDERS, UNRESOLVED: the lines written */
};

#define REC(n, k, p, a) .name = (n), .kind = (k), .pid = (p), .aux = (a)

/* A relative name that no base joins to within the named path's room. */
static char long_name[2 * FM_PATH_MAX + 9];

static const struct rec_case cases[] = {
	/* ---- records decoded whole ---- */
	{ REC("openat(dirfd of /w/sub, \"../f\") reaching /w/f", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "../f"), WALK(FM_SEG_DIRFD, "sub\0w\0") },
	  .expect = RENDERS, .out = "A 7 ../f\nR 7 /w/sub/../f\nR 7 /w/f\n" },
	{ REC("open(\"link\") in cwd /w, a symlink to /w/f, for O_RDWR", FM_OPEN, 7, O_RDWR),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "link"), WALK(FM_SEG_BASE, "w\0") },
	  .expect = RENDERS, .out = "R 7 /w/link\nW 7 /w/link\nR 7 /w/f\nW 7 /w/f\n" },
	/* a relative name whose base is the file's own directory: no base walk */
	{ REC("name relative to the FILE's directory (BASE_PARENT)", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "f"), PARENT(FM_SEG_BASE_PARENT) },
	  .expect = RENDERS, .out = "R 7 /w/f\n" },
	{ REC("name relative to a dirfd that is the FILE's directory (DIRFD_PARENT)", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "target\0w\0"), STR(FM_SEG_NAME, "./link"), PARENT(FM_SEG_DIRFD_PARENT) },
	  .expect = RENDERS, .out = "A 7 ./link\nR 7 /w/link\nR 7 /w/target\n" },
	{ REC("BASE_PARENT of a file in /", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "etc\0"), STR(FM_SEG_NAME, "etc"), PARENT(FM_SEG_BASE_PARENT) },
	  .expect = RENDERS, .out = "R 7 /etc\n" },
	{ REC("an absolute name equal to the file: one record", FM_OPEN, 7, O_WRONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "/w//./f") },
	  .expect = RENDERS, .out = "W 7 /w/f\n" },
	{ REC("open_by_handle_at: only the file", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0") },
	  .expect = RENDERS, .out = "R 7 /w/f\n" },
	{ REC("fexecve of a close-on-exec fd: the fd is gone, the file is logged", FM_EXEC, 8, 0),
	  .seg = { WALK(FM_SEG_FILE, "prog\0w\0"), STR(FM_SEG_NAME, "/dev/fd/5"),
		   NOTWHOLE(FM_SEG_DIRFD, FM_SEG_MISSING, "") },
	  .expect = RENDERS, .out = "E 8 /w/prog\n" },
	{ REC("execveat(dirfd of /w, \"prog\")", FM_EXEC, 8, 0),
	  .seg = { WALK(FM_SEG_FILE, "prog\0w\0"), STR(FM_SEG_NAME, "/dev/fd/5/prog"), WALK(FM_SEG_DIRFD, "w\0") },
	  .expect = RENDERS, .out = "E 8 /w/prog\n" },
	{ REC("./script with #!/bin/sh, executed as /usr/bin/dash", FM_EXEC, 8, 0),
	  .seg = { WALK(FM_SEG_FILE, "dash\0bin\0usr\0"), STR(FM_SEG_NAME, "./script"), WALK(FM_SEG_BASE, "w\0"),
		   STR(FM_SEG_INTERP, "/bin/sh") },
	  .expect = RENDERS, .out = "E 8 /w/script\nE 8 /bin/sh\nE 8 /usr/bin/dash\n" },
	{ REC("renameat2 across directories", FM_RENAME, 9, 0),
	  .seg = { STR(FM_SEG_NAME, "a"), WALK(FM_SEG_DIRFD, "w\0"), STR(FM_SEG_NAME, "/x/b") },
	  .expect = RENDERS, .out = "M 9 '/w/a' '/x/b'\n" },
	{ REC("symlinkat keeps its text", FM_SYMLINK, 9, 0),
	  .seg = { STR(FM_SEG_TEXT, "../f"), STR(FM_SEG_NAME, "s"), WALK(FM_SEG_BASE, "sub\0w\0") },
	  .expect = RENDERS, .out = "L 9 '../f' '/w/sub/s'\n" },
	{ REC("chdir to /: an empty walk", FM_CHDIR, 9, 0),
	  .seg = { WALK(FM_SEG_FILE, "") },
	  .expect = RENDERS, .out = "C 9 /\n" },
	/* the header's bounds, from the inside */
	{ REC("fork: kind 1, no segments, size exactly the header", FM_FORK, 7, 8),
	  .expect = RENDERS, .out = "F 7 8\n" },
	{ REC("exit: no segments", FM_EXIT, 7, 3 << 8),
	  .expect = RENDERS, .out = "X 7 3 0\n" },
	{ REC("io_uring: the last filemon kind", FM_IOURING, 7, 0),
	  .expect = RENDERS, .out = "# io_uring 7: file operations submitted through io_uring are not recorded\n" },

	/* ---- the audit's records: decoded, never in a filemon log ---- */
	{ REC("a failed open (the audit's): nothing in a filemon log", FM_OPEN, 7, O_RDONLY),
	  .flags = FM_EV_FAILED, .seg = { STR(FM_SEG_NAME, "/w/missing") },
	  .expect = RENDERS, .out = "" },
	{ REC("mkdir (an audit kind): nothing", FM_MKDIR, 7, 0755),
	  .seg = { STR(FM_SEG_NAME, "/w/d") },
	  .expect = RENDERS, .out = "" },
	{ REC("chown of an unreadable name: nothing, not even a comment", FM_CHOWN, 9, 0),
	  .seg = { RAW(FM_SEG_OWNER, "\xff\xff\xff\xff\x01\x00\x00\x00", 8),
		   NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, "") },
	  .expect = UNRESOLVED, .why = "name unreadable in the caller's memory (page not resident at the call's end)", .out = "" },
	{ REC("an owner segment of the wrong size", FM_CHOWN, 9, 0),
	  .seg = { RAW(FM_SEG_OWNER, "\x01\x00\x00\x00", 4) },
	  .expect = MALFORMED },

	/* ---- not whole: a comment, never a wrong path ---- */
	{ REC("FILE longer than PATH_MAX", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_TRUNCATED, "f\0") },
	  .expect = UNRESOLVED, .why = "path longer than PATH_MAX",
	  .out = "# unresolved R 7: path longer than PATH_MAX\n" },
	{ REC("unlink of a relative name whose base never came", FM_UNLINK, 7, 0),
	  .seg = { STR(FM_SEG_NAME, "rel") },
	  .expect = UNRESOLVED, .why = "no base directory for a relative path",
	  .out = "# unresolved D 7: no base directory for a relative path\n" },
	{ REC("rename whose second name is relative and has no base", FM_RENAME, 9, 0),
	  .seg = { STR(FM_SEG_NAME, "/a"), STR(FM_SEG_NAME, "b") },
	  .expect = UNRESOLVED, .why = "no base directory for a relative path",
	  .out = "# unresolved M 9: no base directory for a relative path\n" },
	{ REC("exec of a FILE unreadable in the kernel (exec is no exception for FILE)", FM_EXEC, 8, 0),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_UNREADABLE, "prog\0"), STR(FM_SEG_NAME, "/w/prog") },
	  .expect = UNRESOLVED, .why = "path unreadable in the kernel",
	  .out = "# unresolved E 8: path unreadable in the kernel\n" },
	{ REC("open whose DIRFD has no file behind it (only exec's DIRFD may be gone)", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "f"), NOTWHOLE(FM_SEG_DIRFD, FM_SEG_MISSING, "") },
	  .expect = UNRESOLVED, .why = "no file behind the descriptor",
	  .out = "# unresolved R 7: no file behind the descriptor\n" },
	{ REC("unlink of a NAME unreadable in the caller's memory", FM_UNLINK, 7, 0),
	  .seg = { NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, "") },
	  .expect = UNRESOLVED, .why = "name unreadable in the caller's memory (page not resident at the call's end)",
	  .out = "# unresolved D 7: name unreadable in the caller's memory (page not resident at the call's end)\n" },
	{ REC("open of a NAME unreadable in the caller's memory, its FILE whole", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, "") },
	  .expect = UNRESOLVED, .why = "name unreadable in the caller's memory (page not resident at the call's end)",
	  .out = "# unresolved R 7: name unreadable in the caller's memory (page not resident at the call's end)\n" },
	{ REC("exec of a NAME unreadable in the kernel (exec's names are the kernel's)", FM_EXEC, 8, 0),
	  .seg = { WALK(FM_SEG_FILE, "prog\0w\0"), NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, "") },
	  .expect = UNRESOLVED, .why = "path unreadable in the kernel",
	  .out = "# unresolved E 8: path unreadable in the kernel\n" },
	/* a base after a FILE not whole: neither is the name (and BASE_PARENT has no directory to take) */
	{ REC("FILE not whole, its NAME relative to the FILE's directory (BASE_PARENT)", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_TRUNCATED, "f\0"), STR(FM_SEG_NAME, "f"),
		   PARENT(FM_SEG_BASE_PARENT) },
	  .expect = UNRESOLVED, .why = "path longer than PATH_MAX",
	  .out = "# unresolved R 7: path longer than PATH_MAX\n" },
	{ REC("FILE unreadable, its NAME relative to a dirfd that is the FILE's directory", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_UNREADABLE, "f\0"), STR(FM_SEG_NAME, "./f"),
		   PARENT(FM_SEG_DIRFD_PARENT) },
	  .expect = UNRESOLVED, .why = "path unreadable in the kernel",
	  .out = "# unresolved R 7: path unreadable in the kernel\n" },
	{ REC("rename: first DIRFD missing, second name relative to the (absent) FILE's directory", FM_RENAME, 9, 0),
	  .seg = { STR(FM_SEG_NAME, "a"), NOTWHOLE(FM_SEG_DIRFD, FM_SEG_MISSING, ""), STR(FM_SEG_NAME, "b"),
		   PARENT(FM_SEG_BASE_PARENT) },
	  .expect = UNRESOLVED, .why = "no file behind the descriptor",
	  .out = "# unresolved M 9: no file behind the descriptor\n" },
	{ REC("FILE unreadable, NAME with a BASE walk of its own", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_UNREADABLE, "f\0"), STR(FM_SEG_NAME, "f"), WALK(FM_SEG_BASE, "w\0") },
	  .expect = UNRESOLVED, .why = "path unreadable in the kernel",
	  .out = "# unresolved R 7: path unreadable in the kernel\n" },
	{ REC("relative name too long to join to its base", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), RAW(FM_SEG_NAME, long_name, sizeof(long_name)),
		   WALK(FM_SEG_BASE, "w\0") },
	  .expect = UNRESOLVED, .why = "path longer than PATH_MAX",
	  .out = "# unresolved R 7: path longer than PATH_MAX\n" },
	/* FM_EV_TOO_BIG: a segment was left out */
	{ REC("FM_EV_TOO_BIG on an open whose FILE came", FM_OPEN, 7, O_RDONLY),
	  .flags = FM_EV_TOO_BIG,
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0") },
	  .expect = UNRESOLVED, .why = "paths too long for one record",
	  .out = "# unresolved R 7: paths too long for one record\n" },
	{ REC("FM_EV_TOO_BIG on an exec", FM_EXEC, 8, 0),
	  .flags = FM_EV_TOO_BIG,
	  .seg = { WALK(FM_SEG_FILE, "prog\0w\0"), STR(FM_SEG_NAME, "/w/prog") },
	  .expect = UNRESOLVED, .why = "paths too long for one record",
	  .out = "# unresolved E 8: paths too long for one record\n" },
	{ REC("FM_EV_TOO_BIG, a relative name's base left out: the reason is the size", FM_UNLINK, 7, 0),
	  .flags = FM_EV_TOO_BIG,
	  .seg = { STR(FM_SEG_NAME, "rel") },
	  .expect = UNRESOLVED, .why = "paths too long for one record",
	  .out = "# unresolved D 7: paths too long for one record\n" },

	/* ---- header: record_header_valid (and the decoder's own size checks) ---- */
	{ REC("kind 0", 0, 7, 0), .expect = BAD_KIND },
	{ REC("kind FM_NKINDS", FM_NKINDS, 7, 0), .expect = BAD_KIND },
	{ REC("kind 255", 255, 7, 0), .expect = BAD_KIND },
	{ REC("size one byte short of the header", FM_FORK, 7, 8), .size_delta = -1, .expect = BAD_HEADER },
	{ REC("size 0", FM_FORK, 7, 8), .size_delta = -FM_EVENT_HDR_SIZE, .expect = BAD_HEADER },
	{ REC("len one byte past the size", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0") }, .size_delta = -1, .expect = BAD_HEADER },
	{ REC("len a whole segment past the size", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "/w/f") }, .size_delta = -12, .expect = BAD_HEADER },
	{ REC("len 0xffffffff, size the header alone", FM_FORK, 7, 8),
	  .len_delta = -1, .size_delta = -0xffffffffLL, .expect = BAD_HEADER },

	/* ---- malformed segments: refused, not trusted ---- */
	{ REC("FILE bytes run past len", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0") }, .len_delta = -4, .expect = MALFORMED },
	{ REC("NAME bytes run past len", FM_UNLINK, 7, 0),
	  .seg = { STR(FM_SEG_NAME, "/w/f") }, .len_delta = -4, .expect = MALFORMED },
	{ REC("nseg counts a (well-formed) segment wholly past len", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "/w/f") }, .len_delta = -12, .expect = MALFORMED },
	{ REC("a segment header cut by len", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "/w/f") }, .len_delta = -10, .expect = MALFORMED },
	{ REC("nseg counts a segment never written", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0") }, .nseg_delta = 1, .expect = MALFORMED },
	{ REC("three names", FM_OPEN, 7, O_RDONLY),
	  .seg = { STR(FM_SEG_NAME, "a"), STR(FM_SEG_NAME, "b"), STR(FM_SEG_NAME, "c") }, .expect = MALFORMED },
	{ REC("a NAME without its NUL", FM_OPEN, 7, O_RDONLY),
	  .seg = { RAW(FM_SEG_NAME, "abc", 3) }, .expect = MALFORMED },
	{ REC("a NAME of no bytes", FM_UNLINK, 7, 0),
	  .seg = { RAW(FM_SEG_NAME, "", 0) }, .expect = MALFORMED },
	{ REC("an INTERP without its NUL", FM_EXEC, 8, 0),
	  .seg = { WALK(FM_SEG_FILE, "dash\0bin\0"), STR(FM_SEG_NAME, "/w/script"), RAW(FM_SEG_INTERP, "sh", 2) },
	  .expect = MALFORMED },
	{ REC("a TEXT without its NUL", FM_SYMLINK, 9, 0),
	  .seg = { RAW(FM_SEG_TEXT, "../f", 4), STR(FM_SEG_NAME, "/w/s") }, .expect = MALFORMED },
	{ REC("a TEXT of no bytes", FM_SYMLINK, 9, 0),
	  .seg = { RAW(FM_SEG_TEXT, "", 0), STR(FM_SEG_NAME, "/w/s") }, .expect = MALFORMED },
	{ REC("unknown role 99", FM_OPEN, 7, O_RDONLY), .seg = { RAW(99, "", 0) }, .expect = MALFORMED },
	{ REC("unknown role 0", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), RAW(0, "", 0) }, .expect = MALFORMED },
	{ REC("a FILE walk without its last NUL", FM_OPEN, 7, O_RDONLY),
	  .seg = { RAW(FM_SEG_FILE, "f\0w", 3) }, .expect = MALFORMED },
	{ REC("a FILE walk with an empty name", FM_OPEN, 7, O_RDONLY),
	  .seg = { RAW(FM_SEG_FILE, "f\0\0", 3) }, .expect = MALFORMED },
	{ REC("a BASE walk without its NUL", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "f"), RAW(FM_SEG_BASE, "w", 1) },
	  .expect = MALFORMED },
	{ REC("a DIRFD walk with an empty name", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "f"), RAW(FM_SEG_DIRFD, "\0w\0", 3) },
	  .expect = MALFORMED },
	{ REC("a BASE walk without its NUL, after a DIRFD not whole (the FILE is whole)", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), STR(FM_SEG_NAME, "a"), NOTWHOLE(FM_SEG_DIRFD, FM_SEG_MISSING, ""),
		   STR(FM_SEG_NAME, "b"), RAW(FM_SEG_BASE, "w", 1) },
	  .expect = MALFORMED },
	{ REC("BASE_PARENT with no FILE before it", FM_OPEN, 7, O_RDONLY),
	  .seg = { STR(FM_SEG_NAME, "f"), PARENT(FM_SEG_BASE_PARENT) }, .expect = MALFORMED },
	/* a base segment belongs to the NAME just before it */
	{ REC("BASE with no NAME before it, after a FILE not whole", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_TRUNCATED, "f\0"), WALK(FM_SEG_BASE, "w\0") }, .expect = MALFORMED },
	{ REC("DIRFD with no NAME before it, after a FILE unreadable", FM_OPEN, 7, O_RDONLY),
	  .seg = { NOTWHOLE(FM_SEG_FILE, FM_SEG_UNREADABLE, "f\0"), WALK(FM_SEG_DIRFD, "w\0") },
	  .expect = MALFORMED },
	{ REC("BASE after a NAME not whole", FM_UNLINK, 7, 0),
	  .seg = { NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, ""), WALK(FM_SEG_BASE, "w\0") }, .expect = MALFORMED },
	{ REC("rename: BASE after a second NAME not whole", FM_RENAME, 9, 0),
	  .seg = { STR(FM_SEG_NAME, "a"), WALK(FM_SEG_BASE, "w\0"), NOTWHOLE(FM_SEG_NAME, FM_SEG_UNREADABLE, ""),
		   WALK(FM_SEG_BASE, "w\0") },
	  .expect = MALFORMED },
	{ REC("BASE with no NAME before it", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), WALK(FM_SEG_BASE, "w\0") }, .expect = MALFORMED },
	{ REC("DIRFD_PARENT with no NAME before it", FM_OPEN, 7, O_RDONLY),
	  .seg = { WALK(FM_SEG_FILE, "f\0w\0"), PARENT(FM_SEG_DIRFD_PARENT) }, .expect = MALFORMED },
};

static const char *expect_name[] = {
	[RENDERS] = "renders", [UNRESOLVED] = "unresolved", [MALFORMED] = "malformed",
	[BAD_HEADER] = "bad header", [BAD_KIND] = "bad kind",
};

static void build(struct builder *b, const struct rec_case *c)
{
	begin(b, c->kind, c->pid, c->aux);
	b->ev.flags = (fm_u16)c->flags;
	for (int i = 0; i < MAX_SEGS && c->seg[i].bytes; i++)
		seg(b, c->seg[i].role, c->seg[i].flags, c->seg[i].bytes, c->seg[i].n);
	b->ev.len += (fm_u32)c->len_delta;
	b->ev.nseg = (fm_u8)(b->ev.nseg + c->nseg_delta);
}

/* The lines rp renders for ev. */
static char *render(const struct fm_event *ev, const struct record_paths *rp)
{
	char *buf = NULL;
	size_t len = 0;
	struct filemon_log log = { .fp = open_memstream(&buf, &len) };

	fmout_render(&log, ev, rp);
	fclose(log.fp);
	return buf;
}

/* The row being run, named if the decoder crashes on it (or a sanitizer stops it). */
static const char *volatile current_case = "(none)";

static void say_case(void)
{
	static const char msg[] = "test_record: died in case: ";
	ssize_t r = write(2, msg, sizeof(msg) - 1);

	r += write(2, current_case, strlen(current_case));
	r += write(2, "\n", 1);
	(void)r;
}

static void on_crash(int sig)
{
	say_case();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run_case(const struct rec_case *c)
{
	static struct builder b;
	static struct record_paths rp;
	int failed = check_failed, valid, rc;
	size_t size;

	current_case = c->name;
	/* a row that says what to render says it whole */
	CHECK((c->expect != RENDERS && c->expect != UNRESOLVED) || c->out);
	CHECK(c->expect != UNRESOLVED || c->why);
	if (check_failed > failed) {
		fprintf(stderr, "  ^ in case \"%s\": the row is incomplete\n", c->name);
		return;
	}
	build(&b, c);
	size = (size_t)((long long)FM_EVENT_HDR_SIZE + (long long)b.ev.len + c->size_delta);
	valid = record_header_valid(&b.ev, size);
	if (c->expect == BAD_HEADER || c->expect == BAD_KIND) {
		CHECK(!valid);
	} else {
		CHECK(valid);
	}
	if (c->expect != BAD_KIND) {
		rc = record_paths_decode(&rp, &b.ev, size);
		if (c->expect == BAD_HEADER || c->expect == MALFORMED) {
			CHECK(rc == -1);
		} else {
			CHECK(rc == 0);
			if (rc == 0) {
				char *got = render(&b.ev, &rp);

				if (c->expect == UNRESOLVED) {
					CHECK_STR(rp.why, c->why);
				} else {
					CHECK(rp.why == NULL);
					if (rp.why)
						fprintf(stderr, "  why:  \"%s\"\n", rp.why);
				}
				CHECK_STR(got, c->out);
				free(got);
			}
		}
	}
	if (check_failed > failed)
		fprintf(stderr, "  ^ in case \"%s\" (expected: %s)\n", c->name, expect_name[c->expect]);
}

int main(void)
{
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(say_case);
#endif
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	current_case = "(none)";
	return check_summary("record");
}
