// SPDX-License-Identifier: BSD-2-Clause
/*
 * log_sink.c - a session log's queue and writer thread (see log_sink.h).
 *
 * Locking: fill belongs to the main thread alone; queue, pending, the
 * flags, error and progress_ms are under mu; the writer owns the batch it
 * took (work) while it writes it.  lost is atomic (both sides add).
 */
#include "log_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct buf {
	char *p;
	size_t len, cap;
};

struct log_sink {
	int fd;
	int done_fd; /* eventfd told when the writer exits, or -1 */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct buf fill; /* main thread: lines formatted since the last flush */
	struct buf queue; /* handed over, not yet taken by the writer */
	size_t pending; /* bytes in queue and in the writer's hands */
	bool finishing, cancelled, failed, done;
	bool outlast_full; /* a regular file: a full disk drops lines, not the sink */
	int error; /* first write error, as -errno */
	long long progress_ms; /* last write, or when pending last became non-zero */
	unsigned long long lost; /* lines dropped or not written */
};

#define WAKE_SIGNAL (SIGRTMIN + 1)

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned long long count_lines(const char *p, size_t n)
{
	unsigned long long lines = 0;

	if (!n)
		return 0;
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		lines++;
	return lines;
}

static void add_lost(struct log_sink *k, unsigned long long n)
{
	__atomic_add_fetch(&k->lost, n, __ATOMIC_RELAXED);
}

static int buf_append(struct buf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		char *q;

		while (cap < b->len + n)
			cap *= 2;
		if (!(q = realloc(b->p, cap)))
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* stdio's write: whole lines (the stream is line-buffered).  Never fails:
 * what cannot be queued is counted. */
static ssize_t sink_put(void *cookie, const char *p, size_t n)
{
	struct log_sink *k = cookie;
	size_t queued = __atomic_load_n(&k->pending, __ATOMIC_RELAXED);

	if (__atomic_load_n(&k->failed, __ATOMIC_RELAXED) || queued + k->fill.len + n > SINK_MAX_BYTES ||
	    buf_append(&k->fill, p, n))
		add_lost(k, count_lines(p, n));
	return (ssize_t)n;
}

/*
 * The disk is full (outlast_full): what is left of the batch is counted
 * lost, and a line the write cut is cut from the file too (back to the
 * end of the last whole line), so the file holds only whole lines and the
 * next batch starts a line of its own.  The writer goes on: once space
 * returns, lines are written again.  batch: the batch's first byte; p: the
 * first byte not written.
 */
static void drop_rest(struct log_sink *k, const char *batch, const char *p, size_t n)
{
	const char *nl = p > batch ? memrchr(batch, '\n', (size_t)(p - batch)) : NULL;
	size_t cut = (size_t)(p - (nl ? nl + 1 : batch));
	off_t end;

	if (cut && (end = lseek(k->fd, 0, SEEK_END)) >= (off_t)cut)
		(void)!ftruncate(k->fd, end - (off_t)cut); /* shrinking needs no space */
	add_lost(k, count_lines(p, n));
	pthread_mutex_lock(&k->mu);
	k->pending -= n;
	pthread_mutex_unlock(&k->mu);
}

/* Write one batch; false once the sink has failed or was cancelled. */
static bool write_batch(struct log_sink *k, const char *p, size_t n)
{
	const char *batch = p;

	while (n > 0) {
		ssize_t w;

		if (__atomic_load_n(&k->cancelled, __ATOMIC_ACQUIRE)) {
			add_lost(k, count_lines(p, n));
			return false;
		}
		w = write(k->fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			pthread_mutex_lock(&k->mu);
			k->pending -= (size_t)w;
			k->progress_ms = mono_ms();
			pthread_mutex_unlock(&k->mu);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) { /* a non-blocking fd: wait for it, bounded by cancel */
			struct pollfd pf = { .fd = k->fd, .events = POLLOUT };

			poll(&pf, 1, 1000);
			continue;
		}
		if (w < 0 && (errno == ENOSPC || errno == EDQUOT) && k->outlast_full) {
			drop_rest(k, batch, p, n);
			return true;
		}
		pthread_mutex_lock(&k->mu);
		if (!k->error)
			k->error = w < 0 ? -errno : -EIO;
		k->failed = true;
		pthread_mutex_unlock(&k->mu);
		add_lost(k, count_lines(p, n));
		return false;
	}
	return true;
}

static void *writer_main(void *arg)
{
	struct log_sink *k = arg;
	struct buf work = { 0 };
	uint64_t one = 1;
	sigset_t only_wake;

	sigfillset(&only_wake);
	sigdelset(&only_wake, WAKE_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &only_wake, NULL);
	pthread_mutex_lock(&k->mu);
	for (;;) {
		struct buf t;
		bool ok;

		while (!k->queue.len && !k->finishing && !k->cancelled)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->cancelled || k->failed || !k->queue.len)
			break;
		t = work; /* take the queue; the old batch's memory becomes the next queue */
		work = k->queue;
		k->queue = t;
		k->queue.len = 0;
		pthread_mutex_unlock(&k->mu);
		ok = write_batch(k, work.p, work.len);
		pthread_mutex_lock(&k->mu);
		if (!ok)
			break;
	}
	add_lost(k, count_lines(k->queue.p, k->queue.len));
	k->queue.len = 0;
	k->pending = 0;
	if (k->cancelled && !k->error)
		k->error = -ETIMEDOUT;
	k->done = true;
	pthread_mutex_unlock(&k->mu);
	free(work.p);
	if (k->done_fd >= 0)
		(void)!write(k->done_fd, &one, sizeof(one));
	return NULL;
}

