// SPDX-License-Identifier: BSD-2-Clause
/*
 * backend_local.c - the CLI's session run in this process: the service
 * loaded here, one session, the client being this process itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "service.h"
#include "util.h"

#define POLL_MS 10

struct local {
	struct backend b;
	struct service_opts o;
	struct service svc;
	struct session sess;
};

static int local_set_log(struct backend *b, int fd, bool json)
{
	struct local *l = (struct local *)b;

	return service_set_log(&l->svc, &l->sess, fd, -1, json);
}

static int local_attach(struct backend *b, pid_t pid, bool tree)
{
	struct local *l = (struct local *)b;
	int err = service_attach(&l->svc, &l->sess, pid, tree, l->sess.cred.pid);

	while (!err && !service_scan_step(&l->svc, &l->sess, 1 << 20))
		;
	return err ? err : l->sess.attach_err;
}

static int local_step(struct backend *b, bool *empty)
{
	struct local *l = (struct local *)b;

	service_drain(&l->svc);
	*empty = *empty || service_empty(&l->svc, &l->sess);
	return 0;
}

static int local_close(struct backend *b, struct session_result *r)
{
	struct local *l = (struct local *)b;

	service_close(&l->svc, &l->sess);
	return session_finish(&l->sess, r);
}

static void local_free(struct backend *b)
{
	struct local *l = (struct local *)b;
	struct session_result r;

	service_close(&l->svc, &l->sess);
	session_finish(&l->sess, &r);
	service_free(&l->svc);
	free(l);
}

static const char *local_strerror(struct backend *b, int err)
{
	(void)b;
	return strerror(err);
}

static const struct backend_ops local_ops = {
	.set_log = local_set_log, .attach = local_attach, .step = local_step,
	.close = local_close, .strerror = local_strerror, .free = local_free,
};

struct backend *backend_local(const struct tracer_opts *o)
{
	struct local *l = calloc(1, sizeof(*l));
	struct client_cred self;
	int err;

	if (!l) {
		fm_error("out of memory");
		return NULL;
	}
	l->b.ops = &local_ops;
	l->o.tracer = *o;
	l->o.max_sessions = 1;
	l->o.user_sessions = 1;
	l->sess.slot = -1;
	client_cred_self(&self);
	if (service_load(&l->svc, &l->o)) {
		local_free(&l->b);
		return NULL;
	}
	if ((err = service_open(&l->svc, &l->sess, &self))) {
		fm_error("cannot open a session: %s", strerror(-err));
		local_free(&l->b);
		return NULL;
	}
	l->b.fd = service_ring_fd(&l->svc);
	l->b.poll_ms = POLL_MS;
	return &l->b;
}
