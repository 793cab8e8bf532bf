/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_DEVICE_H
#define FILEMOND_DEVICE_H

#include <stdbool.h>

struct service;
struct device;

/*
 * /dev/filemon, FreeBSD's filemon(4) device, served by the daemon's
 * sessions with no kernel module (device.c).  bmake built with
 * --with-filemon=dev uses it unmodified.
 */

/* Serve the device at path (made if absent; a stale mount is cleared).
 * sink_fd: the eventfd the logs' writers signal; log_timeout_ms: a log
 * that accepts nothing this long ends its session.  NULL after a one-line
 * error. */
struct device *device_start(const char *path, struct service *svc, int sink_fd, long long log_timeout_ms);
/* Polls readable when requests wait. */
int device_fd(const struct device *dev);
/* Serve the requests waiting (a few: the ring is drained in between).
 * false once the device is gone (unmounted from outside): stop polling. */
bool device_serve(struct device *dev);
/* Once per loop pass: closes whose log is now written are answered, and
 * ended sessions whose log is written are freed.  true while a close
 * waits for its log (the loop should come back soon). */
bool device_check(struct device *dev);
/* "/dev/filemon (FUSE file)", for --status. */
const char *device_describe(const struct device *dev);
/* End every session (their logs get up to ms), unmount, remove the file
 * made at start, free.  NULL-safe. */
void device_stop(struct device *dev, long long ms);

#endif
