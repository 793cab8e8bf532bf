// SPDX-License-Identifier: BSD-2-Clause
/*
 * audit.c - records to JSON lines for the audit service (see audit.h).
 * Runs in the consumer's thread.  Per-process state (the executable) is
 * freed at the process's X and bounded by PROC_MAX.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_file.h"
#include "filemond.h"
#include "journal.h"
#include "json.h"
#include "output.h"
#include "record.h"
#include "util.h"

#define AUDIT_SCHEMA 1
#define MAX_HOLES 4096
/* A record whose number is taken can still be on its way into the ring
 * (its task preempted between the two; under emulation for long): a hole
 * is reported once it has outlived two whole drains and this long. */
#define HOLE_AGE_MS 1000
#define WRITER_RETRY_MS 250 /* a writer's report lost: the next this much later */
#define CLOSE_REPORT_MS 1000 /* at close, the wait for the writer's last report */
#define PROC_BUCKETS 4096
#define PROC_MAX 65536 /* processes whose executable is kept */
#define CGROUP_BUCKETS 1024

struct proc {
	struct proc *next;
	uint32_t pid;
	uint64_t start_ns;
	char *exe;
};

struct cgroup {
	struct cgroup *next;
	uint64_t id;
	char *path;
};

struct hole {
	uint64_t first, last;
	long long born_ms; /* CLOCK_MONOTONIC */
	bool old; /* open at the end of a drain already */
};

struct audit {
	struct output base;
	const struct audit_config *cfg;
	struct audit_file *file; /* the audit's files, or NULL for a session's renderer */
	FILE *direct; /* a session's renderer: the stream of its log */
	struct jbuf line; /* the line being formatted */
	char host[256];
	char boot_id[40];
	long long realtime_off; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	uint64_t next_seq;
	struct hole holes[MAX_HOLES];
	int nholes;
	unsigned long long events, filtered, lost_ring, malformed, malformed_told;
	/* The writer's losses in the stream (writer_report_step): writer_told
	 * are in lines written; a report handed over (report_out) covers up
	 * to writer_reported; writer_due: more were lost. */
	unsigned long long writer_told, writer_reported;
	bool report_out, writer_due;
	long long writer_retry_ms; /* a report was lost: the next not before */
	struct proc *procs[PROC_BUCKETS];
	int nprocs;
	struct journal_entry je; /* journald's copy (cfg->journal), or unused */
	bool journal; /* journald is there and the configuration wants it */
	unsigned long long journal_lost, journal_told;
	struct cgroup *cgroups[CGROUP_BUCKETS];
	long long cgroup_scanned_ms;
	char cgroup_root[PATH_MAX]; /* where cgroup v2 is mounted, or "" */
};

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void read_line_of(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f && fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* --- processes: the executable of each live one --- */

static struct proc **proc_slot(struct audit *a, uint32_t pid)
{
	struct proc **p = &a->procs[pid % PROC_BUCKETS];

	while (*p && (*p)->pid != pid)
		p = &(*p)->next;
	return p;
}

static void proc_free_all(struct audit *a)
{
	for (int i = 0; i < PROC_BUCKETS; i++) {
		for (struct proc *p = a->procs[i], *next; p; p = next) {
			next = p->next;
			free(p->exe);
			free(p);
		}
		a->procs[i] = NULL;
	}
	a->nprocs = 0;
}

/* The process (pid, start): found, or made, its executable read from
 * /proc if it is still there.  NULL only without memory. */
static struct proc *proc_get(struct audit *a, uint32_t pid, uint64_t start_ns)
{
	struct proc **slot = proc_slot(a, pid), *p = *slot;
	char link[64], exe[PATH_MAX];
	ssize_t n;

	if (p && p->start_ns == start_ns)
		return p;
	if (p) { /* the pid was reused: an X we did not see */
		free(p->exe);
		p->exe = NULL;
	} else {
		if (a->nprocs >= PROC_MAX)
			proc_free_all(a), slot = proc_slot(a, pid);
		if (!(p = calloc(1, sizeof(*p))))
			return NULL;
		p->pid = pid;
		p->next = *slot;
		*slot = p;
		a->nprocs++;
	}
	p->start_ns = start_ns;
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	if ((n = readlink(link, exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		p->exe = strdup(exe);
	}
	return p;
}

static void proc_set_exe(struct proc *p, const char *exe)
{
	if (!p || !exe)
		return;
	free(p->exe);
	p->exe = strdup(exe);
}

static void proc_end(struct audit *a, uint32_t pid)
{
	struct proc **slot = proc_slot(a, pid), *p = *slot;

	if (!p)
		return;
	*slot = p->next;
	free(p->exe);
	free(p);
	a->nprocs--;
}

/* --- cgroups: id (the cgroup v2 directory's inode) to path --- */

static struct audit *scanning; /* nftw has no context argument */

static void cgroup_free_all(struct audit *a)
{
	for (int i = 0; i < CGROUP_BUCKETS; i++) {
		for (struct cgroup *c = a->cgroups[i], *next; c; c = next) {
			next = c->next;
			free(c->path);
			free(c);
		}
		a->cgroups[i] = NULL;
	}
}

static const char *cgroup_remember(struct audit *a, uint64_t id, const char *path);

static int cgroup_add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + strlen(scanning->cgroup_root);

	(void)ftw;
	if (type == FTW_D)
		cgroup_remember(scanning, st->st_ino, *rel ? rel : "/");
	return 0;
}

static const char *cgroup_find(const struct audit *a, uint64_t id)
{
	for (struct cgroup *c = a->cgroups[id % CGROUP_BUCKETS]; c; c = c->next)
		if (c->id == id)
			return c->path;
	return NULL;
}

static const char *cgroup_remember(struct audit *a, uint64_t id, const char *path)
{
	struct cgroup *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return NULL;
	}
	c->id = id;
	c->next = a->cgroups[id % CGROUP_BUCKETS];
	a->cgroups[id % CGROUP_BUCKETS] = c;
	return c->path;
}

/* The cgroup pid is in, from /proc/PID/cgroup ("0::/path"), if its
 * directory is cgroup id. */
static const char *cgroup_of_pid(struct audit *a, uint64_t id, uint32_t pid)
{
	char name[64], line[PATH_MAX + 8], dir[2 * PATH_MAX + 16];
	const char *found = NULL;
	struct stat st;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%u/cgroup", pid);
	if (!(f = fopen(name, "re")))
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(dir, sizeof(dir), "%s%s", a->cgroup_root, line + 3);
		if (stat(dir, &st) == 0 && st.st_ino == id)
			found = cgroup_remember(a, id, line + 3);
		break;
	}
	fclose(f);
	return found;
}

