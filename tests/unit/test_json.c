// SPDX-License-Identifier: BSD-2-Clause
/*
 * json_str: bytes to a JSON string.  Valid UTF-8 as is, the JSON escapes
 * where needed, every other byte as \udcXX so the bytes come back exactly
 * (surrogateescape), and the flag that says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static struct jbuf out;
static bool invalid;

/* The string encoded, NUL-terminated for CHECK_STR. */
static const char *enc(const char *s, size_t n)
{
	jb_reset(&out);
	invalid = json_str(&out, s, n);
	jb_putc(&out, '\0');
	return out.broken ? "(no memory)" : out.p;
}

/* Numbers: what printf would write. */
static void check_numbers(void)
{
	static const unsigned long long u[] = { 0, 7, 10, 4294967295ULL, 18446744073709551615ULL };
	static const long long i[] = { 0, -1, 42, -9223372036854775807LL - 1, 9223372036854775807LL };
	char want[64];

	for (size_t k = 0; k < sizeof(u) / sizeof(u[0]); k++) {
		jb_reset(&out);
		jb_u64(&out, u[k]);
		jb_putc(&out, ' ');
		jb_u64_pad(&out, u[k] % 1000000000ULL, 9);
		jb_putc(&out, ' ');
		jb_oct(&out, (unsigned int)(u[k] & 07777), 4);
		jb_putc(&out, ' ');
		jb_i64(&out, i[k]);
		jb_putc(&out, '\0');
		snprintf(want, sizeof(want), "%llu %09llu %04o %lld", u[k], u[k] % 1000000000ULL,
			 (unsigned int)(u[k] & 07777), i[k]);
		CHECK_STR(out.p, want);
	}
}

/* A line longer than the first allocation grows, byte for byte. */
static void check_growth(void)
{
	static char big[100000];

	for (size_t k = 0; k < sizeof(big); k++)
		big[k] = (char)('a' + k % 26);
	jb_reset(&out);
	CHECK(!json_str(&out, big, sizeof(big)));
	CHECK(out.len == sizeof(big) + 2);
	CHECK(out.p[0] == '"' && out.p[out.len - 1] == '"' && memcmp(out.p + 1, big, sizeof(big)) == 0);
}

#define ENC(lit) enc(lit, sizeof(lit) - 1)

int main(void)
{
	CHECK_STR(ENC("/usr/bin/cc"), "\"/usr/bin/cc\"");
	CHECK(!invalid);
	CHECK_STR(ENC("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(ENC("new\nline\ttab\x01\x7f"), "\"new\\nline\\ttab\\u0001\\u007f\"");
	CHECK(!invalid);
	/* valid multi-byte UTF-8 passes unchanged */
	CHECK_STR(ENC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	CHECK(!invalid);
	/* a lone byte, a cut sequence, an overlong '/', a UTF-16 surrogate, past U+10FFFF */
	CHECK_STR(ENC("bad\xffname"), "\"bad\\udcffname\"");
	CHECK(invalid);
	CHECK_STR(ENC("cut\xc3"), "\"cut\\udcc3\"");
	CHECK(invalid);
	CHECK_STR(ENC("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	CHECK_STR(ENC("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	CHECK_STR(ENC("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	/* a NUL inside the length is a byte like any other */
	CHECK_STR(enc("a\0b", 3), "\"a\\u0000b\"");
	CHECK(!invalid);
	check_numbers();
	check_growth();
	jb_free(&out);
	return check_summary("json");
}
