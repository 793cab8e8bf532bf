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
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "consumer.h"
#include "proctree.h"
#include "slots.h"

int session_open(struct session *s, struct tracer *t, pid_t client_pid, uid_t client_uid)
{
	int slot = slot_open(t);

	memset(s, 0, sizeof(*s));
	s->slot = -1;
	if (slot < 0)
		return slot;
	s->slot = slot;
	s->gen_first = slot_gen(t, slot);
	s->client_pid = client_pid;
	s->client_uid = client_uid;
	return 0;
}

int session_set_log(struct session *s, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	struct timeval now;
	int dup_fd;

	if (s->log.fp)
		return -EEXIST;
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH))
		return -EBADF;
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return -errno;
	s->log.fp = fdopen(dup_fd, "w");
	if (!s->log.fp) {
		close(dup_fd);
		return -ENOMEM;
	}
	setvbuf(s->log.fp, NULL, _IOFBF, 1 << 16);
	gettimeofday(&now, NULL);
	log_header(&s->log, s->client_pid, &now);
	fflush(s->log.fp);
	return 0;
}

/* Attach one process for a tree scan; -EEXIST (already ours) is fine. */
static int attach_one(pid_t pid, void *ctx)
{
	void **a = ctx;
	int err = slot_attach(a[0], *(int *)a[1], pid);

	return err == -EEXIST ? 0 : err;
}

int session_attach(struct session *s, struct tracer *t, pid_t pid, pid_t self, bool tree)
{
	void *ctx[2] = { t, &s->slot };
	int owner = slot_of_pid(t, pid);
	int err;

	if (owner >= 0 && owner != s->slot && pid != self)
		return -EBUSY;
	slot_detach_all(t, s->slot);
	if (owner >= 0 && owner != s->slot)
		slot_forget(t, pid); /* the caller leaves its old session */
	err = tree ? proctree_attach(pid, attach_one, ctx) : slot_attach(t, s->slot, pid);
	if (err == 0)
		s->had_procs = true;
	return err;
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
	return slot_lost(t, s->slot);
}

int session_close(struct session *s, struct tracer *t, struct consumer *c, unsigned long long *lost)
{
	struct timeval now;
	int err = 0;

	*lost = 0;
	if (s->slot < 0)
		return 0;
	consumer_drain(c);
	*lost = slot_lost(t, s->slot);
	slot_close(t, s->slot);
	consumer_drain(c); /* records hooks queued while it closed */
	consumer_set_session(c, s->slot, NULL);
	if (s->log.fp) {
		gettimeofday(&now, NULL);
		log_lost(&s->log, *lost);
		log_trailer(&s->log, &now);
		err = log_finish(&s->log);
		if (fclose(s->log.fp) && !err)
			err = -errno;
		s->log.fp = NULL;
	}
	s->slot = -1;
	return err;
}
