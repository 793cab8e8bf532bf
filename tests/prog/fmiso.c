// SPDX-License-Identifier: BSD-2-Clause
/*
 * fmiso - helpers for the isolation suite (tests/bats/isolation.bats):
 * the workloads a hostile or careless user runs against the daemon.
 *
 *   fmiso sleepers N READY RELEASE [MAXSEC]
 *       fork N children that sleep blocked on a pipe; write N (the number
 *       actually forked) to READY once they all exist; when RELEASE exists,
 *       on SIGTERM/SIGINT or after MAXSEC (default 120) let them go and reap
 *       them all.  The children die with the parent (PR_SET_PDEATHSIG and the
 *       pipe's EOF), so killing the parent by pid always cleans up.
 *   fmiso flip DIR N
 *       two threads: one creates and removes DIR/junkfile000 through a name
 *       buffer (openat with a dirfd, unlinkat, unlink from the cwd), N
 *       times; the other flips that buffer between "junkfile000" and "" all
 *       the while.  Prints "opens A unlinks B" (the calls that succeeded).
 *   fmiso deep LEVELS
 *       from the cwd, LEVELS nested directories of 200-byte names, each made
 *       and entered, then creates f at the bottom: its absolute path is
 *       longer than PATH_MAX when LEVELS > 20.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int sleepers(long n, const char *ready, const char *release, long maxsec)
{
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t parent = getpid();
	char tmp[4200];
	long made = 0;
	int p[2];
	FILE *f;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (pipe(p))
		return 2;
	for (; made < n && !stop; made++) {
		pid_t pid = fork();

		if (pid < 0)
			break; /* EAGAIN: report how many we got */
		if (pid == 0) {
			char c;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			close(p[1]);
			while (read(p[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(p[0]);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", made) < 0 || fclose(f) || rename(tmp, ready))
		stop = 1;
	for (long waited = 0; !stop && waited < maxsec * 20; waited++) {
		if (access(release, F_OK) == 0)
			break;
		nap_ms(50);
	}
	close(p[1]); /* every child reads EOF */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

static char name_buf[16] = "junkfile000";
static volatile int flipping = 1;

static void *flipper(void *arg)
{
	(void)arg;
	while (flipping) {
		__atomic_store_n(&name_buf[0], 'j', __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
		__atomic_store_n(&name_buf[0], '\0', __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
	}
	return NULL;
}

static int flip(const char *dir, long n)
{
	long opens = 0, unlinks = 0;
	pthread_t th;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || chdir(dir)) {
		perror(dir);
		return 2;
	}
	if (pthread_create(&th, NULL, flipper, NULL))
		return 2;
	for (long i = 0; i < n; i++) {
		int fd = openat(dfd, name_buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0) {
			opens++;
			close(fd);
		}
		unlinks += unlinkat(dfd, name_buf, 0) == 0;
		fd = open("junkfile000", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		unlinks += unlink(name_buf) == 0;
		unlink("junkfile000");
	}
	flipping = 0;
	pthread_join(th, NULL);
	printf("opens %ld unlinks %ld\n", opens, unlinks);
	return 0;
}

static int deep(long levels)
{
	char name[201];
	int fd;

	memset(name, 'd', 200);
	name[200] = '\0';
	for (long i = 0; i < levels; i++)
		if ((mkdir(name, 0755) && errno != EEXIST) || chdir(name)) {
			perror("deep");
			return 2;
		}
	fd = open("f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror("deep f");
		return 2;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "sleepers"))
		return sleepers(atol(argv[2]), argv[3], argv[4], argc > 5 ? atol(argv[5]) : 120);
	if (argc == 4 && !strcmp(argv[1], "flip"))
		return flip(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "deep"))
		return deep(atol(argv[2]));
	fprintf(stderr, "usage: fmiso sleepers N READY RELEASE [MAXSEC] | flip DIR N | deep LEVELS\n");
	return 64;
}
