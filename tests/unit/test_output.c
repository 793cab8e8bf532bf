// SPDX-License-Identifier: BSD-2-Clause
/*
 * The filemon output as the consumer drives it, and what reaches the
 * session's result: records before the log are lost, malformed ones are
 * malformed, both counted (never dropped silently); after the log is set,
 * records are lines.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "session.h"

int main(void)
{
	static struct session s; /* not attached: slot -1, no tracer needed */
	static struct record_paths rp;
	struct fm_event ev = { .kind = FM_FORK, .pid = 10, .aux = 11 }; /* F 10 11 */
	struct session_result r;
	char path[] = "/tmp/test_output.XXXXXX", buf[4096];
	int fd = mkstemp(path);
	ssize_t n;

	memset(&s, 0, sizeof(s));
	s.slot = -1;
	fmout_init(&s.out);
	/* before the log: counted lost */
	s.out.base.ops->record(&s.out.base, &ev, &rp);
	s.out.base.ops->record(&s.out.base, &ev, &rp);
	s.out.base.ops->malformed(&s.out.base);
	s.out.base.ops->flush(&s.out.base, true);
	session_result(&s, NULL, &r);
	CHECK(r.lost == 2 && r.malformed == 1 && r.unresolved == 0 && r.untraced == 0);

	/* with a log: lines, and the end writes what was lost in all */
	CHECK(fd >= 0 && session_set_log(&s, NULL, fd, -1, false) == 0);
	s.out.base.ops->record(&s.out.base, &ev, &rp);
	s.out.base.ops->malformed(&s.out.base);
	s.out.base.ops->flush(&s.out.base, true);
	session_end_log(&s);
	CHECK(session_finish(&s, &r) == 0);
	CHECK(r.lost == 2 && r.malformed == 2);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "\nF 10 11\n") != NULL);
	CHECK(strstr(buf, "\n# lost 4 events\n# Stop ") != NULL);
	close(fd);
	unlink(path);
	return check_summary("output");
}
