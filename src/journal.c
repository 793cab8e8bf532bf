// SPDX-License-Identifier: BSD-2-Clause
/*
 * journal.c - entries for journald over its native protocol (journal.h).
 * One socket, opened on first use; used from the consumer's thread only.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int journal_fd = -1;

bool journal_available(void)
{
	return access(JOURNAL_SOCKET, W_OK) == 0;
}

static bool reserve(struct journal_entry *e, size_t more)
{
	size_t cap = e->cap ? e->cap : 1024;
	char *p;

	if (e->failed)
		return false;
	while (cap - e->len < more)
		cap *= 2;
	if (cap != e->cap) {
		if (!(p = realloc(e->buf, cap))) {
			e->failed = true;
			return false;
		}
		e->buf = p;
		e->cap = cap;
	}
	return true;
}

void journal_add(struct journal_entry *e, const char *key, const char *value, size_t len)
{
	size_t klen = strlen(key);
	uint64_t le = htole64((uint64_t)len);

	if (!reserve(e, klen + len + 10))
		return;
	memcpy(e->buf + e->len, key, klen);
	e->len += klen;
	if (memchr(value, '\n', len)) { /* the binary-safe form */
		e->buf[e->len++] = '\n';
		memcpy(e->buf + e->len, &le, sizeof(le));
		e->len += sizeof(le);
	} else {
		e->buf[e->len++] = '=';
	}
	memcpy(e->buf + e->len, value, len);
	e->len += len;
	e->buf[e->len++] = '\n';
}

void journal_addf(struct journal_entry *e, const char *key, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n < 0) {
			e->failed = true;
			return;
		}
	}
	journal_add(e, key, big ? big : small, (size_t)n);
	free(big);
}

/* Too big for a datagram: the entry in a sealed memfd, passed. */
static int send_memfd(const struct sockaddr_un *a, const struct journal_entry *e)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr m = { .msg_name = (void *)a, .msg_namelen = sizeof(*a), .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int fd = memfd_create("filemond-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, e->buf, e->len) != (ssize_t)e->len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
		err = errno ? -errno : -EIO;
	} else {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(journal_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			err = -errno;
	}
	close(fd);
	return err;
}

int journal_send(struct journal_entry *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int err = 0;

	if (e->failed)
		err = -ENOMEM;
	else if (journal_fd < 0 && (journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		err = -errno;
	else if (sendto(journal_fd, e->buf, e->len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof(a)) < 0)
		err = errno == EMSGSIZE || errno == ENOBUFS ? send_memfd(&a, e) : -errno;
	e->len = 0;
	e->failed = false;
	return err;
}

void journal_entry_free(struct journal_entry *e)
{
	free(e->buf);
	e->buf = NULL;
	e->len = e->cap = 0;
}

void journal_close(void)
{
	if (journal_fd >= 0) {
		close(journal_fd);
		journal_fd = -1;
	}
}
