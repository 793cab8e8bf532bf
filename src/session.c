// SPDX-License-Identifier: BSD-2-Clause
/*
 * session.c - one session: its slot, its log, attaching processes.
 *
 * The order of a session's end (drain, free the slot, drain, unroute) is
 * the service's (service.c): this file never touches the ring.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log_sink.h"
#include "proctree.h"
#include "slots.h"

int session_open(struct session *s, struct tracer *t, const struct client_cred *cred, unsigned int max_procs)
{
	int slot = cred->privileged ? slot_open(t, FM_SESSION_PRIVILEGED, 0) : slot_open(t, 0, max_procs);

	memset(s, 0, sizeof(*s));
	fmout_init(&s->out);
	s->slot = -1;
	if (slot < 0)
		return slot;
	s->slot = slot;
	s->gen_first = slot_gen(t, slot);
	s->cred = *cred;
	return 0;
}

/* A log must be a file one can append lines to: FreeBSD refuses other types too. */
static int log_fd_usable(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH) || fstat(fd, &st))
		return -EBADF;
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISCHR(st.st_mode))
		return -EINVAL;
	/* the daemon writes as root (CAP_FSETID): a setuid/setgid file would keep its bit */
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)))
		return -EINVAL;
	return 0;
}

int session_set_log(struct session *s, struct tracer *t, int fd, int done_fd, bool json)
{
	int err;

	if (s->out.log.fp || s->out.sink)
		return -EEXIST;
	if (json && s->had_procs)
		return -EINVAL; /* records without the audit segment are on their way */
	if ((err = log_fd_usable(fd)))
		return err;
	if ((err = fmout_open(&s->out, fd, done_fd, s->cred.pid, json)))
		return err;
	if (json)
		slot_set_json(t, s->slot);
	return 0;
}

/*
 * FILEMOND_TEST_ATTACH_DELAY_MS: sleep that long between the permission
 * check and the map insert, so a test can make the pid-reuse window of an
 * attach as wide as it likes (tests/bats/security.bats).
 */
static void test_attach_delay(void)
{
	static long ms = -1;

	if (ms < 0) {
		const char *v = getenv("FILEMOND_TEST_ATTACH_DELAY_MS");

		ms = v ? strtol(v, NULL, 10) : 0;
		ms = ms > 0 && ms < 60000 ? ms : 0;
	}
	if (ms)
		usleep((useconds_t)ms * 1000);
}

/*
 * Attach one process: pinned, checked, inserted, checked again.  The second
 * check catches a target that exec'd a setuid program before its entry
 * existed (later execs are the exec hook's) and proves that the pid was
 * the checked process throughout.
 */
static int attach_checked(struct session *s, struct tracer *t, pid_t pid)
{
	struct target tg;
	int err = target_open(&tg, pid);

	if (err)
		return err;
	err = target_may_trace(&tg, &s->cred);
	if (!err) {
		test_attach_delay();
		err = slot_attach(t, s->slot, &tg);
	}
	if (!err && (err = target_may_trace(&tg, &s->cred))) {
		/* Its credentials changed between the checks (a setuid exec the
		 * exec hook could not see yet): it, and any child it forked since
		 * the insert, must go.  The whole generation is detached, and the
		 * attach fails. */
		slot_detach_all(t, s->slot);
		s->attach_err = err;
	}
	target_close(&tg);
	return err;
}

/* Why a descendant that exists is not traced, or NULL: it is, or it is gone. */
static const char *untraced_why(int err, bool *counted)
{
	*counted = true;
	switch (err) {
	case 0:
	case -ESRCH:
	case -EEXIST: /* it inherited the session from its parent meanwhile */
		return NULL;
	case -EPERM:
		*counted = false; /* the client's rule, not a hole */
		return "not the client's to trace (ptrace's rule); left out";
	case -EBUSY:
		return "traced by another session";
	case -ENOSPC:
		return "the tracer map is full (--max-procs)";
	default:
		return strerror(-err);
	}
}

/* A descendant found by a tree scan: attached, or named in the log. */
static void attach_descendant(pid_t pid, void *ctx)
{
	void **a = ctx;
	struct session *s = a[0];
	int err = attach_checked(s, a[1], pid);
	bool counted;
	const char *why = untraced_why(err, &counted);

	if (!err)
		s->scan_attached++;
	if (!why)
		return;
	fmout_untraced(&s->out, pid, why);
	s->untraced += counted;
}

