// SPDX-License-Identifier: BSD-2-Clause
/* audit_config.c - the audit configuration file (see audit_config.h). */
#include "audit_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filemond.h"
#include "util.h"

#define DEFAULT_LOG_DIR "/var/log/filemond"
#define DEFAULT_ROTATE_SIZE (64ULL << 20)
#define DEFAULT_ROTATE_KEEP 8

static const char *const kind_names[FM_NKINDS] = {
	[FM_FORK] = "fork", [FM_EXEC] = "exec", [FM_EXIT] = "exit", [FM_OPEN] = "open",
	[FM_CHDIR] = "chdir", [FM_UNLINK] = "unlink", [FM_RENAME] = "rename", [FM_LINK] = "link",
	[FM_SYMLINK] = "symlink", [FM_IOURING] = "io_uring", [FM_MKDIR] = "mkdir", [FM_CHMOD] = "chmod",
	[FM_CHOWN] = "chown",
};

static const char *const field_names[AF_NFIELDS] = {
	[AF_UID] = "uid", [AF_AUID] = "auid", [AF_EXE] = "exe", [AF_PATH] = "path", [AF_CGROUP] = "cgroup",
};

const char *audit_kind_name(int kind)
{
	return kind > 0 && kind < FM_NKINDS ? kind_names[kind] : "unknown";
}

static const char *parse_kinds(char *list, uint32_t *kinds)
{
	*kinds = 0;
	if (strcmp(list, "all") == 0) {
		*kinds = ~0U;
		return NULL;
	}
	for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 1; i < FM_NKINDS && strcmp(k, kind_names[i]) != 0; i++)
			;
		if (i == FM_NKINDS)
			return "unknown event kind";
		*kinds |= 1U << i;
	}
	return *kinds ? NULL : "no event kind";
}

static const char *parse_u64(const char *s, unsigned long long *v, bool suffix)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || *s == '+')
		return "not a number";
	if (suffix && *end) {
		int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : -1;

		if (shift < 0 || end[1] || *v > (~0ULL >> shift))
			return "not a size (N, NK, NM or NG)";
		*v <<= shift;
		return NULL;
	}
	return *end ? "not a number" : NULL;
}

static const char *parse_rule(struct audit_config *c, bool include, const char *field, const char *value)
{
	struct audit_rule r = { .include = include };
	struct audit_rule *rules;
	unsigned long long v;
	int f;

	for (f = 0; f < AF_NFIELDS && strcmp(field, field_names[f]) != 0; f++)
		;
	if (f == AF_NFIELDS)
		return "unknown field (uid, auid, exe, path, cgroup)";
	r.field = (enum audit_field)f;
	if (f == AF_UID || f == AF_AUID) {
		if (f == AF_AUID && strcmp(value, "unset") == 0)
			v = 0xffffffffULL;
		else if (parse_u64(value, &v, false) || v > 0xffffffffULL)
			return "not a user id";
		r.id = (uint32_t)v;
	} else {
		if (value[0] != '/')
			return "not an absolute path";
		if (!(r.text = strdup(value)))
			return strerror(ENOMEM);
		/* "/a/" matches as "/a" */
		for (size_t n = strlen(r.text); n > 1 && r.text[n - 1] == '/'; n--)
			r.text[n - 1] = '\0';
	}
	rules = realloc(c->rules, (c->nrules + 1) * sizeof(*rules));
	if (!rules) {
		free(r.text);
		return strerror(ENOMEM);
	}
	c->rules = rules;
	c->rules[c->nrules++] = r;
	c->has_include[f] |= include;
	return NULL;
}

/* One line's words (at most 3); the count, or -1 if there are more. */
static int split(char *line, char *w[3])
{
	int n = 0;

	for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 3)
			return -1;
		w[n++] = t;
	}
	return n;
}

static const char *parse_line(struct audit_config *c, char *line)
{
	char *w[3] = { NULL, NULL, NULL };
	unsigned long long v;
	const char *err;
	char *hash = strchr(line, '#');
	int n;

	if (hash)
		*hash = '\0';
	n = split(line, w);
	if (n == 0)
		return NULL;
	if (n < 0)
		return "too many words";
	if (strcmp(w[0], "include") == 0 || strcmp(w[0], "exclude") == 0) {
		if (n != 3)
			return "expected: include|exclude FIELD VALUE";
		return parse_rule(c, w[0][0] == 'i', w[1], w[2]);
	}
	if (n != 2)
		return "expected: KEYWORD VALUE";
	if (strcmp(w[0], "log_dir") == 0) {
		if (w[1][0] != '/')
			return "not an absolute path";
		free(c->log_dir);
		c->log_dir = strdup(w[1]);
		return c->log_dir ? NULL : strerror(ENOMEM);
	}
	if (strcmp(w[0], "rotate_size") == 0)
		return parse_u64(w[1], &c->rotate_size, true);
	if (strcmp(w[0], "rotate_keep") == 0) {
		if ((err = parse_u64(w[1], &v, false)) || v > 1000)
			return err ? err : "at most 1000";
		c->rotate_keep = (unsigned int)v;
		return NULL;
	}
	if (strcmp(w[0], "events") == 0)
		return parse_kinds(w[1], &c->kinds);
	if (strcmp(w[0], "failures") == 0) {
		if (strcmp(w[1], "yes") && strcmp(w[1], "no"))
			return "expected yes or no";
		c->failures = w[1][0] == 'y';
		return NULL;
	}
	if (strcmp(w[0], "journal") == 0) {
		static const char *const modes[] = { [JOURNAL_OFF] = "off", [JOURNAL_NOTICES] = "notices",
						     [JOURNAL_EVENTS] = "events" };

		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(w[1], modes[i]) == 0) {
				c->journal = (enum audit_journal)i;
				return NULL;
			}
		return "expected off, notices or events";
	}
	return "unknown keyword";
}

