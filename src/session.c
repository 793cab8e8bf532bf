// SPDX-License-Identifier: BSD-2-Clause
/*
 * session.c - open, attach, close of session slots.
 *
 * The slots live in the BPF object's .bss, mapped into this process, and
 * the BPF hooks update them concurrently: nproc and lost with atomic adds,
 * state and gen read on every hook.  Closing follows FreeBSD's
 * filemon_dtr(): first make the session unusable (bump gen, so every
 * tracer entry pointing at it is stale from that instant and no fork can
 * inherit it), then sweep the map so no entry outlives the session.
 */
#include "session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>

#include "filemond.h"
#include "filemond.skel.h"
#include "tracer.h"

static struct fm_session *slot_of(const struct tracer *t, int slot)
{
	return &t->skel->bss->sessions[slot];
}

int session_open(struct tracer *t)
{
	for (int i = 0; i < FM_MAX_SESSIONS; i++) {
		struct fm_session *s = slot_of(t, i);

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != FM_SESSION_FREE)
			continue;
		__atomic_store_n(&s->nproc, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->lost, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->state, FM_SESSION_OPEN, __ATOMIC_RELEASE);
		return i;
	}
	return -EBUSY;
}

int session_attach(struct tracer *t, int slot, pid_t pid)
{
	struct fm_session *s = slot_of(t, slot);
	struct fm_tracee v = { .session = (fm_u32)slot, .gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) };
	__u32 key = (__u32)pid;

	if (bpf_map__update_elem(t->skel->maps.tracees, &key, sizeof(key), &v, sizeof(v), BPF_ANY))
		return -errno;
	__atomic_add_fetch(&s->nproc, 1, __ATOMIC_RELEASE);
	return 0;
}

int session_nproc(const struct tracer *t, int slot)
{
	return __atomic_load_n(&slot_of(t, slot)->nproc, __ATOMIC_ACQUIRE);
}

unsigned long long session_lost(const struct tracer *t, int slot)
{
	return __atomic_load_n(&slot_of(t, slot)->lost, __ATOMIC_ACQUIRE);
}

/* Is this entry dead: its session closed, or the slot reused since? */
static int is_stale(const struct tracer *t, const struct fm_tracee *v)
{
	const struct fm_session *s = slot_of(t, (int)(v->session % FM_MAX_SESSIONS));

	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != FM_SESSION_OPEN ||
	       __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != v->gen;
}

/* Delete every stale entry (the closed session's, and any laggard's). */
static void sweep(struct tracer *t)
{
	const struct bpf_map *m = t->skel->maps.tracees;
	__u32 key, next;
	int have = 0;

	while (bpf_map__get_next_key(m, have ? &key : NULL, &next, sizeof(next)) == 0) {
		struct fm_tracee v;

		if (bpf_map__lookup_elem(m, &next, sizeof(next), &v, sizeof(v), 0) == 0 && is_stale(t, &v)) {
			bpf_map__delete_elem(m, &next, sizeof(next), 0);
			continue; /* next's successor: restart from key */
		}
		key = next;
		have = 1;
	}
}

void session_close(struct tracer *t, int slot)
{
	struct fm_session *s = slot_of(t, slot);

	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->state, FM_SESSION_CLOSED, __ATOMIC_RELEASE);
	sweep(t);
	__atomic_store_n(&s->state, FM_SESSION_FREE, __ATOMIC_RELEASE);
}
