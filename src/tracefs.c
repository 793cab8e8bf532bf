// SPDX-License-Identifier: BSD-2-Clause
/*
 * tracefs.c - classic tracepoints by id, without depending on tracefs
 * being mounted.
 *
 * Classic tracepoints are attached by id (perf_event_open), and the id is
 * only published in tracefs.  If neither usual mount point has it, a
 * forked helper unshares its mount namespace, mounts tracefs there, reads
 * the ids and exits; the mount dies with the namespace.  The traced
 * command and the rest of the system never see a mount.
 */
#include "tracefs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

static int has_events(const char *root)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/events", root);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void read_ids(const char *root, const char *const *events, int *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];
		FILE *f;

		ids[i] = -1;
		snprintf(p, sizeof(p), "%s/events/%s/id", root, events[i]);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fscanf(f, "%d", &ids[i]) != 1)
			ids[i] = -1;
		fclose(f);
	}
}

/* The helper's mounts must not propagate out: private from "/" down, or,
 * in a chroot (whose "/" need not be a mount point), from /sys down. */
static int make_private(void)
{
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ||
		       mount(NULL, "/sys", NULL, MS_REC | MS_PRIVATE, NULL) == 0
		       ? 0
		       : -1;
}

/* Child side of the helper: private namespace, mount, read, report. */
static void __attribute__((noreturn)) helper(int wfd, const char *const *events, int *ids, size_t n)
{
	ssize_t want = (ssize_t)(n * sizeof(*ids));

	if (unshare(CLONE_NEWNS) || make_private() || mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		_exit(1);
	read_ids(TRACEFS, events, ids, n);
	_exit(write(wfd, ids, (size_t)want) == want ? 0 : 1);
}

static int ids_from_private_mount(const char *const *events, int *ids, size_t n)
{
	ssize_t want = (ssize_t)(n * sizeof(*ids)), got;
	int fds[2], status, err = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0)
		helper(fds[1], events, ids, n);
	close(fds[1]);
	got = read(fds[0], ids, (size_t)want);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != want || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ENOENT;
	return 0;
}

int tracefs_event_ids(const char *const *events, int *ids, size_t n)
{
	if (has_events(TRACEFS)) {
		read_ids(TRACEFS, events, ids, n);
		return 0;
	}
	if (has_events(DEBUGFS_TRACING)) {
		read_ids(DEBUGFS_TRACING, events, ids, n);
		return 0;
	}
	return ids_from_private_mount(events, ids, n);
}

struct bpf_link *tracepoint_attach(struct bpf_program *prog, int id, int *held)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (unsigned long long)id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	struct bpf_link *link;
	int pfd, err;

	if (held)
		*held = -1;
	pfd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd); /* owns pfd from here */
	if (!link) {
		err = errno;
		close(pfd);
		errno = err;
		return NULL;
	}
	if (held && (*held = fcntl(pfd, F_DUPFD_CLOEXEC, 3)) < 0) {
		err = errno;
		bpf_link__destroy(link);
		errno = err;
		return NULL;
	}
	return link;
}
