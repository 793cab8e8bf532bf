// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon.c - "filemond --daemon": the BPF programs loaded once, sessions
 * served over a Unix socket (protocol.h), one per connection.
 *
 * One thread, one epoll loop: the listening socket, the connections, the
 * ring buffer, a signalfd and an eventfd its log writers signal, plus a
 * tick that drains the ring.  Each session's log has a writer thread of its
 * own (log_sink.h), so no log, however slow, holds up this loop.
 *
 * Isolation: the daemon is a security boundary between local users (see
 * SECURITY in filemond(8)).  Who may trace what is access.c's business.
 * Nobody can hold the loop: requests are served a few per connection per
 * pass with the ring drained in between; connections, sessions and traced
 * processes are capped per user; a connection that sends no request in
 * FIRST_REQUEST_MS is closed; a log that accepts nothing for --log-timeout
 * ends its session.
 *
 * A connection's life: OPEN (requests served) -> CLOSING (its session
 * closed by CLOSE, by the client going away, by the log timeout or by
 * SIGTERM; the socket no longer read; waiting for the log's writer) ->
 * freed, after CLOSE's reply if one is owed.
 */
#include "daemon.h"

#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "log_sink.h"
#include "protocol.h"
#include "sd_notify.h"
#include "service.h"
#include "util.h"

#define POLL_MS 10
/* A connection that has sent no whole request this long after accept is closed. */
#define FIRST_REQUEST_MS 5000
/* Requests served per connection per loop pass; the ring is drained between connections. */
#define REQUESTS_PER_PASS 4
/* Connections of one user other than root, and of everybody. */
#define USER_CONNECTIONS 32
#define MAX_CONNECTIONS 1024
/* After accept fails for want of descriptors, stop accepting this long. */
#define ACCEPT_PAUSE_MS 100
/* Descendants a tree attach checks and attaches per loop pass. */
#define SCAN_BUDGET 256
/* On SIGTERM, how long the logs get to be written before they are given up. */
#define STOP_FLUSH_MS 3000
/* How often the service manager gets a STATUS= line. */
#define STATUS_MS 1000

struct conn {
	int fd;
	struct client_cred cred; /* fixed at connect (SO_PEERCRED) */
	struct session sess; /* sess.slot < 0 until a request opens it, and once closed */
	struct fm_request req; /* request being received */
	size_t have;
	int passed_fd;
	long long accepted_ms;
	bool served; /* a whole request came */
	bool empty_sent;
	bool closing; /* no more requests: waiting for the log's writer */
	bool reply_owed; /* CLOSE's reply is sent once the log is written */
	int end_note; /* or an ENDED note with this errno (log timeout, daemon stopping) */
	struct conn *next;
};