/* The path of cgroup id: known, or the process's own, or the tree read
 * again (at most once a second). */
static const char *cgroup_path(struct audit *a, uint64_t id, uint32_t pid)
{
	const char *p = cgroup_find(a, id);
	long long now = clock_ns(CLOCK_MONOTONIC) / 1000000;

	if (p || !a->cgroup_root[0])
		return p;
	if ((p = cgroup_of_pid(a, id, pid)) || now - a->cgroup_scanned_ms < 1000)
		return p;
	a->cgroup_scanned_ms = now;
	cgroup_free_all(a);
	scanning = a;
	nftw(a->cgroup_root, cgroup_add, 16, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
	return cgroup_find(a, id);
}

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified on a hybrid
 * system): the first cgroup2 line of /proc/self/mounts. */
/* A container id: the last run of 64 hex digits in the cgroup path
 * (docker-ID.scope, /docker/ID, cri-containerd-ID.scope, libpod-ID). */
static bool container_id(const char *cg, char id[65])
{
	size_t run = 0;
	bool found = false;

	for (const char *p = cg; p && *p; p++) {
		bool hex = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');

		run = hex ? run + 1 : 0;
		if (run == 64 && !((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'a' && p[1] <= 'f'))) {
			memcpy(id, p - 63, 64);
			id[64] = '\0';
			found = true;
		}
	}
	return found;
}

/* --- the sequence: holes are records the kernel could not queue --- */

static void write_lost(struct audit *a, unsigned long long count, const char *where, const struct hole *h);

static void hole_report(struct audit *a, int i)
{
	struct hole h = a->holes[i];

	a->lost_ring += h.last - h.first + 1;
	a->holes[i] = a->holes[--a->nholes];
	write_lost(a, h.last - h.first + 1, "ring", &h);
}

static long long mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

static void hole_add(struct audit *a, uint64_t first, uint64_t last, long long born_ms)
{
	int victim = 0;

	if (a->nholes == MAX_HOLES) { /* room for one: the oldest goes first (a young one may yet fill) */
		for (int i = 1; i < a->nholes; i++)
			if (a->holes[i].born_ms < a->holes[victim].born_ms)
				victim = i;
		hole_report(a, victim);
	}
	a->holes[a->nholes++] = (struct hole){ .first = first, .last = last, .born_ms = born_ms };
}

/* A record arriving late fills (part of) a hole. */
static void hole_fill(struct audit *a, uint64_t seq)
{
	for (int i = 0; i < a->nholes; i++) {
		struct hole *h = &a->holes[i];

		if (seq < h->first || seq > h->last)
			continue;
		if (h->first == h->last)
			a->holes[i] = a->holes[--a->nholes];
		else if (seq == h->first)
			h->first++;
		else if (seq == h->last)
			h->last--;
		else {
			uint64_t last = h->last;

			h->last = seq - 1;
			hole_add(a, seq + 1, last, h->born_ms);
		}
		return;
	}
}

