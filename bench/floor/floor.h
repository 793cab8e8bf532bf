/* SPDX-License-Identifier: BSD-2-Clause */
/* floor.h - the record the floor tracer's BPF side and runner share. */
#ifndef FLOOR_H
#define FLOOR_H

#define FLOOR_PATH 248

enum floor_kind { FLOOR_OPEN = 1, FLOOR_EXEC = 2 };

struct floor_rec {
	unsigned int kind;
	unsigned int pid;
	char path[FLOOR_PATH]; /* as passed, cut at FLOOR_PATH - 1 */
};

_Static_assert(sizeof(struct floor_rec) == 256, "floor_rec layout");

#endif