struct daemon {
	const struct daemon_opts *o;
	struct service svc;
	int listen_fd, sigfd, epfd, sink_fd;
	dev_t sock_dev; /* the socket file we made, removed only if still ours */
	ino_t sock_ino;
	struct conn *conns;
	int nconns, max_conns;
	long long accept_paused_until; /* 0: accepting */
	long long warned_ms; /* last malformed-request warning */
	unsigned long suppressed; /* warnings not written since */
	int stop_signal;
	bool activated; /* the socket came from the service manager: not ours to remove */
	long long watchdog_ms, watchdog_sent_ms, status_sent_ms;
	unsigned long long status_events; /* the audit's count at the last STATUS= */
	const char *stall_path; /* $FILEMOND_TEST_STALL: the loop stops while this exists */
	struct device *dev; /* /dev/filemon (--device), or NULL */
	bool dev_waiting; /* a close on it waits for its log */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* epoll tags for the fds that are not connections */
static char tag_listen, tag_signal, tag_ring, tag_sink, tag_device;

/*
 * The socket, mode 0666 like /dev/filemon.  Made with umask rather than a
 * chmod by path (which would follow a symlink swapped in meanwhile); what
 * is at the path is removed only if it is a socket no daemon answers on.
 */
static int listen_socket(struct daemon *d, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int s, probe, err;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -ENOTSOCK;
		probe = proto_connect(path);
		if (probe >= 0) {
			close(probe);
			return -EADDRINUSE; /* a daemon answers there */
		}
		unlink(path); /* a stale socket from a daemon that died */
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	old = umask(0111);
	err = bind(s, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	umask(old);
	if (!err && (lstat(path, &st) || listen(s, 64)))
		err = -errno;
	if (err) {
		close(s);
		return err;
	}
	d->sock_dev = st.st_dev;
	d->sock_ino = st.st_ino;
	return s;
}

static void unlink_socket(const struct daemon *d, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == d->sock_dev && st.st_ino == d->sock_ino)
		unlink(path);
}

static int watch(struct daemon *d, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Read requests from c, or (events 0) not while its tree attach runs. */
static void watch_conn(struct daemon *d, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* End the connection's session (if any) and stop reading it; it is freed
 * once its log is written (reap_closing). */
static void conn_end(struct daemon *d, struct conn *c, bool reply)
{
	if (c->closing)
		return;
	service_close(&d->svc, &c->sess);
	/* Removed from the epoll set explicitly: a registration lives as long
	 * as any copy of the file, wherever it is. */
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->closing = true;
	c->reply_owed = reply;
}

static void conn_free(struct daemon *d, struct conn *c)
{
	struct session_result res;
	struct conn **pp;
	int err = session_finish(&c->sess, &res);

	if (c->reply_owed)
		proto_send_reply(c->fd, FM_REPLY, FM_OP_CLOSE, -err, &res, NULL);
	else if (c->end_note)
		proto_send_reply(c->fd, FM_NOTE_ENDED, 0, c->end_note, &res, NULL);
	for (pp = &d->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->passed_fd >= 0)
		close_off_loop(c->passed_fd);
	close(c->fd);
	free(c);
	d->nconns--;
}

static int conns_of(const struct daemon *d, uid_t uid)
{
	int n = 0;

	for (const struct conn *c = d->conns; c; c = c->next)
		n += c->cred.uid == uid;
	return n;
}

/* Turn a connection away with one reply saying which limit it hit. */
static void refuse(int fd, int err)
{
	proto_send_reply(fd, FM_REPLY, 0, err, NULL, NULL);
	close(fd);
}

static void accept_conn(struct daemon *d)
{
	struct client_cred cred;
	struct conn *c;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		/* Out of descriptors: the listening socket stays readable, so
		 * stop watching it for a moment rather than spin. */
		if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) &&
		    epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL) == 0)
			d->accept_paused_until = now_ms() + ACCEPT_PAUSE_MS;
		return;
	}
	if (client_cred_of_socket(fd, &cred)) {
		close(fd);
		return;
	}
	if (d->nconns >= d->max_conns)
		return refuse(fd, ENFILE);
	if (!cred.privileged && conns_of(d, cred.uid) >= USER_CONNECTIONS)
		return refuse(fd, EMFILE);
	c = calloc(1, sizeof(*c));
	if (!c || watch(d, fd, c)) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->cred = cred;
	c->sess.slot = -1;
	c->passed_fd = -1;
	c->accepted_ms = now_ms();
	c->next = d->conns;
	d->conns = c;
	d->nconns++;
}

/* Open the connection's session on first use. */
static int need_session(struct daemon *d, struct conn *c)
{
	return c->sess.slot >= 0 ? 0 : service_open(&d->svc, &c->sess, &c->cred);
}

/* One warning a second at most: a client cannot flood the daemon's log. */
static void warn_malformed(struct daemon *d, const struct conn *c)
{
	long long now = now_ms();

	if (now - d->warned_ms < 1000) {
		d->suppressed++;
		return;
	}
	if (d->suppressed)
		fm_warn("malformed request from pid %d: closing its connection (%lu more since the last warning)",
			(int)c->cred.pid, d->suppressed);
	else
		fm_warn("malformed request from pid %d: closing its connection", (int)c->cred.pid);
	d->warned_ms = now;
	d->suppressed = 0;
}

/* --status: the sessions, and the device if one is served. */
static char *status_text(struct daemon *d, const struct client_cred *asker)
{
	char *sessions = service_status(&d->svc, asker), *text = NULL;

	if (!d->dev || !sessions)
		return sessions;
	if (asprintf(&text, "%sdevice: %s\n", sessions, device_describe(d->dev)) < 0)
		text = NULL;
	free(sessions);
	return text;
}

