// SPDX-License-Identifier: BSD-2-Clause
/* main.c - the command line: parse, then pick the daemon, the embedded session, or a daemon mode. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_config.h"
#include "cli.h"
#include "daemon.h"
#include "filemond.h"
#include "protocol.h"
#include "util.h"

#ifndef FILEMOND_VERSION
#define FILEMOND_VERSION "unknown"
#endif

#define DEFAULT_RING_SIZE (16UL << 20)
/* The audit records every process, each record with its audit segment:
 * a bigger ring rides out bursts (bench: openloop's ~270k events/s). */
#define AUDIT_RING_SIZE (64UL << 20)
#define DEFAULT_MAX_PROCS 65536U

static void usage(FILE *f)
{
	fprintf(f, "usage: filemond [options] [-o FILE] -- CMD [ARG...]\n"
		   "       filemond [options] [-o FILE] --pid PID\n"
		   "       filemond --daemon [--socket PATH] [--device PATH] [options]\n"
		   "       filemond --status [--socket PATH]\n"
		   "       filemond --audit [--config FILE] [-o -] [options]\n"
		   "       filemond --check-config [--config FILE]\n"
		   "\n"
		   "Write a filemon(4) version 5 log of the files a process tree reads,\n"
		   "writes, executes, renames, links and deletes.\n"
		   "\n"
		   "  -o, --output FILE    write the log to FILE (default: standard error)\n"
		   "  -p, --pid PID        trace PID and its descendants until they have all exited\n"
		   "      --format F       filemon (default): a filemon v5 log; json: JSON lines in\n"
		   "                       the audit's schema, failed calls and argv included\n"
		   "      --daemon         serve sessions on the socket (needs root)\n"
		   "      --status         list the daemon's sessions\n"
		   "      --audit          record every process on the machine as JSON lines\n"
		   "                       (to the configuration's log_dir, or '-o -': stdout),\n"
		   "                       and serve sessions on the socket as --daemon does\n"
		   "      --config FILE    the audit's configuration\n"
		   "      --check-config   check the configuration and exit\n"
		   "      --socket PATH    the daemon's socket (default: " FM_DEFAULT_SOCKET ")\n"
		   "      --device PATH    daemon, audit: also serve filemon(4)'s device at PATH\n"
		   "                       (/dev/filemon for bmake), over CUSE or FUSE\n"
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
		   "      --bpf-level N    force the BPF level (1: Linux 6.1+, 2: 6.2+, 3: 6.17+;\n"
		   "                       default: the best the kernel takes)\n"
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

/* A whole decimal number; 0 if invalid.  *end: what follows it. */
static unsigned long parse_number(const char *s, char **end)
{
	unsigned long v;

	errno = 0;
	v = strtoul(s, end, 10);
	return errno || *end == s || *s == '-' || *s == '+' || *s == ' ' ? 0 : v;
}

/* A count with an optional K/M/G suffix; 0 if invalid. */
static unsigned long parse_size(const char *s)
{
	char *end;
	unsigned long v = parse_number(s, &end);

	if (!v)
		return 0;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	return *end ? 0 : v;
}

enum { OPT_RING_SIZE = 256, OPT_MAX_PROCS, OPT_DAEMON, OPT_STATUS, OPT_SOCKET, OPT_CONNECT, OPT_STANDALONE,
       OPT_MAX_SESSIONS, OPT_USER_SESSIONS, OPT_LOG_TIMEOUT, OPT_BPF_LEVEL, OPT_AUDIT, OPT_CONFIG,
       OPT_CHECK_CONFIG, OPT_FORMAT, OPT_DEVICE };

struct cli {
	struct cli_opts run;
	struct daemon_opts daemon;
	bool daemon_mode, status, audit, check_config;
	const char *config;
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

/* A process id: digits only (no K suffix).  0, or EXIT_USAGE after a line. */
static int parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	unsigned long n = parse_number(arg, &end);

	if (*end || n < 1 || n > 0x7fffffff) {
		fm_error("--pid needs a process id: '%s'", arg);
		return EXIT_USAGE;
	}
	*pid = (pid_t)n;
	return 0;
}

/* Parse one option into cli; 0, or an exit status. */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	unsigned long n;
	int err;

	switch (opt) {
	case 'o': c->run.output = arg; return 0;
	case 'p':
		return parse_pid(arg, &c->run.pid);
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
		c->daemon.service.max_sessions = (int)n;
		return err;
	case OPT_USER_SESSIONS:
		err = parse_count("user-sessions", arg, 1, FM_MAX_SESSIONS, &n);
		c->daemon.service.user_sessions = (int)n;
		return err;
	case OPT_BPF_LEVEL:
		err = parse_count("bpf-level", arg, 1, FEATURES_LEVEL_MAX, &n);
		c->run.tracer.level = (int)n;
		return err;
	case OPT_LOG_TIMEOUT:
		err = parse_count("log-timeout", arg, 1, 86400, &n);
		c->daemon.log_timeout_s = (int)n;
		return err;
	case OPT_DAEMON: c->daemon_mode = true; return 0;
	case OPT_STATUS: c->status = true; return 0;
	case OPT_AUDIT: c->audit = true; return 0;
	case OPT_CONFIG: c->config = arg; return 0;
	case OPT_CHECK_CONFIG: c->check_config = true; return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "filemon") && strcmp(arg, "json")) {
			fm_error("--format is filemon or json: '%s'", arg);
			return EXIT_USAGE;
		}
		c->run.json = arg[0] == 'j';
		return 0;
	case OPT_DEVICE: c->daemon.device_path = arg; return 0;
	case OPT_SOCKET: c->daemon.socket_path = c->run.socket_path = arg; return 0;
	case OPT_CONNECT: c->run.connect_only = true; return 0;
	case OPT_STANDALONE: c->run.standalone = true; return 0;
	case 'v': c->run.tracer.verbose = true; return 0;
	case 'h': usage(stdout); return -1;
	case 'V': printf("filemond %s\n", FILEMOND_VERSION); return -1;
	default: usage(stderr); return EXIT_USAGE;
	}
}

