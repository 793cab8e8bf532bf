// SPDX-License-Identifier: BSD-2-Clause
/*
 * slots.c - open, attach, detach, close of session slots.
 *
 * The slots live in the BPF object's .bss, mapped into this process, and
 * the BPF hooks update them concurrently: nproc and lost with atomic adds,
 * state and gen read on every hook.  Detaching follows FreeBSD's
 * filemon_dtr(): first make the old entries unusable (bump gen, so every
 * tracer entry pointing at the slot is stale from that instant and no fork
 * can inherit it), then sweep the map so no entry outlives its session.
 */
#include "slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "filemond.h"
#include "tracer.h"

static struct fm_session *slot_ptr(const struct tracer *t, int slot)
{
	return &tracer_sessions(t)[slot];
}

uint32_t slot_gen(const struct tracer *t, int slot)
{
	return __atomic_load_n(&slot_ptr(t, slot)->gen, __ATOMIC_ACQUIRE);
}

/* Publish a new generation, its refcount zeroed first. */
static void new_generation(struct fm_session *s)
{
	uint32_t next = __atomic_load_n(&s->gen, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&s->nproc[next & 1], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gen, next, __ATOMIC_RELEASE);
	/* before the sweep reads the map: a fork hook that inserted an entry
	 * of the old generation after the sweep passed sees the new one and
	 * deletes its entry itself (see inherit() in bpf/filemond.bpf.c) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int slot_open(struct tracer *t, uint32_t flags, uint32_t max_procs)
{
	for (int i = 0; i < FM_MAX_SESSIONS; i++) {
		struct fm_session *s = slot_ptr(t, i);

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != FM_SESSION_FREE)
			continue;
		__atomic_store_n(&s->lost, 0, __ATOMIC_RELAXED);
		s->flags = flags;
		s->max_procs = max_procs;
		new_generation(s);
		__atomic_store_n(&s->state, FM_SESSION_OPEN, __ATOMIC_RELEASE);
		return i;
	}
	return -EBUSY;
}

/* Is this entry live: its slot open with the same generation? */
static int is_live(const struct tracer *t, const struct fm_tracee *v)
{
	const struct fm_session *s = slot_ptr(t, (int)(v->session % FM_MAX_SESSIONS));

	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == FM_SESSION_OPEN &&
	       __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) == v->gen;
}

int slot_of_pid(const struct tracer *t, pid_t pid)
{
	struct fm_tracee v;
	__u32 key = (__u32)pid;

	if (bpf_map__lookup_elem(tracer_tracees(t), &key, sizeof(key), &v, sizeof(v), 0) || !is_live(t, &v))
		return -1;
	return (int)v.session;
}

void slot_forget(struct tracer *t, pid_t pid)
{
	struct fm_tracee v;
	__u32 key = (__u32)pid;
	const struct bpf_map *m = tracer_tracees(t);

	if (bpf_map__lookup_elem(m, &key, sizeof(key), &v, sizeof(v), 0) == 0 &&
	    bpf_map__delete_elem(m, &key, sizeof(key), 0) == 0 && is_live(t, &v))
		__atomic_sub_fetch(&slot_ptr(t, (int)v.session)->nproc[v.gen & 1], 1, __ATOMIC_RELEASE);
}

/*
 * Insert pid's entry where there is none: the fork hook may have added the
 * child it is inheriting since our look (the child is in its parent's
 * /proc children list before that hook runs), and then the hook counted
 * it.  Only a stale entry is replaced.
 */
static int insert(struct tracer *t, __u32 key, const struct fm_tracee *v, int slot)
{
	const struct bpf_map *m = tracer_tracees(t);
	int owner;

	for (int tries = 0; tries < 2; tries++) {
		if (bpf_map__update_elem(m, &key, sizeof(key), v, sizeof(*v), BPF_NOEXIST) == 0)
			return 0;
		if (errno != EEXIST)
			return errno == E2BIG ? -ENOSPC : -errno;
		if ((owner = slot_of_pid(t, (pid_t)key)) >= 0)
			return owner == slot ? -EEXIST : -EBUSY;
		bpf_map__delete_elem(m, &key, sizeof(key), 0); /* stale */
	}
	return -EBUSY;
}

