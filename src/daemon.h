/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_DAEMON_H
#define FILEMOND_DAEMON_H

#include "service.h"

struct daemon_opts {
	const char *socket_path;
	const char *device_path; /* /dev/filemon served too (device.h), or NULL */
	int log_timeout_s; /* a log that accepts nothing this long ends its session */
	struct service_opts service;
	/* SIGHUP (systemctl reload): read the configuration again and apply
	 * it to the running service; NULL: SIGHUP stops, as SIGTERM does. */
	void (*reload)(void *arg, struct service *svc);
	void *reload_arg;
};

/*
 * filemond --daemon: serve sessions until SIGTERM/SIGINT (and SIGHUP
 * without o->reload).  Under systemd (sd_notify.h): the socket may come
 * by socket activation; READY=1 once the programs are attached and the
 * ring has been read, STATUS= each second, WATCHDOG=1 from the loop that
 * reads the ring (a stuck consumer is restarted), RELOADING=1 ... READY=1
 * around a reload, STOPPING=1.  The exit status.
 */
int daemon_run(const struct daemon_opts *o);

#endif
