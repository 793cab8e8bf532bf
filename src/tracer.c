// SPDX-License-Identifier: BSD-2-Clause
/*
 * tracer.c - lifecycle of the BPF object: open -> size maps and set rodata
 * -> drop hooks the kernel lacks -> load -> attach, and a detach that does
 * not make the user wait.
 */
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "filemond.h"
#include "filemond.skel.h"
#include "filemond_k1.skel.h"
#include "filemond_k2.skel.h"
#include "fm_syscalls.h"
#include "tracefs.h"
#include "util.h"


static bool verbose_libbpf;

/* libbpf speaks only with -v: our own one-line errors say what failed. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, ap) : 0;
}

/* The syscalls whose exit each program is attached to (fm_syscalls.h);
 * the programs dispatch on the syscall number.  Those the kernel lacks
 * (legacy calls on some architectures) are skipped. */
enum { PROG_OPEN, PROG_NAMES, PROG_ATTR /* sys_exit_names, for the audit only */ };
static const struct {
	const char *tp;
	int prog;
} SYSCALL_TP[] = {
#define SYSCALL_TP_ROW(name, nr, prog) { "syscalls/sys_exit_" #name, PROG_##prog },
	FM_SYSCALLS(SYSCALL_TP_ROW)
#undef SYSCALL_TP_ROW
};
#define N_SYSCALL_TP (sizeof(SYSCALL_TP) / sizeof(SYSCALL_TP[0]))
_Static_assert(N_SYSCALL_TP + 1 <= TRACER_MAX_PROGS, "tp_ids[] holds every tracepoint and io_uring's");
/* The io_uring hook's tracepoint: its name since Linux 6.3, and before. */
static const char *const IOURING_TP[] = { "io_uring/io_uring_submit_req", "io_uring/io_uring_submit_sqe" };
#define N_IOURING_TP (sizeof(IOURING_TP) / sizeof(IOURING_TP[0]))
_Static_assert(N_SYSCALL_TP + N_IOURING_TP <= TRACER_MAX_PROGS, "tp_ids[] holds every tracepoint id");

/* Why an attach got EACCES, when the reason is Debian's perf_event_paranoid
 * patch: at 3, perf_event_open (the syscall tracepoints) needs
 * CAP_SYS_ADMIN, which CAP_PERFMON does not replace. */
static const char *attach_hint(int err)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int level = 0;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = 0;
		fclose(f);
	}
	return err == EACCES && level > 2 && !self_has_cap(CAP_SYS_ADMIN)
		       ? " (kernel.perf_event_paranoid is 3: this needs CAP_SYS_ADMIN, or the sysctl at 2 for CAP_PERFMON)"
		       : "";
}

/* Keep link (and held, its perf event's second descriptor, or -1). */
static int add_link(struct tracer *t, struct bpf_link *link, int held, const char *what)
{
	if (!link || t->nlinks == TRACER_MAX_PROGS) {
		int err = errno;

		fm_error("cannot attach %s: %s%s", what, link ? "too many programs" : strerror(err),
			 link ? "" : attach_hint(err));
		bpf_link__destroy(link);
		if (held >= 0)
			close(held);
		return -1;
	}
	t->held[t->nlinks] = held;
	t->links[t->nlinks++] = link;
	return 0;
}

static int add_tracepoint(struct tracer *t, struct bpf_program *p, int id, const char *what)
{
	int held;
	struct bpf_link *link = tracepoint_attach(p, id, &held);

	return add_link(t, link, held, what);
}

/* Wait (bounded) until the last detach has taken the programs off. */
static void wait_programs_off(struct tracer *t)
{
	struct pollfd p = { .fd = t->programs_off, .events = POLLIN };

	if (t->programs_off < 0)
		return;
	poll(&p, 1, 10000);
	close(t->programs_off);
	t->programs_off = -1;
}

