// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_protocol - libFuzzer harness for the receive side of the daemon's
 * socket protocol (src/protocol.c).
 *
 * The input's first bytes say how the rest, a byte stream, is sent over
 * a socketpair:
 *
 *   byte 0        nsizes = b & 7 chunk sizes follow (0: one send)
 *   byte 1        chunk i carries passed fds if bit (i % 8) is set
 *   byte 2        ...and then 1, 3, 5 or 7 of them (2 bits per i % 4)
 *   nsizes bytes  chunk sizes, b + 1 each, used in turn
 *   the rest      the stream (at most MAX_STREAM bytes)
 *
 * Requests: each chunk is sent, then proto_recv_request() reads like the
 * daemon's loop (until it returns 0, EAGAIN), a whole request is checked
 * against the bytes sent and proto_request_valid() against an independent
 * reading of protocol.h; then the sender closes and the rest is read to
 * EOF (-EPIPE).  No byte may be lost or repeated, a kept fd must be open
 * and close-on-exec, and every other passed fd closed.
 *
 * Replies: the same stream, all sent, is read with proto_recv_reply()
 * until it fails; each reply and its text must be the bytes sent, and the
 * failure the one the bytes call for.
 *
 * src/ API used: proto_recv_request(), proto_request_valid(),
 * proto_recv_reply(), struct fm_request, struct fm_reply, FM_PROTO_MAGIC,
 * FM_OP_*, FM_PID_TREE (protocol.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"

#define MAX_STREAM 16384 /* with MAX_CHUNKS, always fits a socket buffer */
#define MAX_CHUNKS 64 /* then the rest goes in one send */
#define MAX_PASS 7 /* fds in one message (the receiver keeps room for 4) */
#define FD_WINDOW 16 /* fds checked for leaks, from the lowest free one */

struct plan {
	const uint8_t *stream;
	size_t len;
	uint8_t sizes[8];
	unsigned nsizes;
	uint8_t fd_chunks, fd_counts;
};

static int null_fd = -1;

#define FAIL(...)                                                  \
	do {                                                       \
		fprintf(stderr, "fuzz_protocol: " __VA_ARGS__);    \
		fputc('\n', stderr);                               \
		abort();                                           \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		abort();
	return 0;
}

static int parse(struct plan *p, const uint8_t *d, size_t n)
{
	if (n < 3)
		return -1;
	p->nsizes = d[0] & 7;
	p->fd_chunks = d[1];
	p->fd_counts = d[2];
	if (n < 3 + p->nsizes)
		return -1;
	memcpy(p->sizes, d + 3, p->nsizes);
	p->stream = d + 3 + p->nsizes;
	p->len = n - 3 - p->nsizes;
	if (p->len > MAX_STREAM)
		p->len = MAX_STREAM;
	return 0;
}

/* Chunk i: its length (from off) and how many fds ride on it. */
static size_t chunk_len(const struct plan *p, unsigned i, size_t off)
{
	size_t want = p->len - off;

	if (p->nsizes && i < MAX_CHUNKS - 1 && (size_t)p->sizes[i % p->nsizes] + 1 < want)
		want = (size_t)p->sizes[i % p->nsizes] + 1;
	return want;
}

static int chunk_fds(const struct plan *p, unsigned i)
{
	if (!(p->fd_chunks & (1u << (i % 8))))
		return 0;
	return 1 + 2 * ((p->fd_counts >> (2 * (i % 4))) & 3);
}

static void send_chunk(int sock, const uint8_t *bytes, size_t len, int nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_PASS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)bytes, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		for (int k = 0; k < nfds; k++)
			memcpy(CMSG_DATA(c) + (size_t)k * sizeof(int), &null_fd, sizeof(int));
	}
	w = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w != (ssize_t)len)
		FAIL("harness: sendmsg of %zu bytes: %zd (%s)", len, w, strerror(errno));
}

/* What protocol.h says a valid request is, read independently. */
static int oracle_valid(const struct fm_request *r)
{
	return r->magic == FM_PROTO_MAGIC &&
	       (r->op == FM_OP_SET_FD || r->op == FM_OP_SET_PID || r->op == FM_OP_CLOSE || r->op == FM_OP_STATUS) &&
	       /* SET_FD's one flag is FM_LOG_JSON; the others' is FM_PID_TREE */
	       (r->flags | (r->op == FM_OP_SET_FD ? FM_LOG_JSON : FM_PID_TREE)) ==
		       (r->op == FM_OP_SET_FD ? FM_LOG_JSON : FM_PID_TREE);
}

struct reader {
	int sock;
	struct fm_request req;
	size_t have;
	int fd;
	size_t done; /* stream bytes of the whole requests taken */
	int sent_fds; /* some chunk carried fds */
};

static void take_passed_fd(struct reader *r)
{
	int fl;

	if (r->fd < 0)
		return;
	if (!r->sent_fds)
		FAIL("an fd was received but none was sent");
	fl = fcntl(r->fd, F_GETFD);
	if (fl < 0)
		FAIL("the kept fd %d is not open", r->fd);
	if (!(fl & FD_CLOEXEC))
		FAIL("the kept fd %d is not close-on-exec", r->fd);
	close(r->fd);
	r->fd = -1;
}

