// SPDX-License-Identifier: BSD-2-Clause
/* output_filemon.c - a session's records as filemon v5 lines (see output_filemon.h). */
#include "output_filemon.h"

#include <errno.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "audit.h"
#include "log_sink.h"
#include "path.h"

static const char kind_letter[FM_NKINDS] = {
	[FM_FORK] = 'F', [FM_EXEC] = 'E',   [FM_EXIT] = 'X', [FM_OPEN] = 'R',    [FM_CHDIR] = 'C',
	[FM_UNLINK] = 'D', [FM_RENAME] = 'M', [FM_LINK] = 'L', [FM_SYMLINK] = 'L', [FM_IOURING] = '#',
};

/* The record's letter, for an unresolved comment: an open's by its flags. */
static char letter_of(const struct fm_event *ev)
{
	if (ev->kind == FM_OPEN)
		return open_records(ev->aux) & OPEN_W ? 'W' : 'R';
	return kind_letter[ev->kind];
}

static int differs(const char *a, const char *b)
{
	return a && b && strcmp(a, b) != 0;
}

/* "/proc/self/fd/N", "/proc/thread-self/fd/N" or "/proc/PID/fd/N": a
 * link to an open file, which linkat(AT_SYMLINK_FOLLOW) links itself. */
static int is_proc_fd(const char *p)
{
	const char *q;

	if (strncmp(p, "/proc/", 6) != 0)
		return 0;
	p += 6;
	if (!strncmp(p, "self/", 5))
		p += 5;
	else if (!strncmp(p, "thread-self/", 12))
		p += 12;
	else if ((q = p + strspn(p, "0123456789")) > p && *q == '/')
		p = q + 1;
	else
		return 0;
	return !strncmp(p, "fd/", 3) && p[3] && strspn(p + 3, "0123456789") == strlen(p + 3);
}

/* O_TMPFILE (__O_TMPFILE | O_DIRECTORY): the kernel names the file
 * "DIR/#INODE", which no lookup finds; it is no dependency until linked. */
static int is_tmpfile_open(const struct fm_event *ev)
{
	return (ev->aux & O_TMPFILE) == O_TMPFILE;
}

