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

#define TP_PREFIX "tracepoint/"

static bool verbose_libbpf;

/* libbpf speaks only with -v: our own one-line errors say what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, ap) : 0;
}

static bool is_classic_tp(const struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_TRACEPOINT;
}

/* Tracepoint ids for the classic programs; those the kernel lacks are not loaded. */
static int resolve_tracepoints(struct tracer *t, int *ids)
{
	const char *names[TRACER_MAX_PROGS];
	struct bpf_program *p;
	size_t n = 0;
	int err;

	bpf_object__for_each_program(p, t->skel->obj) {
		if (is_classic_tp(p) && n < TRACER_MAX_PROGS)
			names[n++] = bpf_program__section_name(p) + strlen(TP_PREFIX);
	}
	err = tracefs_event_ids(names, ids, n);
	if (err) {
		fm_error("cannot find tracepoints: tracefs is not mounted and mounting it failed: %s",
			 strerror(-err));
		return -1;
	}
	n = 0;
	bpf_object__for_each_program(p, t->skel->obj) {
		if (!is_classic_tp(p))
			continue;
		if (ids[n] < 0)
			bpf_program__set_autoload(p, false); /* e.g. no legacy open(2) */
		n++;
	}
	return 0;
}

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

static int attach_all(struct tracer *t, const int *ids)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_link *link = NULL;
		bool classic = is_classic_tp(p);
		int id = classic ? ids[n++] : 0;

		if (!bpf_program__autoload(p))
			continue;
		link = classic ? attach_classic_tp(p, id) : bpf_program__attach(p);
		if (!link || t->nlinks == TRACER_MAX_PROGS) {
			fm_error("cannot attach %s: %s", bpf_program__section_name(p), strerror(errno));
			bpf_link__destroy(link);
			return -1;
		}
		t->links[t->nlinks++] = link;
	}
	return 0;
}

static void explain_load_error(int err)
{
	if (err == EPERM || err == EACCES)
		fm_error("cannot load BPF programs: %s (need root or CAP_BPF)", strerror(err));
	else
		fm_error("cannot load BPF programs: %s (run with -v for the verifier log)", strerror(err));
}

int tracer_open(struct tracer *t, const struct tracer_opts *o)
{
	int ids[TRACER_MAX_PROGS];

	memset(t, 0, sizeof(*t));
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
	if (bpf_map__set_max_entries(t->skel->maps.events, (unsigned int)o->ring_size) ||
	    bpf_map__set_max_entries(t->skel->maps.tracees, o->max_procs) ||
	    bpf_map__set_max_entries(t->skel->maps.scratch, (unsigned int)libbpf_num_possible_cpus())) {
		fm_error("cannot size BPF maps: %s", strerror(errno));
		goto fail;
	}
	/* Wake the consumer early only when an eighth of the ring is waiting. */
	t->skel->rodata->wakeup_bytes = o->ring_size / 8 < (256 << 10) ? o->ring_size / 8 : (256 << 10);
	if (resolve_tracepoints(t, ids))
		goto fail;
	if (filemond_bpf__load(t->skel)) {
		explain_load_error(errno);
		goto fail;
	}
	if (attach_all(t, ids))
		goto fail;
	return 0;
fail:
	tracer_close(t);
	return -1;
}

/* Free everything in this process without detaching (another holds the links). */
static void release_local(struct tracer *t)
{
	for (int i = 0; i < t->nlinks; i++) {
		bpf_link__disconnect(t->links[i]);
		bpf_link__destroy(t->links[i]);
	}
	filemond_bpf__destroy(t->skel);
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
 * fds and does that; this process only drops its references, which is
 * fast because the child still holds them.  The child leaves the session
 * and process group and holds no other descriptor, so nothing (a shell's
 * $(...), a pipe reader) waits for it.
 */
void tracer_close(struct tracer *t)
{
	pid_t pid;

	if (!t->skel)
		return;
	pid = t->nlinks ? fork() : -1;
	if (pid == 0) {
		setsid();
		keep_only_bpf_fds();
		destroy_links_parallel(t);
		_exit(0);
	}
	if (pid > 0) {
		release_local(t);
	} else {
		for (int i = 0; i < t->nlinks; i++)
			bpf_link__destroy(t->links[i]);
		filemond_bpf__destroy(t->skel);
	}
	memset(t, 0, sizeof(*t));
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
