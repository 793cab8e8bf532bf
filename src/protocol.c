// SPDX-License-Identifier: BSD-2-Clause
/* protocol.c - framing of the daemon's socket protocol (see protocol.h). */
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int proto_send_request(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd)
{
	struct fm_request req = {
		.magic = FM_PROTO_MAGIC, .op = (uint16_t)op, .version = FM_PROTO_VERSION, .pid = pid, .flags = flags,
	};
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(req) ? 0 : -(errno ? errno : EIO);
}

static int write_all(int sock, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(sock, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -(w < 0 ? errno : EIO);
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

int proto_send_reply(int sock, uint32_t type, uint32_t op, int err, const struct session_result *res,
		     const char *text)
{
	struct fm_reply r = {
		.magic = FM_PROTO_MAGIC, .type = (uint16_t)type, .version = FM_PROTO_VERSION, .op = op, .err = err,
		.len = text ? (uint32_t)strlen(text) : 0,
	};
	int e;

	if (res)
		r.result = *res;
	e = write_all(sock, &r, sizeof(r));

	return e || !text ? e : write_all(sock, text, r.len);
}

static int read_all(int sock, void *p, size_t n)
{
	while (n > 0) {
		ssize_t got = recv(sock, p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? -EPIPE : -errno;
		p = (char *)p + got;
		n -= (size_t)got;
	}
	return 0;
}

/* The most text a reply may announce. */
#define MAX_REPLY_TEXT (1u << 24)
/* The part of a reply that is the same in every version. */
#define REPLY_HEAD 8

int proto_recv_reply(int sock, struct fm_reply *r, char **text)
{
	int err = read_all(sock, r, REPLY_HEAD);

	*text = NULL;
	if (err)
		return err;
	if (r->magic != FM_PROTO_MAGIC)
		return -EPROTO;
	if (r->version != FM_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if ((err = read_all(sock, (char *)r + REPLY_HEAD, sizeof(*r) - REPLY_HEAD)))
		return err;
	if (r->len > MAX_REPLY_TEXT)
		return -EPROTO;
	if (r->len == 0)
		return 0;
	*text = calloc(1, r->len + 1);
	if (!*text)
		return -ENOMEM;
	err = read_all(sock, *text, r->len);
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

int proto_call(int sock, uint32_t op, pid_t pid, uint32_t flags, int fd, int *empty, struct fm_reply *r)
{
	struct fm_reply mine;
	char *text;
	int err = proto_send_request(sock, op, pid, flags, fd);

	if (!r)
		r = &mine;
	/* A daemon that turned the connection away at once (a limit) has
	 * closed it, but its one reply is still there to be read. */
	if (err == -EPIPE || err == -ECONNRESET)
		err = 0;
	while (!err) {
		err = proto_recv_reply(sock, r, &text);
		free(text);
		if (err)
			break;
		if (r->type == FM_NOTE_EMPTY) {
			if (empty)
				*empty = 1;
			continue;
		}
		return -r->err;
	}
	return err;
}

int proto_readable(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

int proto_request_valid(const struct fm_request *req)
{
	return req->magic == FM_PROTO_MAGIC && req->op >= FM_OP_SET_FD && req->op <= FM_OP_STATUS &&
	       (req->flags & ~(uint32_t)(req->op == FM_OP_SET_FD ? FM_LOG_JSON : FM_PID_TREE)) == 0;
}

static void (*extra_fd_closer)(int) = NULL;

void proto_set_fd_closer(void (*closer)(int))
{
	extra_fd_closer = closer;
}

/* Keep the first fd passed; close any other (a client may not pile them up). */
static void take_fds(struct msghdr *msg, int *fd)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else if (extra_fd_closer)
				extra_fd_closer(f);
			else
				close(f);
		}
	}
}

int proto_recv_request(int sock, struct fm_request *req, size_t *have, int *fd)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (char *)req + *have, .iov_len = sizeof(*req) - *have };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (got < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (got == 0)
		return -EPIPE;
	take_fds(&msg, fd);
	*have += (size_t)got;
	return *have == sizeof(*req);
}

#define CONNECT_TIMEOUT_MS 5000

int proto_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s, e = 0;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		struct pollfd p = { .fd = s, .events = POLLOUT };
		socklen_t len = sizeof(e);

		e = errno;
		/* A Unix connect that would block (a full backlog) is retried:
		 * the socket does not report writable when a slot frees up. */
		for (int waited = 0; e == EAGAIN && waited < CONNECT_TIMEOUT_MS; waited += 20) {
			poll(NULL, 0, 20);
			e = connect(s, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
		}
		if (e == EINPROGRESS && poll(&p, 1, CONNECT_TIMEOUT_MS) == 1 &&
		    !getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len) && e == 0)
			e = 0;
		else if (e == EAGAIN || e == EINPROGRESS)
			e = ETIMEDOUT;
	}
	if (e || fcntl(s, F_SETFL, 0)) {
		close(s);
		return -(e ? e : errno);
	}
	return s;
}
