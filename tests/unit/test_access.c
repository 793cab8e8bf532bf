// SPDX-License-Identifier: BSD-2-Clause
/*
 * stat_exiting: is the process of a /proc/PID/stat line exiting, so its
 * exit hook may have run already?  An attach that gets this wrong leaves
 * a counted tracer entry nobody removes, and a --pid session never ends.
 * Lines as this kernel writes them, and two real processes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "check.h"

/* A stat line of a single-threaded process: state, flags, num_threads and
 * a start time (in ticks, far above 1 on a machine up for a while). */
static const char *line(char state, unsigned long flags, int nthreads)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "26927 (true) %c 26191 7508 1287 0 -1 %lu 75 0 0 0 0 0 0 0 20 0 %d 0 170619 0 0 "
		 "18446744073709551615 0 0 0 0 0 0 0 6 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		 state, flags, nthreads);
	return buf;
}

static bool proc_exiting(pid_t pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return stat_exiting(buf);
}

int main(void)
{
	pid_t child;
	int st;

	/* past its exit hook, not yet a zombie (PF_EXITING 0x4): seen on 6.18 */
	CHECK(stat_exiting(line('R', 4194316, 1)));
	CHECK(!stat_exiting(line('R', 4194560, 1)));
	CHECK(!stat_exiting(line('S', 4194304, 1)));
	/* a leader gone through pthread_exit while two threads run on */
	CHECK(stat_exiting(line('Z', 4194316, 3))); /* a zombie, whatever the count */
	CHECK(!stat_exiting(line('R', 4194316, 3)));
	CHECK(stat_exiting(line('X', 0, 1)));
	/* a comm with ") " in it: the fields start after the last ')' */
	CHECK(!stat_exiting("7 (a) R 1 (b) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99999 0\n"));
	CHECK(stat_exiting("7 (a) R 1 (b) S 1 1 1 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 99999 0\n"));
	/* cannot be parsed: treated as exiting, never attached */
	CHECK(stat_exiting(""));
	CHECK(stat_exiting("7 (x) S 1 2"));

	/* real processes: this one, and a zombie child */
	CHECK(!proc_exiting(getpid()));
	child = fork();
	if (child == 0)
		_exit(0);
	CHECK(child > 0);
	for (int i = 0; i < 500 && !proc_exiting(child); i++)
		usleep(1000);
	CHECK(proc_exiting(child));
	waitpid(child, &st, 0);
	return check_summary("access");
}
