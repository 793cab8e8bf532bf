// SPDX-License-Identifier: BSD-2-Clause
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void vsay(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "filemond: %s", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fm_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void fm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
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
