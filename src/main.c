// SPDX-License-Identifier: BSD-2-Clause
/* main.c - the command line: parse, then pick the daemon, the embedded session, or a daemon mode. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "filemond.h"
#include "protocol.h"
#include "run.h"
#include "util.h"

#ifndef FILEMOND_VERSION
#define FILEMOND_VERSION "unknown"
#endif

#define DEFAULT_RING_SIZE (16UL << 20)
#define DEFAULT_MAX_PROCS 65536U

static void usage(FILE *f)
{
	fprintf(f, "usage: filemond [options] [-o FILE] -- CMD [ARG...]\n"
		   "       filemond [options] [-o FILE] --pid PID\n"
		   "       filemond --daemon [--socket PATH] [--max-sessions N] [options]\n"
		   "       filemond --status [--socket PATH]\n"
		   "\n"
		   "Write a filemon(4) version 5 log of the files a process tree reads,\n"
		   "writes, executes, renames, links and deletes.\n"
		   "\n"
		   "  -o, --output FILE    write the log to FILE (default: standard error)\n"
		   "  -p, --pid PID        trace PID and its descendants until they have all exited\n"
		   "      --daemon         serve sessions on the socket (needs root)\n"
		   "      --status         list the daemon's sessions\n"
		   "      --socket PATH    the daemon's socket (default: " FM_DEFAULT_SOCKET ")\n"
		   "      --connect        trace through the daemon only\n"
		   "      --standalone     trace in this process only (needs root or CAP_BPF)\n"
		   "      --max-sessions N daemon: most sessions at once (default and limit: %d)\n"
		   "      --user-sessions N daemon: most sessions of one user other than root\n"
		   "                       (default: 8)\n"
		   "      --log-timeout S  daemon: end a session whose log accepts nothing for S\n"
		   "                       seconds (default: 30)\n"
		   "      --ring-size N    kernel event ring size in bytes, a power of two\n"
		   "                       >= 4096; K, M and G suffixes (default: 16M)\n"
		   "      --max-procs N    most processes traced at once (default: 65536)\n"
		   "  -v, --verbose        show libbpf and verifier messages\n"
		   "  -h, --help           show this help\n"
		   "  -V, --version        show the version\n"
		   "\n"
		   "Without --connect or --standalone, the daemon is used when its socket\n"
		   "answers, else the session runs in this process.\n"
		   "\n"
		   "Exit status: CMD's own, or 128+N if CMD died of signal N; 123 if events\n"
		   "were lost (the log says how many); 125 if filemond failed; 126/127 if CMD\n"
		   "could not be run; 64 for a usage error.\n",
		FM_MAX_SESSIONS);
}

/* A count with an optional K/M/G suffix; 0 if invalid. */
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

enum { OPT_RING_SIZE = 256, OPT_MAX_PROCS, OPT_DAEMON, OPT_STATUS, OPT_SOCKET, OPT_CONNECT, OPT_STANDALONE,
       OPT_MAX_SESSIONS, OPT_USER_SESSIONS, OPT_LOG_TIMEOUT };

struct cli {
	struct run_opts run;
	struct daemon_opts daemon;
	bool daemon_mode, status, connect_only, standalone;
};

/* A whole number from lo to hi (K/M/G suffixes allowed) into *out; 0, or
 * EXIT_USAGE after saying which option wants what. */
static int parse_count(const char *opt, const char *arg, unsigned long lo, unsigned long hi, unsigned long *out)
{
	*out = parse_size(arg);
	if (*out >= lo && *out <= hi)
		return 0;
	fm_error("--%s must be from %lu to %lu: '%s'", opt, lo, hi, arg);
	return EXIT_USAGE;
}

