/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filemond.h - the one header shared by the BPF programs (bpf/) and the
 * userspace daemon (src/).  Everything that crosses the kernel/user
 * boundary is defined here, with layout checks compiled on both sides.
 *
 * Plain fixed-width types only: the BPF side includes this after its
 * CO-RE type set, userspace after <stdint.h>.
 */
#ifndef FILEMOND_H
#define FILEMOND_H

#ifdef __bpf__
typedef __u8 fm_u8;
typedef __u16 fm_u16;
typedef __u32 fm_u32;
typedef __s32 fm_s32;
typedef __u64 fm_u64;
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t fm_u8;
typedef uint16_t fm_u16;
typedef uint32_t fm_u32;
typedef int32_t fm_s32;
typedef uint64_t fm_u64;
#endif

/* Longest path a record carries whole (Linux PATH_MAX, including NUL). */
#define FM_PATH_MAX 4096
/* Longest single name component (NAME_MAX + NUL). */
#define FM_NAME_MAX 256
/* Sessions one BPF instance can serve at once (slot 0 is the CLI's own). */
#define FM_MAX_SESSIONS 64

/* Record kinds, one per filemon letter the kernel side produces. */
enum fm_kind {
	FM_FORK = 1, /* F parent child */
	FM_EXEC = 2, /* E pid path */
	FM_EXIT = 3, /* X pid status signal; aux = raw wait status */
	FM_OPEN = 4, /* R and/or W pid path; aux = open flags */
};

/* fm_event.path_flags: why a path is not whole. */
enum fm_path_flag {
	FM_PATH_TRUNCATED = 1, /* longer than FM_PATH_MAX or too many components */
	FM_PATH_UNREADABLE = 2, /* a kernel read failed mid-walk */
	FM_PATH_NONE = 4, /* no file behind the fd / no exec file */
};

/*
 * One ring-buffer record.  The path is sent leaf first, as NUL-terminated
 * components ("hello.c\0src\0home\0" for /home/src/hello.c): the kernel
 * walks dentries child to parent and appends, userspace reverses.  That
 * keeps the BPF walk a forward-only, bounded copy.  path_len counts the
 * encoded bytes; an empty encoding with no flags is the root "/".
 */
struct fm_event {
	fm_u8 kind; /* enum fm_kind */
	fm_u8 path_flags; /* enum fm_path_flag */
	fm_u16 path_len; /* bytes of path[] in use */
	fm_u32 session; /* session slot */
	fm_u32 pid; /* thread-group id of the acting process */
	fm_u32 aux; /* child pid, wait status or open flags */
	char path[]; /* FM_PATH_MAX bytes at most */
};

/* Session slot states (fm_session.state). */
enum fm_session_state {
	FM_SESSION_FREE = 0,
	FM_SESSION_OPEN = 1, /* new children inherit the session */
	FM_SESSION_CLOSED = 2, /* detached: nothing is recorded or inherited */
};

/*
 * One session: the BPF twin of an open /dev/filemon handle.  Lives in the
 * BPF object's .bss, so userspace reads it through the skeleton's mmap.
 *
 * Refcount rule (FreeBSD p_filemon): nproc counts tracer-map entries that
 * point at this session.  The fork hook adds one per inherited child, the
 * exit hook drops one per dead process; userspace adds the processes it
 * attaches.  A session whose handle is closed bumps gen, which turns every
 * entry still pointing at it stale at once; stale entries are never
 * inherited and are deleted by the next hook that meets them and by the
 * closing sweep, so none outlives the session.
 */
struct fm_session {
	fm_u32 state; /* enum fm_session_state */
	fm_u32 gen; /* generation: tracer entries must match it */
	fm_s32 nproc; /* live processes attached (refcount) */
	fm_u32 pad;
	fm_u64 lost; /* records of this session dropped in the kernel */
};

/* Value of the per-task tracer map, keyed by thread-group id. */
struct fm_tracee {
	fm_u32 session; /* slot in sessions[] */
	fm_u32 gen; /* slot generation when attached */
};

/* Indices of the per-CPU loss counters (map "lost"). */
enum fm_lost_kind {
	FM_LOST_RING = 0, /* ring buffer full: record dropped */
	FM_LOST_UNTRACKED = 1, /* tracer map full: a child could not inherit */
	FM_LOST_NKINDS = 2,
};

#define FM_EVENT_HDR_SIZE 16
#define FM_EVENT_MAX_SIZE (FM_EVENT_HDR_SIZE + FM_PATH_MAX)

_Static_assert(sizeof(struct fm_event) == FM_EVENT_HDR_SIZE, "fm_event header layout");
_Static_assert(__builtin_offsetof(struct fm_event, path) == FM_EVENT_HDR_SIZE, "fm_event path offset");
_Static_assert(__builtin_offsetof(struct fm_event, pid) == 8, "fm_event pid offset");
_Static_assert(sizeof(struct fm_session) == 24, "fm_session layout");
_Static_assert(__builtin_offsetof(struct fm_session, lost) == 16, "fm_session lost offset");
_Static_assert(sizeof(struct fm_tracee) == 8, "fm_tracee layout");
_Static_assert((FM_MAX_SESSIONS & (FM_MAX_SESSIONS - 1)) == 0, "session index is masked");
_Static_assert((FM_PATH_MAX & (FM_PATH_MAX - 1)) == 0, "path offset is masked");

#endif /* FILEMOND_H */
