// SPDX-License-Identifier: BSD-2-Clause
/* Open-flag classification: only the access mode decides R/W (FreeBSD filemon rule). */
#include <fcntl.h>

#include "check.h"
#include "filemon_log.h"

int main(void)
{
	CHECK(open_records(O_RDONLY) == OPEN_R);
	CHECK(open_records(O_WRONLY) == OPEN_W);
	CHECK(open_records(O_RDWR) == (OPEN_R | OPEN_W));
	CHECK(open_records(O_ACCMODE) == OPEN_W); /* 3: ioctl-only opens */
	/* Creation and truncation flags do not matter. */
	CHECK(open_records(O_RDONLY | O_CREAT) == OPEN_R);
	CHECK(open_records(O_WRONLY | O_CREAT | O_TRUNC) == OPEN_W); /* creat(2) */
	CHECK(open_records(O_WRONLY | O_APPEND) == OPEN_W);
	CHECK(open_records(O_RDWR | O_CREAT | O_EXCL) == (OPEN_R | OPEN_W));
	/* O_PATH has access bits 0: R, like a directory open. */
	CHECK(open_records(O_PATH | O_DIRECTORY) == OPEN_R);
	CHECK(open_records(O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY) == OPEN_R);
	/* openat2 passes a 64-bit how.flags; the high bits are ignored. */
	CHECK(open_records(0x100000000ULL | O_WRONLY) == OPEN_W);
	return check_summary("openflags");
}
