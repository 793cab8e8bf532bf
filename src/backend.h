/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_BACKEND_H
#define FILEMOND_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "result.h"
#include "tracer.h"

/*
 * What the CLI traces through (cli.c): the session service in this
 * process (backend_local.c), or the daemon's over its socket
 * (backend_remote.c).  Both run the same session core, so they give the
 * same log and the same result; cli.c is the one flow over either.
 */
struct backend;

struct backend_ops {
	/* The log (the caller's fd); json: --format json.  0 or -errno. */
	int (*set_log)(struct backend *b, int fd, bool json);
	/* Attach pid (with tree, its descendants, the log saying when all
	 * are attached); returns once attached.  0 or -errno. */
	int (*attach)(struct backend *b, pid_t pid, bool tree);
	/* Go on after fd polled readable or poll_ms passed; *empty is set once
	 * every process attached has exited.  0, or -errno if the session
	 * cannot go on (the daemon ended it, or went away). */
	int (*step)(struct backend *b, bool *empty);
	/* End the session: the log's trailer written, r filled.  0, or -errno
	 * (a write error of the log; -ETIMEDOUT, the log accepted nothing;
	 * -ESHUTDOWN, the daemon stopped). */
	int (*close)(struct backend *b, struct session_result *r);
	/* The errno's meaning, for the backend's own errors (its limits, a
	 * protocol version mismatch). */
	const char *(*strerror)(struct backend *b, int err);
	void (*free)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	int fd; /* polled for step */
	int poll_ms; /* at most this long between steps (-1: only when fd is readable) */
	bool broken; /* the session ended before its result came: the log lacks its trailer */
};

/* The service in this process (needs BPF privileges).  NULL after a one-line error. */
struct backend *backend_local(const struct tracer_opts *o);
/* The daemon on the connected socket sock (taken over). */
struct backend *backend_remote(int sock);

#endif
