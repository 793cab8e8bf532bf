// SPDX-License-Identifier: BSD-2-Clause
/*
 * floor - run CMD under the floor tracer (floor.bpf.c), writing a text log
 * of "O pid path" and "E pid path" lines, as the reference probe did.
 *
 *   floor LOG CMD [ARG...]
 *
 * Exits with CMD's status (128+N for signal N), 1 if tracing failed.
 * Records the kernel could not queue are counted and reported on stderr.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor.h"
#include "floor.skel.h"
#include "tracefs.h"

static const char *const OPEN_TRACEPOINTS[] = {
	"syscalls/sys_exit_open",
	"syscalls/sys_exit_openat",
	"syscalls/sys_exit_openat2",
	"syscalls/sys_exit_creat",
};
#define N_OPEN_TP (sizeof(OPEN_TRACEPOINTS) / sizeof(OPEN_TRACEPOINTS[0]))
#define MAX_LINKS (N_OPEN_TP + 3)

static int on_record(void *ctx, void *data, size_t size)
{
	const struct floor_rec *r = data;

	if (size >= sizeof(*r))
		fprintf(ctx, "%c %u %.*s\n", r->kind == FLOOR_EXEC ? 'E' : 'O', r->pid, FLOOR_PATH, r->path);
	return 0;
}

static int attach_all(struct floor_bpf *sk, struct bpf_link **links)
{
	int ids[N_OPEN_TP], n = 0;

	if (tracefs_event_ids(OPEN_TRACEPOINTS, ids, N_OPEN_TP))
		return -1;
	for (size_t i = 0; i < N_OPEN_TP; i++)
		if (ids[i] >= 0 && !(links[n++] = tracepoint_attach(sk->progs.floor_open, ids[i], NULL)))
			return -1;
	if (!(links[n++] = bpf_program__attach(sk->progs.floor_fork)) ||
	    !(links[n++] = bpf_program__attach(sk->progs.floor_exit)) ||
	    !(links[n++] = bpf_program__attach(sk->progs.floor_exec)))
		return -1;
	return 0;
}

/* Fork CMD held on a pipe until it is in the tree; its pid, or -1. */
static pid_t start(struct floor_bpf *sk, char **cmd)
{
	unsigned char one = 1;
	int go[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) == 0)
			execvp(cmd[0], cmd);
		_exit(127);
	}
	close(go[0]);
	if (pid > 0 && bpf_map__update_elem(sk->maps.tree, &pid, sizeof(pid), &one, sizeof(one), 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(go[1]); /* EOF: go */
	return pid;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS] = { 0 };
	struct ring_buffer *rb = NULL;
	struct floor_bpf *sk = NULL;
	FILE *log = NULL;
	int status = 0, rc = 1;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: floor LOG CMD [ARG...]\n");
		return 64;
	}
	if (!(log = fopen(argv[1], "we"))) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!(sk = floor_bpf__open_and_load()) || attach_all(sk, links) ||
	    !(rb = ring_buffer__new(bpf_map__fd(sk->maps.events), on_record, log, NULL))) {
		fprintf(stderr, "floor: cannot load or attach the BPF programs: %s\n", strerror(errno));
		goto cleanup;
	}
	if ((pid = start(sk, argv + 2)) < 0) {
		fprintf(stderr, "floor: cannot start %s: %s\n", argv[2], strerror(errno));
		goto cleanup;
	}
	/* Records come without wakeups: drain every 10 ms. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		ring_buffer__poll(rb, 10);
		ring_buffer__consume(rb);
	}
	ring_buffer__consume(rb);
	if (sk->bss->lost)
		fprintf(stderr, "floor: %llu records lost\n", (unsigned long long)sk->bss->lost);
	rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
cleanup:
	ring_buffer__free(rb);
	for (size_t i = 0; i < MAX_LINKS; i++)
		bpf_link__destroy(links[i]);
	floor_bpf__destroy(sk);
	fclose(log);
	return rc;
}