/* Serve one request.  false: no more requests on this connection. */
static bool serve(struct daemon *d, struct conn *c)
{
	const struct fm_request *r = &c->req;
	char *text = NULL;
	int err = 0;

	c->served = true;
	if (r->magic == FM_PROTO_MAGIC && r->version != FM_PROTO_VERSION) {
		proto_send_reply(c->fd, FM_REPLY, r->op, EPROTONOSUPPORT, NULL, NULL);
		conn_end(d, c, false);
		return false;
	}
	if (!proto_request_valid(r)) {
		warn_malformed(d, c);
		proto_send_reply(c->fd, FM_REPLY, r->op, EINVAL, NULL, NULL);
		conn_end(d, c, false);
		return false;
	}
	switch (r->op) {
	case FM_OP_SET_FD:
		if (!(err = need_session(d, c)))
			err = c->passed_fd < 0 ? -EBADF
					       : service_set_log(&d->svc, &c->sess, c->passed_fd, d->sink_fd,
								 r->flags & FM_LOG_JSON);
		break;
	case FM_OP_SET_PID:
		if (!(err = need_session(d, c)))
			err = service_attach(&d->svc, &c->sess, r->pid, r->flags & FM_PID_TREE, c->cred.pid);
		c->empty_sent = false;
		if (!err && c->sess.scan) { /* a tree: replied to once scanned (step_scans) */
			watch_conn(d, c, 0);
			return false;
		}
		break;
	case FM_OP_CLOSE:
		conn_end(d, c, true); /* replies once the log is written */
		return false;
	case FM_OP_STATUS:
		text = status_text(d, &c->cred);
		break;
	}
	/* A client that does not read its replies is not served further. */
	if (proto_send_reply(c->fd, FM_REPLY, r->op, -err, NULL, text)) {
		conn_end(d, c, false);
		free(text);
		return false;
	}
	free(text);
	return true;
}

static void conn_readable(struct daemon *d, struct conn *c)
{
	for (int i = 0; i < REQUESTS_PER_PASS && !c->closing; i++) {
		int got = proto_recv_request(c->fd, &c->req, &c->have, &c->passed_fd);
		bool more;

		if (got == 0)
			return;
		if (got < 0) { /* the client closed or died */
			conn_end(d, c, false);
			return;
		}
		more = serve(d, c);
		c->have = 0;
		if (c->passed_fd >= 0)
			close_off_loop(c->passed_fd); /* the client's file: its close may block (FUSE) */
		c->passed_fd = -1;
		if (!more)
			return;
	}
}

/* Tree attaches go on a step per pass, so a large tree holds nobody up. */
static bool step_scans(struct daemon *d)
{
	bool more = false;

	for (struct conn *c = d->conns; c; c = c->next) {
		if (c->closing || !c->sess.scan)
			continue;
		if (!service_scan_step(&d->svc, &c->sess, SCAN_BUDGET)) {
			more = true;
			continue;
		}
		if (proto_send_reply(c->fd, FM_REPLY, FM_OP_SET_PID, -c->sess.attach_err, NULL, NULL))
			conn_end(d, c, false);
		else
			watch_conn(d, c, EPOLLIN);
	}
	return more;
}

/* Tell each session whose processes have all exited, once, after its records. */
static void note_empty_sessions(struct daemon *d)
{
	for (struct conn *c = d->conns; c; c = c->next) {
		if (c->closing || c->empty_sent || !service_empty(&d->svc, &c->sess))
			continue;
		proto_send_reply(c->fd, FM_NOTE_EMPTY, 0, 0, NULL, NULL);
		c->empty_sent = true;
	}
}

static bool bytes_waiting(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/*
 * Per pass, for every connection: a silent one past its first-request
 * deadline is closed; a session whose log accepted nothing for
 * --log-timeout is ended (the client told with ENDED) and its log given up;
 * a closing one whose log is written is freed.
 */
static void check_conns(struct daemon *d)
{
	long long now = now_ms(), timeout = d->o->log_timeout_s * 1000LL;
	struct conn *c, *next;

	for (c = d->conns; c; c = next) {
		next = c->next;
		if (!c->closing && !c->served && now - c->accepted_ms >= FIRST_REQUEST_MS && !bytes_waiting(c->fd))
			conn_end(d, c, false); /* (a request that came while the loop was busy is served first) */
		if (c->sess.out.sink && sink_stalled(c->sess.out.sink, now, timeout)) {
			if (!c->closing) { /* ENDED, with what was lost, once the writer is out */
				c->end_note = ETIMEDOUT;
				conn_end(d, c, false);
			}
			session_log_cancel(&c->sess); /* again each pass until the writer is out */
		}
		if (c->closing && session_log_done(&c->sess))
			conn_free(d, c);
	}
}

/* Raise the descriptor limit as far as allowed, and size the connection cap to it. */
static void fit_fd_limit(struct daemon *d)
{
	struct rlimit rl;

	d->max_conns = MAX_CONNECTIONS;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	/* each connection may hold its socket, a passed fd and a log */
	if (rl.rlim_cur != RLIM_INFINITY && (rl.rlim_cur - 128) / 3 < (rlim_t)d->max_conns)
		d->max_conns = rl.rlim_cur > 256 ? (int)((rl.rlim_cur - 128) / 3) : 32;
}

static int setup(struct daemon *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sink_init_signals();
	proto_set_fd_closer(close_off_loop);
	fit_fd_limit(d);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sink_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0 || d->sink_fd < 0)
		return -errno;
	if (watch(d, d->listen_fd, &tag_listen) || watch(d, d->sigfd, &tag_signal) ||
	    watch(d, service_ring_fd(&d->svc), &tag_ring) || watch(d, d->sink_fd, &tag_sink))
		return -errno;
	return 0;
}

