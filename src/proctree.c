// SPDX-License-Identifier: BSD-2-Clause
/* proctree.c - a process and its descendants, from /proc/PID/task/TID/children. */
#include "proctree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TREE 65536

struct tree {
	pid_t *pids;
	size_t n, cap;
};

static int tree_has(const struct tree *tr, pid_t pid)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->pids[i] == pid)
			return 1;
	return 0;
}

static int tree_add(struct tree *tr, pid_t pid)
{
	pid_t *p;

	if (tree_has(tr, pid) || tr->n >= MAX_TREE)
		return 0;
	if (tr->n == tr->cap) {
		p = realloc(tr->pids, (tr->cap ? tr->cap * 2 : 64) * sizeof(*p));
		if (!p)
			return 0;
		tr->pids = p;
		tr->cap = tr->cap ? tr->cap * 2 : 64;
	}
	tr->pids[tr->n++] = pid;
	return 1;
}

/* Add the children of every thread of pid; how many were new. */
static int add_children(struct tree *tr, pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int added = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char cpath[300];
		FILE *f;
		int child;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &child) == 1)
			added += tree_add(tr, child);
		fclose(f);
	}
	closedir(d);
	return added;
}

int proctree_attach(pid_t root, int (*attach)(pid_t pid, void *ctx), void *ctx)
{
	struct tree tr = { 0 };
	size_t done = 1;
	int err = attach(root, ctx);

	if (err || !tree_add(&tr, root))
		goto out;
	for (;;) {
		int added = 0;

		for (size_t i = 0; i < tr.n; i++)
			added += add_children(&tr, tr.pids[i]);
		/* attach what is new; their children are seen on the next pass */
		for (; done < tr.n; done++)
			attach(tr.pids[done], ctx); /* one gone meanwhile is fine */
		if (!added)
			break;
	}
out:
	free(tr.pids);
	return err;
}