static void write_tmpfile(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	char dir[FM_PATH_MAX + 2];

	if (rp->named[0]) {
		log_tmpfile(log, (pid_t)ev->pid, rp->named[0]);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", rp->file);
	path_dirname(dir);
	log_tmpfile(log, (pid_t)ev->pid, dir);
}

static void write_open(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	if (is_tmpfile_open(ev))
		return write_tmpfile(log, ev, rp);
	/* "/proc/self/fd/N" names another file in every other process: the
	 * file reached is what was opened */
	const char *named = rp->named[0] && !is_proc_fd(rp->named[0]) ? rp->named[0] : NULL;

	if (rp->dirfd_rel[0])
		log_path(log, 'A', (pid_t)ev->pid, rp->dirfd_rel[0]);
	if (named)
		log_open(log, (pid_t)ev->pid, ev->aux, named);
	if (rp->file_unnamed) { /* reopened through /proc/PID/fd: its "DIR/#INODE" names nothing */
		if (!named)
			log_unnamed(log, (pid_t)ev->pid);
		return;
	}
	if (!named || differs(rp->file, named))
		log_open(log, (pid_t)ev->pid, ev->aux, rp->file);
}

static void write_exec(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	const char *named = rp->named[0] ? rp->named[0] : rp->file;

	log_path(log, 'E', (pid_t)ev->pid, named);
	if (rp->interp && rp->interp[0] == '/' && differs(rp->interp, named) && differs(rp->interp, rp->file))
		log_path(log, 'E', (pid_t)ev->pid, rp->interp);
	if (differs(rp->file, named))
		log_path(log, 'E', (pid_t)ev->pid, rp->file);
}

/* A link: L old new; but an open file given its (first) name is a W of
 * the new name, not an L from a name that never existed. */
static void write_link(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	if (rp->fd_unnamed[0] || ((ev->aux & FM_LINK_FOLLOW) && is_proc_fd(rp->named[0])))
		log_path(log, 'W', (pid_t)ev->pid, rp->named[1]);
	else
		log_pair(log, 'L', (pid_t)ev->pid, rp->named[0], rp->named[1]);
}

/* The paths each kind needs, present?  (why is set for those not whole.) */
static int has_paths(const struct fm_event *ev, const struct record_paths *rp)
{
	switch (ev->kind) {
	case FM_OPEN:
	case FM_EXEC:
	case FM_CHDIR:
		return rp->file != NULL;
	case FM_UNLINK:
		return rp->named[0] != NULL;
	case FM_RENAME:
	case FM_LINK:
		return rp->named[0] && rp->named[1];
	case FM_SYMLINK:
		return rp->text && rp->named[0];
	default:
		return 1;
	}
}

void fmout_render(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	pid_t pid = (pid_t)ev->pid;

	if ((ev->flags & FM_EV_FAILED) || !kind_letter[ev->kind])
		return; /* the audit's: a filemon log holds what happened, in its kinds */
	if (rp->why || !has_paths(ev, rp)) {
		log_unresolved(log, letter_of(ev), pid, rp->why ? rp->why : "path missing");
		return;
	}
	switch (ev->kind) {
	case FM_FORK: log_fork(log, pid, (pid_t)ev->aux); break;
	case FM_EXIT: log_exit(log, pid, ev->aux); break;
	case FM_OPEN: write_open(log, ev, rp); break;
	case FM_EXEC:
		write_exec(log, ev, rp);
		if (ev->aux & FM_EXEC_DROPPED)
			log_untraced(log, pid, "credentials changed at exec (setuid, setgid or file capabilities); "
					       "only its exit is recorded");
		break;
	case FM_CHDIR: log_path(log, 'C', pid, rp->file); break;
	case FM_UNLINK: log_path(log, 'D', pid, rp->named[0]); break;
	case FM_RENAME: log_pair(log, 'M', pid, rp->named[0], rp->named[1]); break;
	case FM_LINK: write_link(log, ev, rp); break;
	case FM_SYMLINK: log_pair(log, 'L', pid, rp->text, rp->named[0]); break;
	case FM_IOURING: log_iouring(log, pid); break;
	}
}

/* --format json: every record, failed calls included, in the audit's schema. */
static void render_json(struct filemon_output *o, const struct fm_event *ev, const struct record_paths *rp)
{
	if (!audit_render_event(o->json, o->log.fp, ev, rp)) {
		o->malformed++; /* no audit segment: cannot happen for a json slot */
		return;
	}
	o->log.records++;
	o->log.unresolved += rp->why != NULL;
	o->log.iouring += ev->kind == FM_IOURING;
}

static void on_record(struct output *base, const struct fm_event *ev, const struct record_paths *rp)
{
	struct filemon_output *o = (struct filemon_output *)base;

	if (!o->log.fp)
		o->before_log++;
	else if (o->json)
		render_json(o, ev, rp);
	else
		fmout_render(&o->log, ev, rp);
}

static void on_malformed(struct output *base)
{
	((struct filemon_output *)base)->malformed++;
}

static void on_flush(struct output *base, bool whole)
{
	(void)whole;
	struct filemon_output *o = (struct filemon_output *)base;

	if (o->log.fp)
		sink_flush(o->sink, o->log.fp);
}

static const struct output_ops filemon_ops = { .record = on_record, .malformed = on_malformed, .flush = on_flush };

void fmout_init(struct filemon_output *o)
{
	memset(o, 0, sizeof(*o));
	o->base.ops = &filemon_ops;
}

int fmout_open(struct filemon_output *o, int fd, int done_fd, pid_t target, bool json)
{
	struct timeval now;
	int err;

	if (json && !(o->json = audit_render_new()))
		return -ENOMEM;
	if ((err = sink_open(&o->sink, &o->log.fp, fd, done_fd))) {
		audit_render_free(o->json);
		o->json = NULL;
		return err;
	}
	gettimeofday(&now, NULL);
	if (o->json)
		audit_render_note(o->json, o->log.fp, "start", target, "a filemond session", -1);
	else
		log_header(&o->log, target, &now);
	sink_flush(o->sink, o->log.fp);
	return 0;
}

void fmout_untraced(struct filemon_output *o, pid_t pid, const char *why)
{
	if (o->log.fp && o->json)
		audit_render_note(o->json, o->log.fp, "untraced", pid, why, -1);
	else if (o->log.fp)
		log_untraced(&o->log, pid, why);
}

void fmout_note(struct filemon_output *o, const char *text)
{
	if (o->log.fp && o->json)
		audit_render_note(o->json, o->log.fp, "note", 0, text, -1);
	else if (o->log.fp)
		log_comment(&o->log, text);
}

void fmout_sync(struct filemon_output *o, unsigned long long lost)
{
	char text[64];

	if (!o->log.fp)
		return;
	if (lost > o->lost_noted) {
		snprintf(text, sizeof(text), "lost %llu events so far", lost);
		fmout_note(o, text);
		o->lost_noted = lost;
	}
	sink_flush(o->sink, o->log.fp);
}

int fmout_written(const struct filemon_output *o)
{
	return o->sink ? sink_written(o->sink) : 1;
}

void fmout_end(struct filemon_output *o, unsigned long long lost)
{
	struct timeval now;

	if (!o->log.fp)
		return;
	gettimeofday(&now, NULL);
	if (o->json) {
		audit_render_note(o->json, o->log.fp, "end", 0, NULL, (long long)lost);
	} else {
		log_lost(&o->log, lost);
		log_trailer(&o->log, &now);
	}
	sink_finish(o->sink, o->log.fp);
	o->log.fp = NULL;
	audit_render_free(o->json);
	o->json = NULL;
}

unsigned long long fmout_lost(const struct filemon_output *o)
{
	return o->before_log + (o->sink ? sink_lost(o->sink) : 0);
}
