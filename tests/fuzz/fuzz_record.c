// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_record - libFuzzer harness for ring-record decoding.
 *
 * The input is one ring record as the BPF side lays it out: a struct
 * fm_event header (include/filemond.h) and its data[] segments.  It gets
 * the header check the consumer's ring callback makes before decoding
 * (record_header_valid, src/record.c), then record_paths_decode(); a record
 * that decodes is rendered with fmout_render() into a filemon_log whose
 * output is kept in memory, and every line written must be one
 * well-formed filemon record:
 *
 *   - not empty, and ends in '\n' (the output's last byte too);
 *   - no byte < 0x20 or 0x7f in it but that final '\n';
 *   - "# ..." (a comment), or "<L> <pid> <field>" with L one of the
 *     record letters, pid the record's pid as a decimal, and a non-empty
 *     field; for M and L the field is 'a' 'b', quotes only there.
 *
 * Any violation prints the line and aborts.
 *
 * src/ API used: record_header_valid(), record_paths_decode(), struct
 * record_paths (record.h); fmout_render() (output_filemon.h); struct
 * filemon_log (filemon_log.h) -- only
 * in mem_log_open()/mem_log_take() below.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filemon_log.h"
#include "filemond.h"
#include "output_filemon.h"
#include "record.h"

/*
 * The one place that knows where a filemon_log writes.  Today it writes
 * to log->fp, a stdio stream, so that is an open_memstream().  If the log
 * gets an internal buffer, change these two functions only.
 */
static char *mem_buf;
static size_t mem_len;

static void mem_log_open(struct filemon_log *log)
{
	memset(log, 0, sizeof(*log));
	log->fp = open_memstream(&mem_buf, &mem_len);
	if (!log->fp)
		abort();
}

/* The bytes written; the caller frees *buf. */
static void mem_log_take(struct filemon_log *log, char **buf, size_t *len)
{
	if (fclose(log->fp) != 0)
		abort();
	log->fp = NULL;
	*buf = mem_buf;
	*len = mem_len;
	mem_buf = NULL;
	mem_len = 0;
}

static void bad(const char *why, const char *line, size_t n)
{
	fprintf(stderr, "fuzz_record: %s: \"", why);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fprintf(stderr, "\"\n");
	abort();
}

/* One line, without its '\n'. */
static void check_line(const char *line, size_t n, uint32_t pid)
{
	char want_pid[16];
	size_t plen, i;
	const char *field;
	size_t flen;

	if (n == 0)
		bad("empty line", line, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] == 0x7f)
			bad("control byte in a line", line, n);
	if (line[0] == '#')
		return;
	if (!strchr("FEXRWACDML", line[0]) || n < 2 || line[1] != ' ')
		bad("no record letter", line, n);
	plen = (size_t)snprintf(want_pid, sizeof(want_pid), "%d", (int)pid);
	if (n < 2 + plen || memcmp(line + 2, want_pid, plen) != 0)
		bad("not the record's pid", line, n);
	if (n < 2 + plen + 1 || line[2 + plen] != ' ')
		bad("no space after the pid", line, n);
	field = line + 2 + plen + 1;
	flen = n - (2 + plen + 1);
	if (flen == 0)
		bad("no field after the pid", line, n);
	if (line[0] == 'M' || line[0] == 'L') {
		/* 'a' 'b': exactly four quotes, at the ends and around the middle space */
		size_t q[4], nq = 0;

		for (i = 0; i < flen; i++)
			if (field[i] == '\'') {
				if (nq == 4)
					bad("quote inside a quoted path", line, n);
				q[nq++] = i;
			}
		if (nq != 4 || q[0] != 0 || q[3] != flen - 1 || q[2] != q[1] + 2 || field[q[1] + 1] != ' ')
			bad("not 'a' 'b'", line, n);
	}
}

static void check_output(const char *buf, size_t len, uint32_t pid)
{
	size_t start = 0;

	if (len == 0)
		return;
	if (buf[len - 1] != '\n')
		bad("output does not end in a newline", buf, len);
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t n = (size_t)(nl - (buf + start));

		check_line(buf + start, n, pid);
		start += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record_paths rp; /* ~24 KiB: not on the stack */
	struct fm_event *ev;
	struct filemon_log log;
	char *out;
	size_t out_len;

	/* As the consumer does before decoding: header whole, kind known. */
	if (size < FM_EVENT_HDR_SIZE)
		return 0;
	/* A copy of exactly size bytes: reads past the record are caught. */
	ev = malloc(size);
	if (!ev)
		abort();
	memcpy(ev, data, size);
	if (ev->session >= FM_MAX_SESSIONS || !record_header_valid(ev, size) || record_paths_decode(&rp, ev, size) != 0) {
		free(ev);
		return 0;
	}
	mem_log_open(&log);
	fmout_render(&log, ev, &rp);
	mem_log_take(&log, &out, &out_len);
	check_output(out, out_len, ev->pid);
	free(out);
	free(ev);
	return 0;
}