/* Read as the daemon does, until EAGAIN (1) or, at EOF, the error (0). */
static int read_requests(struct reader *r, const struct plan *p, int at_eof)
{
	for (int guard = 0; guard < 2 * MAX_STREAM + 16; guard++) {
		size_t before = r->have;
		int got = proto_recv_request(r->sock, &r->req, &r->have, &r->fd);

		if (r->have > sizeof(r->req) || r->have < before)
			FAIL("have went from %zu to %zu", before, r->have);
		if (got < 0) {
			if (!at_eof)
				FAIL("error %d while the sender is still there", got);
			if (got != -EPIPE)
				FAIL("error %d at EOF, not -EPIPE", got);
			return 0;
		}
		if (got > 1)
			FAIL("proto_recv_request returned %d", got);
		if ((got == 1) != (r->have == sizeof(r->req)))
			FAIL("returned %d with have = %zu", got, r->have);
		if (got == 0) {
			if (!at_eof && r->have == before)
				return 1; /* EAGAIN: wait for the next chunk */
			continue; /* at EOF only EINTR; the guard catches a spin */
		}
		/* A whole request: the next 16 bytes of the stream. */
		if (r->done + sizeof(r->req) > p->len || memcmp(&r->req, p->stream + r->done, sizeof(r->req)) != 0)
			FAIL("request at stream offset %zu is not the bytes sent", r->done);
		if (proto_request_valid(&r->req) != oracle_valid(&r->req))
			FAIL("proto_request_valid says %d for magic %#x op %u flags %#x", proto_request_valid(&r->req),
			     r->req.magic, r->req.op, r->req.flags);
		r->done += sizeof(r->req);
		r->have = 0; /* the daemon serves it and starts the next one */
		take_passed_fd(r);
	}
	FAIL("proto_recv_request makes no progress");
}

static void fuzz_requests(const struct plan *p)
{
	struct reader r = { .fd = -1 };
	int sv[2];
	size_t off = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		FAIL("harness: socketpair: %s", strerror(errno));
	r.sock = sv[1];
	for (unsigned i = 0; off < p->len; i++) {
		size_t n = chunk_len(p, i, off);
		int nfds = chunk_fds(p, i);

		send_chunk(sv[0], p->stream + off, n, nfds);
		r.sent_fds |= nfds > 0;
		off += n;
		read_requests(&r, p, 0);
	}
	close(sv[0]);
	read_requests(&r, p, 1);
	if (r.done + r.have != p->len)
		FAIL("%zu of %zu stream bytes received", r.done + r.have, p->len);
	take_passed_fd(&r); /* an fd that came with a partial request */
	close(sv[1]);
}

static void fuzz_replies(const struct plan *p)
{
	int sv[2];
	size_t off = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		FAIL("harness: socketpair: %s", strerror(errno));
	for (unsigned i = 0; off < p->len; i++) {
		size_t n = chunk_len(p, i, off);

		send_chunk(sv[0], p->stream + off, n, chunk_fds(p, i));
		off += n;
	}
	close(sv[0]);
	off = 0;
	for (;;) {
		struct fm_reply rep;
		char *text = (char *)&rep; /* must be set by the call */
		size_t rest = p->len - off;
		int err = proto_recv_reply(sv[1], &rep, &text);

		if (err) {
			struct fm_reply h;

			if (text)
				FAIL("text left set after error %d", err);
			/* the first 8 bytes (magic, type, version) come first, alone */
			memset(&h, 0, sizeof(h));
			memcpy(&h, p->stream + off, rest < sizeof(h) ? rest : sizeof(h));
			if (rest < 8) {
				if (err != -EPIPE)
					FAIL("%zu bytes left: error %d, not -EPIPE", rest, err);
			} else if (h.magic != FM_PROTO_MAGIC) {
				if (err != -EPROTO)
					FAIL("bad magic %#x: error %d, not -EPROTO", h.magic, err);
			} else if (h.version != FM_PROTO_VERSION) {
				if (err != -EPROTONOSUPPORT)
					FAIL("version %u: error %d, not -EPROTONOSUPPORT", h.version, err);
			} else if (rest < sizeof(h)) {
				if (err != -EPIPE)
					FAIL("%zu bytes left: error %d, not -EPIPE", rest, err);
			} else if (h.len > (1u << 24)) {
				if (err != -EPROTO)
					FAIL("text length %u: error %d, not -EPROTO", h.len, err);
			} else if (rest - sizeof(h) >= h.len || err != -EPIPE) {
				FAIL("header ok, %u of %zu text bytes there: error %d", h.len, rest - sizeof(h), err);
			}
			break;
		}
		if (rest < sizeof(rep) || memcmp(&rep, p->stream + off, sizeof(rep)) != 0)
			FAIL("reply at stream offset %zu is not the bytes sent", off);
		if (rep.magic != FM_PROTO_MAGIC || rep.version != FM_PROTO_VERSION || rep.len > (1u << 24) ||
		    rest - sizeof(rep) < rep.len)
			FAIL("reply accepted: magic %#x, len %u, %zu bytes there", rep.magic, rep.len, rest - sizeof(rep));
		if (rep.len == 0 && text)
			FAIL("text set for the empty reply at offset %zu", off);
		if (rep.len > 0 && (!text || memcmp(text, p->stream + off + sizeof(rep), rep.len) != 0 || text[rep.len]))
			FAIL("text of the reply at offset %zu is not the bytes sent", off);
		free(text);
		off += sizeof(rep) + rep.len;
	}
	close(sv[1]);
}

/* Which of the FD_WINDOW fds from the lowest free one are open. */
static int lowest_free(void)
{
	int fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static uint64_t open_set(int from)
{
	uint64_t set = 0;

	for (int i = 0; i < FD_WINDOW; i++)
		if (fcntl(from + i, F_GETFD) >= 0)
			set |= 1ull << i;
	return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan p;
	int base;
	uint64_t before;

	if (parse(&p, data, size))
		return 0;
	base = lowest_free();
	before = open_set(base);
	fuzz_requests(&p);
	fuzz_replies(&p);
	if (open_set(base) != before)
		FAIL("fds leaked (open from fd %d: %#llx before, %#llx after)", base, (unsigned long long)before,
		     (unsigned long long)open_set(base));
	return 0;
}
