// SPDX-License-Identifier: BSD-2-Clause
/*
 * openloop - times file operations itself, per phase, in ns per operation:
 *   A open+read+close   B openat(dirfd)+close   L legacy open(2)+close
 *   M failing openat    W open for writing+close   S stat   G getppid
 *   E fork+exec+wait of a copy of itself that exits at once
 * and prints how many E/R/W records naming files in DIR filemond must
 * write for it (its truth).  Build it static: an exec then costs what the
 * kernel does, not what the dynamic loader does.
 *
 *   openloop DIR ITERATIONS FILES    (phase E runs ITERATIONS times)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_AT_ONCE "--exit"

static long files, iters;
static char dir[4096], child[4200];

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void path(char *buf, size_t n, const char *prefix, long i)
{
	snprintf(buf, n, "%s/%s%ld", dir, prefix, i % files);
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

/* fork, exec the copy in DIR, wait: one E record. */
static void exec_child(void)
{
	int status;
	pid_t pid = fork();

	must(pid >= 0, "fork");
	if (pid == 0) {
		execl(child, "openloop", EXIT_AT_ONCE, (char *)NULL);
		_exit(127);
	}
	must(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, child);
}

/* Copy our own executable to DIR/exec-child: one W record. */
static void copy_self(void)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY), out;

	snprintf(child, sizeof(child), "%s/exec-child", dir);
	out = open(child, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	must(in >= 0 && out >= 0, child);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		must(write(out, buf, (size_t)n) == n, child);
	must(n == 0 && close(out) == 0, child);
	close(in);
}

static long phase(char p, int dfd)
{
	char buf[4200], c;
	struct stat st;
	long ops = 0;

	if (p == 'E') {
		for (; ops < iters; ops++)
			exec_child();
		return ops;
	}
	for (long it = 0; it < iters; it++)
		for (long i = 0; i < files; i++, ops++) {
			int fd;

			switch (p) {
			case 'A':
				path(buf, sizeof(buf), "r", i);
				must((fd = open(buf, O_RDONLY)) >= 0, buf);
				must(read(fd, &c, 1) == 1, "read");
				close(fd);
				break;
			case 'B':
				snprintf(buf, sizeof(buf), "r%ld", i % files);
				must((fd = openat(dfd, buf, O_RDONLY)) >= 0, buf);
				close(fd);
				break;
			case 'L':
				path(buf, sizeof(buf), "r", i);
				must((fd = (int)syscall(SYS_open, buf, O_RDONLY)) >= 0, buf);
				close(fd);
				break;
			case 'M':
				path(buf, sizeof(buf), "missing", i);
				must(openat(AT_FDCWD, buf, O_RDONLY) < 0, "openat of a missing file");
				break;
			case 'W':
				path(buf, sizeof(buf), "w", i);
				must((fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0, buf);
				close(fd);
				break;
			case 'S':
				path(buf, sizeof(buf), "r", i);
				must(stat(buf, &st) == 0, buf);
				break;
			case 'G':
				getppid();
				break;
			}
		}
	return ops;
}

int main(int argc, char **argv)
{
	const char *phases = "ABLMWSGE";
	long records = 0;
	int dfd;

	if (argc == 2 && strcmp(argv[1], EXIT_AT_ONCE) == 0)
		return 0;
	if (argc != 4) {
		fprintf(stderr, "usage: openloop DIR ITERATIONS FILES\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	iters = atol(argv[2]);
	files = atol(argv[3]);
	copy_self();
	records++; /* its W */
	for (long i = 0; i < files; i++) {
		char buf[4200];
		int fd;

		snprintf(buf, sizeof(buf), "%s/r%ld", dir, i);
		must((fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0 && write(fd, "x", 1) == 1, buf);
		close(fd);
		records++; /* its W */
	}
	must((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0, dir);
	records++; /* the R of the directory */
	for (const char *p = phases; *p; p++) {
		long long t0 = now_ns();
		long ops = phase(*p, dfd);

		printf("phase %c %.1f ns/op\n", *p, (double)(now_ns() - t0) / (double)ops);
		if (strchr("ABLWE", *p))
			records += ops;
	}
	printf("records %ld\n", records);
	return 0;
}
