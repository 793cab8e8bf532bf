// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel records -> filemon lines: segments decoded, names joined to their
 * bases, the named and resolved paths both written, malformed records
 * refused.  Events are built by hand, as the BPF side lays them out.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "check.h"
#include "consumer.h"
#include "filemon_log.h"

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
#define STR(b, role, s) seg(b, role, 0, s, sizeof(s))
#define WALK(b, role, s) seg(b, role, 0, s, sizeof(s) - 1)

/* Decode and write b; the lines written, or "malformed". */
static char *render(struct builder *b, struct record_paths *rp)
{
	char *buf = NULL;
	size_t len = 0;
	struct filemon_log log = { .fp = open_memstream(&buf, &len) };

	if (record_paths_decode(rp, &b->ev, FM_EVENT_HDR_SIZE + b->ev.len) == 0)
		record_write(&log, &b->ev, rp);
	else
		fputs("malformed", log.fp);
	fclose(log.fp);
	return buf;
}

static void check_render(struct builder *b, const char *want)
{
	static struct record_paths rp;
	char *got = render(b, &rp);

	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	static struct builder b;

	/* openat(dirfd of /w/sub, "../f") reaching /w/f through nothing odd */
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	STR(&b, FM_SEG_NAME, "../f");
	WALK(&b, FM_SEG_DIRFD, "sub\0w\0");
	check_render(&b, "A 7 ../f\nR 7 /w/sub/../f\nR 7 /w/f\n");

	/* open("link") in cwd /w, a symlink to /w/f, for O_RDWR */
	begin(&b, FM_OPEN, 7, O_RDWR);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	STR(&b, FM_SEG_NAME, "link");
	WALK(&b, FM_SEG_BASE, "w\0");
	check_render(&b, "R 7 /w/link\nW 7 /w/link\nR 7 /w/f\nW 7 /w/f\n");

	/* a relative name whose base is the file's own directory: no base walk */
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	STR(&b, FM_SEG_NAME, "f");
	seg(&b, FM_SEG_BASE_PARENT, 0, "", 0);
	check_render(&b, "R 7 /w/f\n");
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "target\0w\0");
	STR(&b, FM_SEG_NAME, "./link");
	seg(&b, FM_SEG_DIRFD_PARENT, 0, "", 0);
	check_render(&b, "A 7 ./link\nR 7 /w/link\nR 7 /w/target\n");
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "etc\0");
	STR(&b, FM_SEG_NAME, "etc");
	seg(&b, FM_SEG_BASE_PARENT, 0, "", 0);
	check_render(&b, "R 7 /etc\n");
	begin(&b, FM_OPEN, 7, O_RDONLY); /* no FILE before it: refused */
	STR(&b, FM_SEG_NAME, "f");
	seg(&b, FM_SEG_BASE_PARENT, 0, "", 0);
	check_render(&b, "malformed");

	/* an absolute name equal to the file: one record */
	begin(&b, FM_OPEN, 7, O_WRONLY);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	STR(&b, FM_SEG_NAME, "/w//./f");
	check_render(&b, "W 7 /w/f\n");

	/* open_by_handle_at: only the file */
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	check_render(&b, "R 7 /w/f\n");

	/* fexecve of a close-on-exec fd: the fd is gone, the file is logged */
	begin(&b, FM_EXEC, 8, 0);
	WALK(&b, FM_SEG_FILE, "prog\0w\0");
	STR(&b, FM_SEG_NAME, "/dev/fd/5");
	seg(&b, FM_SEG_DIRFD, FM_SEG_MISSING, "", 0);
	check_render(&b, "E 8 /w/prog\n");

	/* execveat(dirfd of /w, "prog") */
	begin(&b, FM_EXEC, 8, 0);
	WALK(&b, FM_SEG_FILE, "prog\0w\0");
	STR(&b, FM_SEG_NAME, "/dev/fd/5/prog");
	WALK(&b, FM_SEG_DIRFD, "w\0");
	check_render(&b, "E 8 /w/prog\n");

	/* ./script with #!/bin/sh, executed as /usr/bin/dash */
	begin(&b, FM_EXEC, 8, 0);
	WALK(&b, FM_SEG_FILE, "dash\0bin\0usr\0");
	STR(&b, FM_SEG_NAME, "./script");
	WALK(&b, FM_SEG_BASE, "w\0");
	STR(&b, FM_SEG_INTERP, "/bin/sh");
	check_render(&b, "E 8 /w/script\nE 8 /bin/sh\nE 8 /usr/bin/dash\n");

	/* renameat2 across directories; symlinkat keeps its text */
	begin(&b, FM_RENAME, 9, 0);
	STR(&b, FM_SEG_NAME, "a");
	WALK(&b, FM_SEG_DIRFD, "w\0");
	STR(&b, FM_SEG_NAME, "/x/b");
	check_render(&b, "M 9 '/w/a' '/x/b'\n");
	begin(&b, FM_SYMLINK, 9, 0);
	STR(&b, FM_SEG_TEXT, "../f");
	STR(&b, FM_SEG_NAME, "s");
	WALK(&b, FM_SEG_BASE, "sub\0w\0");
	check_render(&b, "L 9 '../f' '/w/sub/s'\n");
	begin(&b, FM_CHDIR, 9, 0);
	WALK(&b, FM_SEG_FILE, "");
	check_render(&b, "C 9 /\n");

	/* not whole: a comment, never a wrong path */
	begin(&b, FM_OPEN, 7, O_RDONLY);
	seg(&b, FM_SEG_FILE, FM_SEG_TRUNCATED, "f\0", 2);
	check_render(&b, "# unresolved R 7: path longer than PATH_MAX\n");
	begin(&b, FM_UNLINK, 7, 0);
	STR(&b, FM_SEG_NAME, "rel"); /* its base never came */
	check_render(&b, "# unresolved D 7: no base directory for a relative path\n");

	/* malformed: refused, not trusted */
	begin(&b, FM_OPEN, 7, O_RDONLY);
	WALK(&b, FM_SEG_FILE, "f\0w\0");
	b.ev.len -= 4; /* segment runs past the record */
	check_render(&b, "malformed");
	begin(&b, FM_OPEN, 7, O_RDONLY);
	STR(&b, FM_SEG_NAME, "a");
	STR(&b, FM_SEG_NAME, "b");
	STR(&b, FM_SEG_NAME, "c"); /* three names */
	check_render(&b, "malformed");
	begin(&b, FM_OPEN, 7, O_RDONLY);
	seg(&b, FM_SEG_NAME, 0, "abc", 3); /* no NUL */
	check_render(&b, "malformed");
	begin(&b, FM_OPEN, 7, O_RDONLY);
	seg(&b, 99, 0, "", 0); /* unknown role */
	check_render(&b, "malformed");
	return check_summary("record");
}
