// SPDX-License-Identifier: BSD-2-Clause
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is stderr journald's stream ($JOURNAL_STREAM names its device and inode)? */
static bool stderr_is_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	struct stat st;
	const char *s;

	if (known < 0)
		known = (s = getenv("JOURNAL_STREAM")) && sscanf(s, "%llu:%llu", &dev, &ino) == 2 &&
			fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
	return known;
}

/* Under journald a syslog priority prefix ("<3>") and no name of ours
 * (the journal has it); elsewhere "filemond: ". */
static void vsay(int priority, const char *what, const char *fmt, va_list ap)
{
	if (stderr_is_journal())
		fprintf(stderr, "<%d>%s", priority, what);
	else
		fprintf(stderr, "filemond: %s", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fm_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(3, "", fmt, ap);
	va_end(ap);
}

void fm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(4, "warning: ", fmt, ap);
	va_end(ap);
}

void fm_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(6, "", fmt, ap);
	va_end(ap);
}

void cgroup2_root(char *root, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], dir[4096], type[64];

	root[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 && strcmp(type, "cgroup2") == 0) {
			snprintf(root, size, "%s", dir);
			break;
		}
	}
	if (f)
		fclose(f);
}

bool self_has_cap(int cap)
{
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && ((eff >> cap) & 1);
}
