// SPDX-License-Identifier: BSD-2-Clause
/*
 * sd_notify.c - systemd's notify, watchdog and socket-activation
 * protocols (see sd_notify.h).  Read once, at start; no threads.
 */
#include "sd_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un notify_addr;
static socklen_t notify_len; /* 0: nobody to tell */
static long long watchdog_ms;
static int listen_fd = -1;

static void read_notify_socket(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	size_t n = p ? strlen(p) : 0;

	if (n < 2 || n >= sizeof(notify_addr.sun_path) || (p[0] != '/' && p[0] != '@'))
		return;
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, p, n);
	if (p[0] == '@')
		notify_addr.sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends it */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (p[0] == '/'));
}

/* An unsigned decimal variable, or -1. */
static long long env_number(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end || v < 0 ? -1 : v;
}

static void read_watchdog(void)
{
	long long usec = env_number("WATCHDOG_USEC"), pid = env_number("WATCHDOG_PID");

	if (usec > 0 && (pid < 0 || pid == getpid()))
		watchdog_ms = usec / 1000 > 0 ? usec / 1000 : 1;
}

static void read_listen_fds(void)
{
	int type = 0, listening = 0;
	struct sockaddr_un a;
	socklen_t len = sizeof(int), alen = sizeof(a);

	if (env_number("LISTEN_PID") != getpid() || env_number("LISTEN_FDS") < 1)
		return;
	listen_fd = -2;
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) || !listening ||
	    getsockname(3, (struct sockaddr *)&a, &alen) || a.sun_family != AF_UNIX)
		return;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) || fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK))
		return;
	listen_fd = 3;
}

void sd_notify_init(void)
{
	read_notify_socket();
	read_watchdog();
	read_listen_fds();
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

bool sd_notify_enabled(void)
{
	return notify_len > 0;
}

void sd_notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n, s;

	if (!notify_len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	(void)!sendto(s, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, MSG_NOSIGNAL,
		      (struct sockaddr *)&notify_addr, notify_len);
	close(s);
}

long long sd_watchdog_ms(void)
{
	return watchdog_ms;
}

int sd_listen_socket(void)
{
	return listen_fd;
}
