// SPDX-License-Identifier: BSD-2-Clause
/*
 * tracer.c - lifecycle of the BPF object: open -> size maps and set rodata
 * -> drop hooks the kernel lacks -> load -> attach, and a detach that does
 * not make the user wait.
 */
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filemond.h"
#include "filemond.skel.h"
#include "tracefs.h"
#include "util.h"


static bool verbose_libbpf;

/* libbpf speaks only with -v: our own one-line errors say what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, ap) : 0;
}

/*
 * The syscalls whose exit the sys_exit_open (the first N_OPEN_TP) and
 * sys_exit_names programs are attached to; they dispatch on the syscall
 * number (bpf/filemond.bpf.c).  Those the kernel lacks (legacy calls on
 * some architectures) are skipped.
 */
#define N_OPEN_TP 5
static const char *const SYSCALL_TRACEPOINTS[] = {
	"syscalls/sys_exit_open", "syscalls/sys_exit_openat", "syscalls/sys_exit_openat2",
	"syscalls/sys_exit_creat", "syscalls/sys_exit_open_by_handle_at", "syscalls/sys_exit_chdir",
	"syscalls/sys_exit_fchdir", "syscalls/sys_exit_unlink", "syscalls/sys_exit_unlinkat",
	"syscalls/sys_exit_rmdir", "syscalls/sys_exit_rename", "syscalls/sys_exit_renameat",
	"syscalls/sys_exit_renameat2", "syscalls/sys_exit_link", "syscalls/sys_exit_linkat",
	"syscalls/sys_exit_symlink", "syscalls/sys_exit_symlinkat",
};
#define N_SYSCALL_TP (sizeof(SYSCALL_TRACEPOINTS) / sizeof(SYSCALL_TRACEPOINTS[0]))
#define IOURING_TP "io_uring/io_uring_submit_req"

static struct bpf_link *attach_classic_tp(struct bpf_program *p, int id)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (unsigned long long)id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	struct bpf_link *link;
	int pfd;

	pfd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(p, pfd);
	if (!link) {
		int err = errno;

		close(pfd);
		errno = err;
	}
	return link;
}

static int add_link(struct tracer *t, struct bpf_link *link, const char *what)
{
	if (!link || t->nlinks == TRACER_MAX_PROGS) {
		fm_error("cannot attach %s: %s", what, link ? "too many programs" : strerror(errno));
		bpf_link__destroy(link);
		return -1;
	}
	t->links[t->nlinks++] = link;
	return 0;
}

/* Wait (bounded) for the previous detach to finish. */
static void wait_detacher(struct tracer *t)
{
	struct pollfd p = { .fd = t->detacher, .events = POLLIN };

	if (t->detacher < 0)
		return;
	poll(&p, 1, 10000);
	close(t->detacher);
	t->detacher = -1;
}

int tracer_attach(struct tracer *t)
{
	struct filemond_bpf *sk = t->skel;
	const int *ids = t->tp_ids; /* SYSCALL_TRACEPOINTS, then IOURING_TP */

	if (t->nlinks)
		return 0;
	wait_detacher(t); /* the same programs cannot be attached twice */
	for (size_t i = 0; i < N_SYSCALL_TP; i++) {
		struct bpf_program *p = i < N_OPEN_TP ? sk->progs.sys_exit_open : sk->progs.sys_exit_names;

		if (ids[i] >= 0 && add_link(t, attach_classic_tp(p, ids[i]), SYSCALL_TRACEPOINTS[i])) {
			tracer_detach(t);
			return -1;
		}
	}
	if (ids[N_SYSCALL_TP] >= 0 &&
	    add_link(t, attach_classic_tp(sk->progs.io_uring_submit_req, ids[N_SYSCALL_TP]), IOURING_TP)) {
		tracer_detach(t);
		return -1;
	}
	if (add_link(t, bpf_program__attach(sk->progs.on_fork), "sched_process_fork") ||
	    add_link(t, bpf_program__attach(sk->progs.on_exec), "sched_process_exec") ||
	    add_link(t, bpf_program__attach(sk->progs.on_exit), "sched_process_exit")) {
		tracer_detach(t);
		return -1;
	}
	return 0;
}

/* Tracepoint ids; the io_uring hook is not loaded if the kernel lacks it. */
static int resolve_tracepoints(struct tracer *t, int *ids)
{
	const char *names[N_SYSCALL_TP + 1];
	int err;

	for (size_t i = 0; i < N_SYSCALL_TP; i++)
		names[i] = SYSCALL_TRACEPOINTS[i];
	names[N_SYSCALL_TP] = IOURING_TP;
	err = tracefs_event_ids(names, ids, N_SYSCALL_TP + 1);
	if (err) {
		fm_error("cannot find tracepoints: tracefs is not mounted and mounting it failed: %s", strerror(-err));
		return -1;
	}
	if (ids[N_SYSCALL_TP] < 0)
		bpf_program__set_autoload(t->skel->progs.io_uring_submit_req, false);
	return 0;
}