/*
 * PF_EXITING is set before the exit hook runs, so an entry added while it
 * is clear will be seen (and removed) by that hook; one added later is
 * ours to remove.
 */
int slot_attach(struct tracer *t, int slot, const struct target *tg)
{
	struct fm_session *s = slot_ptr(t, slot);
	struct fm_tracee v = { .session = (fm_u32)slot, .gen = slot_gen(t, slot) };
	__u32 key = (__u32)tg->pid;
	int owner = slot_of_pid(t, tg->pid);
	int err;

	if (owner == slot)
		return -EEXIST;
	if (owner >= 0)
		return -EBUSY;
	if (target_exiting(tg))
		return -ESRCH;
	if ((err = insert(t, key, &v, slot)))
		return err;
	__atomic_add_fetch(&s->nproc[v.gen & 1], 1, __ATOMIC_RELEASE);
	if (target_exiting(tg)) {
		slot_forget(t, tg->pid);
		return -ESRCH;
	}
	return 0;
}

void slot_set_json(struct tracer *t, int slot)
{
	struct fm_session *s = slot_ptr(t, slot);

	if (s->flags & FM_SESSION_JSON)
		return;
	__atomic_or_fetch(&s->flags, FM_SESSION_JSON, __ATOMIC_RELEASE);
	__atomic_add_fetch(tracer_json_sessions(t), 1, __ATOMIC_RELEASE);
}

int slot_nproc(const struct tracer *t, int slot)
{
	const struct fm_session *s = slot_ptr(t, slot);

	return __atomic_load_n(&s->nproc[slot_gen(t, slot) & 1], __ATOMIC_ACQUIRE);
}

unsigned long long slot_lost(const struct tracer *t, int slot)
{
	return __atomic_load_n(&slot_ptr(t, slot)->lost, __ATOMIC_ACQUIRE);
}

/* Delete every stale entry (a closed or detached generation's, and any laggard's). */
static void sweep(struct tracer *t)
{
	const struct bpf_map *m = tracer_tracees(t);
	__u32 key, next;
	int have = 0;

	while (bpf_map__get_next_key(m, have ? &key : NULL, &next, sizeof(next)) == 0) {
		struct fm_tracee v;

		if (bpf_map__lookup_elem(m, &next, sizeof(next), &v, sizeof(v), 0) == 0 && !is_live(t, &v)) {
			bpf_map__delete_elem(m, &next, sizeof(next), 0);
			continue; /* next is gone: continue from key */
		}
		key = next;
		have = 1;
	}
}

void slot_detach_all(struct tracer *t, int slot)
{
	new_generation(slot_ptr(t, slot));
	sweep(t);
}

void slot_close(struct tracer *t, int slot)
{
	struct fm_session *s = slot_ptr(t, slot);

	new_generation(s);
	__atomic_store_n(&s->state, FM_SESSION_CLOSED, __ATOMIC_RELEASE);
	if (s->flags & FM_SESSION_JSON) {
		__atomic_and_fetch(&s->flags, ~(uint32_t)FM_SESSION_JSON, __ATOMIC_RELEASE);
		__atomic_sub_fetch(tracer_json_sessions(t), 1, __ATOMIC_RELEASE);
	}
	sweep(t);
	__atomic_store_n(&s->state, FM_SESSION_FREE, __ATOMIC_RELEASE);
}

int slot_map_entries(const struct tracer *t)
{
	const struct bpf_map *m = tracer_tracees(t);
	__u32 key, next;
	int n = 0;

	while (bpf_map__get_next_key(m, n ? &key : NULL, &next, sizeof(next)) == 0) {
		key = next;
		n++;
	}
	return n;
}