/* The audit service's configuration: the one in use, and where it is read from. */
struct audit_setup {
	const char *path;
	struct audit_config cfg;
	struct audit *audit;
	struct fm_audit_id_rule excludes[FM_AUDIT_ID_RULES_MAX];
	char cgroup_root[4096];
	int cgroup_fds[FM_AUDIT_CGROUP_RULES_MAX];
	bool cgroup_include[FM_AUDIT_CGROUP_RULES_MAX];
	size_t ncgroups;
};

static void close_cgroups(struct audit_setup *as)
{
	while (as->ncgroups)
		close(as->cgroup_fds[--as->ncgroups]);
}

/* SIGHUP: the file again; on any error the running configuration stays. */
static void audit_reload(void *arg, struct service *svc)
{
	struct audit_setup *as = arg;
	struct fm_audit_id_rule excludes[FM_AUDIT_ID_RULES_MAX];
	struct audit_config cfg;
	char msg[PATH_MAX + 80];
	int n;

	if (audit_config_load(&cfg, as->path)) {
		fm_error("reload refused: the configuration in use stays");
		return;
	}
	if ((n = audit_config_kernel_id_rules(&cfg, excludes, FM_AUDIT_ID_RULES_MAX)) < 0 ||
	    tracer_set_audit_filter(&svc->tracer, cfg.kinds, cfg.failures, excludes, (size_t)n)) {
		audit_config_free(&cfg);
		fm_error("reload refused: the configuration in use stays");
		return;
	}
	as->ncgroups = audit_config_kernel_cgroups(&cfg, as->cgroup_root, as->cgroup_fds, as->cgroup_include,
						   FM_AUDIT_CGROUP_RULES_MAX);
	if (tracer_set_audit_cgroups(&svc->tracer, as->cgroup_fds, as->cgroup_include, as->ncgroups))
		fm_warn("the cgroup rules stay with the daemon alone");
	close_cgroups(as);
	if (strcmp(cfg.log_dir, as->cfg.log_dir) != 0)
		fm_warn("log_dir %s takes effect at the next start (still %s)", cfg.log_dir, as->cfg.log_dir);
	audit_config_free(&as->cfg);
	as->cfg = cfg;
	audit_set_config(as->audit, &as->cfg);
	snprintf(msg, sizeof(msg), "configuration %s loaded again", as->path ? as->path : "(defaults)");
	audit_lifecycle(as->audit, "reload", msg);
	fm_info("%s", msg);
}

/* --audit [--config FILE] [-o -], --check-config: the audit service, a
 * daemon that also serves sessions (one BPF object for both). */
