// SPDX-License-Identifier: BSD-2-Clause
/*
 * fmdev DEVICE STEP... - a client of filemon(4)'s ioctls, for the tests.
 *
 * Opens DEVICE (handle 1; a step prefixed "2:" uses a second handle,
 * opened on first use) and runs the steps in order, printing one line per
 * step: "STEP OK" or "STEP ENAME" (the errno's name), and for the steps
 * that start processes, their pids as "pid NAME PID".
 *
 *   fd:N          FILEMON_SET_FD with the number N as is
 *   log:PATH      open PATH for writing (created, truncated), SET_FD, close
 *                 our copy (as bmake does)
 *   ro:PATH       SET_FD with PATH opened read-only
 *   eventfd       SET_FD with an eventfd
 *   pid:N         FILEMON_SET_PID N
 *   badioctl      an ioctl filemon does not have
 *   run:PROG[,ARG...]  fork; the child SET_PIDs itself and execs PROG at
 *                 once (bmake's child); waited for ("pid run PID")
 *   daemon:PATH   fork; the child SET_PIDs itself and double-forks a
 *                 daemon that, once PATH.go exists (2 min at most), reads
 *                 PATH and writes PATH.done ("pid daemon PID"); the parent
 *                 waits for the middle child only
 *   sleep:MS      wait
 *   close         close the handle (its close(2) result)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev/filemon/filemon.h"

static const char *device;
static int handles[3] = { -1, -1, -1 };

static void report(const char *step, int err)
{
	printf("%s %s\n", step, err ? strerrorname_np(err) : "OK");
	fflush(stdout);
}

static int handle(int which)
{
	if (handles[which] < 0 && (handles[which] = open(device, O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "fmdev: %s: %s\n", device, strerror(errno));
		exit(2);
	}
	return handles[which];
}

static int set_fd(int h, int fd)
{
	return ioctl(h, FILEMON_SET_FD, &fd) ? errno : 0;
}

static int set_pid(int h, pid_t pid)
{
	return ioctl(h, FILEMON_SET_PID, &pid) ? errno : 0;
}

static int set_fd_path(int h, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644), err;

	if (fd < 0)
		return errno;
	err = set_fd(h, fd);
	close(fd);
	return err;
}

/* The child's half of bmake's protocol: attach itself, then exec at once. */
static void attach_self_or_die(int h)
{
	int err = set_pid(h, getpid());

	if (err) {
		fprintf(stderr, "fmdev: SET_PID on itself: %s\n", strerror(err));
		_exit(3);
	}
}

static int run(int h, char *spec)
{
	char *argv[16];
	int argc = 0, st;
	pid_t pid;

	for (char *a = strtok(spec, ","); a && argc < 15; a = strtok(NULL, ","))
		argv[argc++] = a;
	argv[argc] = NULL;
	if ((pid = fork()) == 0) {
		attach_self_or_die(h);
		execvp(argv[0], argv);
		_exit(127);
	}
	printf("pid run %d\n", (int)pid);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ECHILD;
}

static void daemon_body(const char *path)
{
	char go[4096], done[4096], buf[64];
	int fd;

	snprintf(go, sizeof(go), "%s.go", path);
	snprintf(done, sizeof(done), "%s.done", path);
	for (int i = 0; i < 2400 && access(go, F_OK); i++) /* 2 min */
		usleep(50000);
	if ((fd = open(path, O_RDONLY)) >= 0) {
		(void)!read(fd, buf, sizeof(buf));
		close(fd);
	}
	close(open(done, O_WRONLY | O_CREAT, 0644));
	_exit(0);
}

static int daemonize(int h, const char *path)
{
	int pipefd[2], st;
	pid_t mid, grand = 0;

	if (pipe(pipefd))
		return errno;
	if ((mid = fork()) == 0) {
		attach_self_or_die(h);
		if ((grand = fork()) == 0) {
			int null = open("/dev/null", O_RDWR);

			setsid(); /* a daemon: holds nothing of the caller's (no pipe a reader waits on) */
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
			close(pipefd[0]);
			close(pipefd[1]);
			for (int i = 0; i < 3; i++)
				if (handles[i] >= 0)
					close(handles[i]);
			daemon_body(path);
		}
		(void)!write(pipefd[1], &grand, sizeof(grand));
		_exit(0);
	}
	close(pipefd[1]);
	if (mid < 0 || read(pipefd[0], &grand, sizeof(grand)) != sizeof(grand))
		grand = -1;
	close(pipefd[0]);
	waitpid(mid, &st, 0);
	printf("pid daemon %d\n", (int)grand);
	return grand > 0 ? 0 : ECHILD;
}

static int step(char *s)
{
	int which = 1;
	char *arg;

	if (strncmp(s, "2:", 2) == 0) {
		which = 2;
		s += 2;
	}
	arg = strchr(s, ':');
	if (arg)
		arg++;
	if (strncmp(s, "fd:", 3) == 0)
		return set_fd(handle(which), atoi(arg));
	if (strncmp(s, "log:", 4) == 0)
		return set_fd_path(handle(which), arg, O_WRONLY | O_CREAT | O_TRUNC);
	if (strncmp(s, "ro:", 3) == 0)
		return set_fd_path(handle(which), arg, O_RDONLY);
	if (strcmp(s, "eventfd") == 0) {
		int e = eventfd(0, EFD_CLOEXEC), err = set_fd(handle(which), e);

		close(e);
		return err;
	}
	if (strncmp(s, "pid:", 4) == 0)
		return set_pid(handle(which), (pid_t)atoi(arg));
	if (strcmp(s, "badioctl") == 0)
		return ioctl(handle(which), _IOWR('S', 9, int), &which) ? errno : 0;
	if (strncmp(s, "run:", 4) == 0)
		return run(handle(which), arg);
	if (strncmp(s, "daemon:", 7) == 0)
		return daemonize(handle(which), arg);
	if (strncmp(s, "sleep:", 6) == 0)
		return usleep((useconds_t)atoi(arg) * 1000) ? errno : 0;
	if (strcmp(s, "close") == 0) {
		int err = close(handle(which)) ? errno : 0;

		handles[which] = -1;
		return err;
	}
	fprintf(stderr, "fmdev: unknown step %s\n", s);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fmdev DEVICE STEP...\n");
		return 2;
	}
	device = argv[1];
	handle(1);
	for (int i = 2; i < argc; i++) {
		char copy[4096];

		snprintf(copy, sizeof(copy), "%s", argv[i]);
		report(argv[i], step(copy));
	}
	return 0;
}
