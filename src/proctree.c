// SPDX-License-Identifier: BSD-2-Clause
/* proctree.c - a process's descendants, from /proc/PID/task/TID/children. */
#include "proctree.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TREE 65536
#define SET_SIZE (2 * MAX_TREE) /* open addressing, at most half full */

struct proctree {
	pid_t *pids; /* in the order found: root first */
	size_t n;
	pid_t *set; /* SET_SIZE slots, 0 = empty */
	size_t scanned; /* pids[] whose children this pass has read */
	size_t offered; /* pids[] given to attach() */
	bool found; /* this pass found a new process */
};

/* Add pid unless it is there already.  1 if it was new. */
static int tree_add(struct proctree *tr, pid_t pid)
{
	uint32_t h = (uint32_t)pid * 2654435761u;

	if (pid <= 0 || tr->n >= MAX_TREE)
		return 0;
	for (;; h++) {
		pid_t *slot = &tr->set[h & (SET_SIZE - 1)];

		if (*slot == pid)
			return 0;
		if (*slot == 0) {
			*slot = pid;
			tr->pids[tr->n++] = pid;
			return 1;
		}
	}
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

	if (!tr || !(tr->pids = malloc(MAX_TREE * sizeof(pid_t))) || !(tr->set = calloc(SET_SIZE, sizeof(pid_t)))) {
		proctree_free(tr);
		return NULL;
	}
	tree_add(tr, root);
	tr->offered = 1;
	return tr;
}

bool proctree_step(struct proctree *tr, int budget, void (*attach)(pid_t pid, void *ctx), void *ctx)
{
	while (budget > 0) {
		/* offer what is new; its children are read later in the pass */
		for (; tr->offered < tr->n && budget > 0; tr->offered++, budget--)
			attach(tr->pids[tr->offered], ctx);
		if (tr->scanned < tr->n) {
			tr->found |= add_children(tr, tr->pids[tr->scanned++]) > 0;
			budget--;
			continue;
		}
		if (tr->offered < tr->n)
			continue;
		if (!tr->found)
			return true; /* a whole pass found nothing new */
		tr->scanned = 0; /* another pass */
		tr->found = false;
	}
	return false;
}

void proctree_free(struct proctree *tr)
{
	if (!tr)
		return;
	free(tr->pids);
	free(tr->set);
	free(tr);
}
