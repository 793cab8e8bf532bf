/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.bpf.h - the event queue: one BPF ring buffer shared by all CPUs and
 * sessions, and the loss counters.
 *
 * One MPSC ring keeps a single global order, which is what puts F before
 * every record of the child and X after every record of its process.
 * Records are built in a per-CPU scratch slot and copied in with their
 * exact size.  Wakeups are batched: the consumer polls every few ms, and a
 * record forces a wakeup only once wakeup_bytes are waiting (a wakeup per
 * record costs the traced task microseconds; see docs/DESIGN.md).  Then
 * every record forces one until the consumer catches up, so a lagging
 * consumer is kicked hard before the ring overflows.  Asking the ring is a
 * helper call, so a CPU asks only every check_bytes of its own records
 * while the ring is below the mark (counted in its scratch slot).
 *
 * Nothing is dropped silently: a failed output is counted per CPU (lost[])
 * and per session (fm_session.lost), and both reach the log.
 */
#ifndef FILEMOND_RING_BPF_H
#define FILEMOND_RING_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* set at load time: --ring-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FM_LOST_NKINDS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * One record under construction per CPU; masked offsets always land inside.
 * Too big for a per-CPU array (32 KiB cap), so a plain array indexed by CPU,
 * sized to the CPU count at load.  Safe: these hooks run in process
 * context with preemption disabled (perf_syscall_exit, the sched
 * tracepoints) and never nest on one CPU.
 */
struct scratch {
	__u64 unchecked; /* bytes this CPU queued since it last found the ring below wakeup_bytes */
	union {
		struct fm_event ev;
		char bytes[FM_EVENT_HDR_SIZE + FM_DATA_MASK + 1 + FM_PATH_MAX];
	};
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set at load time: number of possible CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

/* Bytes waiting in the ring from which records wake the consumer, and how
 * much one CPU queues between two looks at the ring (both set at load). */
const volatile __u64 wakeup_bytes = 256 << 10;
const volatile __u64 check_bytes = 32 << 10;

static __always_inline void count_lost(struct fm_session *s, __u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &kind);

	if (n)
		*n += 1;
	if (s)
		__sync_fetch_and_add(&s->lost, 1);
}

/* The audit service's object: every process is recorded, each record
 * carries a struct fm_audit, failed calls are recorded (audit_failures). */
const volatile bool audit_mode = false;
/* The audit's filters, set by userspace before the load and changed by a
 * reload (so not rodata): failed calls recorded too; the kinds recorded
 * (bit 1 << kind; a session's records always go). */
bool audit_failures;
__u32 audit_kinds;
/* The audit daemon itself: never recorded (its own writes would feed it). */
const volatile __u32 audit_self = 0;
/* Taken by each audit record as it is queued: a gap is a loss. */
__u64 audit_seq;
/* Sessions open with FM_SESSION_JSON (userspace counts them): while there
 * are none, a failed call of an untraced process costs no lookup. */
__u32 json_sessions;

/* Does a record of t carry the audit segment? */
static __always_inline int wants_audit_seg(const struct fm_tracee *t)
{
	return audit_mode || (t->session < FM_MAX_SESSIONS && (session_slot(t->session)->flags & FM_SESSION_JSON));
}

/* bpf/audit.bpf.h: the audit segment every record of an audit_mode object starts with. */
static __always_inline void audit_seg(struct fm_event *ev);

static __always_inline struct fm_audit *event_audit(struct fm_event *ev)
{
	return (void *)(ev->data + sizeof(struct fm_seg));
}

static __always_inline struct fm_event *event_begin(__u8 kind, const struct fm_tracee *t, __u32 pid, __u32 aux)
{
	struct scratch *sc = scratch_get();

	if (!sc)
		return NULL;
	sc->ev.kind = kind;
	sc->ev.nseg = 0;
	sc->ev.flags = 0;
	sc->ev.len = 0;
	sc->ev.session = t->session;
	sc->ev.gen = t->gen;
	sc->ev.pid = pid;
	sc->ev.aux = aux;
	if (wants_audit_seg(t)) {
		audit_seg(&sc->ev);
		sc->ev.flags = FM_EV_AUDIT;
	}
	return &sc->ev;
}

/* Queue ev (this CPU's scratch record); wake the consumer now if asked or
 * if wakeup_bytes are waiting. */
static __always_inline void event_submit_wake(struct fm_event *ev, struct fm_session *s, int wake)
{
	/* ev is always this CPU's scratch record (event_begin) */
	struct scratch *sc = (void *)((char *)ev - __builtin_offsetof(struct scratch, ev));
	__u64 len = ev->len;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (len > FM_DATA_MAX)
		len = FM_DATA_MAX;
	sc->unchecked += FM_EVENT_HDR_SIZE + len;
	if (wake)
		flags = BPF_RB_FORCE_WAKEUP;
	else if (sc->unchecked >= check_bytes) {
		if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP; /* and look again at the next record */
		else
			sc->unchecked = 0;
	}
	if (ev->flags & FM_EV_AUDIT)
		event_audit(ev)->seq = __sync_fetch_and_add(&audit_seq, 1);
	if (bpf_ringbuf_output(&events, ev, FM_EVENT_HDR_SIZE + len, flags))
		count_lost(s, FM_LOST_RING);
}

static __always_inline void event_submit(struct fm_event *ev, struct fm_session *s)
{
	event_submit_wake(ev, s, 0);
}

/* A record with no path (F, X, io_uring). */
static __always_inline void emit_plain(struct fm_session *s, __u8 kind, const struct fm_tracee *t, __u32 pid,
				       __u32 aux, int wake)
{
	struct fm_event *ev = event_begin(kind, t, pid, aux);

	if (ev)
		event_submit_wake(ev, s, wake);
	else
		count_lost(s, FM_LOST_RING);
}

#endif /* FILEMOND_RING_BPF_H */
