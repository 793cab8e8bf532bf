// SPDX-License-Identifier: BSD-2-Clause
/*
 * access.c - ptrace's rule for attaching a process to a session (see
 * access.h), and the pidfd that ties the check to the attach.
 *
 * The order that closes the pid-reuse window: pidfd_open(pid), then open
 * /proc/pid, then read everything through that directory, then ask the
 * pidfd whether the process is still there.  If it is, the pid was that
 * process from the first step to the last (a pid number is freed only when
 * its process is reaped), so what was read, and a map entry keyed by that
 * pid in between, concern the process the pidfd pins.
 */
#include "access.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PF_EXITING 0x00000004 /* include/linux/sched.h */

int client_cred_of_socket(int sock, struct client_cred *c)
{
	struct ucred u;
	socklen_t len = sizeof(u);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &u, &len))
		return -errno;
	c->pid = u.pid;
	c->uid = u.uid;
	c->gid = u.gid;
	c->privileged = u.uid == 0;
	return 0;
}

void client_cred_self(struct client_cred *c)
{
	c->pid = getpid();
	c->uid = geteuid();
	c->gid = getegid();
	c->privileged = true;
}

int target_open(struct target *tg, pid_t pid)
{
	char path[32];

	tg->pid = pid;
	tg->pidfd = tg->procfd = -1;
	if (pid <= 0)
		return -ESRCH;
	tg->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (tg->pidfd < 0)
		return -ESRCH; /* EINVAL: a thread, not a process */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	tg->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tg->procfd < 0 || !target_alive(tg)) {
		target_close(tg);
		return -ESRCH;
	}
	return 0;
}

bool target_alive(const struct target *tg)
{
	/* signal 0 checks existence; EPERM (a daemon without CAP_KILL, as its
	 * unit's bounding set leaves it, asking about another user's process)
	 * still means the process is there */
	return syscall(SYS_pidfd_send_signal, tg->pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

void target_close(struct target *tg)
{
	if (tg->pidfd >= 0)
		close(tg->pidfd);
	if (tg->procfd >= 0)
		close(tg->procfd);
	tg->pidfd = tg->procfd = -1;
}

/* Read a file of the pinned /proc directory (and its owner, if st).  Bytes
 * read, or -1. */
static ssize_t read_proc(int procfd, const char *name, char *buf, size_t size, struct stat *st)
{
	int fd = openat(procfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = st && fstat(fd, st) ? -1 : read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* After "comm)" of a stat line: state, then fields counted from ppid = 1. */
static const char *stat_fields(const char *buf)
{
	const char *p = strrchr(buf, ')');

	return p && p[1] == ' ' ? p + 2 : NULL;
}

bool stat_exiting(const char *stat)
{
	const char *p = stat_fields(stat);
	unsigned long flags = 0;
	int nthreads = 0;

	/* state, ppid pgrp session tty_nr tpgid flags (6th after state),
	 * minflt cminflt majflt cmajflt utime stime cutime cstime priority
	 * nice num_threads (17th) */
	if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d", &flags,
			 &nthreads) != 2)
		return true;
	/* A leader that left through pthread_exit while other threads run is
	 * not exiting: the group lives on. */
	return p[0] == 'Z' || p[0] == 'X' || ((flags & PF_EXITING) && nthreads <= 1);
}

bool target_exiting(const struct target *tg)
{
	char buf[1024];

	return read_proc(tg->procfd, "stat", buf, sizeof(buf), NULL) <= 0 || stat_exiting(buf);
}

/* Do the three ids on the status line "<key>\t<r>\t<e>\t<s>\t<fs>" all equal id? */
static bool ids_all(const char *status, const char *key, unsigned int id)
{
	const char *line = strstr(status, key);
	unsigned int r, e, s;

	return line && sscanf(line + strlen(key), " %u %u %u", &r, &e, &s) == 3 && r == id && e == id && s == id;
}

/* Any permitted capability? */
static bool has_caps(const char *status)
{
	const char *line = strstr(status, "\nCapPrm:");
	unsigned long long prm = 1;

	return !line || sscanf(line + 8, " %llx", &prm) != 1 || prm != 0;
}

/* Is the pinned process in the daemon's own (initial) user namespace? */
static bool in_initial_userns(int procfd)
{
	char mine[64], its[64];
	ssize_t a = readlink("/proc/self/ns/user", mine, sizeof(mine) - 1);
	ssize_t b = readlinkat(procfd, "ns/user", its, sizeof(its) - 1);

	if (a <= 0 || b <= 0)
		return true; /* unknown: the stricter answer */
	mine[a] = its[b] = '\0';
	return strcmp(mine, its) == 0;
}

/* kernel.yama.ptrace_scope, or 0 without Yama. */
static int yama_scope(void)
{
	char buf[8] = "";
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return buf[0] >= '0' && buf[0] <= '3' ? buf[0] - '0' : 3;
}

/* Is pid a descendant of ancestor (Yama's rule 1)? */
static bool descends_from(pid_t pid, pid_t ancestor)
{
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		char path[48], buf[1024];
		const char *p;
		int fd, ppid;
		ssize_t n;

		if (pid == ancestor)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		if (!(p = stat_fields(buf)) || sscanf(p, "%*c %d", &ppid) != 1)
			return false;
		pid = ppid;
	}
	return false;
}

int target_may_trace(const struct target *tg, const struct client_cred *c)
{
	char status[4096];
	struct stat st;
	int scope;
	bool ok;

	if (c->privileged)
		return target_alive(tg) ? 0 : -ESRCH;
	if (read_proc(tg->procfd, "status", status, sizeof(status), &st) <= 0)
		return -ESRCH;
	ok = ids_all(status, "\nUid:", c->uid) && ids_all(status, "\nGid:", c->gid);
	/* /proc/PID/status belongs to the task's euid/egid only while it is
	 * dumpable (task_dump_owner); otherwise to root.  (The directory
	 * itself keeps its owner.) */
	ok = ok && st.st_uid == c->uid && st.st_gid == c->gid;
	/* A target holding capabilities needs a tracer with them (or with
	 * CAP_SYS_PTRACE over its namespace), which no unprivileged client is
	 * taken to have.  In a user namespace of its own, its capabilities
	 * are the namespace's, which its owner (same uid) holds. */
	ok = ok && (!has_caps(status) || !in_initial_userns(tg->procfd));
	scope = yama_scope();
	if (ok && scope == 1)
		ok = descends_from(tg->pid, c->pid);
	else if (scope >= 2)
		ok = false;
	if (!target_alive(tg))
		return -ESRCH;
	return ok ? 0 : -EPERM;
}
