// SPDX-License-Identifier: BSD-2-Clause
/* main.c - the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "util.h"

#ifndef FILEMOND_VERSION
#define FILEMOND_VERSION "unknown"
#endif

#define DEFAULT_RING_SIZE (16UL << 20)
#define DEFAULT_MAX_PROCS 65536U

static void usage(FILE *f)
{
	fprintf(f, "usage: filemond [-v] [-o FILE] [--ring-size BYTES] [--max-procs N] -- CMD [ARG...]\n"
		   "\n"
		   "Run CMD and write a filemon(4) version 5 log of the files its whole\n"
		   "process tree reads, writes and executes.\n"
		   "\n"
		   "  -o, --output FILE    write the log to FILE (default: standard error)\n"
		   "      --ring-size N    kernel event ring size in bytes, a power of two\n"
		   "                       >= 4096; K and M suffixes (default: 16M)\n"
		   "      --max-procs N    most processes traced at once (default: 65536)\n"
		   "  -v, --verbose        show libbpf and verifier messages\n"
		   "  -h, --help           show this help\n"
		   "  -V, --version        show the version\n"
		   "\n"
		   "Exit status: CMD's own, or 128+N if CMD died of signal N; 123 if events\n"
		   "were lost (the log says how many); 125 if filemond failed; 126/127 if CMD\n"
		   "could not be run; 64 for a usage error.\n");
}

/* A byte count with an optional K/M/G suffix; 0 if invalid. */
static unsigned long parse_size(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *s == '-')
		return 0;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	return *end ? 0 : v;
}

enum { OPT_RING_SIZE = 256, OPT_MAX_PROCS };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .tracer = { .ring_size = DEFAULT_RING_SIZE, .max_procs = DEFAULT_MAX_PROCS } };
	unsigned long n;
	int c;

	while ((c = getopt_long(argc, argv, "+o:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case OPT_RING_SIZE:
			n = parse_size(optarg);
			if (n < 4096 || n > (1UL << 30) || (n & (n - 1))) {
				fm_error("--ring-size must be a power of two from 4096 to 1G: '%s'", optarg);
				return EXIT_USAGE;
			}
			o.tracer.ring_size = n;
			break;
		case OPT_MAX_PROCS:
			n = parse_size(optarg);
			if (n < 1 || n > (1UL << 22)) {
				fm_error("--max-procs must be from 1 to 4194304: '%s'", optarg);
				return EXIT_USAGE;
			}
			o.tracer.max_procs = (unsigned int)n;
			break;
		case 'v':
			o.tracer.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("filemond %s\n", FILEMOND_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fm_error("no command given (usage: filemond [-o FILE] -- CMD [ARG...])");
		return EXIT_USAGE;
	}
	return run_command(&o, argv + optind);
}
