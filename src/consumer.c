// SPDX-License-Identifier: BSD-2-Clause
/*
 * consumer.c - decode ring records and write them as filemon lines.
 *
 * Runs in one thread.  Every record is validated (a malformed one is
 * counted, never trusted) and the callback always returns 0: a negative
 * return would make libbpf stop consuming mid-ring.
 *
 * Which records a kernel record becomes:
 *   open   [A rel] then R/W of the name it was opened by, then R/W of the
 *          file reached if that differs (a symlink on the way): a build
 *          sees both the link it named and the file it got
 *   exec   E of the name it was run by; E of the #! interpreter's name;
 *          E of the file executed if that differs
 *   chdir  C of the new cwd; unlink/rmdir D; rename M; link, symlink L
 */
#include "consumer.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "filemon_log.h"
#include "filemond.skel.h"
#include "path.h"
#include "session.h"
#include "tracer.h"

static const char kind_letter[FM_NKINDS] = {
	[FM_FORK] = 'F', [FM_EXEC] = 'E',   [FM_EXIT] = 'X', [FM_OPEN] = 'R',    [FM_CHDIR] = 'C',
	[FM_UNLINK] = 'D', [FM_RENAME] = 'M', [FM_LINK] = 'L', [FM_SYMLINK] = 'L', [FM_IOURING] = '#',
};

static const char *seg_problem(const struct fm_seg *h)
{
	if (h->flags & FM_SEG_TRUNCATED)
		return "path longer than PATH_MAX";
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
	char *slash;

	if (h->role == FM_SEG_BASE || h->role == FM_SEG_DIRFD)
		return path_decode(bytes, h->len, rp->base_buf, sizeof(rp->base_buf));
	if (!rp->file)
		return -1;
	strcpy(rp->base_buf, rp->file);
	slash = strrchr(rp->base_buf, '/');
	slash[slash == rp->base_buf] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
	return 0;
}

/* Apply one segment; the name index advances at each NAME. */
static int apply_segment(struct record_paths *rp, const struct fm_event *ev, const struct fm_seg *h,
			 const char *bytes, int *k, const char **raw)
{
	const char *problem = seg_problem(h);

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
		return 0;
	case FM_SEG_NAME:
		raw[*k] = seg_string(h, bytes);
		if (!raw[*k])
			return -1;
		if (raw[*k][0] == '/' && !is_dev_fd(ev, raw[*k]) &&
		    path_join("", raw[*k], rp->named_buf[*k], sizeof(rp->named_buf[0])) >= 0)
			rp->named[*k] = rp->named_buf[*k];
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
		}
		if (path_join(rp->base_buf, raw[*k], rp->named_buf[*k], sizeof(rp->named_buf[0])) < 0)
			rp->why = "path longer than PATH_MAX";
		else
			rp->named[*k] = rp->named_buf[*k];
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
		if (raw[i] && !rp->named[i] && !rp->why && ev->kind != FM_EXEC)
			rp->why = "no base directory for a relative path";
	return 0;
}

static int differs(const char *a, const char *b)
{
	return a && b && strcmp(a, b) != 0;
}

static void write_open(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	if (rp->dirfd_rel[0])
		log_path(log, 'A', (pid_t)ev->pid, rp->dirfd_rel[0]);
	if (rp->named[0])
		log_open(log, (pid_t)ev->pid, ev->aux, rp->named[0]);
	if (!rp->named[0] || differs(rp->file, rp->named[0]))
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

void record_write(struct filemon_log *log, const struct fm_event *ev, const struct record_paths *rp)
{
	pid_t pid = (pid_t)ev->pid;

	if (rp->why || !has_paths(ev, rp)) {
		log_unresolved(log, kind_letter[ev->kind], pid, rp->why ? rp->why : "path missing");
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
	case FM_LINK: log_pair(log, 'L', pid, rp->named[0], rp->named[1]); break;
	case FM_SYMLINK: log_pair(log, 'L', pid, rp->text, rp->named[0]); break;
	case FM_IOURING: log_iouring(log, pid); break;
	}
}

/* The session a record belongs to, from its header alone, or NULL: one
 * whose session closed, or of an earlier session on its slot (its session
 * ended before the hook finished), is nobody's. */
static struct session *owner_of(struct consumer *c, const struct fm_event *ev, size_t size)
{
	struct session *s;

	if (size < FM_EVENT_HDR_SIZE || ev->session >= FM_MAX_SESSIONS)
		return NULL;
	s = c->sessions[ev->session];
	return s && session_owns(s, ev->session, ev->gen) ? s : NULL;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	const struct fm_event *ev = data;
	struct session *s = owner_of(c, ev, size);

	if (size < FM_EVENT_HDR_SIZE || ev->kind == 0 || ev->kind >= FM_NKINDS ||
	    record_paths_decode(&c->paths, ev, size)) {
		c->malformed++;
		if (s)
			s->malformed++; /* loss of that session, reported in its log */
		return 0;
	}
	if (s && !s->log.fp)
		s->before_log++;
	else if (s)
		record_write(&s->log, ev, &c->paths);
	return 0;
}

int consumer_init(struct consumer *c, struct tracer *t)
{
	memset(c, 0, sizeof(*c));
	c->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, c, NULL);
	return c->rb ? 0 : -errno;
}

void consumer_set_session(struct consumer *c, int slot, struct session *s)
{
	c->sessions[slot] = s;
}

int consumer_fd(const struct consumer *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int consumer_drain(struct consumer *c)
{
	int n = ring_buffer__consume(c->rb);

	for (int i = 0; i < FM_MAX_SESSIONS; i++)
		if (c->sessions[i])
			session_flush(c->sessions[i]);
	return n < 0 ? n : 0;
}

void consumer_free(struct consumer *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
}
