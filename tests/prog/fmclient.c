// SPDX-License-Identifier: BSD-2-Clause
/*
 * fmclient - a scripted client of filemond's daemon, for the tests: each
 * operation sends one request and prints "<op> <errno name or OK>".
 *
 *   fmclient SOCKET OP...
 *     fd:PATH     SET_FD with PATH opened for writing
 *     rofd:PATH   SET_FD with PATH opened read-only (expects EBADF)
 *     pid:N       SET_PID N        tree:N  SET_PID N with descendants
 *     self        SET_PID on this process
 *     spawn:CMD   fork "sh -c CMD", attach it before it runs, print its pid
 *     sleep:MS    wait          close  CLOSE (prints the lost count)
 *     wait:PATH   wait until PATH exists (ETIMEDOUT after 120 s)
 *     garbage     send bytes that are no request
 *     exec:CMD    exec "sh -c CMD", the connection left open in it
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"

static int sock;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "OK";
	case EEXIST: return "EEXIST";
	case EBADF: return "EBADF";
	case ESRCH: return "ESRCH";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EUSERS: return "EUSERS";
	case EPIPE: return "EPIPE";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return strerror(e);
	}
}

static int call(uint32_t op, pid_t pid, uint32_t flags, int fd, uint64_t *value)
{
	struct fm_reply r = { 0 };
	int e = -proto_call(sock, op, pid, flags, fd, NULL, &r);

	if (value)
		*value = r.result.lost + r.result.malformed;
	return e;
}

static void op(const char *o)
{
	uint64_t v = 0;
	int e, fd;

	if (!strncmp(o, "fd:", 3) || !strncmp(o, "rofd:", 5)) {
		fd = o[0] == 'f' ? open(o + 3, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open(o + 5, O_RDONLY);
		e = call(FM_OP_SET_FD, 0, 0, fd, NULL);
		close(fd);
	} else if (!strncmp(o, "pid:", 4) || !strncmp(o, "tree:", 5)) {
		e = call(FM_OP_SET_PID, atoi(strchr(o, ':') + 1), o[0] == 't' ? FM_PID_TREE : 0, -1, NULL);
	} else if (!strcmp(o, "self")) {
		e = call(FM_OP_SET_PID, getpid(), 0, -1, NULL);
	} else if (!strncmp(o, "spawn:", 6)) {
		int gate[2];
		char go;
		pid_t pid;

		if (pipe(gate))
			exit(2);
		pid = fork();
		if (pid == 0) {
			close(gate[1]);
			if (read(gate[0], &go, 1) != 1)
				_exit(2);
			execl("/bin/sh", "sh", "-c", o + 6, (char *)NULL);
			_exit(127);
		}
		close(gate[0]);
		e = call(FM_OP_SET_PID, pid, 0, -1, NULL);
		if (write(gate[1], "g", 1) != 1)
			exit(2);
		close(gate[1]);
		printf("spawned %d\n", (int)pid);
	} else if (!strncmp(o, "sleep:", 6)) {
		usleep((useconds_t)atoi(o + 6) * 1000);
		return;
	} else if (!strncmp(o, "wait:", 5)) {
		e = ETIMEDOUT;
		for (int i = 0; i < 12000 && e; i++) {
			if (!access(o + 5, F_OK))
				e = 0;
			else
				usleep(10000);
		}
	} else if (!strcmp(o, "close")) {
		e = call(FM_OP_CLOSE, 0, 0, -1, &v);
		printf("lost %llu\n", (unsigned long long)v);
	} else if (!strcmp(o, "garbage")) {
		char junk[40];

		memset(junk, 'x', sizeof(junk));
		e = send(sock, junk, sizeof(junk), MSG_NOSIGNAL) < 0 ? errno : 0;
		{
			struct fm_reply r;
			char *text;

			e = proto_recv_reply(sock, &r, &text) ? EPIPE : r.err;
			free(text);
		}
	} else if (!strncmp(o, "exec:", 5)) {
		fflush(stdout);
		execl("/bin/sh", "sh", "-c", o + 5, (char *)NULL);
		exit(127);
	} else {
		fprintf(stderr, "fmclient: unknown operation %s\n", o);
		exit(2);
	}
	printf("%s %s\n", o, errname(e));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	sock = proto_connect(argv[1]);
	if (sock < 0) {
		fprintf(stderr, "fmclient: connect %s: %s\n", argv[1], strerror(-sock));
		return 1;
	}
	fcntl(sock, F_SETFD, 0); /* exec: keep the session open in the new image */
	for (int i = 2; i < argc; i++)
		op(argv[i]);
	while (wait(NULL) > 0)
		;
	return 0;
}
