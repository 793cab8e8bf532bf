// SPDX-License-Identifier: BSD-2-Clause
/* service.c - the session service every frontend drives (see service.h). */
#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "slots.h"
#include "util.h"

/* With no session for this long, the programs are detached: an idle daemon costs nothing. */
#define IDLE_DETACH_MS 2000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int service_load(struct service *svc, const struct service_opts *o)
{
	int err;

	memset(svc, 0, sizeof(*svc));
	svc->o = o;
	if (tracer_load(&svc->tracer, &o->tracer))
		return -1;
	if ((err = consumer_init(&svc->consumer, tracer_ring_fd(&svc->tracer)))) {
		fm_error("cannot read the event ring: %s", strerror(-err));
		return -1;
	}
	svc->idle_since_ms = now_ms();
	if (o->audit) {
		svc->consumer.audit = audit_output(o->audit);
		if (tracer_attach(&svc->tracer))
			return -1;
	}
	return 0;
}

int service_ring_fd(const struct service *svc)
{
	return consumer_fd(&svc->consumer);
}

bool service_drain(struct service *svc)
{
	consumer_drain(&svc->consumer);
	return svc->consumer.held;
}

void service_drain_all(struct service *svc, long long ms)
{
	for (long long waited = 0; service_drain(svc) && waited < ms; waited++)
		usleep(1000);
	svc->consumer.never_hold = true; /* a writer still behind: its losses are counted */
	service_drain(svc);
	svc->consumer.never_hold = false;
}

static int sessions_of(const struct service *svc, uid_t uid)
{
	int n = 0;

	for (int i = 0; i < FM_MAX_SESSIONS; i++)
		n += svc->open[i] && svc->open[i]->cred.uid == uid;
	return n;
}

/* Sessions of users other than root may not take the last eighth of the slots. */
static int session_limit(const struct service *svc, const struct client_cred *cred)
{
	int max = svc->o->max_sessions;

	if (svc->nsessions >= max)
		return -EUSERS;
	if (cred->privileged)
		return 0;
	if (svc->nsessions >= max - max / 8)
		return -EUSERS;
	return sessions_of(svc, cred->uid) >= svc->o->user_sessions ? -EDQUOT : 0;
}

/* An unprivileged session follows at most this many processes: one user
 * with every session it may have holds at most half the tracer map. */
static unsigned int user_max_procs(const struct service *svc)
{
	unsigned int n = svc->o->tracer.max_procs / (2u * (unsigned int)svc->o->user_sessions);

	return n ? n : 1;
}

int service_open(struct service *svc, struct session *s, const struct client_cred *cred)
{
	int err;

	if ((err = session_limit(svc, cred)))
		return err;
	if (tracer_attach(&svc->tracer)) /* the first session after an idle spell */
		return -EIO;
	if ((err = session_open(s, &svc->tracer, cred, user_max_procs(svc))))
		return err == -EBUSY ? -EUSERS : err;
	consumer_route(&svc->consumer, s->slot, s->gen_first, &s->out.base);
	svc->open[s->slot] = s;
	svc->nsessions++;
	return 0;
}

int service_set_log(struct service *svc, struct session *s, int fd, int done_fd, bool json)
{
	return session_set_log(s, &svc->tracer, fd, done_fd, json);
}

int service_attach(struct service *svc, struct session *s, pid_t pid, bool tree, pid_t caller)
{
	return session_attach(s, &svc->tracer, pid, tree, caller);
}

void service_sync(struct service *svc, struct session *s)
{
	struct session_result r;

	if (s->slot < 0)
		return;
	consumer_drain(&svc->consumer);
	session_result(s, &svc->tracer, &r);
	fmout_sync(&s->out, r.lost + r.malformed);
}

bool service_scan_step(struct service *svc, struct session *s, int budget)
{
	if (!s->scan)
		return true;
	/* the records of what is attached so far go before a "complete" line */
	consumer_drain(&svc->consumer);
	return session_scan_step(s, &svc->tracer, budget);
}

bool service_empty(struct service *svc, struct session *s)
{
	if (s->slot < 0 || !session_empty(s, &svc->tracer))
		return false;
	consumer_drain(&svc->consumer);
	return true;
}

void service_close(struct service *svc, struct session *s)
{
	int slot = s->slot;

	if (slot < 0)
		return;
	consumer_drain(&svc->consumer);
	session_detach(s, &svc->tracer);
	consumer_drain(&svc->consumer); /* records hooks queued while it closed */
	consumer_unroute(&svc->consumer, slot);
	svc->open[slot] = NULL;
	if (--svc->nsessions == 0)
		svc->idle_since_ms = now_ms();
	session_end_log(s);
}

void service_idle(struct service *svc)
{
	if (svc->nsessions == 0 && svc->tracer.nlinks && !svc->o->audit && now_ms() - svc->idle_since_ms >= IDLE_DETACH_MS)
		tracer_detach(&svc->tracer);
}

char *service_status(struct service *svc, const struct client_cred *asker)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "sessions %d, tracer map entries %d\n", svc->nsessions, slot_map_entries(&svc->tracer));
	fprintf(f, "programs %s\n", svc->tracer.nlinks ? "attached" : "detached (no session)");
	if (svc->o->audit)
		audit_status(svc->o->audit, f);
	fprintf(f, "kernel %s, BPF level %s, exit test %s, io_uring hook %s\n", svc->tracer.features.release,
		features_level_text(svc->tracer.features.level),
		svc->tracer.features.exit_group_dead ? "group_dead" : "signal->live",
		svc->tracer.iouring_tp ? svc->tracer.iouring_tp : "none");
	fprintf(f, "events lost since start (all sessions) %llu\n", tracer_lost(&svc->tracer));
	fprintf(f, "malformed records of no session since start %llu\n", svc->consumer.unowned_malformed);
	fprintf(f, "%-10s %-8s %-6s %-6s %-10s %-8s %-9s %-10s %-8s\n", "SESSION", "CLIENT", "UID", "PROCS", "RECORDS",
		"LOST", "MALFORMED", "UNRESOLVED", "UNTRACED");
	for (int i = 0; i < FM_MAX_SESSIONS; i++) {
		const struct session *s = svc->open[i];
		struct session_result r;
		char id[32];

		if (!s || (!asker->privileged && s->cred.uid != asker->uid))
			continue;
		session_result(s, &svc->tracer, &r);
		snprintf(id, sizeof(id), "%d.%u", s->slot, s->gen_first); /* slot.generation */
		fprintf(f, "%-10s %-8d %-6u %-6d %-10llu %-8llu %-9llu %-10llu %-8llu\n", id, (int)s->cred.pid,
			s->cred.uid, session_nproc(s, &svc->tracer), s->out.log.records, (unsigned long long)r.lost,
			(unsigned long long)r.malformed, (unsigned long long)r.unresolved,
			(unsigned long long)r.untraced);
	}
	fclose(f);
	return buf;
}

void service_free(struct service *svc)
{
	consumer_free(&svc->consumer);
	tracer_close(&svc->tracer);
}
