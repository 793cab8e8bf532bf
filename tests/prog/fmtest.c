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
 *   chdir:P fchdir:P         change directory (truth: C of getcwd())
 *   unlink:P rmdir:P         remove (P absolute, or relative to the cwd)
 *   unlinkat:D:N             unlinkat(dirfd of D, N)
 *   rename:A:B link:A:B      rename(2), link(2)
 *   renameat:D:A:B linkat:D:A:B  the *at forms, both names relative to D
 *   symlink:T:B symlinkat:T:D:B  a symlink with text T
 *   execveat:D:N             execveat(dirfd of D, N) with the remaining operations
 *   fexecve:P                fexecve() of P (AT_EMPTY_PATH) with the remaining operations
 *   handle:P                 name_to_handle_at + open_by_handle_at
 *   reuse:OP                 a child runs OP; then a second child is forked until
 *                            it gets the first one's pid back (ns_last_pid)
 *   iouring                  submit one io_uring NOP
 *   tmpfile:D                an O_TMPFILE file in D, reopened through /proc/self/fd and
 *                            closed unnamed (no truth: no file)
 *   tmpfile:D:N              ...then named D/N by linkat(fd, "", AT_EMPTY_PATH): W of D/N
 *   tmpfileproc:D:N          ...named by linkat("/proc/self/fd/FD", AT_SYMLINK_FOLLOW): W of D/N
 *   linkfd:A:B               open A, then linkat(fd, "", AT_EMPTY_PATH) to B: R of A, L of A to B
 *   sleep:MS                 wait MS milliseconds (no truth)
 *   waitfor:P                wait until P exists, polling every 10 ms, at most 60 s (no truth)
 *   nodump                   prctl(PR_SET_DUMPABLE, 0): no longer ptrace-able by its own user
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

/* The absolute path name denotes from the cwd (names in tests are simple). */
static const char *abs_path(const char *name, char *buf, size_t n)
{
	char cwd[4096];

	if (name[0] == '/')
		return name;
	if (!getcwd(cwd, sizeof(cwd)))
		die("getcwd", name);
	snprintf(buf, n, "%s/%s", strcmp(cwd, "/") ? cwd : "", name);
	return buf;
}

/* The directory fd of D and its path, for the *at operations. */
static int dir_fd(const char *d, char *path, size_t n)
{
	char link[64];
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		die("open dir", d);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, n - 1);
	if (len < 0)
		die("readlink", link);
	path[len] = '\0';
	return fd;
}

/* Split "a:b:c" into at most 3 fields (modifies a copy). */
static int fields(const char *arg, char *buf, size_t n, char *f[3])
{
	int k = 0;

	snprintf(buf, n, "%s", arg);
	f[k++] = buf;
	for (char *c = buf; *c && k < 3; c++)
		if (*c == ':') {
			*c = '\0';
			f[k++] = c + 1;
		}
	return k;
}

static void cwd_truth(void)
{
	char cwd[4096];

	if (!getcwd(cwd, sizeof(cwd)))
		die("getcwd", ".");
	truth("C %d %s", getpid(), cwd);
}

static void exec_at(int dfd, const char *name, int flags, const char *truth_path)
{
	char **argv = all_args + next_arg - 1;
	extern char **environ;

	argv[0] = (char *)"fmtest";
	truth("E %d %s", getpid(), truth_path);
	syscall(SYS_execveat, dfd, name, argv, environ, flags);
	die("execveat", name);
}

static void open_by_handle(const char *p)
{
	char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ], dir[4096];
	struct file_handle *h = (void *)buf;
	int mount_id, mfd;

	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, p, h, &mount_id, 0))
		die("name_to_handle_at", p);
	mfd = dir_fd("/", dir, sizeof(dir));
	opened(open_by_handle_at(mfd, h, O_RDONLY), "R", p);
	close(mfd);
}

/* Fork children until one gets pid back (bounded); each runs op. */
static void reuse_pid(const char *op)
{
	pid_t first = fork(), pid = -1;

	run_child_op(op, first);
	for (int tries = 0; tries < 200 && pid != first; tries++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

		if (!f)
			die("open", "ns_last_pid");
		fprintf(f, "%d", first - 1);
		fclose(f);
		pid = fork();
		if (pid == 0) {
			if (getpid() == first)
				run_op(op);
			_exit(0);
		}
		truth("F %d %d", getpid(), pid);
		child_exit_truth(pid);
	}
	if (pid != first)
		die("reuse", "pid never came back");
}

static void io_uring_nop(void)
{
	struct io_uring_params p = { 0 };
	int fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	char *sq;
	struct io_uring_sqe *sqes;
	unsigned *tail, *array, mask, t;

	if (fd < 0)
		die("io_uring_setup", "");
	sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		die("mmap", "io_uring");
	tail = (unsigned *)(sq + p.sq_off.tail);
	array = (unsigned *)(sq + p.sq_off.array);
	mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	t = *tail;
	memset(&sqes[t & mask], 0, sizeof(*sqes));
	sqes[t & mask].opcode = IORING_OP_NOP;
	array[t & mask] = t & mask;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1)
		die("io_uring_enter", "");
	truth("# io_uring %d", getpid());
	close(fd);
}

#define IS(prefix) (strncmp(op, prefix ":", sizeof(prefix)) == 0 ? (arg = op + sizeof(prefix)) : NULL)

/* An O_TMPFILE file in D, named D/N if N is given: by AT_EMPTY_PATH, or
 * (by_proc) through its /proc/self/fd link. */