static void explain_load_error(int err)
{
	if (err == EPERM || err == EACCES)
		fm_error("cannot load BPF programs: %s (need root or CAP_BPF)", strerror(err));
	else
		fm_error("cannot load BPF programs: %s (run with -v for the verifier log)", strerror(err));
}

int tracer_load(struct tracer *t, const struct tracer_opts *o)
{
	int ncpu = libbpf_num_possible_cpus();

	memset(t, 0, sizeof(*t));
	t->detacher = -1;
	/* Loading and attaching tracing programs needs CAP_BPF and CAP_PERFMON
	 * (or CAP_SYS_ADMIN): say so before anything else fails. */
	if (!proc_has_cap(0, CAP_SYS_ADMIN) && !(proc_has_cap(0, CAP_BPF) && proc_has_cap(0, CAP_PERFMON))) {
		explain_load_error(EPERM);
		return -1;
	}
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	t->skel = filemond_bpf__open();
	if (!t->skel) {
		fm_error("cannot open BPF object: %s", strerror(errno));
		return -1;
	}
	if (ncpu <= 0 || bpf_map__set_max_entries(t->skel->maps.events, (unsigned int)o->ring_size) ||
	    bpf_map__set_max_entries(t->skel->maps.tracees, o->max_procs) ||
	    bpf_map__set_max_entries(t->skel->maps.scratch, (unsigned int)ncpu)) {
		fm_error("cannot size BPF maps: %s", strerror(errno));
		goto fail;
	}
	/* Wake the consumer early only when an eighth of the ring (256 KiB at
	 * most) may be waiting: each CPU wakes it after its share of that. */
	t->skel->rodata->wakeup_bytes = (o->ring_size / 8 < (256 << 10) ? o->ring_size / 8 : (256 << 10)) / ncpu;
	if (resolve_tracepoints(t, t->tp_ids))
		goto fail;
	if (filemond_bpf__load(t->skel)) {
		explain_load_error(errno);
		goto fail;
	}
	return 0;
fail:
	tracer_close(t);
	return -1;
}

int tracer_open(struct tracer *t, const struct tracer_opts *o)
{
	if (tracer_load(t, o))
		return -1;
	if (tracer_attach(t)) {
		tracer_close(t);
		return -1;
	}
	return 0;
}

/* In the detacher: stdio to /dev/null, every non-BPF descriptor closed. */
static void keep_only_bpf_fds(void)
{
	int null = open("/dev/null", O_RDWR);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[64], target[64] = "";
		int fd = atoi(de->d_name);

		if (fd <= 2 || fd == dirfd(d))
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (readlink(p, target, sizeof(target) - 1) < 0 || strncmp(target, "anon_inode:", 11) != 0)
			close(fd);
	}
	closedir(d);
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Destroy links from parallel threads, so their grace periods overlap. */
static void destroy_links_parallel(struct tracer *t)
{
	pthread_t th[TRACER_MAX_PROGS];
	int started[TRACER_MAX_PROGS] = { 0 };

	for (int i = 0; i < t->nlinks; i++)
		started[i] = pthread_create(&th[i], NULL, destroy_link, t->links[i]) == 0;
	for (int i = 0; i < t->nlinks; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(t->links[i]);
	}
}

/*
 * Detaching a classic tracepoint waits for an RCU grace period, about
 * 75 ms each here, one after another.  A forked child inherits the link
 * fds and does that; this process only closes its copies, which is fast
 * because the child still holds the same files.  The same programs can be
 * attached again only once the child is done (tracer_attach waits).  The child leaves the session
 * and process group and holds no other descriptor, so nothing (a shell's
 * $(...), a pipe reader, a daemon's client) waits for it.
 */
void tracer_detach(struct tracer *t)
{
	pid_t pid = t->nlinks ? fork() : -1;

	if (pid == 0) {
		setsid();
		keep_only_bpf_fds();
		destroy_links_parallel(t);
		_exit(0);
	}
	/* With a child holding the same files, this only closes our copies
	 * (perf events are disabled first, so the programs stop at once);
	 * without one, it is the slow detach itself. */
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	if (pid > 0) {
		if (t->detacher >= 0)
			close(t->detacher);
		t->detacher = (int)syscall(SYS_pidfd_open, pid, 0);
	}
}

void tracer_close(struct tracer *t)
{
	if (!t->skel)
		return;
	tracer_detach(t);
	if (t->detacher >= 0)
		close(t->detacher); /* it finishes on its own */
	filemond_bpf__destroy(t->skel);
	memset(t, 0, sizeof(*t));
	t->detacher = -1;
}

unsigned long long tracer_lost(const struct tracer *t)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0;

	if (ncpu <= 0)
		return 0;
	for (__u32 k = 0; k < FM_LOST_NKINDS; k++) {
		__u64 vals[ncpu];

		if (bpf_map__lookup_elem(t->skel->maps.lost, &k, sizeof(k), vals, sizeof(vals), 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			total += vals[c];
	}
	return total;
}
