/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_SD_NOTIFY_H
#define FILEMOND_SD_NOTIFY_H

#include <stdbool.h>

/*
 * systemd's service protocols, implemented here rather than by linking
 * libsystemd into a root daemon (both are documented as stable:
 * sd_notify(3), sd_listen_fds(3)):
 *
 *   notify   one datagram of "KEY=VALUE" lines to $NOTIFY_SOCKET (a path,
 *            or '@' for the abstract namespace): READY=1, RELOADING=1,
 *            STOPPING=1, STATUS=..., WATCHDOG=1
 *   watchdog $WATCHDOG_USEC (for us if $WATCHDOG_PID is unset or ours):
 *            WATCHDOG=1 is owed at least this often
 *   listen   $LISTEN_PID (ours) and $LISTEN_FDS: socket activation, the
 *            first passed socket is fd 3
 *
 * sd_notify_init reads the variables and removes them from the
 * environment, so no child of the daemon takes them for its own.
 */
void sd_notify_init(void);
/* Is a service manager listening? */
bool sd_notify_enabled(void);
/* Send one message (printf format; lines KEY=VALUE).  Silently nothing
 * without $NOTIFY_SOCKET. */
void sd_notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval in ms, or 0 if none was asked for. */
long long sd_watchdog_ms(void);
/* The socket passed by socket activation (made non-blocking and
 * close-on-exec), or -1 if none; -2 if it is not a listening Unix stream
 * socket. */
int sd_listen_socket(void);

#endif
