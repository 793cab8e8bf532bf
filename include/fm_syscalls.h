/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fm_syscalls.h - the syscalls filemond records, described once for both
 * sides as X(name, x86_64 number, program):
 *
 *   bpf/filemond.bpf.c   dispatches on the number (NR_name)
 *   src/tracer.c         attaches the program to syscalls/sys_exit_name
 *                        (skipped where the kernel lacks the syscall)
 *
 * Programs: OPEN is sys_exit_open, the hot path (the open family); NAMES
 * is sys_exit_names (chdir, unlink, rename, link, symlink); ATTR is
 * sys_exit_names too, attached only for the audit (mkdir, the chmod and
 * chown families: no filemon record).  Numbers from
 * arch/x86/entry/syscalls/syscall_64.tbl.
 */
#ifndef FM_SYSCALLS_H
#define FM_SYSCALLS_H

#define FM_SYSCALLS(X)                 \
	X(open, 2, OPEN)               \
	X(openat, 257, OPEN)           \
	X(openat2, 437, OPEN)          \
	X(creat, 85, OPEN)             \
	X(open_by_handle_at, 304, OPEN) \
	X(chdir, 80, NAMES)            \
	X(fchdir, 81, NAMES)           \
	X(unlink, 87, NAMES)           \
	X(unlinkat, 263, NAMES)        \
	X(rmdir, 84, NAMES)            \
	X(rename, 82, NAMES)           \
	X(renameat, 264, NAMES)        \
	X(renameat2, 316, NAMES)       \
	X(link, 86, NAMES)             \
	X(linkat, 265, NAMES)          \
	X(symlink, 88, NAMES)          \
	X(symlinkat, 266, NAMES)       \
	X(mkdir, 83, ATTR)             \
	X(mkdirat, 258, ATTR)          \
	X(chmod, 90, ATTR)             \
	X(fchmod, 91, ATTR)            \
	X(fchmodat, 268, ATTR)         \
	X(fchmodat2, 452, ATTR)        \
	X(chown, 92, ATTR)             \
	X(fchown, 93, ATTR)            \
	X(lchown, 94, ATTR)            \
	X(fchownat, 260, ATTR)

#endif