int tracer_attach(struct tracer *t)
{
	struct filemond_bpf *sk = t->skel;
	const int *ids = t->tp_ids; /* SYSCALL_TP, then the io_uring one in use */

	if (t->nlinks)
		return 0;
	wait_programs_off(t); /* the same programs cannot be attached twice */
	for (size_t i = 0; i < N_SYSCALL_TP; i++) {
		struct bpf_program *p = SYSCALL_TP[i].prog == PROG_OPEN ? sk->progs.sys_exit_open : sk->progs.sys_exit_names;

		if (SYSCALL_TP[i].prog == PROG_ATTR && !t->audit)
			continue;
		if (ids[i] >= 0 && add_tracepoint(t, p, ids[i], SYSCALL_TP[i].tp)) {
			tracer_detach(t);
			return -1;
		}
	}
	if (t->iouring_tp && add_tracepoint(t, sk->progs.io_uring_submit_req, ids[N_SYSCALL_TP], t->iouring_tp)) {
		tracer_detach(t);
		return -1;
	}
	/* tp_btf links: their detach is fast, nothing to hold */
	if (add_link(t, bpf_program__attach(sk->progs.on_fork), -1, "sched_process_fork") ||
	    add_link(t, bpf_program__attach(sk->progs.on_exec), -1, "sched_process_exec") ||
	    add_link(t, bpf_program__attach(sk->progs.on_exit), -1, "sched_process_exit")) {
		tracer_detach(t);
		return -1;
	}
	return 0;
}

/* Tracepoint ids; the io_uring hook goes on whichever of its names the
 * kernel has, and is not loaded if it has neither. */
static int resolve_tracepoints(struct tracer *t, int *ids)
{
	const char *names[N_SYSCALL_TP + N_IOURING_TP];
	int err;

	for (size_t i = 0; i < N_SYSCALL_TP; i++)
		names[i] = SYSCALL_TP[i].tp;
	for (size_t i = 0; i < N_IOURING_TP; i++)
		names[N_SYSCALL_TP + i] = IOURING_TP[i];
	err = tracefs_event_ids(names, ids, N_SYSCALL_TP + N_IOURING_TP);
	if (err) {
		fm_error("cannot find tracepoints: tracefs is not mounted and mounting it failed: %s", strerror(-err));
		return -1;
	}
	for (size_t i = 0; i < N_IOURING_TP && !t->iouring_tp; i++)
		if (ids[N_SYSCALL_TP + i] >= 0) {
			ids[N_SYSCALL_TP] = ids[N_SYSCALL_TP + i];
			t->iouring_tp = IOURING_TP[i];
		}
	if (!t->iouring_tp)
		bpf_program__set_autoload(t->skel->progs.io_uring_submit_req, false);
	return 0;
}

/*
 * The objects of the three levels come from one source with the same
 * maps, programs and variables: the level-3 skeleton serves all three,
 * with the level's ELF bytes swapped in before the open.
 */