/* The caller moving itself out of another session: only if the client may
 * trace it (its pid may since belong to somebody else's process). */
static int may_move(const struct session *s, pid_t pid)
{
	struct target tg;
	int err = target_open(&tg, pid);

	if (!err)
		err = target_may_trace(&tg, &s->cred);
	target_close(&tg);
	return err;
}

int session_attach(struct session *s, struct tracer *t, pid_t pid, bool tree, pid_t caller)
{
	int owner = slot_of_pid(t, pid);
	int err;

	if (owner >= 0 && owner != s->slot && pid != caller)
		return -EBUSY;
	if (owner >= 0 && owner != s->slot && (err = may_move(s, pid)))
		return err;
	if (s->had_procs)
		slot_detach_all(t, s->slot);
	if (owner >= 0 && owner != s->slot)
		slot_forget(t, pid); /* the client leaves its old session */
	proctree_free(s->scan);
	s->scan = NULL;
	s->attach_err = 0;
	s->scan_attached = 0;
	s->scan_root = pid;
	err = attach_checked(s, t, pid);
	if (!err && tree && !(s->scan = proctree_new(pid))) {
		slot_detach_all(t, s->slot);
		err = -ENOMEM;
	}
	if (err == 0)
		s->had_procs = true;
	return err;
}

/* The log says where it is complete: every descendant found is attached,
 * and their children follow by inheritance. */
static void note_complete(struct session *s)
{
	char text[160];

	snprintf(text, sizeof(text), "complete: pid %d and its %lu descendant%s are traced from here on",
		 (int)s->scan_root, s->scan_attached, s->scan_attached == 1 ? "" : "s");
	fmout_note(&s->out, text);
}

bool session_scan_step(struct session *s, struct tracer *t, int budget)
{
	void *ctx[2] = { s, t };
	int done;

	if (!s->scan)
		return true;
	done = s->attach_err ? 1 : proctree_step(s->scan, budget, attach_descendant, ctx);
	if (done < 0) { /* the scan ran out of memory: the attach fails whole */
		slot_detach_all(t, s->slot);
		s->attach_err = done;
	}
	if (!done)
		return false;
	if (!s->attach_err)
		note_complete(s);
	proctree_free(s->scan);
	s->scan = NULL;
	return true;
}

int session_nproc(const struct session *s, const struct tracer *t)
{
	return slot_nproc(t, s->slot);
}

bool session_empty(const struct session *s, const struct tracer *t)
{
	return s->had_procs && slot_nproc(t, s->slot) <= 0;
}

void session_result(const struct session *s, const struct tracer *t, struct session_result *r)
{
	r->lost = fmout_lost(&s->out) + (s->slot >= 0 ? slot_lost(t, s->slot) : s->kernel_lost);
	r->malformed = s->out.malformed;
	r->unresolved = s->out.log.unresolved;
	r->untraced = s->untraced;
	r->iouring = s->out.log.iouring;
}

void session_detach(struct session *s, struct tracer *t)
{
	if (s->slot < 0)
		return;
	proctree_free(s->scan);
	s->scan = NULL;
	slot_close(t, s->slot);
	s->kernel_lost = slot_lost(t, s->slot);
	s->slot = -1;
}

void session_end_log(struct session *s)
{
	struct session_result r;

	session_result(s, NULL, &r);
	fmout_end(&s->out, r.lost + r.malformed);
}

bool session_log_done(const struct session *s)
{
	return !s->out.sink || sink_done(s->out.sink);
}

int session_log_written(const struct session *s)
{
	return fmout_written(&s->out);
}

void session_log_cancel(struct session *s)
{
	if (s->out.sink)
		sink_cancel(s->out.sink);
}

int session_finish(struct session *s, struct session_result *r)
{
	unsigned long long not_written = 0;
	int err = 0;

	if (s->out.sink)
		err = sink_close(s->out.sink, &not_written); /* waits for the writer */
	s->out.sink = NULL;
	session_result(s, NULL, r);
	r->lost += not_written;
	return err;
}
