// SPDX-License-Identifier: BSD-2-Clause
/* The filemon v5 writer and the path decoder, checked line by line. */
#include <fcntl.h>
#include <stdlib.h>

#include "check.h"
#include "filemon_log.h"
#include "path.h"

/* Run body against a log in memory; return the text written. */
static char *capture(void (*body)(struct filemon_log *), struct filemon_log *out)
{
	char *buf = NULL;
	size_t len = 0;
	struct filemon_log log = { .fp = open_memstream(&buf, &len) };

	body(&log);
	CHECK(fflush(log.fp) == 0);
	fclose(log.fp);
	log.fp = NULL;
	if (out)
		*out = log;
	return buf;
}

static void write_header(struct filemon_log *log)
{
	struct timeval tv = { .tv_sec = 1763700000, .tv_usec = 1234 };

	log_header(log, 1234, &tv);
}

static void write_records(struct filemon_log *log)
{
	log_fork(log, 10, 11);
	log_path(log, 'E', 11, "/usr/bin/cc");
	log_open(log, 11, O_RDONLY, "/src/a.c");
	log_open(log, 11, O_WRONLY | O_CREAT | O_TRUNC, "/obj/a.o");
	log_open(log, 11, O_RDWR, "/obj/a.tmp");
	log_exit(log, 11, 3 << 8); /* exit(3) */
	log_exit(log, 12, 9); /* SIGKILL */
	log_exit(log, 13, 0x80 | 11); /* SIGSEGV with core dump */
}

static void write_trailer(struct filemon_log *log)
{
	struct timeval tv = { .tv_sec = 1763700001, .tv_usec = 999999 };

	log_lost(log, 0); /* nothing lost: no line */
	log_lost(log, 42);
	log_trailer(log, &tv);
}

static void write_named_records(struct filemon_log *log)
{
	log_path(log, 'C', 5, "/src/sub");
	log_path(log, 'D', 5, "/tmp/junk");
	log_path(log, 'A', 5, "bar.h");
	log_pair(log, 'M', 5, "/obj/foo.o.tmp", "/obj/foo.o");
	log_pair(log, 'L', 5, "../lib/x", "/obj/x");
}

static void write_escaped(struct filemon_log *log)
{
	log_path(log, 'R', 6, "/a b/new\nline/tab\t/back\\slash/it's/\x7f/\xc3\xa9");
	log_pair(log, 'M', 6, "/q'uote", "/sp ace");
}

static void write_unresolved(struct filemon_log *log)
{
	log_unresolved(log, 'R', 7, "path longer than PATH_MAX");
}

static void check_no_empty_lines(const char *s)
{
	size_t n = strlen(s);

	CHECK(n > 0 && s[n - 1] == '\n');
	CHECK(strstr(s, "\n\n") == NULL);
	CHECK(s[0] != '\n');
}

static void test_writer(void)
{
	struct filemon_log log;
	char *s;

	s = capture(write_header, NULL);
	CHECK_STR(s, "# filemon version 5\n# Target pid 1234\n# Start 1763700000.001234\nV 5\n");
	check_no_empty_lines(s);
	free(s);

	s = capture(write_records, &log);
	CHECK_STR(s, "F 10 11\n"
		     "E 11 /usr/bin/cc\n"
		     "R 11 /src/a.c\n"
		     "W 11 /obj/a.o\n"
		     "R 11 /obj/a.tmp\n"
		     "W 11 /obj/a.tmp\n"
		     "X 11 3 0\n"
		     "X 12 0 9\n"
		     "X 13 0 11\n");
	CHECK(log.records == 9);
	check_no_empty_lines(s);
	free(s);

	s = capture(write_trailer, NULL);
	CHECK_STR(s, "# lost 42 events\n# Stop 1763700001.999999\n# Bye bye\n");
	free(s);

	s = capture(write_named_records, &log);
	CHECK_STR(s, "C 5 /src/sub\n"
		     "D 5 /tmp/junk\n"
		     "A 5 bar.h\n"
		     "M 5 '/obj/foo.o.tmp' '/obj/foo.o'\n"
		     "L 5 '../lib/x' '/obj/x'\n");
	CHECK(log.records == 5 && log.escaped == 0);
	free(s);

	/* Control bytes and '\\' as \ooo; quotes too inside M/L; the rest raw. */
	s = capture(write_escaped, &log);
	CHECK_STR(s, "R 6 /a b/new\\012line/tab\\011/back\\134slash/it's/\\177/\xc3\xa9\n"
		     "M 6 '/q\\047uote' '/sp ace'\n");
	CHECK(log.escaped == 2);
	check_no_empty_lines(s);
	free(s);

	s = capture(write_unresolved, &log);
	CHECK_STR(s, "# unresolved R 7: path longer than PATH_MAX\n");
	CHECK(log.unresolved == 1 && log.records == 0);
	free(s);
}

static void test_path_decode(void)
{
	char out[64];

	CHECK(path_decode("", 0, out, sizeof(out)) == 1);
	CHECK_STR(out, "/");
	CHECK(path_decode("etc\0", 4, out, sizeof(out)) == 4);
	CHECK_STR(out, "/etc");
	CHECK(path_decode("hello.c\0src\0home\0", 17, out, sizeof(out)) == 17);
	CHECK_STR(out, "/home/src/hello.c");
	/* Names may hold any byte but NUL and '/'. */
	CHECK(path_decode("a b\nc\0d'e\0", 10, out, sizeof(out)) == 10);
	CHECK_STR(out, "/d'e/a b\nc");
	/* Malformed: no final NUL, empty component, no room. */
	CHECK(path_decode("etc", 3, out, sizeof(out)) == -1);
	CHECK(path_decode("a\0\0", 3, out, sizeof(out)) == -1);
	CHECK(path_decode("hello.c\0src\0", 12, out, 12) == -1);
	CHECK(path_decode("hello.c\0src\0", 12, out, 14) == 12);
}

static void test_path_join(void)
{
	char out[64];

	CHECK(path_join("/work", "hello.c", out, sizeof(out)) == 13);
	CHECK_STR(out, "/work/hello.c");
	CHECK(path_join("/work", "/etc//passwd", out, sizeof(out)) > 0);
	CHECK_STR(out, "/etc/passwd");
	CHECK(path_join("/", "./a/./b/", out, sizeof(out)) > 0);
	CHECK_STR(out, "/a/b");
	/* ".." stays: a symlinked parent makes it mean something else. */
	CHECK(path_join("/work/sub", "../in", out, sizeof(out)) > 0);
	CHECK_STR(out, "/work/sub/../in");
	CHECK(path_join("/work", "", out, sizeof(out)) > 0);
	CHECK_STR(out, "/work");
	CHECK(path_join("/", ".", out, sizeof(out)) == 1);
	CHECK_STR(out, "/");
	CHECK(path_join("/work", "a-rather-long-name", out, 20) == -1);
}

int main(void)
{
	test_writer();
	test_path_decode();
	test_path_join();
	return check_summary("log");
}