static void seq_seen(struct audit *a, uint64_t seq)
{
	if (seq == a->next_seq)
		a->next_seq++;
	else if (seq > a->next_seq) {
		hole_add(a, a->next_seq, seq - 1, mono_ms());
		a->next_seq = seq + 1;
	} else {
		hole_fill(a, seq);
	}
}

/* --- JSON --- */

/* The date and time of the second, formatted again only when it changes
 * (one thread: the consumer's). */
static void put_time(struct jbuf *f, long long ns)
{
	static time_t last = -1;
	static char buf[32];
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;

	if (s != last) {
		gmtime_r(&s, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		last = s;
	}
	jb_putc(f, '"');
	jb_puts(f, buf);
	jb_putc(f, '.');
	jb_u64_pad(f, (unsigned long long)(ns % 1000000000LL), 9);
	JB_LIT(f, "Z\"");
}

/* ,"key":"value" (value: any bytes) */
static bool put_kv(struct jbuf *f, const char *key, const char *value)
{
	JB_LIT(f, ",\"");
	jb_puts(f, key);
	JB_LIT(f, "\":");
	return json_cstr(f, value);
}

/* prefix"word" (word: one of the program's own names, no escape needed) */
static void put_word(struct jbuf *f, const char *prefix, const char *word)
{
	jb_puts(f, prefix);
	jb_putc(f, '"');
	jb_puts(f, word);
	jb_putc(f, '"');
}

/* prefix then v */
static void put_num(struct jbuf *f, const char *prefix, unsigned long long v)
{
	jb_puts(f, prefix);
	jb_u64(f, v);
}

static void put_host(struct audit *a, struct jbuf *f)
{
	JB_LIT(f, ",\"host\":{\"name\":");
	json_cstr(f, a->host);
	put_word(f, ",\"boot\":{\"id\":", a->boot_id);
	JB_LIT(f, "}}");
}

/* {"@timestamp":now,"event":{"kind":kind,"action":action} */
static void put_state_head(struct jbuf *f, const char *kind, const char *action)
{
	JB_LIT(f, "{\"@timestamp\":");
	put_time(f, clock_ns(CLOCK_REALTIME));
	put_word(f, ",\"event\":{\"kind\":", kind);
	put_word(f, ",\"action\":", action);
	jb_putc(f, '}');
}

/* A line is done: to the file, or counted lost (with the records no line
 * could be made of, reported as such in the stream).  False if lost. */
static bool line_end(struct audit *a)
{
	FILE *out = a->direct ? a->direct : audit_file_fp(a->file);
	struct jbuf *line = &a->line;

	bool made;

	JB_LIT(line, "}\n");
	made = !line->broken; /* else: no memory for it */
	if (!made)
		a->malformed++;
	else if (out) {
		fwrite(line->p, 1, line->len, out);
		if (!a->direct)
			audit_file_line(a->file, line->len);
	}
	jb_reset(line);
	return made;
}

/* --- journald (cfg->journal): MESSAGE_ID per kind of entry --- */

static const char *action_of(const struct fm_event *ev);

static const char *const event_message_ids[FM_NKINDS] = {
	[FM_FORK] = "e3f84a25f1a64321bd584cb765a86e0d", [FM_EXEC] = "9cd3672ffa1b4ae688b461a913479a89",
	[FM_EXIT] = "08028762dadf4b0ba25e358a50799c06", [FM_OPEN] = "277bbcf8a99b48a78c77c06aaacbc9b3",
	[FM_CHDIR] = "b70e46e64b784ac290d04640b87e0d71", [FM_UNLINK] = "3698eb5098f44cb9987d142535bfead4",
	[FM_RENAME] = "fb541a215bb8458eb8def3e244044c2f", [FM_LINK] = "9863bfcfd50d473f86aae536d8038c5f",
	[FM_SYMLINK] = "bba70d192b1f400b9f6a86a68a481c1f", [FM_IOURING] = "97c77afb859142d38f53c4eeccc4de80",
	[FM_MKDIR] = "db6ce2fa69ba486097a77f9334921f11", [FM_CHMOD] = "0f8ad5aebc7c4e0993f06f8fe9c1b851",
	[FM_CHOWN] = "c2afff88709a45248e5c5567f86ce79a",
};
#define MESSAGE_ID_LOST "f75c29817a0d4dbca863479760d09a89"
static const struct {
	const char *action, *id;
} lifecycle_ids[] = {
	{ "start", "80faf5c3a38548cd96e1f3e7d2c7b5fb" },
	{ "reload", "cc5de443c7b0400da1276bfbc3dd53c4" },
	{ "stop", "2ad9d5aa04fd42fda486d93b88e277e5" },
};

static void journal_begin(struct audit *a, int priority, const char *message_id)
{
	journal_addf(&a->je, "PRIORITY", "%d", priority);
	journal_addf(&a->je, "SYSLOG_IDENTIFIER", "filemond");
	journal_addf(&a->je, "MESSAGE_ID", "%s", message_id);
}

static void journal_str(struct audit *a, const char *key, const char *value)
{
	if (value)
		journal_add(&a->je, key, value, strlen(value));
}

static void journal_end(struct audit *a)
{
	if (journal_send(&a->je))
		a->journal_lost++;
}

static void journal_lost_entry(struct audit *a, unsigned long long count, const char *where, const struct hole *h)
{
	if (!a->journal)
		return;
	journal_begin(a, 4, MESSAGE_ID_LOST);
	if (h) {
		journal_addf(&a->je, "MESSAGE", "audit: %llu events lost (%s), sequence %llu-%llu", count, where,
			     (unsigned long long)h->first, (unsigned long long)h->last);
		journal_addf(&a->je, "FILEMOND_SEQ_FIRST", "%llu", (unsigned long long)h->first);
		journal_addf(&a->je, "FILEMOND_SEQ_LAST", "%llu", (unsigned long long)h->last);
	} else {
		journal_addf(&a->je, "MESSAGE", "audit: %llu events lost (%s)", count, where);
	}
	journal_addf(&a->je, "FILEMOND_LOST_COUNT", "%llu", count);
	journal_str(a, "FILEMOND_LOST_WHERE", where);
	journal_end(a);
}

/* One event for journald: a readable MESSAGE, the subject in FILEMOND_*
 * fields (never _PID and OBJECT_PID: they describe the sender). */
static void journal_event(struct audit *a, const struct fm_event *ev, const struct record_paths *rp,
			  const struct proc *p, const char *path, const char *cgroup)
{
	const struct fm_audit *au = rp->audit;
	bool failed = ev->flags & FM_EV_FAILED;
	const char *err = failed ? strerrorname_np((int)-(long long)au->ret) : NULL;
	char comm[sizeof(au->comm) + 1];

	memcpy(comm, au->comm, sizeof(au->comm));
	comm[sizeof(au->comm)] = '\0';
	journal_begin(a, failed ? 5 : 6, event_message_ids[ev->kind] ? event_message_ids[ev->kind] : MESSAGE_ID_LOST);
	journal_addf(&a->je, "MESSAGE", "%s %s: %s (pid %u, uid %u, %s)", action_of(ev), path ? path : "-",
		     failed ? (err ? err : "failed") : "ok", ev->pid, au->uid, comm);
	journal_str(a, "FILEMOND_ACTION", action_of(ev));
	journal_str(a, "FILEMOND_OUTCOME", failed ? "failure" : "success");
	journal_str(a, "FILEMOND_ERRNO", err);
	journal_addf(&a->je, "FILEMOND_SEQ", "%llu", (unsigned long long)au->seq);
	journal_addf(&a->je, "FILEMOND_PID", "%u", ev->pid);
	journal_addf(&a->je, "FILEMOND_TID", "%u", au->tid);
	journal_addf(&a->je, "FILEMOND_PPID", "%u", au->ppid);
	journal_addf(&a->je, "FILEMOND_ENTITY_ID", "%.8s-%u-%llu", a->boot_id, ev->pid, (unsigned long long)au->start_ns);
	journal_addf(&a->je, "FILEMOND_UID", "%u", au->uid);
	journal_addf(&a->je, "FILEMOND_EUID", "%u", au->euid);
	journal_addf(&a->je, "FILEMOND_GID", "%u", au->gid);
	if (au->auid != 0xffffffffu)
		journal_addf(&a->je, "FILEMOND_AUID", "%u", au->auid);
	if (au->sesid != 0xffffffffu)
		journal_addf(&a->je, "FILEMOND_AUDIT_SESSION", "%u", au->sesid);
	journal_str(a, "FILEMOND_COMM", comm);
	journal_str(a, "FILEMOND_EXE", p ? p->exe : NULL);
	journal_str(a, "FILEMOND_PATH", path);
	if (ev->kind == FM_RENAME || ev->kind == FM_LINK)
		journal_str(a, "FILEMOND_SOURCE_PATH", rp->named[0]);
	journal_str(a, "FILEMOND_CGROUP", cgroup);
	journal_end(a);
}

static void write_lost(struct audit *a, unsigned long long count, const char *where, const struct hole *h)
{
	struct jbuf *f = &a->line;

	journal_lost_entry(a, count, where, h);

	JB_LIT(f, "{\"@timestamp\":");
	put_time(f, clock_ns(CLOCK_REALTIME));
	JB_LIT(f, ",\"event\":{\"kind\":\"alert\",\"action\":\"lost\",\"outcome\":\"failure\"}");
	put_host(a, f);
	put_num(f, ",\"filemond\":{\"schema\":", AUDIT_SCHEMA);
	put_num(f, ",\"lost\":{\"count\":", count);
	put_word(f, ",\"where\":", where);
	if (h) {
		put_num(f, ",\"seq_first\":", h->first);
		put_num(f, ",\"seq_last\":", h->last);
	}
	JB_LIT(f, "}}");
	line_end(a);
}

static const char *action_of(const struct fm_event *ev)
{
	if (ev->kind == FM_UNLINK && ev->aux)
		return "rmdir";
	return audit_kind_name(ev->kind);
}

/* ECS event.category and event.type */
static const char *category_of(int kind)
{
	return kind == FM_FORK || kind == FM_EXEC || kind == FM_EXIT ? "process" : "file";
}

static const char *type_of(const struct fm_event *ev)
{
	switch (ev->kind) {
	case FM_FORK:
	case FM_EXEC: return "start";
	case FM_EXIT: return "end";
	case FM_UNLINK: return "deletion";
	case FM_RENAME: return "change";
	case FM_LINK:
	case FM_SYMLINK:
	case FM_MKDIR: return "creation";
	case FM_CHMOD:
	case FM_CHOWN: return "change";
	case FM_OPEN: return (ev->aux & O_ACCMODE) == O_RDONLY && !(ev->aux & (O_CREAT | O_TRUNC)) ? "access" : "change";
	default: return "info";
	}
}

static void put_open_flags(struct jbuf *f, uint32_t flags, bool created)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = { { O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_TRUNC, "O_TRUNC" },
		      { O_APPEND, "O_APPEND" }, { O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		      { O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" }, { O_PATH, "O_PATH" } };
	int acc = flags & O_ACCMODE;

	put_word(f, ",\"open\":{\"access\":", acc == O_RDONLY ? "read" : acc == O_WRONLY ? "write" : "read-write");
	put_word(f, ",\"flags\":[", acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			put_word(f, ",", names[i].name);
	jb_puts(f, created ? "],\"created\":true}" : "]}");
}

/* process.args from the NUL-separated list. */
static bool put_args(struct jbuf *f, const struct record_paths *rp)
{
	bool invalid = false;
	size_t i = 0;

	JB_LIT(f, ",\"args\":[");
	while (i < rp->argv_len) {
		const char *s = rp->argv + i;
		size_t n = strnlen(s, rp->argv_len - i);

		if (i)
			jb_putc(f, ',');
		invalid |= json_str(f, s, n);
		i += n + 1;
	}
	jb_putc(f, ']');
	return invalid;
}

/* The event's main path, and whether it is the kernel's resolution. */
static const char *main_path(const struct fm_event *ev, const struct record_paths *rp, bool *kernel)
{
	*kernel = false;
	if (ev->kind == FM_RENAME || ev->kind == FM_LINK || ev->kind == FM_SYMLINK)
		return ev->kind == FM_SYMLINK ? rp->named[0] : rp->named[1];
	if (rp->file && !rp->file_unnamed) {
		*kernel = true;
		return rp->file;
	}
	return rp->named[0];
}

static void put_process(struct audit *a, struct jbuf *f, const struct fm_event *ev, const struct record_paths *rp,
			const struct proc *p, bool *invalid)
{
	const struct fm_audit *au = rp->audit;
	char comm[sizeof(au->comm) + 1];

	memcpy(comm, au->comm, sizeof(au->comm));
	comm[sizeof(au->comm)] = '\0';
	put_num(f, ",\"process\":{\"pid\":", ev->pid);
	put_num(f, ",\"thread\":{\"id\":", au->tid);
	put_num(f, "},\"parent\":{\"pid\":", au->ppid);
	JB_LIT(f, "},\"entity_id\":\"");
	jb_mem(f, a->boot_id, strnlen(a->boot_id, 8));
	put_num(f, "-", ev->pid);
	put_num(f, "-", au->start_ns);
	jb_putc(f, '"');
	*invalid |= put_kv(f, "name", comm);
	if (p && p->exe)
		*invalid |= put_kv(f, "executable", p->exe);
	if (ev->kind == FM_EXEC && rp->argv)
		*invalid |= put_args(f, rp);
	if (ev->kind == FM_EXIT)
		put_num(f, ",\"exit_code\":", (ev->aux >> 8) & 0xff);
	if (ev->kind == FM_CHDIR && rp->file)
		*invalid |= put_kv(f, "working_directory", rp->file);
	jb_putc(f, '}');
}

/* prefix"v" (ECS writes ids as strings) */
static void put_id(struct jbuf *f, const char *prefix, unsigned int v)
{
	put_num(f, prefix, v);
	jb_putc(f, '"');
}

static void put_identity(struct jbuf *f, const struct fm_audit *au)
{
	put_id(f, ",\"user\":{\"id\":\"", au->uid);
	put_id(f, ",\"effective\":{\"id\":\"", au->euid);
	jb_putc(f, '}');
	if (au->auid != 0xffffffffu) {
		put_id(f, ",\"audit\":{\"id\":\"", au->auid);
		jb_putc(f, '}');
	}
	put_id(f, "},\"group\":{\"id\":\"", au->gid);
	put_id(f, ",\"effective\":{\"id\":\"", au->egid);
	JB_LIT(f, "}}");
}

static void write_event(struct audit *a, const struct fm_event *ev, const struct record_paths *rp,
			const struct proc *p, const char *cgroup)
{
	const struct fm_audit *au = rp->audit;
	long long ret = (long long)au->ret;
	bool failed = ev->flags & FM_EV_FAILED, kernel, invalid = false;
	const char *path = main_path(ev, rp, &kernel);
	struct jbuf *f = &a->line;
	char cid[65];

	JB_LIT(f, "{\"@timestamp\":");
	put_time(f, (long long)au->time_ns + a->realtime_off);
	put_word(f, ",\"event\":{\"kind\":\"event\",\"action\":", action_of(ev));
	put_word(f, ",\"category\":[", category_of(ev->kind));
	put_word(f, "],\"type\":[", type_of(ev));
	put_word(f, "],\"outcome\":", failed ? "failure" : "success");
	jb_putc(f, '}');
	if (failed) {
		put_word(f, ",\"error\":{\"code\":", strerrorname_np((int)-ret) ?: "unknown");
		put_word(f, ",\"message\":", strerror((int)-ret));
		jb_putc(f, '}');
	}
	put_process(a, f, ev, rp, p, &invalid);
	put_identity(f, au);
	if (path) {
		JB_LIT(f, ",\"file\":{\"path\":");
		invalid |= json_cstr(f, path);
		if (ev->kind == FM_SYMLINK && rp->text)
			invalid |= put_kv(f, "target_path", rp->text);
		jb_putc(f, '}');
	}
	if (cgroup && container_id(cgroup, cid)) {
		put_word(f, ",\"container\":{\"id\":", cid);
		jb_putc(f, '}');
	}
	put_host(a, f);
	put_num(f, ",\"filemond\":{\"schema\":", AUDIT_SCHEMA);
	put_num(f, ",\"seq\":", au->seq);
	if (ev->session != FM_NO_SESSION) {
		put_num(f, ",\"session\":\"", ev->session);
		put_num(f, ".", ev->gen);
		jb_putc(f, '"');
	}
	if (au->sesid != 0xffffffffu)
		put_num(f, ",\"audit_session\":", au->sesid);
	if (au->ns_level) {
		put_num(f, ",\"pid_ns\":{\"pid\":", au->ns_pid);
		put_num(f, ",\"level\":", au->ns_level);
		jb_putc(f, '}');
	}
	put_num(f, ",\"cgroup\":{\"id\":", au->cgroup_id);
	if (cgroup)
		invalid |= put_kv(f, "path", cgroup);
	jb_putc(f, '}');
	if (path)
		put_word(f, ",\"path_source\":", kernel ? "kernel" : "argument");
	if ((ev->kind == FM_RENAME || ev->kind == FM_LINK) && rp->named[0]) {
		JB_LIT(f, ",\"source\":{\"path\":");
		invalid |= json_cstr(f, rp->named[0]);
		jb_putc(f, '}');
	}
	if (ev->kind == FM_OPEN)
		put_open_flags(f, ev->aux, ev->flags & FM_EV_CREATED);
	if (ev->kind == FM_FORK)
		put_num(f, ",\"child_pid\":", ev->aux);
	if (ev->kind == FM_MKDIR || ev->kind == FM_CHMOD) {
		JB_LIT(f, ",\"mode\":\"");
		jb_oct(f, ev->aux & 07777, 4);
		jb_putc(f, '"');
	}
	if (ev->kind == FM_CHOWN && rp->has_owner) {
		JB_LIT(f, ",\"owner\":{\"uid\":");
		jb_i64(f, (int32_t)rp->owner_uid);
		JB_LIT(f, ",\"gid\":");
		jb_i64(f, (int32_t)rp->owner_gid);
		jb_putc(f, '}');
	}
	if (ev->kind == FM_EXIT && (ev->aux & 0x7f))
		put_num(f, ",\"signal\":", ev->aux & 0x7f);
	if (ev->kind == FM_EXEC && rp->interp)
		invalid |= put_kv(f, "interpreter", rp->interp);
	if (ev->kind == FM_EXEC && rp->argv_cut)
		JB_LIT(f, ",\"args_truncated\":true");
	if (rp->why)
		put_kv(f, "unresolved", rp->why);
	if (invalid)
		JB_LIT(f, ",\"invalid_utf8\":true");
	jb_putc(f, '}');
	if (line_end(a))
		a->events++;
	if (a->journal && a->cfg->journal == JOURNAL_EVENTS)
		journal_event(a, ev, rp, p, path, cgroup);
}

/* --- the output --- */

static void on_record(struct output *base, const struct fm_event *ev, const struct record_paths *rp)
{
	struct audit *a = (struct audit *)base;
	struct audit_subject subj = { 0 };
	const char *cgroup;
	struct proc *p;
	bool kernel;

	if (!rp->audit) { /* an object not in audit mode: cannot happen */
		a->malformed++;
		return;
	}
	seq_seen(a, rp->audit->seq);
	p = proc_get(a, ev->pid, rp->audit->start_ns);
	if (ev->kind == FM_EXEC && !(ev->flags & FM_EV_FAILED))
		proc_set_exe(p, rp->file);
	cgroup = cgroup_path(a, rp->audit->cgroup_id, ev->pid);
	subj.uid = rp->audit->uid;
	subj.auid = rp->audit->auid;
	subj.exe = p ? p->exe : NULL;
	subj.cgroup = cgroup;
	subj.paths[0] = main_path(ev, rp, &kernel);
	if (ev->kind == FM_RENAME || ev->kind == FM_LINK)
		subj.paths[subj.paths[0] ? 1 : 0] = rp->named[0];
	if (audit_config_wants(a->cfg, &subj))
		write_event(a, ev, rp, p, cgroup);
	else
		a->filtered++;
	if (ev->kind == FM_EXIT)
		proc_end(a, ev->pid);
}

static void on_malformed(struct output *base)
{
	((struct audit *)base)->malformed++;
}

/*
 * Lines the writer lost (a full disk) are told in the stream by a line that
 * can itself be lost.  The report is handed over only once every line
 * before it is written or counted lost (drained), and alone: the consumer
 * holds (on_full) and on_flush writes nothing until it is drained too.  If
 * no line was lost meanwhile the report went in and its lines are told; if
 * one was, it was the report, and the next report covers it with the rest.
 * So the writer's counts in the stream add up to exactly what it lost; only
 * a line written outside the consumer while a report is out (a lifecycle
 * line, the records of the last drain at exit) can make them add up to
 * more, never to less.  True while the consumer should wait.
 */
static bool writer_report_step(struct audit *a)
{
	unsigned long long lost;

	if (!a->report_out && mono_ms() < a->writer_retry_ms)
		return false;
	if (!audit_file_drained(a->file))
		return true;
	lost = audit_file_lost(a->file);
	if (a->report_out && lost == a->writer_reported)
		a->writer_told = lost;
	else if (a->report_out) /* the disk is still full: try again later, not in a loop */
		a->writer_retry_ms = mono_ms() + WRITER_RETRY_MS;
	a->writer_due = lost > a->writer_told;
	if (a->report_out || !a->writer_due) {
		a->report_out = false;
		return false;
	}
	write_lost(a, lost - a->writer_told, "writer", NULL);
	audit_file_flush(a->file);
	a->writer_reported = lost;
	a->report_out = true;
	return true;
}

static void on_flush(struct output *base, bool whole)
{
	struct audit *a = (struct audit *)base;
	long long now = a->nholes ? mono_ms() : 0;

	if (a->report_out && writer_report_step(a))
		return; /* the writer's report is alone in flight */
	for (int i = a->nholes - 1; i >= 0 && whole; i--) /* (a held drain left records in the ring) */
		if (a->holes[i].old && now - a->holes[i].born_ms >= HOLE_AGE_MS)
			hole_report(a, i);
		else
			a->holes[i].old = true;
	if (a->malformed > a->malformed_told) {
		write_lost(a, a->malformed - a->malformed_told, "records", NULL);
		a->malformed_told = a->malformed;
	}
	if (a->journal_lost > a->journal_told) { /* the stream says what the journal missed */
		unsigned long long n = a->journal_lost - a->journal_told;

		a->journal_told = a->journal_lost;
		a->journal = false; /* (not to the journal, which is what failed) */
		write_lost(a, n, "journal", NULL);
		a->journal = true;
	}
	a->realtime_off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	audit_file_flush(a->file);
	if (audit_file_lost(a->file) > a->writer_told)
		a->writer_due = true; /* reported by on_full, once the writer is drained */
}

static bool on_full(struct output *base)
{
	struct audit *a = (struct audit *)base;

	if ((a->writer_due || a->report_out) && writer_report_step(a))
		return true;
	return audit_file_full(a->file);
}

static const struct output_ops audit_ops = { .record = on_record, .malformed = on_malformed, .flush = on_flush,
					     .full = on_full };

/* What the audit and a session's renderer share: the line buffer, who
 * and where this machine is.  NULL without memory. */
static struct audit *audit_new(void)
{
	struct audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base.ops = &audit_ops;
	if (gethostname(a->host, sizeof(a->host) - 1))
		strcpy(a->host, "unknown");
	read_line_of("/proc/sys/kernel/random/boot_id", a->boot_id, sizeof(a->boot_id));
	cgroup2_root(a->cgroup_root, sizeof(a->cgroup_root));
	a->realtime_off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	return a;
}

static void audit_free(struct audit *a)
{
	journal_entry_free(&a->je);
	if (a->journal)
		journal_close();
	jb_free(&a->line);
	proc_free_all(a);
	cgroup_free_all(a);
	free(a);
}

int audit_open(struct audit **out, const struct audit_config *cfg, const char *out_path)
{
	struct audit *a;

	if (out_path && strcmp(out_path, "-") != 0) {
		fm_error("-o with --audit takes a directory through the configuration, or '-': %s", out_path);
		return -1;
	}
	if (!(a = audit_new()))
		return -1;
	a->cfg = cfg;
	a->journal = cfg->journal != JOURNAL_OFF && journal_available();
	if (audit_file_open(&a->file, out_path ? NULL : cfg->log_dir, cfg->rotate_size, cfg->rotate_keep)) {
		audit_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

struct audit *audit_render_new(void)
{
	return audit_new();
}

bool audit_render_event(struct audit *a, FILE *out, const struct fm_event *ev, const struct record_paths *rp)
{
	struct proc *p;

	if (!rp->audit)
		return false;
	if (++a->events % 4096 == 0)
		a->realtime_off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	p = proc_get(a, ev->pid, rp->audit->start_ns);
	if (ev->kind == FM_EXEC && !(ev->flags & FM_EV_FAILED))
		proc_set_exe(p, rp->file);
	a->direct = out;
	write_event(a, ev, rp, p, cgroup_path(a, rp->audit->cgroup_id, ev->pid));
	a->direct = NULL;
	if (ev->kind == FM_EXIT)
		proc_end(a, ev->pid);
	return true;
}

void audit_render_note(struct audit *a, FILE *out, const char *action, pid_t pid, const char *message,
		       long long lost)
{
	struct jbuf *f = &a->line;

	put_state_head(f, lost > 0 ? "alert" : "state", action);
	if (pid > 0) {
		put_num(f, ",\"process\":{\"pid\":", (unsigned long long)pid);
		jb_putc(f, '}');
	}
	if (message)
		put_kv(f, "message", message);
	put_host(a, f);
	put_num(f, ",\"filemond\":{\"schema\":", AUDIT_SCHEMA);
	if (lost >= 0) {
		put_num(f, ",\"lost\":{\"count\":", (unsigned long long)lost);
		JB_LIT(f, ",\"where\":\"session\"}");
	}
	jb_putc(f, '}');
	a->direct = out;
	line_end(a);
	a->direct = NULL;
}

void audit_render_free(struct audit *a)
{
	if (a)
		audit_free(a);
}

struct output *audit_output(struct audit *a)
{
	return &a->base;
}

void audit_reopen(struct audit *a)
{
	audit_file_reopen(a->file);
}

void audit_status(const struct audit *a, FILE *f)
{
	fprintf(f, "audit: %llu events written to %s, %llu filtered out, lost: %llu in the ring, %llu malformed, %llu not written, %llu not taken by journald\n",
		a->events, audit_file_path(a->file), a->filtered, a->lost_ring, a->malformed, audit_file_lost(a->file),
		a->journal_lost);
}

void audit_end_holes(struct audit *a)
{
	for (int i = a->nholes - 1; i >= 0; i--)
		hole_report(a, i);
}

void audit_close(struct audit *a, unsigned long long *lost)
{
	unsigned long long writer = 0;

	if (!a)
		return;
	audit_end_holes(a);
	a->writer_retry_ms = 0; /* one last try */
	for (int ms = 0; ms < CLOSE_REPORT_MS && (a->writer_due || a->report_out) && writer_report_step(a); ms++)
		usleep(1000);
	on_flush(&a->base, true);
	audit_file_close(a->file, &writer);
	*lost += a->lost_ring + a->malformed + writer;
	audit_free(a);
}

void audit_lifecycle(struct audit *a, const char *action, const char *message)
{
	struct jbuf *f = &a->line;

	put_state_head(f, "state", action);
	put_kv(f, "message", message);
	put_host(a, f);
	put_num(f, ",\"filemond\":{\"schema\":", AUDIT_SCHEMA);
	jb_putc(f, '}');
	line_end(a);
	audit_file_flush(a->file);
	if (!a->journal)
		return;
	for (size_t i = 0; i < sizeof(lifecycle_ids) / sizeof(lifecycle_ids[0]); i++)
		if (strcmp(action, lifecycle_ids[i].action) == 0) {
			journal_begin(a, 6, lifecycle_ids[i].id);
			journal_addf(&a->je, "MESSAGE", "audit: %s", message);
			journal_str(a, "FILEMOND_ACTION", action);
			journal_str(a, "FILEMOND_LOG", audit_file_path(a->file));
			journal_end(a);
		}
}

void audit_set_config(struct audit *a, const struct audit_config *cfg)
{
	a->cfg = cfg;
	a->journal = cfg->journal != JOURNAL_OFF && journal_available();
	audit_file_set_rotation(a->file, cfg->rotate_size, cfg->rotate_keep);
}

void audit_counts(const struct audit *a, unsigned long long *events, unsigned long long *lost)
{
	*events = a->events;
	*lost = a->lost_ring + a->malformed + audit_file_lost(a->file) + a->journal_lost;
}