static void wake_noop(int sig)
{
	(void)sig;
}

void sink_init_signals(void)
{
	struct sigaction sa = { .sa_handler = wake_noop }; /* no SA_RESTART: a blocked write returns EINTR */

	sigemptyset(&sa.sa_mask);
	sigaction(WAKE_SIGNAL, &sa, NULL);
}

int sink_open(struct log_sink **out, FILE **fp, int fd, int done_eventfd)
{
	cookie_io_functions_t io = { .write = sink_put };
	struct log_sink *k = calloc(1, sizeof(*k));
	int err;

	*out = NULL;
	*fp = NULL;
	if (!k)
		return -ENOMEM;
	k->done_fd = done_eventfd;
	k->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (k->fd < 0) {
		err = -errno;
		free(k);
		return err;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	*fp = fopencookie(k, "w", io);
	if (!*fp || setvbuf(*fp, NULL, _IOLBF, 1 << 16) || (err = -pthread_create(&k->thread, NULL, writer_main, k))) {
		err = -ENOMEM;
		if (*fp)
			fclose(*fp);
		*fp = NULL;
		close(k->fd);
		free(k);
		return err;
	}
	*out = k;
	return 0;
}

void sink_outlast_full(struct log_sink *k)
{
	pthread_mutex_lock(&k->mu);
	k->outlast_full = true;
	pthread_mutex_unlock(&k->mu);
}

void sink_flush(struct log_sink *k, FILE *fp)
{
	fflush(fp);
	if (!k->fill.len)
		return;
	pthread_mutex_lock(&k->mu);
	if (!k->pending)
		k->progress_ms = mono_ms(); /* the stall clock starts now */
	if (!k->failed && !k->cancelled && !buf_append(&k->queue, k->fill.p, k->fill.len))
		k->pending += k->fill.len;
	else
		add_lost(k, count_lines(k->fill.p, k->fill.len));
	k->fill.len = 0;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

bool sink_stalled(struct log_sink *k, long long now_ms, long long ms)
{
	bool stalled;

	pthread_mutex_lock(&k->mu);
	stalled = k->pending && !k->done && now_ms - k->progress_ms >= ms;
	pthread_mutex_unlock(&k->mu);
	return stalled;
}

void sink_finish(struct log_sink *k, FILE *fp)
{
	sink_flush(k, fp);
	fclose(fp);
	pthread_mutex_lock(&k->mu);
	k->finishing = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

void sink_cancel(struct log_sink *k)
{
	pthread_mutex_lock(&k->mu);
	__atomic_store_n(&k->cancelled, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&k->cv);
	if (!k->done)
		pthread_kill(k->thread, WAKE_SIGNAL); /* out of a blocked write(2) or poll(2) */
	pthread_mutex_unlock(&k->mu);
}

bool sink_done(struct log_sink *k)
{
	bool done;

	pthread_mutex_lock(&k->mu);
	done = k->done;
	pthread_mutex_unlock(&k->mu);
	return done;
}

size_t sink_queued(struct log_sink *k)
{
	return __atomic_load_n(&k->pending, __ATOMIC_RELAXED) + k->fill.len;
}

int sink_written(struct log_sink *k)
{
	int ret;

	pthread_mutex_lock(&k->mu);
	ret = k->error ? k->error : !k->pending || k->done || k->cancelled;
	pthread_mutex_unlock(&k->mu);
	return ret;
}

unsigned long long sink_lost(struct log_sink *k)
{
	return __atomic_load_n(&k->lost, __ATOMIC_RELAXED);
}

int sink_close(struct log_sink *k, unsigned long long *lost)
{
	int err;

	pthread_join(k->thread, NULL);
	err = k->error;
	*lost += k->lost;
	close_off_loop(k->fd);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k->fill.p);
	free(k->queue.p);
	free(k);
	return err;
}

/*
 * Closing a client's file can block: FUSE sends FLUSH on every close and
 * waits for its server, which the client may be.  Such closes are done by
 * one closer thread, never by the caller's loop.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int *fds;
	size_t n, cap;
	bool started;
} closer = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *closer_main(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	pthread_mutex_lock(&closer.mu);
	for (;;) {
		while (!closer.n)
			pthread_cond_wait(&closer.cv, &closer.mu);
		int fd = closer.fds[--closer.n];

		pthread_mutex_unlock(&closer.mu);
		close(fd);
		pthread_mutex_lock(&closer.mu);
	}
	return NULL;
}

void close_off_loop(int fd)
{
	pthread_t th;
	int *q;

	pthread_mutex_lock(&closer.mu);
	if (!closer.started && pthread_create(&th, NULL, closer_main, NULL) == 0) {
		pthread_detach(th);
		closer.started = true;
	}
	if (closer.started && closer.n == closer.cap &&
	    (q = realloc(closer.fds, (closer.cap ? 2 * closer.cap : 64) * sizeof(int)))) {
		closer.fds = q;
		closer.cap = closer.cap ? 2 * closer.cap : 64;
	}
	if (closer.started && closer.n < closer.cap) {
		closer.fds[closer.n++] = fd;
		pthread_cond_signal(&closer.cv);
		fd = -1;
	}
	pthread_mutex_unlock(&closer.mu);
	if (fd >= 0)
		close(fd); /* no thread, no memory: better than a leak */
}
