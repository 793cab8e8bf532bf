// SPDX-License-Identifier: BSD-2-Clause
/*
 * consumer.c - decode ring records and write them as filemon lines.
 *
 * Runs in one thread.  The callback validates every record (a malformed
 * one is counted, never trusted) and always returns 0: a negative return
 * would make libbpf stop consuming mid-ring.
 */
#include "consumer.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "filemon_log.h"
#include "filemond.skel.h"
#include "path.h"
#include "tracer.h"

static const char kind_letter[] = { [FM_FORK] = 'F', [FM_EXEC] = 'E', [FM_EXIT] = 'X', [FM_OPEN] = 'R' };

/* The path of ev, or NULL after noting in the log why it is not whole. */
static const char *event_path(struct consumer *c, struct filemon_log *log, const struct fm_event *ev)
{
	const char *why = NULL;

	if (ev->path_flags & FM_PATH_TRUNCATED)
		why = "path longer than PATH_MAX";
	else if (ev->path_flags & FM_PATH_UNREADABLE)
		why = "path unreadable in the kernel";
	else if (ev->path_flags & FM_PATH_NONE)
		why = "no file";
	else if (path_decode(ev->path, ev->path_len, c->path, sizeof(c->path)) < 0)
		why = "malformed path";
	if (!why)
		return c->path;
	log_unresolved(log, kind_letter[ev->kind], (pid_t)ev->pid, why);
	return NULL;
}

static void write_event(struct consumer *c, struct filemon_log *log, const struct fm_event *ev)
{
	const char *path;

	switch (ev->kind) {
	case FM_FORK:
		log_fork(log, (pid_t)ev->pid, (pid_t)ev->aux);
		break;
	case FM_EXIT:
		log_exit(log, (pid_t)ev->pid, ev->aux);
		break;
	case FM_EXEC:
		if ((path = event_path(c, log, ev)))
			log_exec(log, (pid_t)ev->pid, path);
		break;
	case FM_OPEN:
		if ((path = event_path(c, log, ev)))
			log_open(log, (pid_t)ev->pid, ev->aux, path);
		break;
	default:
		c->malformed++;
	}
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	const struct fm_event *ev = data;
	struct filemon_log *log;

	if (size < FM_EVENT_HDR_SIZE || ev->path_len > size - FM_EVENT_HDR_SIZE || ev->session >= FM_MAX_SESSIONS) {
		c->malformed++;
		return 0;
	}
	log = c->logs[ev->session];
	if (log) /* no log: the session closed while this was queued */
		write_event(c, log, ev);
	return 0;
}

int consumer_init(struct consumer *c, struct tracer *t)
{
	memset(c, 0, sizeof(*c));
	c->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, c, NULL);
	return c->rb ? 0 : -errno;
}

void consumer_set_log(struct consumer *c, int slot, struct filemon_log *log)
{
	c->logs[slot] = log;
}

int consumer_fd(const struct consumer *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int consumer_drain(struct consumer *c)
{
	int n = ring_buffer__consume(c->rb);

	return n < 0 ? n : 0;
}

void consumer_free(struct consumer *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
}
