// SPDX-License-Identifier: BSD-2-Clause
/* audit_file.c - the audit's JSON files: rotation, reopen (see audit_file.h). */
#include "audit_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_sink.h"
#include "util.h"

#define MAX_RETIRING 8

struct audit_file {
	char path[PATH_MAX];
	bool is_stdout;
	unsigned long long rotate_size, size;
	unsigned int keep;
	struct log_sink *sink;
	FILE *fp;
	struct log_sink *retiring[MAX_RETIRING]; /* rotated away, still writing */
	unsigned long long lost; /* lines lost by sinks already closed */
};

static int open_fd(const struct audit_file *f)
{
	int fd = f->is_stdout ? dup(STDOUT_FILENO) : open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/* Write to fd from now on (closes it: the sink takes a duplicate). */
static int use_fd(struct audit_file *f, int fd)
{
	struct stat st;
	int err;

	f->size = !f->is_stdout && fstat(fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
	err = sink_open(&f->sink, &f->fp, fd, -1);
	close(fd);
	if (!err && !f->is_stdout)
		sink_outlast_full(f->sink);
	return err;
}

static int open_sink(struct audit_file *f)
{
	int fd = open_fd(f);

	return fd < 0 ? fd : use_fd(f, fd);
}

bool audit_file_drained(struct audit_file *f)
{
	if (f->sink && sink_queued(f->sink))
		return false;
	for (int i = 0; i < MAX_RETIRING; i++)
		if (f->retiring[i] && !sink_done(f->retiring[i]))
			return false;
	return true;
}

bool audit_file_full(struct audit_file *f)
{
	return f->sink && sink_queued(f->sink) > SINK_MAX_BYTES / 2;
}

void audit_file_set_rotation(struct audit_file *f, unsigned long long rotate_size, unsigned int keep)
{
	f->rotate_size = rotate_size;
	f->keep = keep;
}

int audit_file_open(struct audit_file **out, const char *dir, unsigned long long rotate_size, unsigned int keep)
{
	struct audit_file *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -1;
	f->is_stdout = !dir;
	f->rotate_size = rotate_size;
	f->keep = keep;
	if (dir && (size_t)snprintf(f->path, sizeof(f->path), "%s/audit.json", dir) >= sizeof(f->path)) {
		fm_error("the log directory's name is too long: %s", dir);
		free(f);
		return -1;
	}
	if (!dir)
		strcpy(f->path, "-");
	if (dir && mkdir(dir, 0700) && errno != EEXIST) {
		fm_error("cannot make the log directory %s: %s", dir, strerror(errno));
		free(f);
		return -1;
	}
	if ((err = open_sink(f))) {
		fm_error("cannot open %s: %s", f->path, strerror(-err));
		free(f);
		return -1;
	}
	*out = f;
	return 0;
}

FILE *audit_file_fp(struct audit_file *f)
{
	return f->fp;
}

static void reap(struct audit_file *f, bool wait)
{
	for (int i = 0; i < MAX_RETIRING; i++) {
		if (f->retiring[i] && (wait || sink_done(f->retiring[i]))) {
			sink_close(f->retiring[i], &f->lost);
			f->retiring[i] = NULL;
		}
	}
}

/* A free retiring slot, or -1. */
static int retiring_slot(const struct audit_file *f)
{
	for (int i = 0; i < MAX_RETIRING; i++)
		if (!f->retiring[i])
			return i;
	return -1;
}

static void shift_names(struct audit_file *f)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	if (f->keep == 0) {
		unlink(f->path);
		return;
	}
	snprintf(to, sizeof(to), "%s.%u", f->path, f->keep);
	unlink(to);
	for (unsigned int i = f->keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", f->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", f->path, i);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", f->path);
	rename(f->path, to);
}

/* A new file by the same name; the old one's writer finishes on its own.
 * If no file can be opened, the old one goes on. */
static void switch_file(struct audit_file *f, bool rotate)
{
	int slot, fd, err;

	reap(f, false);
	if ((slot = retiring_slot(f)) < 0)
		return; /* every retiring writer busy: try at the next line */
	if (rotate)
		shift_names(f);
	if ((fd = open_fd(f)) < 0) {
		fm_error("cannot open %s: %s (going on with the old file)", f->path, strerror(-fd));
		f->size = 0;
		return;
	}
	sink_finish(f->sink, f->fp);
	f->retiring[slot] = f->sink;
	if ((err = use_fd(f, fd))) {
		fm_error("cannot write %s: %s", f->path, strerror(-err));
		f->sink = NULL;
		f->fp = NULL;
	}
}

void audit_file_line(struct audit_file *f, size_t n)
{
	f->size += n;
	if (!f->is_stdout && f->rotate_size && f->size >= f->rotate_size && f->sink)
		switch_file(f, true);
}

void audit_file_flush(struct audit_file *f)
{
	if (f->fp)
		sink_flush(f->sink, f->fp);
	reap(f, false);
}

void audit_file_reopen(struct audit_file *f)
{
	if (!f->is_stdout)
		switch_file(f, false);
}

unsigned long long audit_file_lost(const struct audit_file *f)
{
	unsigned long long n = f->lost + (f->sink ? sink_lost(f->sink) : 0);

	for (int i = 0; i < MAX_RETIRING; i++)
		if (f->retiring[i])
			n += sink_lost(f->retiring[i]);
	return n;
}

const char *audit_file_path(const struct audit_file *f)
{
	return f->path;
}

void audit_file_close(struct audit_file *f, unsigned long long *lost)
{
	if (!f)
		return;
	if (f->sink) {
		sink_finish(f->sink, f->fp);
		sink_close(f->sink, &f->lost);
	}
	reap(f, true);
	*lost += f->lost;
	free(f);
}
