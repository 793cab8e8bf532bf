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

/*
 * The version of what this header defines across the kernel/user
 * boundary (records, segments, the session and tracer maps).  The BPF
 * object carries the version it was built with (its rodata abi_version),
 * and userspace refuses an object of another.  Bump it with any change.
 */
#define FM_ABI_VERSION 4

/* Longest path a record carries whole (Linux PATH_MAX, including NUL). */
#define FM_PATH_MAX 4096
/* Longest single name component (NAME_MAX + NUL). */
#define FM_NAME_MAX 256
/* Sessions one BPF instance can serve at once. */
#define FM_MAX_SESSIONS 64

/* Record kinds the kernel side produces. */
enum fm_kind {
	FM_FORK = 1, /* F parent child; aux = child pid */
	FM_EXEC = 2, /* E pid path (and the interpreter of a #! script); aux = FM_EXEC_DROPPED or 0 */
	FM_EXIT = 3, /* X pid status signal; aux = raw wait status */
	FM_OPEN = 4, /* R and/or W pid path; aux = open flags */
	FM_CHDIR = 5, /* C pid dir */
	FM_UNLINK = 6, /* D pid path; aux = 1 for a directory */
	FM_RENAME = 7, /* M pid 'old' 'new' */
	FM_LINK = 8, /* L pid 'from' 'to' (hard link); aux = enum fm_link_flag */
	FM_SYMLINK = 9, /* L pid 'text' 'to' */
	FM_IOURING = 10, /* the process submitted io_uring work */
	/* the audit's alone (no filemon record): */
	FM_MKDIR = 11, /* path; aux = mode */
	FM_CHMOD = 12, /* path (or the fd's file); aux = mode */
	FM_CHOWN = 13, /* path (or the fd's file), FM_SEG_OWNER */
	FM_NKINDS,
};

/*
 * A record's paths travel as segments, each a struct fm_seg header and
 * len bytes, the next one starting at the following 4-byte boundary.  The
 * role says what the bytes are:
 *
 *   FILE    the file the call reached (the opened fd, the executed file,
 *           the new cwd), walked in the kernel: absolute and resolved
 *   NAME    a path argument as the caller wrote it (NUL-terminated)
 *   BASE    what a relative NAME before it is relative to: the cwd...
 *   DIRFD   ...or a real directory fd (filemon's "A" case)
 *   INTERP  the interpreter name of a #! script (NUL-terminated)
 *   TEXT    a symlink's contents as written (NUL-terminated)
 *   BASE_PARENT, DIRFD_PARENT  no bytes: the base (cwd, dirfd) is the
 *           directory of the FILE before it; saves walking the same
 *           directories twice for the common relative open
 *
 * Walked paths are encoded leaf first as NUL-terminated names
 * ("hello.c\0src\0home\0" for /home/src/hello.c): the kernel walks child to
 * parent and appends; userspace reverses.  An empty walk is "/".
 */
enum fm_seg_role {
	FM_SEG_FILE = 1,
	FM_SEG_NAME = 2,
	FM_SEG_BASE = 3,
	FM_SEG_DIRFD = 4,
	FM_SEG_INTERP = 5,
	FM_SEG_TEXT = 6,
	FM_SEG_BASE_PARENT = 7,
	FM_SEG_DIRFD_PARENT = 8,
	FM_SEG_AUDIT = 9, /* struct fm_audit, first in every record of an audit-mode object */
	FM_SEG_ARGV = 10, /* an exec's arguments, each NUL-terminated; TRUNCATED if cut */
	FM_SEG_OWNER = 11, /* chown's uid and gid (two u32; (u32)-1: unchanged) */
};

/* fm_seg.flags: why a segment is not whole. */
enum fm_seg_flag {
	FM_SEG_TRUNCATED = 1, /* longer than FM_PATH_MAX, or too deep */
	FM_SEG_UNREADABLE = 2, /* a read failed mid-way */
	FM_SEG_MISSING = 4, /* no file behind the fd */
	FM_SEG_UNNAMED = 8, /* the file has no name (O_TMPFILE, deleted, a pipe): the path names nothing */
};