static int audit_main(struct cli *c)
{
	static struct audit_setup as;
	unsigned long long lost = 0;
	int ret, n;

	as.path = c->config;
	if (audit_config_load(&as.cfg, c->config))
		return EXIT_FAILURE_FM;
	if (c->check_config || !c->audit) {
		audit_config_free(&as.cfg);
		if (!c->check_config) {
			fm_error("--config goes with --audit or --check-config");
			return EXIT_USAGE;
		}
		printf("%s: ok\n", c->config ? c->config : "(defaults)");
		return 0;
	}
	if ((n = audit_config_kernel_id_rules(&as.cfg, as.excludes, FM_AUDIT_ID_RULES_MAX)) < 0 ||
	    audit_open(&as.audit, &as.cfg, c->run.output)) {
		audit_config_free(&as.cfg);
		return EXIT_FAILURE_FM;
	}
	c->daemon.service.audit = as.audit;
	c->daemon.service.tracer.audit = true;
	c->daemon.service.tracer.audit_failures = as.cfg.failures;
	c->daemon.service.tracer.audit_kinds = as.cfg.kinds;
	c->daemon.service.tracer.audit_id_rules = as.excludes;
	c->daemon.service.tracer.n_audit_id_rules = (size_t)n;
	cgroup2_root(as.cgroup_root, sizeof(as.cgroup_root));
	as.ncgroups = audit_config_kernel_cgroups(&as.cfg, as.cgroup_root, as.cgroup_fds, as.cgroup_include,
						  FM_AUDIT_CGROUP_RULES_MAX);
	c->daemon.service.tracer.audit_cgroup_fds = as.cgroup_fds;
	c->daemon.service.tracer.audit_cgroup_include = as.cgroup_include;
	c->daemon.service.tracer.n_audit_cgroups = as.ncgroups;
	c->daemon.reload = audit_reload;
	c->daemon.reload_arg = &as;
	ret = daemon_run(&c->daemon);
	close_cgroups(&as);
	audit_close(as.audit, &lost);
	audit_config_free(&as.cfg);
	if (ret == 0 && lost) {
		fm_error("warning: the audit lost %llu events (the stream says where)", lost);
		ret = EXIT_LOST;
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "daemon", no_argument, NULL, OPT_DAEMON },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "audit", no_argument, NULL, OPT_AUDIT },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "connect", no_argument, NULL, OPT_CONNECT },
		{ "standalone", no_argument, NULL, OPT_STANDALONE },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "user-sessions", required_argument, NULL, OPT_USER_SESSIONS },
		{ "log-timeout", required_argument, NULL, OPT_LOG_TIMEOUT },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "bpf-level", required_argument, NULL, OPT_BPF_LEVEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = {
		.run = { .tracer = { .max_procs = DEFAULT_MAX_PROCS },
			 .socket_path = FM_DEFAULT_SOCKET },
		.daemon = { .socket_path = FM_DEFAULT_SOCKET, .log_timeout_s = 30,
			    .service = { .max_sessions = FM_MAX_SESSIONS, .user_sessions = 8 } },
	};
	int opt, err;

	if (argc >= 2 && strcmp(argv[1], "--linger") == 0) /* tracer_detach's child, not a user command */
		return tracer_linger_main(argc, argv);
	while ((opt = getopt_long(argc, argv, "+o:p:vhV", longopts, NULL)) != -1)
		if ((err = parse_option(&c, opt, optarg)))
			return err < 0 ? 0 : err;
	c.run.argv = argv + optind;
	if (!c.run.tracer.ring_size) /* no --ring-size */
		c.run.tracer.ring_size = c.audit ? AUDIT_RING_SIZE : DEFAULT_RING_SIZE;
	c.daemon.service.tracer = c.run.tracer;
	if (c.audit || c.check_config || c.config) {
		if (optind < argc || c.run.pid || c.daemon_mode || c.status) {
			fm_error("--audit, --config and --check-config take no command, --pid, --daemon or --status");
			return EXIT_USAGE;
		}
		return audit_main(&c);
	}
	if (c.daemon.device_path && !c.daemon_mode) {
		fm_error("--device goes with --daemon or --audit");
		return EXIT_USAGE;
	}
	if (c.daemon_mode || c.status) {
		if (optind < argc || c.run.pid) {
			fm_error("--daemon and --status take no command or --pid");
			return EXIT_USAGE;
		}
		return c.daemon_mode ? daemon_run(&c.daemon) : cli_status(c.daemon.socket_path);
	}
	if (c.run.connect_only && c.run.standalone) {
		fm_error("--connect and --standalone exclude each other");
		return EXIT_USAGE;
	}
	if ((optind >= argc) == !c.run.pid) {
		fm_error(c.run.pid ? "give either --pid or a command, not both"
				   : "no command given (usage: filemond [-o FILE] -- CMD [ARG...])");
		return EXIT_USAGE;
	}
	return cli_trace(&c.run);
}
