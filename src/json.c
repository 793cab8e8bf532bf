// SPDX-License-Identifier: BSD-2-Clause
/* json.c - JSON strings from arbitrary bytes (see json.h). */
#include "json.h"

#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Printable ASCII that needs no escape. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

bool json_str(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	bool invalid = false;

	putc_unlocked('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len, run;

		for (run = 0; i + run < n && plain(s[i + run]); run++)
			;
		if (run) { /* the common case: a run of plain ASCII in one write */
			fwrite_unlocked(s + i, 1, run, f);
			i += run;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (!len) {
			fprintf(f, "\\udc%02x", c);
			invalid = true;
			i++;
		} else if (len > 1) {
			fwrite_unlocked(s + i, 1, len, f);
			i += len;
		} else {
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", f);
			else if (c == '\t')
				fputs("\\t", f);
			else
				fprintf(f, "\\u%04x", c);
			i++;
		}
	}
	putc_unlocked('"', f);
	return invalid;
}

bool json_cstr(FILE *f, const char *s)
{
	return json_str(f, s, strlen(s));
}
