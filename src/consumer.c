// SPDX-License-Identifier: BSD-2-Clause
/*
 * consumer.c - drain the ring: validate, decode, route to outputs.
 *
 * Runs in one thread.  Every record is validated (record.c): a malformed
 * one is counted as loss of the output it belongs to, never trusted.
 *
 * Back-pressure: when the audit's writer queue is past its mark, the
 * callback returns -EBUSY after the record it has just handed out; libbpf
 * then stops with that record consumed, and the others stay in the ring
 * for the next drain.  The ring (64 MiB for the audit) is the big buffer;
 * what overflows it is counted in the kernel, never dropped unseen.
 */
#include "consumer.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "output.h"

/* The output a record belongs to, from its header alone, or NULL: a
 * record of an earlier session on its slot (that session ended before the
 * hook finished) is nobody's.  Generations compare wrap-safely. */
static struct output *owner_of(const struct consumer *c, const struct fm_event *ev, size_t size)
{
	if (size < FM_EVENT_HDR_SIZE || ev->session >= FM_MAX_SESSIONS || !c->routes[ev->session].out)
		return NULL;
	if ((int32_t)(ev->gen - c->routes[ev->session].gen_first) < 0)
		return NULL;
	return c->routes[ev->session].out;
}

static bool audit_full(struct consumer *c)
{
	c->held = !c->never_hold && c->audit && c->audit->ops->full && c->audit->ops->full(c->audit);
	return c->held;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	const struct fm_event *ev = data;
	struct output *out = owner_of(c, ev, size);

	if (!record_header_valid(ev, size) || record_paths_decode(&c->paths, ev, size)) {
		if (out)
			out->ops->malformed(out);
		else
			c->unowned_malformed++;
		if (c->audit)
			c->audit->ops->malformed(c->audit);
		return 0;
	}
	if (out)
		out->ops->record(out, ev, &c->paths);
	if (c->audit)
		c->audit->ops->record(c->audit, ev, &c->paths);
	return audit_full(c) ? -EBUSY : 0;
}

int consumer_init(struct consumer *c, int ring_fd)
{
	memset(c, 0, sizeof(*c));
	c->rb = ring_buffer__new(ring_fd, handle_event, c, NULL);
	return c->rb ? 0 : -errno;
}

void consumer_route(struct consumer *c, int slot, uint32_t gen_first, struct output *out)
{
	c->routes[slot].out = out;
	c->routes[slot].gen_first = gen_first;
}

void consumer_unroute(struct consumer *c, int slot)
{
	c->routes[slot].out = NULL;
}

int consumer_fd(const struct consumer *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int consumer_drain(struct consumer *c)
{
	int n = audit_full(c) ? 0 : ring_buffer__consume(c->rb);

	if (n == -EBUSY && c->held)
		n = 0;

	for (int i = 0; i < FM_MAX_SESSIONS; i++)
		if (c->routes[i].out)
			c->routes[i].out->ops->flush(c->routes[i].out, !c->held);
	if (c->audit)
		c->audit->ops->flush(c->audit, !c->held);
	return n < 0 ? n : 0;
}

void consumer_free(struct consumer *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
}
