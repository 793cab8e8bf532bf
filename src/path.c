// SPDX-License-Identifier: BSD-2-Clause
/* path.c - decoding of the paths the BPF walker sends (see filemond.h). */
#include "path.h"

#include <string.h>

int path_decode(const char *enc, size_t len, char *out, size_t outsz)
{
	size_t end = len, o = 0;

	if (outsz < len + 2 || (len > 0 && enc[len - 1] != '\0'))
		return -1;
	if (len == 0) {
		strcpy(out, "/");
		return 1;
	}
	/* Components are leaf first; copy them out last to first. */
	while (end > 0) {
		size_t start = end - 1; /* at the component's NUL */
		size_t n;

		while (start > 0 && enc[start - 1] != '\0')
			start--;
		n = end - 1 - start;
		if (n == 0)
			return -1; /* empty name */
		out[o++] = '/';
		memcpy(out + o, enc + start, n);
		o += n;
		end = start;
	}
	out[o] = '\0';
	return (int)o;
}

/* Append the components of s to out at *o, folding "." and empty ones. */
static int append_components(const char *s, char *out, size_t outsz, size_t *o)
{
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (*o + 1 + n + 1 > outsz)
				return -1;
			out[(*o)++] = '/';
			memcpy(out + *o, s, n);
			*o += n;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	return 0;
}

int path_join(const char *base, const char *name, char *out, size_t outsz)
{
	size_t o = 0;

	if (outsz < 2)
		return -1;
	if (name[0] != '/' && append_components(base, out, outsz, &o))
		return -1;
	if (append_components(name, out, outsz, &o))
		return -1;
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return (int)o;
}

void path_dirname(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		slash[slash == path] = '\0';
}
