/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tracer.bpf.h - the per-task tracer map and the session slots.
 *
 * tracees: thread-group id -> (session slot, generation).  Threads share
 * their process's entry.  Entries are added by userspace (attach) and by
 * the fork hook (inheritance), removed by the exit hook (the delete is the
 * "exactly once" token for X) and by session close.
 *
 * Lifetime (the p_filemon rules, see include/filemond.h): an entry is live
 * only while its session slot is OPEN with the same generation.  Closing a
 * session bumps the generation first, so from that instant no hook records
 * or inherits through the old entries, whatever order the sweep takes.
 */
#ifndef FILEMOND_TRACER_BPF_H
#define FILEMOND_TRACER_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* set at load time: --max-procs */
	__type(key, __u32);
	__type(value, struct fm_tracee);
} tracees SEC(".maps");

/* Session slots; userspace reads and initialises them through the mmap. */
struct fm_session sessions[FM_MAX_SESSIONS];

static __always_inline struct fm_session *session_slot(__u32 slot)
{
	return &sessions[slot & (FM_MAX_SESSIONS - 1)];
}

/*
 * The open session an entry of process tgid belongs to, or NULL; *t
 * receives the entry.  A stale entry (its session closed) is deleted on
 * sight.  Dropped entries (FM_TRACEE_DROPPED) count: only the exit hook
 * asks for them.
 */
static __always_inline struct fm_session *tracer_entry(__u32 tgid, struct fm_tracee *t)
{
	struct fm_tracee *v = bpf_map_lookup_elem(&tracees, &tgid);
	struct fm_session *s;

	if (!v)
		return NULL;
	*t = *v;
	s = session_slot(t->session);
	if (s->state == FM_SESSION_OPEN && s->gen == t->gen)
		return s;
	bpf_map_delete_elem(&tracees, &tgid);
	return NULL;
}

/* The open session recording process tgid, or NULL (untraced, or dropped). */
static __always_inline struct fm_session *traced(__u32 tgid, struct fm_tracee *t)
{
	struct fm_session *s = tracer_entry(tgid, t);

	return s && !(t->flags & FM_TRACEE_DROPPED) ? s : NULL;
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

#endif /* FILEMOND_TRACER_BPF_H */
