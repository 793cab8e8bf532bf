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

static char out[512];
static bool invalid;

static const char *enc(const char *s, size_t n)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	invalid = json_str(f, s, n);
	fclose(f);
	return out;
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
	return check_summary("json");
}