struct fm_seg {
	fm_u8 role; /* enum fm_seg_role */
	fm_u8 flags; /* enum fm_seg_flag */
	fm_u16 len; /* bytes that follow */
};

/* Longest argument list an E record carries (bytes, NULs included). */
#define FM_ARGV_MAX 2048

/*
 * Who and when, for the audit service: the acting task as the kernel sees
 * it at the hook (nothing here is read from the process's memory).
 */
struct fm_audit {
	fm_u64 seq; /* one counter per BPF object: a gap is a record lost in the kernel */
	fm_u64 time_ns; /* CLOCK_BOOTTIME */
	fm_u64 start_ns; /* the process's start, CLOCK_BOOTTIME: with pid, an id that survives pid reuse */
	fm_u64 cgroup_id; /* cgroup v2 id (the cgroup directory's inode) */
	fm_u64 ret; /* the syscall's return value (negative: -errno), as a two's-complement s64 */
	fm_u32 tid, ppid;
	fm_u32 uid, gid, euid, egid;
	fm_u32 auid, sesid; /* loginuid and audit session id: (u32)-1 when unset */
	fm_u32 ns_pid, ns_level; /* the process's pid in its own pid namespace, and that namespace's depth (0: the initial one) */
	char comm[16];
};

/* Key of the audit's map of rules on the real uid and the loginuid: a
 * process whose id an exclude rule lists, or (with include rules on that
 * id) that no include rule lists, records nothing for the audit. */
struct fm_audit_id_rule {
	fm_u32 field; /* FM_EXCLUDE_*, FM_INCLUDE_* */
	fm_u32 id;
};
enum { FM_EXCLUDE_UID = 1, FM_EXCLUDE_AUID = 2, FM_INCLUDE_UID = 3, FM_INCLUDE_AUID = 4 };
/* audit_id_flags (BPF .bss): which kinds of rule the map holds */
enum { FM_ID_EXCLUDES = 1, FM_ID_INCLUDES_UID = 2, FM_ID_INCLUDES_AUID = 4 };
#define FM_AUDIT_ID_RULES_MAX 256
/* cgroup rules the kernel applies (a cgroup array: subtree tests) */
#define FM_AUDIT_CGROUP_RULES_MAX 16

/* fm_event.session of a record that belongs to no session (audit only). */
#define FM_NO_SESSION 0xffffffffu

/* fm_event.flags */
enum fm_event_flag {
	FM_EV_TOO_BIG = 1, /* a segment did not fit and was left out */
	FM_EV_FAILED = 2, /* the call failed (fm_audit.ret < 0): for the audit, not for filemon logs */
	FM_EV_AUDIT = 4, /* data[] starts with the FM_SEG_AUDIT segment */
	FM_EV_CREATED = 8, /* FM_OPEN: this open created the file (FMODE_CREATED) */
};

struct fm_event {
	fm_u8 kind; /* enum fm_kind */
	fm_u8 nseg; /* segments in data[] */
	fm_u16 flags; /* enum fm_event_flag */
	fm_u32 session; /* session slot */
	fm_u32 pid; /* thread-group id of the acting process */
	fm_u32 aux; /* child pid, wait status, open flags... */
	fm_u32 len; /* bytes of data[] in use */
	fm_u32 gen; /* session generation: tells a reused slot's sessions apart */
	char data[];
};

/* Room for a record's segments: two paths, each a name and a base walk. */
#define FM_SEG_MAX (4 + FM_PATH_MAX)
#define FM_DATA_MAX (5 * FM_SEG_MAX)
/* Segment offsets are masked with this for the verifier; > FM_DATA_MAX. */
#define FM_DATA_MASK 32767

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
 * attaches.  Both insert only where no entry exists, and only the insert
 * that succeeds counts (a child a --pid scan attaches while it is being
 * forked is met by both).  Detaching (close, or a new attach replacing the old set)
 * bumps gen, which turns every entry still pointing at the session stale at
 * once; stale entries are never inherited and are deleted by the next hook
 * that meets them and by a sweep, so none outlives the session.  The count
 * is kept per generation parity: a hook already running with the old
 * generation when it is bumped can only touch the old count, never the
 * fresh one.
 */