static void tmpfile_op(const char *arg, int by_proc)
{
	char fb[8192], dir[4096], path[8192], proc[64];
	char *f[4] = { NULL };
	int fd, again;

	fields(arg, fb, sizeof(fb), f);
	if (!realpath(f[0], dir) || (fd = open(dir, O_TMPFILE | O_WRONLY, 0644)) < 0)
		die("O_TMPFILE in", f[0]);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (write(fd, "x\n", 2) != 2 || (again = open(proc, O_RDONLY)) < 0)
		die("write and reopen", f[0]);
	close(again);
	if (f[1]) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[1]);
		if (by_proc ? linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW)
			    : linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH))
			die("linkat", path);
		truth("W %d %s", getpid(), path);
	}
	close(fd);
}

static void run_op(const char *op)
{
	const char *arg = NULL;
	char fb[4096], b1[4096], b2[8200], *f[3] = { NULL, NULL, NULL };
	pthread_t th;
	int dfd;

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
	} else if (IS("burst")) {
		burst(arg);
	} else if (IS("chdir")) {
		if (chdir(arg))
			die("chdir", arg);
		cwd_truth();
	} else if (IS("fchdir")) {
		int fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || fchdir(fd))
			die("fchdir", arg);
		close(fd);
		truth("R %d %s", getpid(), abs_path(arg, b1, sizeof(b1))); /* the open of the dir */
		cwd_truth();
	} else if (IS("unlink") || IS("rmdir")) {
		const char *a = abs_path(arg, b1, sizeof(b1));

		if (op[0] == 'u' ? unlink(arg) : rmdir(arg))
			die("remove", arg);
		truth("D %d %s", getpid(), a);
	} else if (IS("unlinkat")) {
		fields(arg, fb, sizeof(fb), f);
		dfd = dir_fd(f[0], b1, sizeof(b1));
		if (unlinkat(dfd, f[1], 0))
			die("unlinkat", arg);
		truth("D %d %s/%s", getpid(), b1, f[1]);
	} else if (IS("rename") || IS("link")) {
		fields(arg, fb, sizeof(fb), f);
		if (op[0] == 'r' ? rename(f[0], f[1]) : link(f[0], f[1]))
			die(op, arg);
		truth("%c %d '%s' '%s'", op[0] == 'r' ? 'M' : 'L', getpid(), abs_path(f[0], b1, sizeof(b1)),
		      abs_path(f[1], b2, sizeof(b2)));
	} else if (IS("renameat") || IS("linkat")) {
		fields(arg, fb, sizeof(fb), f);
		dfd = dir_fd(f[0], b1, sizeof(b1));
		if (op[0] == 'r' ? syscall(SYS_renameat2, dfd, f[1], dfd, f[2], 0) : linkat(dfd, f[1], dfd, f[2], 0))
			die(op, arg);
		truth("%c %d '%s/%s' '%s/%s'", op[0] == 'r' ? 'M' : 'L', getpid(), b1, f[1], b1, f[2]);
	} else if (IS("symlink")) {
		fields(arg, fb, sizeof(fb), f);
		if (symlink(f[0], f[1]))
			die("symlink", arg);
		truth("L %d '%s' '%s'", getpid(), f[0], abs_path(f[1], b1, sizeof(b1)));
	} else if (IS("symlinkat")) {
		fields(arg, fb, sizeof(fb), f);
		dfd = dir_fd(f[1], b1, sizeof(b1));
		if (symlinkat(f[0], dfd, f[2]))
			die("symlinkat", arg);
		truth("L %d '%s' '%s/%s'", getpid(), f[0], b1, f[2]);
	} else if (IS("execveat")) {
		fields(arg, fb, sizeof(fb), f);
		dfd = dir_fd(f[0], b1, sizeof(b1));
		snprintf(b2, sizeof(b2), "%s/%s", b1, f[1]);
		exec_at(dfd, f[1], 0, b2);
	} else if (IS("fexecve")) {
		if (!realpath(arg, b1) || (dfd = open(arg, O_RDONLY)) < 0)
			die("fexecve", arg);
		exec_at(dfd, "", AT_EMPTY_PATH, b1);
	} else if (IS("handle")) {
		open_by_handle(arg);
	} else if (IS("reuse")) {
		reuse_pid(arg);
	} else if (IS("linkfd")) {
		fields(arg, fb, sizeof(fb), f);
		if ((dfd = open(f[0], O_RDONLY)) < 0 || linkat(dfd, "", AT_FDCWD, f[1], AT_EMPTY_PATH))
			die("linkat", arg);
		close(dfd);
		truth("R %d %s", getpid(), abs_path(f[0], b1, sizeof(b1)));
		truth("L %d '%s' '%s'", getpid(), abs_path(f[0], b1, sizeof(b1)), abs_path(f[1], b2, sizeof(b2)));
	} else if (IS("tmpfile") || IS("tmpfileproc")) {
		tmpfile_op(arg, op[7] == 'p');
	} else if (strcmp(op, "iouring") == 0) {
		io_uring_nop();
	} else if (IS("sleep")) {
		usleep((useconds_t)atol(arg) * 1000);
	} else if (IS("waitfor")) {
		struct stat st;
		int tries = 0;

		while (stat(arg, &st) != 0) {
			if (++tries > 6000)
				die("waitfor", arg);
			usleep(10000);
		}
	} else if (strcmp(op, "nodump") == 0) {
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
			die("prctl", "PR_SET_DUMPABLE");
	} else {
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
