// SPDX-License-Identifier: BSD-2-Clause
#include "util.h"

#include <stdarg.h>
#include <stdio.h>

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
