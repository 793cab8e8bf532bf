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
	CHECK(log_finish(&log) == 0);
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
	log_exec(log, 11, "/usr/bin/cc");
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

	s = capture(write_unresolved, &log);
	CHECK_STR(s, "# unresolved R 7: path longer than PATH_MAX\n");
	CHECK(log.unresolved == 1 && log.records == 0);
	free(s);
}

static void test_write_error(void)
{
	struct filemon_log log = { .fp = fopen("/dev/full", "w") };

	CHECK(log.fp != NULL);
	if (!log.fp)
		return;
	log_exec(&log, 1, "/bin/sh");
	CHECK(log_finish(&log) < 0); /* a full disk is reported, not ignored */
	fclose(log.fp);
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

int main(void)
{
	test_writer();
	test_write_error();
	test_path_decode();
	return check_summary("log");
}