static int poll_timeout(const struct daemon *d, bool busy)
{
	if (busy)
		return 0;
	if (d->dev_waiting)
		return 1;
	if (d->svc.nsessions || d->svc.tracer.nlinks || d->accept_paused_until)
		return POLL_MS;
	if (sd_notify_enabled()) /* the STATUS= line, the watchdog */
		return d->watchdog_ms && d->watchdog_ms / 4 < STATUS_MS ? (int)(d->watchdog_ms / 4) : STATUS_MS;
	return d->conns ? 1000 : -1; /* deadlines to check; else sleep until a client or a signal */
}

/* What systemd's status line says: the audit's rate and loss, the sessions. */
static void send_status(struct daemon *d, long long now)
{
	unsigned long long events, lost;

	if (!d->o->service.audit) {
		sd_notify_send("STATUS=serving %d sessions on %s", d->svc.nsessions, d->o->socket_path);
		return;
	}
	audit_counts(d->o->service.audit, &events, &lost);
	sd_notify_send("STATUS=auditing: %llu events/s, %llu events in all, %llu lost; %d sessions",
		       (events - d->status_events) * 1000 / (unsigned long long)(now - d->status_sent_ms > 0 ? now - d->status_sent_ms : 1),
		       events, lost, d->svc.nsessions);
	d->status_events = events;
}

/* Once per loop pass: the watchdog is fed from here, where the ring is
 * read, so a consumer that stops also stops feeding it. */
static void tell_manager(struct daemon *d)
{
	long long now = now_ms();

	while (d->stall_path && access(d->stall_path, F_OK) == 0) /* tests: a stuck consumer */
		usleep(100000);
	if (d->watchdog_ms && now - d->watchdog_sent_ms >= d->watchdog_ms / 2) {
		sd_notify_send("WATCHDOG=1");
		d->watchdog_sent_ms = now;
	}
	if (sd_notify_enabled() && now - d->status_sent_ms >= STATUS_MS) {
		send_status(d, now);
		d->status_sent_ms = now;
	}
}

static long long monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* SIGHUP with a reload: what is queued goes out under the old rules, then
 * the new ones apply; the ring is never stopped, so no event is missed. */
static void reload(struct daemon *d)
{
	sd_notify_send("RELOADING=1\nMONOTONIC_USEC=%lld", monotonic_us());
	service_drain(&d->svc);
	d->o->reload(d->o->reload_arg, &d->svc);
	sd_notify_send("READY=1");
}

/* SIGUSR1: the audit's file is opened again (logrotate); SIGHUP reloads
 * if there is something to reload; the others stop. */
static void on_signal(struct daemon *d, int sig)
{
	if (sig == SIGUSR1) {
		if (d->o->service.audit)
			audit_reopen(d->o->service.audit);
	} else if (sig == SIGHUP && d->o->reload) {
		reload(d);
	} else {
		d->stop_signal = sig;
	}
}

/* The device's requests; a device unmounted from outside is no longer polled. */
static void serve_device(struct daemon *d)
{
	if (!device_serve(d->dev))
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, device_fd(d->dev), NULL);
}

static void loop(struct daemon *d)
{
	bool busy = false;

	while (!d->stop_signal) {
		struct epoll_event ev[16];
		int n = epoll_wait(d->epfd, ev, 16, poll_timeout(d, busy));
		uint64_t v;

		if (service_drain(&d->svc))
			usleep(1000); /* the audit's writer is behind: give it the CPU, not a spin */
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;
			struct signalfd_siginfo si;

			if (tag == &tag_listen)
				accept_conn(d);
			else if (tag == &tag_signal && read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				on_signal(d, (int)si.ssi_signo);
			else if (tag == &tag_sink)
				(void)!read(d->sink_fd, &v, sizeof(v));
			else if (tag == &tag_device)
				serve_device(d);
			else if (tag != &tag_ring && tag != &tag_signal) {
				conn_readable(d, tag);
				service_drain(&d->svc);
			}
		}
		if (d->accept_paused_until && now_ms() >= d->accept_paused_until &&
		    watch(d, d->listen_fd, &tag_listen) == 0)
			d->accept_paused_until = 0;
		busy = step_scans(d);
		note_empty_sessions(d);
		check_conns(d);
		d->dev_waiting = d->dev && device_check(d->dev);
		service_idle(&d->svc);
		tell_manager(d);
	}
}