/* Parse one option into cli; 0, or an exit status. */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	unsigned long n;
	int err;

	switch (opt) {
	case 'o': c->run.output = arg; return 0;
	case 'p':
		n = parse_size(arg);
		if (n < 1 || n > 0x7fffffff) {
			fm_error("--pid needs a process id: '%s'", arg);
			return EXIT_USAGE;
		}
		c->run.pid = (pid_t)n;
		return 0;
	case OPT_RING_SIZE:
		n = parse_size(arg);
		if (n < 4096 || n > (1UL << 30) || (n & (n - 1))) {
			fm_error("--ring-size must be a power of two from 4096 to 1G: '%s'", arg);
			return EXIT_USAGE;
		}
		c->run.tracer.ring_size = n;
		return 0;
	case OPT_MAX_PROCS:
		err = parse_count("max-procs", arg, 1, 1UL << 22, &n);
		c->run.tracer.max_procs = (unsigned int)n;
		return err;
	case OPT_MAX_SESSIONS:
		err = parse_count("max-sessions", arg, 1, FM_MAX_SESSIONS, &n);
		c->daemon.max_sessions = (int)n;
		return err;
	case OPT_USER_SESSIONS:
		err = parse_count("user-sessions", arg, 1, FM_MAX_SESSIONS, &n);
		c->daemon.user_sessions = (int)n;
		return err;
	case OPT_LOG_TIMEOUT:
		err = parse_count("log-timeout", arg, 1, 86400, &n);
		c->daemon.log_timeout_s = (int)n;
		return err;
	case OPT_DAEMON: c->daemon_mode = true; return 0;
	case OPT_STATUS: c->status = true; return 0;
	case OPT_SOCKET: c->daemon.socket_path = arg; return 0;
	case OPT_CONNECT: c->connect_only = true; return 0;
	case OPT_STANDALONE: c->standalone = true; return 0;
	case 'v': c->run.tracer.verbose = true; return 0;
	case 'h': usage(stdout); return -1;
	case 'V': printf("filemond %s\n", FILEMOND_VERSION); return -1;
	default: usage(stderr); return EXIT_USAGE;
	}
}

/* Trace CMD or PID: through the daemon if it answers, else in this process. */
static int trace(struct cli *c)
{
	const char *sock_path = c->daemon.socket_path;
	int sock = c->standalone ? -ENOENT : proto_connect(sock_path);

	if (sock >= 0)
		return run_client(sock, sock_path, &c->run);
	if (c->connect_only) {
		fm_error("no daemon answers on %s: %s (start one with 'filemond --daemon')", sock_path, strerror(-sock));
		return EXIT_FAILURE_FM;
	}
	if (!c->standalone && geteuid() != 0) {
		fm_error("no daemon answers on %s (start one with 'filemond --daemon'), and tracing alone needs root",
			 sock_path);
		return EXIT_FAILURE_FM;
	}
	return run_embedded(&c->run);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "daemon", no_argument, NULL, OPT_DAEMON },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "connect", no_argument, NULL, OPT_CONNECT },
		{ "standalone", no_argument, NULL, OPT_STANDALONE },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "user-sessions", required_argument, NULL, OPT_USER_SESSIONS },
		{ "log-timeout", required_argument, NULL, OPT_LOG_TIMEOUT },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = {
		.run = { .tracer = { .ring_size = DEFAULT_RING_SIZE, .max_procs = DEFAULT_MAX_PROCS } },
		.daemon = { .socket_path = FM_DEFAULT_SOCKET, .max_sessions = FM_MAX_SESSIONS, .user_sessions = 8,
			    .log_timeout_s = 30 },
	};
	int opt, err;

	if (argc >= 2 && strcmp(argv[1], "--linger") == 0) /* tracer_detach's child, not a user command */
		return tracer_linger_main(argc, argv);
	while ((opt = getopt_long(argc, argv, "+o:p:vhV", longopts, NULL)) != -1)
		if ((err = parse_option(&c, opt, optarg)))
			return err < 0 ? 0 : err;
	c.run.argv = argv + optind;
	c.daemon.tracer = c.run.tracer;
	if (c.daemon_mode || c.status) {
		if (optind < argc || c.run.pid) {
			fm_error("--daemon and --status take no command or --pid");
			return EXIT_USAGE;
		}
		return c.daemon_mode ? daemon_run(&c.daemon) : daemon_status(c.daemon.socket_path);
	}
	if (c.connect_only && c.standalone) {
		fm_error("--connect and --standalone exclude each other");
		return EXIT_USAGE;
	}
	if ((optind >= argc) == !c.run.pid) {
		fm_error(c.run.pid ? "give either --pid or a command, not both"
				   : "no command given (usage: filemond [-o FILE] -- CMD [ARG...])");
		return EXIT_USAGE;
	}
	return trace(&c);
}
