// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon.c - "filemond --daemon": the BPF programs loaded once, sessions
 * served over a Unix socket (protocol.h), one per connection.
 *
 * One thread, one epoll loop: the listening socket, the connections, the
 * ring buffer and a signalfd, plus a tick that drains the ring.  A
 * connection that closes, a client that dies, a malformed request or
 * SIGTERM closes its session: every process detached, the records already
 * queued written, the trailer, the log closed.  Nothing one client sends
 * can touch another client's session.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "consumer.h"
#include "protocol.h"
#include "session.h"
#include "slots.h"
#include "util.h"

#define POLL_MS 10
/* With no session for this long, the programs are detached: an idle daemon costs nothing. */
#define LINGER_MS 2000

struct conn {
	int fd;
	struct ucred cred; /* the client, from SO_PEERCRED */
	struct session sess; /* sess.slot < 0 until a request opens it */
	struct fm_request req; /* request being received */
	size_t have;
	int passed_fd;
	bool empty_sent;
	struct conn *next;
};

struct daemon {
	const struct daemon_opts *o;
	struct tracer tracer;
	struct consumer consumer;
	int listen_fd, sigfd, epfd;
	struct conn *conns;
	int nsessions;
	long long idle_since_ms; /* when the last session closed */
	int stop_signal;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* epoll tags for the fds that are not connections */
static char tag_listen, tag_signal, tag_ring;

static int listen_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, probe;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	probe = proto_connect(path);
	if (probe >= 0) {
		close(probe);
		return -EADDRINUSE; /* a daemon answers there */
	}
	unlink(path); /* a stale socket from a daemon that died */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0666) || listen(s, 64)) {
		int e = errno;

		close(s);
		return -e;
	}
	return s;
}

static int watch(struct daemon *d, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void conn_close(struct daemon *d, struct conn *c)
{
	unsigned long long lost;
	struct conn **pp;

	if (c->sess.slot >= 0) {
		if (session_close(&c->sess, &d->tracer, &d->consumer, &lost))
			fm_warn("session of pid %d: cannot write its log", (int)c->cred.pid);
		if (--d->nsessions == 0)
			d->idle_since_ms = now_ms();
	}
	for (pp = &d->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

static void accept_conn(struct daemon *d)
{
	socklen_t len = sizeof(struct ucred);
	struct conn *c;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) || watch(d, fd, c)) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->sess.slot = -1;
	c->passed_fd = -1;
	c->next = d->conns;
	d->conns = c;
}

/*
 * May the client trace target, as ptrace would let it?  0, -ESRCH or
 * -EPERM: root or CAP_SYS_PTRACE may; others only processes whose real,
 * effective, saved and fs uids are all their own.
 */
static int may_trace(const struct ucred *client, pid_t target)
{
	char path[64], line[256];
	unsigned int u[4];
	bool same = false;
	FILE *f;

	if (target <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)target);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4)
			same = u[0] == client->uid && u[1] == client->uid && u[2] == client->uid && u[3] == client->uid;
	fclose(f);
	if (client->uid == 0 || same || proc_has_cap(client->pid, CAP_SYS_PTRACE))
		return 0;
	return -EPERM;
}

/* Open the connection's session on first use; -EUSERS past --max-sessions. */
static int need_session(struct daemon *d, struct conn *c)
{
	int err;

	if (c->sess.slot >= 0)
		return 0;
	if (d->nsessions >= d->o->max_sessions)
		return -EUSERS;
	if (tracer_attach(&d->tracer)) /* the first session after an idle spell */
		return -EIO;
	err = session_open(&c->sess, &d->tracer, c->cred.pid, c->cred.uid);
	if (err)
		return err == -EBUSY ? -EUSERS : err;
	consumer_set_session(&d->consumer, c->sess.slot, &c->sess);
	d->nsessions++;
	return 0;
}

static char *status_text(struct daemon *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "sessions %d, tracer map entries %d\n", d->nsessions, slot_map_entries(&d->tracer));
	fprintf(f, "programs %s\n", d->tracer.nlinks ? "attached" : "detached (no session)");
	fprintf(f, "events lost since start (all sessions) %llu\n", tracer_lost(&d->tracer));
	fprintf(f, "%-10s %-8s %-6s %-6s %-10s %-8s\n", "SESSION", "CLIENT", "UID", "PROCS", "RECORDS", "LOST");
	for (struct conn *c = d->conns; c; c = c->next) {
		char id[32];

		if (c->sess.slot < 0)
			continue;
		snprintf(id, sizeof(id), "%d.%u", c->sess.slot, c->sess.gen_first); /* slot.generation */
		fprintf(f, "%-10s %-8d %-6u %-6d %-10llu %-8llu\n", id, (int)c->cred.pid, c->cred.uid,
			session_nproc(&c->sess, &d->tracer), c->sess.log.records, session_lost(&c->sess, &d->tracer));
	}
	fclose(f);
	return buf;
}

