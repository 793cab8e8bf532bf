// SPDX-License-Identifier: BSD-2-Clause
/*
 * session.c - a session's lifecycle: open, set log, attach, close.
 *
 * Lifetime (the vmspace hold/drop seed): the consumer routes records to a
 * session through its slot, so a session stays registered there until its
 * last queued record is written; only then is the slot freed, and records
 * of a later session on the same slot are told apart by generation.
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

#include "consumer.h"
#include "log_sink.h"
#include "proctree.h"
#include "slots.h"

int session_open(struct session *s, struct tracer *t, const struct client_cred *cred, unsigned int max_procs)
{
	int slot = cred->privileged ? slot_open(t, FM_SESSION_PRIVILEGED, 0) : slot_open(t, 0, max_procs);

	memset(s, 0, sizeof(*s));
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

int session_set_log(struct session *s, int fd, int done_fd)
{
	struct timeval now;
	int err;

	if (s->log.fp || s->sink)
		return -EEXIST;
	if ((err = log_fd_usable(fd)) || (err = sink_open(&s->sink, &s->log.fp, fd, done_fd)))
		return err;
	gettimeofday(&now, NULL);
	log_header(&s->log, s->cred.pid, &now);
	sink_flush(s->sink, s->log.fp);
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

/* A descendant found by a tree scan: one the client may not trace, or that
 * is gone, is left out. */
static void attach_descendant(pid_t pid, void *ctx)
{
	void **a = ctx;

	attach_checked(a[0], a[1], pid);
}

/* The client moving itself out of another session: only if it may trace
 * itself (its pid may since belong to somebody else's process). */
static int may_move(const struct session *s, pid_t pid)
{
	struct target tg;
	int err = target_open(&tg, pid);

	if (!err)
		err = target_may_trace(&tg, &s->cred);
	target_close(&tg);
	return err;
}

int session_attach(struct session *s, struct tracer *t, pid_t pid, bool tree)
{
	int owner = slot_of_pid(t, pid);
	int err;

	if (owner >= 0 && owner != s->slot && pid != s->cred.pid)
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
	err = attach_checked(s, t, pid);
	if (!err && tree && !(s->scan = proctree_new(pid)))
		err = -ENOMEM;
	if (err == 0)
		s->had_procs = true;
	return err;
}

bool session_scan_step(struct session *s, struct tracer *t, int budget)
{
	void *ctx[2] = { s, t };

	if (s->scan && (s->attach_err || proctree_step(s->scan, budget, attach_descendant, ctx))) {
		proctree_free(s->scan);
		s->scan = NULL;
	}
	return !s->scan;
}

bool session_owns(const struct session *s, uint32_t slot, uint32_t gen)
{
	return s->slot >= 0 && (uint32_t)s->slot == slot && gen >= s->gen_first;
}

int session_nproc(const struct session *s, const struct tracer *t)
{
	return slot_nproc(t, s->slot);
}

bool session_empty(const struct session *s, const struct tracer *t)
{
	return s->had_procs && slot_nproc(t, s->slot) <= 0;
}

unsigned long long session_lost(const struct session *s, const struct tracer *t)
{
	unsigned long long n = s->malformed + s->before_log + (s->sink ? sink_lost(s->sink) : 0);

	return n + (s->slot >= 0 ? slot_lost(t, s->slot) : s->kernel_lost);
}

void session_flush(struct session *s)
{
	if (s->log.fp)
		sink_flush(s->sink, s->log.fp);
}

void session_close(struct session *s, struct tracer *t, struct consumer *c)
{
	struct timeval now;

	if (s->slot < 0)
		return;
	proctree_free(s->scan);
	s->scan = NULL;
	consumer_drain(c);
	slot_close(t, s->slot);
	consumer_drain(c); /* records hooks queued while it closed */
	consumer_set_session(c, s->slot, NULL);
	s->kernel_lost = slot_lost(t, s->slot);
	s->slot = -1;
	if (s->log.fp) {
		gettimeofday(&now, NULL);
		log_lost(&s->log, session_lost(s, t));
		log_trailer(&s->log, &now);
		sink_finish(s->sink, s->log.fp);
		s->log.fp = NULL;
	}
}

bool session_log_done(const struct session *s)
{
	return !s->sink || sink_done(s->sink);
}

void session_log_cancel(struct session *s)
{
	if (s->sink)
		sink_cancel(s->sink);
}

int session_finish(struct session *s, unsigned long long *lost)
{
	int err = 0;

	*lost = s->malformed + s->before_log + s->kernel_lost;
	if (s->sink)
		err = sink_close(s->sink, lost); /* waits for the writer */
	s->sink = NULL;
	return err;
}
