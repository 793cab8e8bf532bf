// SPDX-License-Identifier: BSD-2-Clause
/*
 * The log sink: lines reach the fd whole and in order, a non-blocking fd
 * is waited for, a blocked fd stalls only the sink (the caller goes on and
 * can give up on it), and every line not written is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log_sink.h"

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Lines written to a slow non-blocking pipe all arrive, in order. */
static void nonblocking_pipe_read_slowly(void)
{
	enum { LINES = 20000 };
	struct log_sink *k;
	unsigned long long lost = 0;
	int p[2], err, n = 0, bad = 0;
	pid_t reader;
	FILE *fp;

	CHECK(pipe2(p, O_NONBLOCK) == 0);
	reader = fork();
	if (reader == 0) { /* count lines, checking each is "line <i>" */
		FILE *in;
		char line[64];

		close(p[1]);
		fcntl(p[0], F_SETFL, 0);
		in = fdopen(p[0], "r");
		usleep(200000); /* let the pipe fill: the writer sees EAGAIN */
		while (fgets(line, sizeof(line), in)) {
			char want[64];

			snprintf(want, sizeof(want), "line %d\n", n);
			bad += strcmp(line, want) != 0;
			n++;
		}
		_exit(n == LINES && !bad ? 0 : 1);
	}
	close(p[0]);
	CHECK(sink_open(&k, &fp, p[1], -1) == 0);
	close(p[1]); /* the sink has its own copy */
	for (int i = 0; i < LINES; i++) {
		fprintf(fp, "line %d\n", i);
		if (i % 1000 == 999)
			sink_flush(k, fp);
	}
	sink_finish(k, fp);
	err = sink_close(k, &lost);
	CHECK(err == 0);
	CHECK(lost == 0);
	CHECK(waitpid(reader, &n, 0) == reader && WIFEXITED(n) && WEXITSTATUS(n) == 0);
}

/* A pipe nobody reads: the caller is not held, the sink says it is stalled,
 * and a cancel gives up with every unwritten line counted. */
static void blocked_pipe_is_cancelled(void)
{
	struct log_sink *k;
	unsigned long long lost = 0;
	long long t0;
	int p[2], err;
	FILE *fp;

	CHECK(pipe(p) == 0);
	CHECK(sink_open(&k, &fp, p[1], -1) == 0);
	t0 = mono_ms();
	for (int i = 0; i < 50000; i++) { /* ~ 1.3 MB: far past the pipe's 64 KiB */
		fprintf(fp, "a line that nobody will read, number %d\n", i);
		if (i % 500 == 499)
			sink_flush(k, fp);
	}
	sink_flush(k, fp);
	CHECK(mono_ms() - t0 < 2000); /* the caller went on */
	usleep(300000);
	CHECK(sink_stalled(k, mono_ms(), 200));
	CHECK(!sink_done(k));
	sink_finish(k, fp);
	for (int i = 0; i < 200 && !sink_done(k); i++) {
		sink_cancel(k);
		usleep(10000);
	}
	CHECK(sink_done(k));
	err = sink_close(k, &lost);
	CHECK(err == -ETIMEDOUT);
	/* what the pipe took (about 64 KiB) arrived; everything else is counted */
	CHECK(lost > 45000 && lost < 50000);
	close(p[0]);
	close(p[1]);
}

/* A write error is kept (the first errno) and the lines are counted. */
static void write_error_is_loss(void)
{
	struct log_sink *k;
	unsigned long long lost = 0;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC), err;
	FILE *fp;

	CHECK(fd >= 0);
	CHECK(sink_open(&k, &fp, fd, -1) == 0);
	close(fd);
	for (int i = 0; i < 10; i++)
		fprintf(fp, "record %d\n", i);
	sink_finish(k, fp);
	err = sink_close(k, &lost);
	CHECK(err == -ENOSPC);
	CHECK(lost == 10);
}

/* A full disk on a file that outlasts it: the lines are counted lost, no
 * error is kept and the writer goes on (what it writes later is written). */
static void full_disk_is_outlasted(void)
{
	struct log_sink *k;
	unsigned long long lost = 0;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC), err;
	long long t0 = mono_ms();
	FILE *fp;

	CHECK(fd >= 0);
	CHECK(sink_open(&k, &fp, fd, -1) == 0);
	close(fd);
	sink_outlast_full(k);
	for (int i = 0; i < 10; i++)
		fprintf(fp, "record %d\n", i);
	sink_flush(k, fp);
	while (sink_queued(k) && mono_ms() - t0 < 5000)
		usleep(1000);
	CHECK(sink_queued(k) == 0);
	CHECK(sink_lost(k) == 10);
	CHECK(sink_written(k) == 1); /* not an error */
	CHECK(!sink_done(k)); /* the writer waits for more */
	for (int i = 0; i < 5; i++)
		fprintf(fp, "record %d\n", i);
	sink_finish(k, fp);
	err = sink_close(k, &lost);
	CHECK(err == 0);
	CHECK(lost == 15);
}

int main(void)
{
	sink_init_signals();
	nonblocking_pipe_read_slowly();
	blocked_pipe_is_cancelled();
	write_error_is_loss();
	full_disk_is_outlasted();
	return check_summary("sink");
}