/* Serve one request.  false: the connection must close. */
static bool serve(struct daemon *d, struct conn *c)
{
	const struct fm_request *r = &c->req;
	unsigned long long lost = 0;
	char *text = NULL;
	int err = 0;

	if (!proto_request_valid(r)) {
		fm_warn("malformed request from pid %d: closing its connection", (int)c->cred.pid);
		proto_send_reply(c->fd, FM_REPLY, r->op, EINVAL, 0, NULL);
		return false;
	}
	switch (r->op) {
	case FM_OP_SET_FD:
		if (!(err = need_session(d, c)))
			err = c->passed_fd < 0 ? -EBADF : session_set_log(&c->sess, c->passed_fd);
		break;
	case FM_OP_SET_PID:
		if (!(err = need_session(d, c)) && !(err = may_trace(&c->cred, r->pid)))
			err = session_attach(&c->sess, &d->tracer, r->pid, c->cred.pid, r->flags & FM_PID_TREE);
		c->empty_sent = false;
		break;
	case FM_OP_CLOSE:
		if (c->sess.slot >= 0) {
			err = session_close(&c->sess, &d->tracer, &d->consumer, &lost);
			lost += c->sess.log.unresolved; /* records not written whole count too */
			if (--d->nsessions == 0)
				d->idle_since_ms = now_ms();
		}
		proto_send_reply(c->fd, FM_REPLY, r->op, -err, lost, NULL);
		return false;
	case FM_OP_STATUS:
		text = status_text(d);
		break;
	}
	proto_send_reply(c->fd, FM_REPLY, r->op, -err, 0, text);
	free(text);
	return true;
}

static void conn_readable(struct daemon *d, struct conn *c)
{
	for (;;) {
		int got = proto_recv_request(c->fd, &c->req, &c->have, &c->passed_fd);
		bool keep;

		if (got == 0)
			return;
		if (got < 0) { /* the client closed or died */
			conn_close(d, c);
			return;
		}
		keep = serve(d, c);
		c->have = 0;
		if (c->passed_fd >= 0)
			close(c->passed_fd);
		c->passed_fd = -1;
		if (!keep) {
			conn_close(d, c);
			return;
		}
	}
}

/* Tell each session whose processes have all exited, once, after its records. */
static void note_empty_sessions(struct daemon *d)
{
	for (struct conn *c = d->conns; c; c = c->next) {
		if (c->sess.slot < 0 || c->empty_sent || !session_empty(&c->sess, &d->tracer))
			continue;
		consumer_drain(&d->consumer);
		if (c->sess.log.fp)
			fflush(c->sess.log.fp);
		proto_send_reply(c->fd, FM_NOTE_EMPTY, 0, 0, 0, NULL);
		c->empty_sent = true;
	}
}

static int setup(struct daemon *d)
{
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0)
		return -errno;
	if ((err = consumer_init(&d->consumer, &d->tracer)))
		return err;
	d->listen_fd = listen_socket(d->o->socket_path);
	if (d->listen_fd < 0)
		return d->listen_fd;
	if (watch(d, d->listen_fd, &tag_listen) || watch(d, d->sigfd, &tag_signal) ||
	    watch(d, consumer_fd(&d->consumer), &tag_ring))
		return -errno;
	return 0;
}

static void loop(struct daemon *d)
{
	while (!d->stop_signal) {
		struct epoll_event ev[16];
		/* Idle (no session, programs detached): sleep until a client or a
		 * signal comes; there is nothing to drain. */
		int n = epoll_wait(d->epfd, ev, 16, d->nsessions || d->tracer.nlinks ? POLL_MS : -1);

		consumer_drain(&d->consumer);
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;
			struct signalfd_siginfo si;

			if (tag == &tag_listen)
				accept_conn(d);
			else if (tag == &tag_signal && read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				d->stop_signal = (int)si.ssi_signo;
			else if (tag != &tag_ring && tag != &tag_signal)
				conn_readable(d, tag);
		}
		note_empty_sessions(d);
		if (d->nsessions == 0 && d->tracer.nlinks && now_ms() - d->idle_since_ms >= LINGER_MS)
			tracer_detach(&d->tracer);
	}
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .o = o, .listen_fd = -1, .sigfd = -1, .epfd = -1 };
	int err, ret = EXIT_FAILURE_FM;

	if (tracer_load(&d.tracer, &o->tracer))
		return EXIT_FAILURE_FM;
	signal(SIGCHLD, SIG_IGN); /* lingerer children (tracer_detach) reap themselves */
	if ((err = setup(&d))) {
		fm_error(err == -EADDRINUSE ? "a daemon already answers on %s" : "cannot listen on %s: %s",
			 o->socket_path, strerror(-err));
		goto out;
	}
	fprintf(stderr, "filemond: daemon serving sessions on %s\n", o->socket_path);
	loop(&d);
	while (d.conns)
		conn_close(&d, d.conns); /* every session ends with its trailer */
	unlink(o->socket_path);
	ret = 0;
out:
	if (d.listen_fd >= 0)
		close(d.listen_fd);
	if (d.consumer.rb)
		consumer_free(&d.consumer);
	tracer_close(&d.tracer);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.epfd >= 0)
		close(d.epfd);
	return ret;
}

int daemon_status(const char *socket_path)
{
	struct fm_reply r;
	char *text = NULL;
	int s = proto_connect(socket_path), err;

	if (s < 0) {
		fm_error("no daemon answers on %s: %s", socket_path, strerror(-s));
		return EXIT_FAILURE_FM;
	}
	err = proto_send_request(s, FM_OP_STATUS, 0, 0, -1);
	if (!err)
		err = proto_recv_reply(s, &r, &text);
	close(s);
	if (err || r.err) {
		fm_error("status from %s: %s", socket_path, strerror(err ? -err : r.err));
		free(text);
		return EXIT_FAILURE_FM;
	}
	fputs(text ? text : "", stdout);
	free(text);
	return 0;
}
