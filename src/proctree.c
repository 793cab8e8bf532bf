// SPDX-License-Identifier: BSD-2-Clause
/* proctree.c - a process's descendants, from /proc/PID/task/TID/children. */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FIRST_CAPACITY 1024

struct proctree {
	pid_t *pids; /* in the order found: root first */
	size_t n, cap; /* pids[] in use and allocated */
	pid_t *set; /* 2 * cap slots, open addressing, 0 = empty: at most half full */
	size_t scanned; /* pids[] whose children this pass has read */
	size_t offered; /* pids[] given to attach() */
	bool found; /* this pass found a new process */
	bool nomem; /* a descendant could not be kept */
};

static pid_t *set_slot(pid_t *set, size_t cap, pid_t pid)
{
	uint32_t h = (uint32_t)pid * 2654435761u;

	for (;; h++) {
		pid_t *slot = &set[h & (2 * cap - 1)];

		if (*slot == pid || *slot == 0)
			return slot;
	}
}

/* Double the capacity.  0 or -ENOMEM (the tree is left as it was). */
static int grow(struct proctree *tr)
{
	size_t cap = tr->cap ? 2 * tr->cap : FIRST_CAPACITY;
	pid_t *pids = realloc(tr->pids, cap * sizeof(pid_t));
	pid_t *set;

	if (!pids)
		return -ENOMEM;
	tr->pids = pids;
	set = calloc(2 * cap, sizeof(pid_t));
	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < tr->n; i++)
		*set_slot(set, cap, tr->pids[i]) = tr->pids[i];
	free(tr->set);
	tr->set = set;
	tr->cap = cap;
	return 0;
}

/* Add pid unless it is there already.  1 if it was new. */
static int tree_add(struct proctree *tr, pid_t pid)
{
	pid_t *slot;

	if (pid <= 0)
		return 0;
	if (tr->n == tr->cap && *set_slot(tr->set, tr->cap, pid) != pid && grow(tr)) {
		tr->nomem = true;
		return 0;
	}
	slot = set_slot(tr->set, tr->cap, pid);
	if (*slot == pid)
		return 0;
	*slot = pid;
	tr->pids[tr->n++] = pid;
	return 1;
}

/* Add the children of every thread of pid; how many were new. */
static int add_children(struct proctree *tr, pid_t pid)
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

struct proctree *proctree_new(pid_t root)
{
	struct proctree *tr = calloc(1, sizeof(*tr));

	if (!tr || grow(tr)) {
		proctree_free(tr);
		return NULL;
	}
	tree_add(tr, root);
	tr->offered = 1;
	return tr;
}

int proctree_step(struct proctree *tr, int budget, void (*attach)(pid_t pid, void *ctx), void *ctx)
{
	while (budget > 0) {
		/* offer what is new; its children are read later in the pass */
		for (; tr->offered < tr->n && budget > 0; tr->offered++, budget--)
			attach(tr->pids[tr->offered], ctx);
		if (tr->nomem)
			return -ENOMEM;
		if (tr->scanned < tr->n) {
			tr->found |= add_children(tr, tr->pids[tr->scanned++]) > 0;
			budget--;
			continue;
		}
		if (tr->offered < tr->n)
			continue;
		if (!tr->found)
			return 1; /* a whole pass found nothing new */
		tr->scanned = 0; /* another pass */
		tr->found = false;
	}
	return 0;
}

void proctree_free(struct proctree *tr)
{
	if (!tr)
		return;
	free(tr->pids);
	free(tr->set);
	free(tr);
}