#define SAME_LAYOUT(k, part, field)                                                                        \
	_Static_assert(__builtin_offsetof(struct filemond_bpf__##part, field) ==                             \
			       __builtin_offsetof(struct filemond_k##k##_bpf__##part, field),                \
		       #part "." #field " differs at level " #k)
SAME_LAYOUT(1, rodata, abi_version);
SAME_LAYOUT(1, rodata, wakeup_bytes);
SAME_LAYOUT(1, rodata, check_bytes);
SAME_LAYOUT(1, rodata, exit_has_group_dead);
SAME_LAYOUT(1, bss, audit_kinds);
SAME_LAYOUT(1, bss, audit_failures);
SAME_LAYOUT(1, bss, audit_id_flags);
SAME_LAYOUT(1, bss, audit_cgroup_includes);
SAME_LAYOUT(1, bss, audit_seq);
SAME_LAYOUT(1, bss, json_sessions);
SAME_LAYOUT(1, bss, sessions);
SAME_LAYOUT(2, rodata, abi_version);
SAME_LAYOUT(2, rodata, wakeup_bytes);
SAME_LAYOUT(2, rodata, check_bytes);
SAME_LAYOUT(2, rodata, exit_has_group_dead);
SAME_LAYOUT(2, bss, audit_kinds);
SAME_LAYOUT(2, bss, audit_failures);
SAME_LAYOUT(2, bss, audit_id_flags);
SAME_LAYOUT(2, bss, audit_cgroup_includes);
SAME_LAYOUT(2, bss, audit_seq);
SAME_LAYOUT(2, bss, json_sessions);
SAME_LAYOUT(2, bss, sessions);
_Static_assert(sizeof(struct filemond_bpf__rodata) == sizeof(struct filemond_k1_bpf__rodata) &&
		       sizeof(struct filemond_bpf__rodata) == sizeof(struct filemond_k2_bpf__rodata) &&
		       sizeof(struct filemond_bpf__bss) == sizeof(struct filemond_k1_bpf__bss) &&
		       sizeof(struct filemond_bpf__bss) == sizeof(struct filemond_k2_bpf__bss),
	       "the levels' variables differ");

static struct filemond_bpf *open_level(int level)
{
	struct filemond_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj)
		return NULL;
	err = filemond_bpf__create_skeleton(obj);
	if (!err && level == 2)
		obj->skeleton->data = (void *)filemond_k2_bpf__elf_bytes(&obj->skeleton->data_sz);
	else if (!err && level == 1)
		obj->skeleton->data = (void *)filemond_k1_bpf__elf_bytes(&obj->skeleton->data_sz);
	if (!err)
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	if (err) {
		filemond_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

static void explain_load_error(int err)
{
	/* the verifier's refusals are EACCES too: only without the privilege is it the privilege */
	if ((err == EPERM || err == EACCES) && geteuid() != 0)
		fm_error("cannot load BPF programs: %s (need root or CAP_BPF)", strerror(err));
	else
		fm_error("cannot load BPF programs: %s (%s)", strerror(err),
			 verbose_libbpf ? "the verifier log is above" : "run with -v for the verifier log");
}

/* FILEMOND_BPF_LEVEL: the level --bpf-level would force, for test and
 * bench runs of whole suites (only whoever starts filemond sets it). */
static int level_from_env(void)
{
	const char *v = getenv("FILEMOND_BPF_LEVEL");
	long l = v ? strtol(v, NULL, 10) : 0;

	return l >= 1 && l <= FEATURES_LEVEL_MAX ? (int)l : 0;
}

static void tracer_reset(struct tracer *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < TRACER_MAX_PROGS; i++)
		t->held[i] = -1;
	t->programs_off = -1;
}

int tracer_load(struct tracer *t, const struct tracer_opts *o)
{
	int ncpu = libbpf_num_possible_cpus();
	long online;

	tracer_reset(t);
	/* Loading and attaching tracing programs needs CAP_BPF and CAP_PERFMON
	 * (or CAP_SYS_ADMIN): say so before anything else fails. */
	if (!self_has_cap(CAP_SYS_ADMIN) && !(self_has_cap(CAP_BPF) && self_has_cap(CAP_PERFMON))) {
		explain_load_error(EPERM);
		return -1;
	}
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	if (features_probe(&t->features, o->level ? o->level : level_from_env()))
		return -1;
	if (o->verbose)
		fm_error("kernel %s: BPF level %s; exit test %s", t->features.release,
			features_level_text(t->features.level),
			t->features.exit_group_dead ? "group_dead" : "signal->live (before 6.16)");
	t->skel = open_level(t->features.level);
	if (!t->skel) {
		fm_error("cannot open BPF object: %s", strerror(errno));
		return -1;
	}
	if (t->skel->rodata->abi_version != FM_ABI_VERSION) {
		fm_error("the BPF object speaks record ABI %u, this filemond %u: rebuild it whole ('make clean all')",
			 t->skel->rodata->abi_version, FM_ABI_VERSION);
		goto fail;
	}
	if (ncpu <= 0 || bpf_map__set_max_entries(t->skel->maps.events, (unsigned int)o->ring_size) ||
	    bpf_map__set_max_entries(t->skel->maps.tracees, o->max_procs) ||
	    bpf_map__set_max_entries(t->skel->maps.scratch, (unsigned int)ncpu)) {
		fm_error("cannot size BPF maps: %s", strerror(errno));
		goto fail;
	}
	/* Wake the consumer early only when an eighth of the ring (256 KiB at
	 * most) is waiting; each CPU looks at the ring after queueing its
	 * share of an eighth of that, so the mark is never passed by more. */
	t->skel->rodata->wakeup_bytes = o->ring_size / 8 < (256 << 10) ? o->ring_size / 8 : (256 << 10);
	t->skel->rodata->exit_has_group_dead = t->features.exit_group_dead;
	t->skel->rodata->audit_mode = t->audit = o->audit;
	t->skel->bss->audit_failures = o->audit_failures;
	t->skel->bss->audit_kinds = o->audit_kinds;
	t->skel->rodata->audit_self = (uint32_t)getpid();
	online = sysconf(_SC_NPROCESSORS_ONLN);
	t->skel->rodata->check_bytes = t->skel->rodata->wakeup_bytes / 8 / (unsigned long)(online > 0 ? online : 1);
	if (resolve_tracepoints(t, t->tp_ids))
		goto fail;
	if (filemond_bpf__load(t->skel)) {
		explain_load_error(errno);
		goto fail;
	}
	if (o->audit && (tracer_set_audit_filter(t, o->audit_kinds, o->audit_failures, o->audit_id_rules,
						 o->n_audit_id_rules) ||
			 tracer_set_audit_cgroups(t, o->audit_cgroup_fds, o->audit_cgroup_include, o->n_audit_cgroups)))
		goto fail;
	return 0;
fail:
	tracer_close(t);
	return -1;
}

int tracer_set_audit_cgroups(struct tracer *t, const int *fds, const bool *include, size_t n)
{
	struct bpf_map *m = t->skel->maps.audit_cgroups;
	uint32_t ex = 0, in = 0;

	t->skel->bss->audit_cgroup_excludes = t->skel->bss->audit_cgroup_includes = 0;
	for (uint32_t i = 0; i < FM_AUDIT_CGROUP_RULES_MAX; i++) {
		__u32 fd = i < n ? (__u32)fds[i] : 0;

		if (i >= n) {
			bpf_map__delete_elem(m, &i, sizeof(i), 0);
		} else if (bpf_map__update_elem(m, &i, sizeof(i), &fd, sizeof(fd), BPF_ANY)) {
			fm_error("cannot set the audit's cgroup rules: %s", strerror(errno));
			return -1;
		} else {
			*(include[i] ? &in : &ex) |= 1U << i;
		}
	}
	t->skel->bss->audit_cgroup_excludes = ex;
	t->skel->bss->audit_cgroup_includes = in;
	return 0;
}

/* What kinds of rule the map will hold (FM_ID_*). */
static uint32_t id_flags(const struct fm_audit_id_rule *r, size_t n)
{
	uint32_t f = 0;

	for (size_t i = 0; i < n; i++)
		f |= r[i].field == FM_INCLUDE_UID ? FM_ID_INCLUDES_UID
		     : r[i].field == FM_INCLUDE_AUID ? FM_ID_INCLUDES_AUID : FM_ID_EXCLUDES;
	return f;
}

/*
 * The audit's kernel-side filters, at load and at a reload.  The new id
 * rules go in, then the flags that say which kinds are there, then the
 * old rules go: a rule in both the old and the new set holds throughout.
 */
int tracer_set_audit_filter(struct tracer *t, uint32_t kinds, bool failures,
			    const struct fm_audit_id_rule *rules, size_t n)
{
	struct bpf_map *m = t->skel->maps.audit_id_rules;
	struct fm_audit_id_rule key, next;
	const __u8 yes = 1;
	bool more;

	for (size_t i = 0; i < n; i++)
		if (bpf_map__update_elem(m, &rules[i], sizeof(rules[i]), &yes, sizeof(yes), BPF_ANY)) {
			fm_error("cannot set the audit's rules on uid and auid: %s", strerror(errno));
			return -1;
		}
	t->skel->bss->audit_id_flags = id_flags(rules, n);
	for (more = bpf_map__get_next_key(m, NULL, &key, sizeof(key)) == 0; more; key = next) {
		bool keep = false;

		more = bpf_map__get_next_key(m, &key, &next, sizeof(next)) == 0;
		for (size_t i = 0; i < n && !keep; i++)
			keep = rules[i].field == key.field && rules[i].id == key.id;
		if (!keep)
			bpf_map__delete_elem(m, &key, sizeof(key), 0);
	}
	t->skel->bss->audit_kinds = kinds;
	t->skel->bss->audit_failures = failures;
	return 0;
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

/*
 * Detaching costs two waits in the kernel, one per tracepoint:
 *  (a) dropping the last reference to a link takes its program off at
 *      once, then waits for an RCU tasks-trace grace period (~36 ms here);
 *  (b) releasing the last perf event of a classic tracepoint unregisters it
 *      and waits for a grace period under the kernel's event_mutex, which
 *      every perf_event_open of a tracepoint also takes: a filemond
 *      starting meanwhile used to wait up to 600 ms.
 * Neither is the user's business.  A child, "filemond-linger", gets copies
 * of the link descriptors and of a second descriptor of each perf event
 * (held[]) and nothing else, so no shell, pipe reader or daemon client
 * waits for it.  Once the parent has dropped its
 * own copies (so the last reference is surely the child's), it closes the
 * links from parallel threads, so the waits of (a) overlap, and says so on
 * a pipe (the same programs may be attached again).  It then holds the
 * disabled perf events for LINGER_S before closing them.  A filemond
 * attaching meanwhile finds the tracepoints registered and attaches fast;
 * when the child closes them they are still in use and nothing waits.
 * Only the last user's release (b) is slow, in that child.  While held,
 * the tracepoints cost other processes' syscalls only their firing: no
 * program runs.
 */
#define LINGER_S 5

static void *close_in_thread(void *fd)
{
	close((int)(intptr_t)fd);
	return NULL;
}

static void close_parallel(const int *fds, int n)
{
	pthread_t th[TRACER_MAX_PROGS];
	int started[TRACER_MAX_PROGS] = { 0 };

	for (int i = 0; i < n; i++)
		started[i] = pthread_create(&th[i], NULL, close_in_thread, (void *)(intptr_t)fds[i]) == 0;
	for (int i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			close(fds[i]);
	}
}

/*
 * The lingerer is a fresh exec of this program (posix_spawn of
 * /proc/self/exe), not a fork: the parent is suspended until the exec, and
 * the exec closes every close-on-exec descriptor, so no client socket, log
 * or BPF object of the daemon outlives its close in another process (an
 * epoll registration lives as long as any copy of the file).  It gets only
 * what it needs, at fixed numbers: fd 3 go, 4 programs_off, then the
 * links, then the held perf events.
 */
#define LINGER_FD0 3

/* Lay out fds[] at LINGER_FD0... in the child: via numbers above every
 * source first, so no dup2 overwrites a source not yet copied. */
static int linger_fd_actions(posix_spawn_file_actions_t *fa, const int *fds, int n)
{
	int high = LINGER_FD0 + n;
	int err = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR, 0);

	for (int i = 0; i < n; i++)
		high = fds[i] >= high ? fds[i] + 1 : high;
	err = err ?: posix_spawn_file_actions_adddup2(fa, 0, 1);
	err = err ?: posix_spawn_file_actions_adddup2(fa, 0, 2);
	for (int i = 0; i < n && !err; i++)
		err = posix_spawn_file_actions_adddup2(fa, fds[i], high + i);
	for (int i = 0; i < n && !err; i++) {
		err = posix_spawn_file_actions_adddup2(fa, high + i, LINGER_FD0 + i);
		err = err ?: posix_spawn_file_actions_addclose(fa, high + i);
	}
	return err;
}

static pid_t spawn_lingerer(const struct tracer *t, int go, int programs_off)
{
	int fds[2 + 2 * TRACER_MAX_PROGS], n = 0, nheld = 0;
	char nlinks_s[16], nheld_s[16];
	char *argv[] = { "filemond-linger", "--linger", nlinks_s, nheld_s, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid = -1;

	fds[n++] = go;
	fds[n++] = programs_off;
	for (int i = 0; i < t->nlinks; i++)
		fds[n++] = bpf_link__fd(t->links[i]);
	for (int i = 0; i < t->nlinks; i++)
		if (t->held[i] >= 0)
			fds[n++] = t->held[i], nheld++;
	snprintf(nlinks_s, sizeof(nlinks_s), "%d", t->nlinks);
	snprintf(nheld_s, sizeof(nheld_s), "%d", nheld);
	sigemptyset(&none);
	if (posix_spawn_file_actions_init(&fa))
		return -1;
	if (posix_spawnattr_init(&attr) == 0) {
		/* run mode blocks SIGTERM & co.; setsid: no terminal signal reaches it */
		if (!linger_fd_actions(&fa, fds, n) && !posix_spawnattr_setsigmask(&attr, &none) &&
		    !posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID) &&
		    posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, (char *[]){ NULL }))
			pid = -1;
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

int tracer_linger_main(int argc, char **argv)
{
	int nlinks = argc >= 4 ? atoi(argv[2]) : -1, nheld = argc >= 4 ? atoi(argv[3]) : -1;
	int links[TRACER_MAX_PROGS];
	char c;

	if (nlinks < 0 || nlinks > TRACER_MAX_PROGS || nheld < 0 || nheld > TRACER_MAX_PROGS)
		return 64;
	prctl(PR_SET_NAME, "filemond-linger");
	signal(SIGPIPE, SIG_IGN); /* a parent that is gone does not read programs_off */
	close_range(LINGER_FD0 + 2 + (unsigned int)(nlinks + nheld), ~0U, 0);
	for (int i = 0; i < nlinks; i++)
		links[i] = LINGER_FD0 + 2 + i;
	while (read(LINGER_FD0, &c, 1) < 0 && errno == EINTR)
		;
	close(LINGER_FD0);
	close_parallel(links, nlinks); /* (a) */
	(void)!write(LINGER_FD0 + 1, "", 1); /* if nobody waits, fine */
	close(LINGER_FD0 + 1);
	sleep(LINGER_S);
	return 0; /* (b) happens at exit */
}

void tracer_detach(struct tracer *t)
{
	int go[2] = { -1, -1 }, off[2] = { -1, -1 };
	pid_t pid = -1;

	if (!t->nlinks)
		return;
	if (pipe2(go, O_CLOEXEC) == 0 && pipe2(off, O_CLOEXEC) == 0)
		pid = spawn_lingerer(t, go[0], off[1]);
	/* With the child holding the same files, this only drops our copies
	 * (fast); without one, it is the slow detach itself. */
	for (int i = 0; i < t->nlinks; i++) {
		bpf_link__destroy(t->links[i]);
		if (t->held[i] >= 0)
			close(t->held[i]);
		t->held[i] = -1;
	}
	t->nlinks = 0;
	if (go[1] >= 0)
		close(go[1]); /* the child may go on */
	if (go[0] >= 0)
		close(go[0]);
	if (off[1] >= 0)
		close(off[1]);
	if (t->programs_off >= 0)
		close(t->programs_off);
	t->programs_off = pid > 0 ? off[0] : -1;
	if (pid <= 0 && off[0] >= 0)
		close(off[0]);
}

void tracer_close(struct tracer *t)
{
	if (!t->skel)
		return;
	tracer_detach(t);
	if (t->programs_off >= 0)
		close(t->programs_off); /* the child finishes on its own */
	filemond_bpf__destroy(t->skel);
	tracer_reset(t);
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

int tracer_ring_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

const struct bpf_map *tracer_tracees(const struct tracer *t)
{
	return t->skel->maps.tracees;
}

uint32_t *tracer_json_sessions(const struct tracer *t)
{
	return &t->skel->bss->json_sessions;
}

struct fm_session *tracer_sessions(const struct tracer *t)
{
	return t->skel->bss->sessions;
}
