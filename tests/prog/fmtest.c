// SPDX-License-Identifier: BSD-2-Clause
/*
 * fmtest - performs a scripted list of operations and writes what it did,
 * as filemon-style truth lines, to file descriptor $FMTEST_FD (inherited,
 * so recording the truth opens nothing).  The bats tests compare
 * filemond's log against these lines.
 *
 * Paths in the truth come from readlink(/proc/self/fd/N) of the fd the
 * open returned, statuses from waitpid(): both independent of filemond.
 *
 *   open:P openw:P openrw:P  open(2) via openat(AT_FDCWD) RDONLY / WRONLY|CREAT / RDWR|CREAT
 *   openat:D:N              openat() relative to a directory fd (the dir open is R too)
 *   openat2:P openat2w:P     openat2(2) RDONLY / WRONLY|CREAT
 *   creat:P legacy:P         creat(2), the legacy open(2) syscall
 *   fail:P                   an open that must fail (no record)
 *   fork:OP vfork:OP clone3:OP   a child process runs OP, then exits 0; parent waits
 *   thread:OP                a thread runs OP; no F for it
 *   threadexec:P             a non-leader thread execs P
 *   leaderexit:N             main thread pthread_exits; another exits the group with N
 *   exec:P                   exec P with the remaining operations as arguments
 *   exit:N signal:N          exit with N / die of signal N
 *   burst:D:N                create and open N files in D as fast as possible (no truth)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int truth_fd = -1;
static int next_arg; /* exec: where the remaining operations start */
static char **all_args;
static void run_op(const char *op);

static void truth(const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	int n;

	if (truth_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	if (write(truth_fd, line, (size_t)n) != n) /* one write: lines never interleave */
		_exit(99);
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "fmtest: %s %s: %s\n", what, arg, strerror(errno));
	exit(98);
}

/* Record a successful open of fd with the letters FreeBSD would log. */
static void opened(int fd, const char *letters, const char *arg)
{
	char link[64], path[4096];
	ssize_t n;

	if (fd < 0)
		die("open", arg);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		die("readlink", link);
	path[n] = '\0';
	for (const char *l = letters; *l; l++)
		truth("%c %d %s", *l, getpid(), path);
	close(fd);
}

static int do_openat2(const char *p, unsigned long long flags)
{
	struct open_how how = { .flags = flags, .mode = flags & O_CREAT ? 0644 : 0 };

	return (int)syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how));
}

static void child_exit_truth(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid", "child");
	truth("X %d %d %d", pid, WIFEXITED(st) ? WEXITSTATUS(st) : 0, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void *thread_main(void *op)
{
	run_op(op);
	return NULL;
}

static void *leader_exit_helper(void *arg)
{
	usleep(50000); /* let the leader leave first */
	exit((int)(long)arg);
}

static void exec_self(const char *p)
{
	char real[4096];
	char **argv = all_args + next_arg - 1;

	if (!realpath(p, real))
		die("realpath", p);
	argv[0] = (char *)p;
	truth("E %d %s", getpid(), real);
	execv(p, argv);
	die("exec", p);
}

static void burst(const char *spec)
{
	char dir[4096], path[4200];
	long n;
	const char *c = strchr(spec, ':');

	if (!c)
		die("burst", spec);
	snprintf(dir, sizeof(dir), "%.*s", (int)(c - spec), spec);
	n = atol(c + 1);
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", dir, i % 64);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			die("burst open", path);
		close(fd);
	}
}

static void run_child_op(const char *op, pid_t pid)
{
	if (pid < 0)
		die("fork", op);
	if (pid == 0) {
		run_op(op);
		_exit(0);
	}
	truth("F %d %d", getpid(), pid);
	child_exit_truth(pid);
}

static pid_t do_clone3(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

#define IS(prefix) (strncmp(op, prefix ":", sizeof(prefix)) == 0 ? (arg = op + sizeof(prefix)) : NULL)

static void run_op(const char *op)
{
	const char *arg = NULL;
	pthread_t th;

	if (IS("open"))
		opened(open(arg, O_RDONLY), "R", arg);
	else if (IS("openw"))
		opened(open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644), "W", arg);
	else if (IS("openrw"))
		opened(open(arg, O_RDWR | O_CREAT, 0644), "RW", arg);
	else if (IS("openat")) {
		char dir[4096];
		const char *c = strchr(arg, ':');
		int dfd;

		snprintf(dir, sizeof(dir), "%.*s", c ? (int)(c - arg) : 0, arg);
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		opened(openat(dfd, c ? c + 1 : "", O_RDONLY), "R", arg);
		opened(dfd, "R", dir);
	} else if (IS("openat2"))
		opened(do_openat2(arg, O_RDONLY), "R", arg);
	else if (IS("openat2w"))
		opened(do_openat2(arg, O_WRONLY | O_CREAT), "W", arg);
	else if (IS("creat"))
		opened(creat(arg, 0644), "W", arg);
	else if (IS("legacy"))
		opened((int)syscall(SYS_open, arg, O_RDONLY), "R", arg);
	else if (IS("fail")) {
		if (open(arg, O_RDONLY) >= 0)
			die("expected failure", arg);
	} else if (IS("fork"))
		run_child_op(arg, fork());
	else if (IS("vfork")) {
		pid_t pid = vfork();

		if (pid == 0) { /* only exec or _exit are allowed here */
			execl(arg, arg, (char *)NULL);
			_exit(127);
		}
		truth("F %d %d", getpid(), pid);
		child_exit_truth(pid);
	} else if (IS("clone3"))
		run_child_op(arg, do_clone3());
	else if (IS("thread")) {
		if (pthread_create(&th, NULL, thread_main, (void *)arg) || pthread_join(th, NULL))
			die("thread", arg);
	} else if (IS("threadexec")) {
		char buf[4096];

		snprintf(buf, sizeof(buf), "exec:%s", arg);
		if (pthread_create(&th, NULL, thread_main, buf))
			die("thread", arg);
		pause();
	} else if (IS("leaderexit")) {
		if (pthread_create(&th, NULL, leader_exit_helper, (void *)atol(arg)))
			die("thread", arg);
		pthread_exit(NULL);
	} else if (IS("exec"))
		exec_self(arg);
	else if (IS("exit"))
		exit(atoi(arg));
	else if (IS("signal")) {
		signal(atoi(arg), SIG_DFL);
		kill(getpid(), atoi(arg));
		pause();
	} else if (IS("burst"))
		burst(arg);
	else {
		fprintf(stderr, "fmtest: unknown operation '%s'\n", op);
		exit(97);
	}
}

int main(int argc, char **argv)
{
	const char *fd = getenv("FMTEST_FD");

	truth_fd = fd ? atoi(fd) : -1;
	all_args = argv;
	for (next_arg = 1; next_arg < argc;) {
		const char *op = argv[next_arg++];

		run_op(op);
	}
	return 0;
}
