/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_UTIL_H
#define FILEMOND_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* One-line diagnostics on stderr, prefixed "filemond: ", or under
 * journald with their priority ("<3>" error, "<4>" warning, "<6>" info). */
void fm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fm_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where cgroup v2 is mounted (from /proc/self/mounts), or "". */
void cgroup2_root(char *root, size_t size);

/* Capabilities (include/uapi/linux/capability.h). */
enum { CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39 };

/* Is cap in this process's effective set?  (Never asked of a client: see access.h.) */
bool self_has_cap(int cap);

/* Exit statuses of filemond itself (documented in filemond(8)). */
enum {
	EXIT_LOST = 123, /* the traced command ran, but events were lost */
	EXIT_FAILURE_FM = 125, /* filemond could not trace (BPF, log, ...) */
	EXIT_CANNOT_EXEC = 126, /* CMD found but not executable */
	EXIT_NOT_FOUND = 127, /* CMD not found */
	EXIT_USAGE = 64, /* bad command line (EX_USAGE) */
};

#endif
