/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_ACCESS_H
#define FILEMOND_ACCESS_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Who may trace what: ptrace's rule, decided on credentials the kernel
 * recorded and on processes pinned by pidfd.
 *
 * A client's credentials are those SO_PEERCRED gives: the effective uid
 * and gid of the process that called connect(), fixed by the kernel at
 * that moment and mapped into the daemon's (initial) user namespace.
 * Nothing is read from the client's /proc entry later: it may have
 * exec'd a setuid program since, or be root only in a user namespace of
 * its own.  Privileged means uid 0 in the initial namespace.  Other
 * capabilities (CAP_SYS_PTRACE held by a non-root user) are not counted:
 * the kernel records none at connect, and the rule errs on the safe side.
 */
struct client_cred {
	pid_t pid; /* the process that connected */
	uid_t uid;
	gid_t gid;
	bool privileged;
};

/* A process pinned for the time of an attach: the pid cannot be reused under it. */
struct target {
	pid_t pid;
	int pidfd; /* pidfd_open: thread-group leaders only */
	int procfd; /* /proc/PID of that same process */
};

/* The credentials of a connected peer.  0 or -errno. */
int client_cred_of_socket(int sock, struct client_cred *c);
/* The credentials of this process (an in-process session: privileged). */
void client_cred_self(struct client_cred *c);

/* Pin pid.  0; -ESRCH if there is no such process, or pid is a thread
 * that does not lead its group (its entry would never die). */
int target_open(struct target *tg, pid_t pid);
/*
 * May c trace tg, as ptrace(PTRACE_ATTACH) would let it?  Privileged: yes.
 * Others: the target's real, effective and saved uids all c's uid, its
 * real, effective and saved gids all c's gid, the target dumpable, holding
 * no capability (unless in a user namespace of its own), and under Yama's
 * ptrace_scope 1 a descendant of c's process (2 and 3: root only).  0, -EPERM, or -ESRCH if it has exited (checked last, so a 0 also
 * says the pid was that process throughout).
 */
int target_may_trace(const struct target *tg, const struct client_cred *c);
/* Is the pinned process still there (not yet reaped)? */
bool target_alive(const struct target *tg);
/* Is it exiting, so its exit hook may already have run?  (PF_EXITING, the
 * last thread; a zombie; gone.) */
bool target_exiting(const struct target *tg);
/* The same test on the text of a /proc/PID/stat (true if it cannot be parsed). */
bool stat_exiting(const char *stat);
void target_close(struct target *tg);

#endif