struct fm_session {
	fm_u32 state; /* enum fm_session_state */
	fm_u32 gen; /* generation: tracer entries must match it */
	fm_s32 nproc[2]; /* live processes attached, by gen & 1 (refcount) */
	fm_u64 lost; /* records of this session dropped in the kernel */
	fm_u32 flags; /* enum fm_session_flag, set before the slot opens */
	fm_u32 max_procs; /* inheritance stops at this many live processes; 0: no limit */
};

enum fm_session_flag {
	/* The owner may trace across a credential change (root in the initial
	 * user namespace, FreeBSD's PRIV_DEBUG_DIFFCRED).  Without it, a
	 * setuid/setgid/file-capability exec ends the tracing of that process. */
	FM_SESSION_PRIVILEGED = 1,
	/* --format json: its records carry struct fm_audit and its failed
	 * calls are recorded, as the audit's are. */
	FM_SESSION_JSON = 2,
};

/* Value of the per-task tracer map, keyed by thread-group id. */
struct fm_tracee {
	fm_u32 session; /* slot in sessions[] */
	fm_u32 gen; /* slot generation when attached */
	fm_u32 flags; /* enum fm_tracee_flag */
	fm_u32 pad;
};

enum fm_tracee_flag {
	FM_TRACEE_IOURING_SEEN = 1, /* its io_uring use was reported */
	/* Its exec changed credentials and the session may not follow: nothing
	 * more is recorded for it but its X (so every E keeps its X), and its
	 * children are not inherited. */
	FM_TRACEE_DROPPED = 2,
};

/* fm_event.aux of FM_LINK. */
enum fm_link_flag {
	FM_LINK_FOLLOW = 1, /* AT_SYMLINK_FOLLOW: a /proc/PID/fd/N source is an open file */
};

/* fm_event.aux of FM_EXEC: the exec changed credentials; tracing stops here. */
#define FM_EXEC_DROPPED 1

/* Indices of the per-CPU loss counters (map "lost"). */
enum fm_lost_kind {
	FM_LOST_RING = 0, /* ring buffer full: record dropped */
	FM_LOST_UNTRACKED = 1, /* tracer map full: a child could not inherit */
	FM_LOST_NKINDS = 2,
};

#define FM_EVENT_HDR_SIZE 24
#define FM_AUDIT_SIZE 96

_Static_assert(sizeof(struct fm_audit) == FM_AUDIT_SIZE, "fm_audit layout");
_Static_assert(__builtin_offsetof(struct fm_audit, ret) == 32, "fm_audit ret offset");
_Static_assert(__builtin_offsetof(struct fm_audit, comm) == 80, "fm_audit comm offset");

_Static_assert(sizeof(struct fm_event) == FM_EVENT_HDR_SIZE, "fm_event header layout");
_Static_assert(__builtin_offsetof(struct fm_event, data) == FM_EVENT_HDR_SIZE, "fm_event data offset");
_Static_assert(__builtin_offsetof(struct fm_event, pid) == 8, "fm_event pid offset");
_Static_assert(__builtin_offsetof(struct fm_event, len) == 16, "fm_event len offset");
_Static_assert(__builtin_offsetof(struct fm_event, gen) == 20, "fm_event gen offset");
_Static_assert(sizeof(struct fm_seg) == 4, "fm_seg layout");
_Static_assert(sizeof(struct fm_session) == 32, "fm_session layout");
_Static_assert(__builtin_offsetof(struct fm_session, flags) == 24, "fm_session flags offset");
_Static_assert(__builtin_offsetof(struct fm_session, lost) == 16, "fm_session lost offset");
_Static_assert(sizeof(struct fm_tracee) == 16, "fm_tracee layout");
_Static_assert((FM_MAX_SESSIONS & (FM_MAX_SESSIONS - 1)) == 0, "session index is masked");
_Static_assert((FM_PATH_MAX & (FM_PATH_MAX - 1)) == 0, "path offset is masked");
_Static_assert(FM_DATA_MAX < FM_DATA_MASK && ((FM_DATA_MASK + 1) & FM_DATA_MASK) == 0, "data offsets are masked");
_Static_assert(FM_SEG_MAX <= 0xffff, "fm_seg.len holds a segment");

#endif /* FILEMOND_H */