/*
 * SIGTERM: every session ends with its trailer; the logs get STOP_FLUSH_MS,
 * then are given up (their clients told the log is cut short); a writer
 * still stuck after as long again (a FUSE log) is left behind at exit.
 */
static void stop(struct daemon *d)
{
	long long deadline = now_ms() + STOP_FLUSH_MS;

	device_stop(d->dev, STOP_FLUSH_MS);
	d->dev = NULL;
	for (struct conn *c = d->conns; c; c = c->next) {
		if (!c->closing && c->sess.slot >= 0)
			c->end_note = ESHUTDOWN; /* its log ends with the trailer */
		conn_end(d, c, false);
	}
	while (d->conns && now_ms() < deadline + STOP_FLUSH_MS) {
		for (struct conn *c = d->conns; c && now_ms() >= deadline; c = c->next) {
			if (c->end_note == ESHUTDOWN && !session_log_done(&c->sess))
				c->end_note = ETIMEDOUT;
			session_log_cancel(&c->sess);
		}
		for (struct conn *c = d->conns, *next; c; c = next) {
			next = c->next;
			if (session_log_done(&c->sess))
				conn_free(d, c);
		}
		if (d->conns)
			usleep(10000);
	}
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .o = o, .listen_fd = -1, .sigfd = -1, .epfd = -1, .sink_fd = -1 };
	int ret = EXIT_FAILURE_FM;

	sd_notify_init();
	d.watchdog_ms = sd_watchdog_ms();
	d.stall_path = getenv("FILEMOND_TEST_STALL");
	/* The socket first: a second daemon, or a path that is no socket, is
	 * refused before any BPF program is loaded. */
	if ((d.listen_fd = sd_listen_socket()) == -2) {
		fm_error("the socket the service manager passed is not a listening Unix stream socket");
		return EXIT_FAILURE_FM;
	}
	d.activated = d.listen_fd >= 0;
	if (!d.activated)
		d.listen_fd = listen_socket(&d, o->socket_path);
	if (d.listen_fd < 0) {
		if (d.listen_fd == -EADDRINUSE)
			fm_error("a daemon already answers on %s", o->socket_path);
		else if (d.listen_fd == -ENOTSOCK)
			fm_error("cannot listen on %s: it exists and is not a socket (not replaced)", o->socket_path);
		else
			fm_error("cannot listen on %s: %s", o->socket_path, strerror(-d.listen_fd));
		return EXIT_FAILURE_FM;
	}
	if (service_load(&d.svc, &o->service))
		goto out;
	signal(SIGCHLD, SIG_IGN); /* lingerer children (tracer_detach) reap themselves */
	if ((ret = setup(&d))) {
		fm_error("cannot set up the daemon: %s", strerror(-ret));
		ret = EXIT_FAILURE_FM;
		goto out;
	}
	if (o->device_path && (!(d.dev = device_start(o->device_path, &d.svc, d.sink_fd, o->log_timeout_s * 1000LL)) ||
				watch(&d, device_fd(d.dev), &tag_device))) {
		ret = EXIT_FAILURE_FM;
		goto out;
	}
	service_drain(&d.svc);
	if (o->service.audit) {
		audit_lifecycle(o->service.audit, "start", "auditing every process");
		fm_info("auditing every process; serving sessions on %s", o->socket_path);
	} else {
		fm_info("daemon serving sessions on %s%s", o->socket_path, d.activated ? " (socket activation)" : "");
	}
	if (d.dev)
		fm_info("serving %s", device_describe(d.dev));
	d.status_sent_ms = now_ms();
	sd_notify_send("READY=1\nMAINPID=%d", (int)getpid());
	loop(&d);
	sd_notify_send("STOPPING=1");
	stop(&d);
	service_drain_all(&d.svc, STOP_FLUSH_MS); /* the audit's last records */
	if (o->service.audit) {
		audit_end_holes(o->service.audit);
		unsigned long long events, lost;
		char msg[128];

		audit_counts(o->service.audit, &events, &lost);
		snprintf(msg, sizeof(msg), "stopped after %llu events, %llu lost", events, lost);
		audit_lifecycle(o->service.audit, "stop", msg);
	}
	ret = 0;
out:
	device_stop(d.dev, STOP_FLUSH_MS);
	if (!d.activated)
		unlink_socket(&d, o->socket_path);
	close(d.listen_fd);
	service_free(&d.svc);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sink_fd >= 0)
		close(d.sink_fd);
	return ret;
}