int audit_config_load(struct audit_config *c, const char *path)
{
	char line[4096];
	int lineno = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->rotate_size = DEFAULT_ROTATE_SIZE;
	c->rotate_keep = DEFAULT_ROTATE_KEEP;
	c->kinds = ~0U;
	c->failures = true;
	c->journal = JOURNAL_NOTICES;
	c->log_dir = strdup(DEFAULT_LOG_DIR);
	if (!c->log_dir)
		return -1;
	if (!path)
		return 0;
	if (!(f = fopen(path, "re"))) {
		fm_error("cannot read %s: %s", path, strerror(errno));
		audit_config_free(c);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *err;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			err = "line too long";
		else
			err = parse_line(c, line);
		if (err) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
			fclose(f);
			audit_config_free(c);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

void audit_config_free(struct audit_config *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i].text);
	free(c->rules);
	free(c->log_dir);
	memset(c, 0, sizeof(*c));
}

int audit_config_kernel_id_rules(const struct audit_config *c, struct fm_audit_id_rule *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct audit_rule *r = &c->rules[i];

		if (r->field != AF_UID && r->field != AF_AUID)
			continue;
		if (n == max) {
			fm_error("more than %zu rules on uid and auid", max);
			return -1;
		}
		if (r->field == AF_UID)
			out[n].field = r->include ? FM_INCLUDE_UID : FM_EXCLUDE_UID;
		else
			out[n].field = r->include ? FM_INCLUDE_AUID : FM_EXCLUDE_AUID;
		out[n++].id = r->id;
	}
	return (int)n;
}

static int open_cgroup(const char *root, const char *path)
{
	char dir[8192];

	snprintf(dir, sizeof(dir), "%s%s", root, strcmp(path, "/") ? path : "");
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

size_t audit_config_kernel_cgroups(const struct audit_config *c, const char *root, int *fds, bool *include,
				   size_t max)
{
	size_t n = 0, first_include;
	int fd;

	if (!root[0])
		return 0;
	for (int pass = 0; pass < 2; pass++) { /* excludes, then includes */
		first_include = n;
		for (size_t i = 0; i < c->nrules; i++) {
			const struct audit_rule *r = &c->rules[i];

			if (r->field != AF_CGROUP || r->include != (pass == 1))
				continue;
			if (n == max || (fd = open_cgroup(root, r->text)) < 0) {
				fm_warn("cgroup rule %s: applied by the daemon only (%s)", r->text,
					n == max ? "too many for the kernel" : strerror(errno));
				if (!r->include)
					continue;
				while (n > first_include) /* all includes, or none */
					close(fds[--n]);
				return n;
			}
			fds[n] = fd;
			include[n++] = r->include;
		}
	}
	return n;
}

/* p is prefix itself or a path under it. */
static bool under(const char *p, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1)
		return p[0] == '/';
	return strncmp(p, prefix, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static bool rule_matches(const struct audit_rule *r, const struct audit_subject *s, bool *applies)
{
	*applies = true;
	switch (r->field) {
	case AF_UID: return s->uid == r->id;
	case AF_AUID: return s->auid == r->id;
	case AF_EXE: return s->exe && strcmp(s->exe, r->text) == 0;
	case AF_CGROUP: return s->cgroup && under(s->cgroup, r->text);
	case AF_PATH:
		*applies = s->paths[0] != NULL; /* events without a path pass path rules */
		for (int i = 0; i < 3 && s->paths[i]; i++)
			if (under(s->paths[i], r->text))
				return true;
		return false;
	case AF_NFIELDS: break;
	}
	return false;
}

bool audit_config_wants(const struct audit_config *c, const struct audit_subject *s)
{
	bool included[AF_NFIELDS] = { false };
	bool applies;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct audit_rule *r = &c->rules[i];
		bool m = rule_matches(r, s, &applies);

		if (!applies)
			included[r->field] = true;
		else if (m && !r->include)
			return false;
		else if (m)
			included[r->field] = true;
	}
	for (int f = 0; f < AF_NFIELDS; f++)
		if (c->has_include[f] && !included[f])
			return false;
	return true;
}
