/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FILEMOND_AUDIT_CONFIG_H
#define FILEMOND_AUDIT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fm_audit_id_rule;

/*
 * The audit service's configuration file (filemond-audit.conf(5) in the
 * man page): one setting per line, '#' starts a comment.
 *
 *   log_dir DIR              where audit.json and its rotations go
 *   rotate_size SIZE         rotate once the file reaches SIZE (K M G); 0: never
 *   rotate_keep N            rotated files kept (audit.json.1 ... .N)
 *   events KIND[,KIND...]    or "all": exec fork exit open chdir unlink
 *                            rename link symlink io_uring
 *   failures yes|no          record failed calls (with their errno)
 *   journal off|notices|events  what goes to journald as well: nothing;
 *                            the service's start, reload, stop and every
 *                            loss (the default); those and every event
 *   include|exclude uid N    the process's real uid
 *   include|exclude auid N   its loginuid ("unset" for 4294967295)
 *   include|exclude exe PATH its executable, exactly
 *   include|exclude path P   a path of the event: P itself or under P/
 *   include|exclude cgroup P its cgroup v2 path: P itself or under P/
 *
 * An event is written unless an exclude rule matches it or a field has
 * include rules and none matches.  events, failures and the uid, auid and
 * cgroup rules act in the kernel (nothing is queued for what they leave
 * out; see audit_config_kernel_cgroups for the cgroup rules' limits); the
 * exe and path rules act in the daemon, which checks every rule again.
 */
enum audit_field {
	AF_UID,
	AF_AUID,
	AF_EXE,
	AF_PATH,
	AF_CGROUP,
	AF_NFIELDS,
};

struct audit_rule {
	enum audit_field field;
	bool include;
	uint32_t id; /* uid, auid */
	char *text; /* exe, path, cgroup */
};

enum audit_journal { JOURNAL_OFF, JOURNAL_NOTICES, JOURNAL_EVENTS };

struct audit_config {
	char *log_dir;
	unsigned long long rotate_size;
	unsigned int rotate_keep;
	uint32_t kinds; /* 1 << enum fm_kind */
	bool failures;
	enum audit_journal journal;
	struct audit_rule *rules;
	size_t nrules;
	bool has_include[AF_NFIELDS];
};

/* Defaults, then path's settings (path NULL: defaults only).  0, or -1
 * after printing "PATH:LINE: what is wrong". */
int audit_config_load(struct audit_config *c, const char *path);
void audit_config_free(struct audit_config *c);
/* The name of kind (enum fm_kind) in events lines and in the JSON. */
const char *audit_kind_name(int kind);

/* What the rules look at in one event. */
struct audit_subject {
	uint32_t uid, auid;
	const char *exe; /* or NULL if not known */
	const char *cgroup; /* or NULL */
	const char *paths[3]; /* the event's paths, NULL-ended */
};

/* The include and exclude rules on uid and auid, for the kernel (tracer_opts); at
 * most FM_AUDIT_ID_RULES_MAX.  The number, or -1 after a one-line error. */
int audit_config_kernel_id_rules(const struct audit_config *c, struct fm_audit_id_rule *out, size_t max);

/* The cgroup rules for the kernel: their directories under root (the
 * cgroup v2 mount) opened into fds[], include[] set per rule; at most max.
 * Excludes go one by one (a directory that is not there stays a daemon
 * rule); include rules go all or none (one left to the daemon alone
 * would make the kernel drop what it lets in).  The number of fds (the
 * caller closes them); never fails. */
size_t audit_config_kernel_cgroups(const struct audit_config *c, const char *root, int *fds, bool *include,
				   size_t max);

/* Should this event be written? */
bool audit_config_wants(const struct audit_config *c, const struct audit_subject *s);

#endif
