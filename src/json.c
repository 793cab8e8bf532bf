// SPDX-License-Identifier: BSD-2-Clause
/* json.c - the line buffer and JSON strings from arbitrary bytes (see json.h). */
#include "json.h"

#include <stdlib.h>

bool jb_grow(struct jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->broken)
		return false;
	while (cap - b->len < n) {
		if (cap > ((size_t)-1) / 2)
			goto broken;
		cap *= 2;
	}
	if (!(p = realloc(b->p, cap)))
		goto broken;
	b->p = p;
	b->cap = cap;
	return true;
broken:
	b->broken = true;
	return false;
}

void jb_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){ 0 };
}

/* Digits of v, right-aligned in buf's tail, at least width of them.  The
 * divisors are constants, so no division instruction, and decimal goes two
 * digits a step: numbers are a third of a line, and this took 16% of the
 * consumer's time with the base a variable. */
static void put_digits(struct jbuf *b, unsigned long long v, bool octal, int width)
{
	char buf[24];
	int i = sizeof(buf);

	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";

	while (!octal && v >= 100) { /* two digits a step */
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		buf[--i] = pairs[2 * r + 1];
		buf[--i] = pairs[2 * r];
	}
	do {
		if (octal) {
			buf[--i] = (char)('0' + (v & 7));
			v >>= 3;
		} else {
			buf[--i] = (char)('0' + v % 10);
			v /= 10;
		}
	} while (v && i > 0);
	while ((int)sizeof(buf) - i < width && i > 0)
		buf[--i] = '0';
	jb_mem(b, buf + i, sizeof(buf) - (size_t)i);
}

void jb_u64(struct jbuf *b, unsigned long long v)
{
	put_digits(b, v, false, 1);
}

void jb_u64_pad(struct jbuf *b, unsigned long long v, int width)
{
	put_digits(b, v, false, width);
}

void jb_oct(struct jbuf *b, unsigned int v, int width)
{
	put_digits(b, v, true, width);
}

void jb_i64(struct jbuf *b, long long v)
{
	if (v < 0) {
		jb_putc(b, '-');
		jb_u64(b, 0ULL - (unsigned long long)v);
	} else {
		jb_u64(b, (unsigned long long)v);
	}
}

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

/* \u00XX or \udcXX: prefix then two hex digits. */
static void put_escape(struct jbuf *b, const char *prefix, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[2] = { hex[c >> 4], hex[c & 15] };

	jb_puts(b, prefix);
	jb_mem(b, e, 2);
}

/* One byte that is valid UTF-8 of its own but not plain. */
static void put_special(struct jbuf *b, unsigned char c)
{
	if (c == '"' || c == '\\') {
		char e[2] = { '\\', (char)c };

		jb_mem(b, e, 2);
	} else if (c == '\n') {
		JB_LIT(b, "\\n");
	} else if (c == '\t') {
		JB_LIT(b, "\\t");
	} else {
		put_escape(b, "\\u00", c);
	}
}

bool json_str(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	bool invalid = false;

	jb_putc(b, '"');
	for (size_t i = 0; i < n;) {
		size_t len, run;

		for (run = 0; i + run < n && plain(s[i + run]); run++)
			;
		if (run) { /* the common case: a run of plain ASCII in one copy */
			jb_mem(b, s + i, run);
			i += run;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (!len) {
			put_escape(b, "\\udc", s[i]);
			invalid = true;
			len = 1;
		} else if (len == 1) {
			put_special(b, s[i]);
		} else {
			jb_mem(b, s + i, len);
		}
		i += len;
	}
	jb_putc(b, '"');
	return invalid;
}

bool json_cstr(struct jbuf *b, const char *s)
{
	return json_str(b, s, strlen(s));
}
