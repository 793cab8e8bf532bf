/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dev/filemon/filemon.h - the /dev/filemon ioctls, with FreeBSD's numbers.
 *
 * filemond serves /dev/filemon on Linux (filemond(8), DEVICE): open it,
 * FILEMON_SET_FD with an fd open for writing (the log), FILEMON_SET_PID
 * with a process the opener may trace (usually the caller itself, before
 * it execs); the last close ends the log.  bmake's configure finds this
 * header as $(PREFIX)/include/dev/filemon/filemon.h.
 */
#ifndef _DEV_FILEMON_FILEMON_H_
#define _DEV_FILEMON_FILEMON_H_

#include <sys/ioctl.h>
#include <sys/types.h>

#define FILEMON_SET_FD _IOWR('S', 1, int)
#define FILEMON_SET_PID _IOWR('S', 2, pid_t)

#define FILEMON_VERSION 5 /* the log's "# filemon version" */

#endif
