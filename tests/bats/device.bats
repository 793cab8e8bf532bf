#!/usr/bin/env bats
# /dev/filemon (src/device.c): FreeBSD's device and ioctls, served by the
# daemon: a CUSE device where the kernel has CUSE (the 6.1 and 6.12
# guests), else a FUSE file (this machine).  The consumers are an unpatched bmake built from
# Debian's source with --with-filemon=dev against include/dev/filemon/
# filemon.h (tests/lib/bmake-filemon.sh), Debian's meta2deps.py and
# meta2deps.sh, and tests/prog/fmdev.c for each errno rule.  Ground truth:
# gcc's own -MD dependency files, the build's own record of what it ran
# (built.log, written by each rule), fmtest's truth, strace-free.

bats_require_minimum_version 1.5.0

DEV=/dev/filemon
TEST_USER=filemond-test
MK=/usr/share/bmake/mk-bmake

setup_file() {
	load helpers
	[ ! -e "$DEV" ] || fail "$DEV exists already: these tests serve it themselves"
	BMAKE=$("$ROOT/tests/lib/bmake-filemon.sh" "$ROOT/include/dev/filemon/filemon.h") ||
		fail "could not build bmake with filemon support"
	export BMAKE
	export PUB=$(mktemp -d /tmp/filemond-device-test.XXXXXX)
	chmod 0755 "$PUB"
	export SOCK=$PUB/fm.sock
	"$FILEMOND" --daemon --socket "$SOCK" --device "$DEV" 2>"$PUB/daemon.err" &
	export DAEMON_PID=$!
	for _ in $(seq $((200 * TIME_SCALE))); do device_up && break; sleep 0.05; done
	device_up || fail "the daemon did not serve $DEV: $(cat "$PUB/daemon.err")"
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
		touch "$PUB/created-user"
	fi
	# bmake ignores what is read under /tmp: the trees live elsewhere
	export TREES=$(mktemp -d /var/lib/filemond-bmake-test.XXXXXX)
}

teardown_file() {
	kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -e "$PUB/created-user" ] && userdel "$TEST_USER"
	rm -rf "$PUB" "$TREES"
}

setup() {
	load helpers
	FMDEV=$ROOT/build/tests/fmdev
	D=$BATS_TEST_TMPDIR
	echo data >"$D/f"
}

# Processes a test starts: killed in teardown even when it fails.
teardown() {
	local p
	for p in $(cat "$BATS_TEST_TMPDIR/pids" 2>/dev/null); do
		{ kill -9 "$p" && wait "$p"; } 2>/dev/null
	done
	true
}

# CUSE where the kernel has it (/dev/cuse), else a FUSE file (device.c).
cuse_expected() { [ -w /dev/cuse ] && [ -z "${FILEMOND_NO_CUSE:-}" ]; }
device_up() { [ -c "$DEV" ] || findmnt -n "$DEV" >/dev/null 2>&1; }

as_user() { setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups "$@"; }

# The tracer map's entries, counted by bpftool (not by filemond).
tracer_entries() {
	bpftool map dump name tracees -j 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

wait_tracer_entries_zero() {
	for _ in $(seq $((100 * TIME_SCALE))); do
		[ "$(tracer_entries)" = 0 ] && return 0
		sleep 0.1
	done
	fail "the tracer map still has $(tracer_entries) entries"
}

# A multi-directory C project: include/common.h is used by both lib/ and
# app/, lib/lib.h by both, app/app.h by app only; the top Makefile runs a
# nested bmake (.MAKE) in each directory.  Every compile rule notes what
# it built in built.log and writes gcc's own dependency file (-MD).
make_tree() {
	local t=$1
	mkdir -p "$t/include" "$t/lib" "$t/app"
	echo '#define COMMON 1' >"$t/include/common.h"
	echo 'int lib_value(void);' >"$t/lib/lib.h"
	printf '#include "../include/common.h"\n#include "lib.h"\nint lib_value(void) { return COMMON; }\n' >"$t/lib/lib.c"
	echo '#define APP 2' >"$t/app/app.h"
	printf '#include <stdio.h>\n#include "../include/common.h"\n#include "../lib/lib.h"\n#include "app.h"\nint main(void) { printf("%%d\\n", lib_value() + APP); return 0; }\n' >"$t/app/main.c"
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'all: lib.o' 'lib.o: lib.c' \
		'	@echo lib/$@ >>../built.log' '	cc -MD -c lib.c -o lib.o' >"$t/lib/Makefile"
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'all: prog' 'main.o: main.c' \
		'	@echo app/$@ >>../built.log' '	cc -MD -c main.c -o main.o' \
		'prog: main.o ../lib/lib.o' '	@echo app/$@ >>../built.log' '	cc main.o ../lib/lib.o -o prog' >"$t/app/Makefile"
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'all: app-all' \
		'lib-all: .MAKE .META' '	cd lib && ${.MAKE} -r' \
		'app-all: .MAKE .META lib-all' '	cd app && ${.MAKE} -r' >"$t/Makefile"
}

# build TREE [-jN]: run bmake there; $status, $output; built.log holds what ran.
build() {
	local t=$1
	shift
	: >"$t/built.log"
	run -- bash -c 'cd "$1" && shift && "$BMAKE" -r -dM "$@" 2>&1' _ "$t" "$@"
	BUILT=$(sort "$t/built.log" | tr '\n' ' ')
}

# assert_built "WHAT ": what the last build ran, or why bmake thought otherwise (-dM).
assert_built() {
	[ "$BUILT" = "$1" ] || fail "built '$BUILT', expected '$1'; bmake said:
$(grep -v '^Skipping meta' <<<"$output" | head -40)"
}

# Every header gcc's dependency file names is an R record of the .meta
# (compared by real path), inside its filemon section.
assert_meta_has_deps() {
	local meta=$1 dfile=$2 dir h
	dir=$(dirname "$meta")
	grep -q '^-- filemon acquired metadata --$' "$meta" || fail "$meta has no filemon section"
	sed -n '/^-- filemon acquired metadata --$/,$p' "$meta" | grep -qx 'V 5' || fail "$meta: no V 5"
	sed -n '/^-- filemon acquired metadata --$/,$p' "$meta" | sed -n 's/^R [0-9]* //p' |
		while read -r p; do realpath -m "$p"; done | sort -u >"$meta.reads"
	for h in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dfile"); do
		h=$(cd "$dir" && realpath -m "$h")
		grep -qxF "$h" "$meta.reads" || fail "$meta lacks R of $h (in $dfile)"
	done
	rm -f "$meta.reads"
}

# bmake compares mtimes in whole seconds: let one pass before a touch.
touch_later() {
	sleep 1.1
	touch "$@"
}

@test "the device: everybody's (0666), CUSE or a FUSE file as the kernel allows, named in --status" {
	run "$FILEMOND" --status --socket "$SOCK"
	assert_success
	echo "# $(grep '^device: ' <<<"$output")" >&3
	if cuse_expected; then
		assert_line "device: $DEV (CUSE character device)"
		run stat -c '%F %a %U' "$DEV"
		assert_output "character special file 666 root"
	else
		assert_line "device: $DEV (FUSE file)"
		run stat -c '%F %a %U' "$DEV"
		assert_output "regular empty file 666 root"
		run findmnt -no FSTYPE "$DEV"
		assert_output "fuse.filemon"
	fi
	# an unprivileged user opens it too
	run as_user "$FMDEV" "$DEV" close
	assert_output "close OK"
}

@test "FILEMON_SET_FD: EBADF, EINVAL, EEXIST as on FreeBSD; unknown ioctls EINVAL" {
	run "$FMDEV" "$DEV" fd:-1 fd:999 "ro:$D/f" eventfd "log:$D/log" "log:$D/log2" badioctl close
	assert_success
	assert_output "fd:-1 EBADF
fd:999 EBADF
ro:$D/f EBADF
eventfd EINVAL
log:$D/log OK
log:$D/log2 EEXIST
badioctl EINVAL
close OK"
	[ "$(head -1 "$D/log")" = "# filemon version 5" ]
	[ ! -s "$D/log2" ]
}

@test "FILEMON_SET_PID: ESRCH, EPERM (ptrace's rule), EBUSY (another session's process)" {
	sleep 60 &
	local s=$!
	echo "$s" >>"$D/pids"
	run "$FMDEV" "$DEV" "log:$D/log" pid:999999999 pid:0 "pid:$s" "2:log:$D/log2" "2:pid:$s" "pid:$s" close
	assert_output "log:$D/log OK
pid:999999999 ESRCH
pid:0 ESRCH
pid:$s OK
2:log:$D/log2 OK
2:pid:$s EBUSY
pid:$s OK
close OK"
	local u=$PUB/u$BATS_TEST_NUMBER
	mkdir -m 0777 "$u"
	run as_user "$FMDEV" "$DEV" "log:$u/log" pid:1 "pid:$s" close
	assert_output "log:$u/log OK
pid:1 EPERM
pid:$s EPERM
close OK"
}

@test "SET_PID is synchronous: a child that calls it on itself and execs at once is logged from its exec" {
	run env FMTEST_FD=9 "$FMDEV" "$DEV" "log:$D/log" "run:$FMTEST,open:$D/f,fork:open:$D/f,openw:$D/w" close 9>"$D/truth"
	assert_success
	assert_line "close OK"
	child=$(sed -n 's/^pid run //p' <<<"$output")
	assert_wellformed "$D/log"
	assert_order "$D/log"
	assert_truth_in_log "$D/truth" "$D/log"
	# the first record is the child's exec of fmtest
	[ "$(grep -v '^#' "$D/log" | sed -n 2p)" = "E $child $FMTEST" ]
}

@test "close detaches a double-forked daemon still running; nothing of it is logged after" {
	run "$FMDEV" "$DEV" "log:$D/log" "daemon:$D/f" close
	assert_line "close OK"
	daemon=$(sed -n 's/^pid daemon //p' <<<"$output")
	[ "$daemon" -gt 0 ]
	echo "$daemon" >>"$D/pids"
	kill -0 "$daemon" || fail "the daemon $daemon is gone (done: $(ls "$D"/f.done 2>&1)); fmdev said: $output"
	grep -q "^F [0-9]* $daemon$" "$D/log" || fail "the daemon was never traced: $(cat "$D/log")"
	wait_tracer_entries_zero
	touch "$D/f.go"
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$D/f.done" ] && break; sleep 0.1; done
	[ -e "$D/f.done" ]
	run grep "^[A-Z] $daemon " "$D/log"
	refute_output --partial "$D/f"
}

@test "bmake -j2 meta mode: every .meta has its job's dependencies; up to date; exactly the dependents rebuilt" {
	local t=$TREES/j2
	make_tree "$t"
	build "$t" -j2
	assert_success
	assert_built "app/main.o app/prog lib/lib.o "
	refute_output --partial "Could not open filemon"
	assert_meta_has_deps "$t/lib/lib.o.meta" "$t/lib/lib.d"
	assert_meta_has_deps "$t/app/main.o.meta" "$t/app/main.d"
	build "$t" -j2
	assert_success
	assert_built ""
	touch_later "$t/app/app.h"
	build "$t" -j2
	assert_built "app/main.o app/prog "
	touch_later "$t/lib/lib.h"
	build "$t" -j2
	assert_built "app/main.o app/prog lib/lib.o "
	touch_later "$t/include/common.h"
	build "$t" -j2
	assert_built "app/main.o app/prog lib/lib.o "
	build "$t" -j2
	assert_built ""
}

@test "bmake compat mode: the same, and a deleted header the build read makes it rebuild and fail" {
	local t=$TREES/compat
	make_tree "$t"
	build "$t"
	assert_success
	assert_built "app/main.o app/prog lib/lib.o "
	assert_meta_has_deps "$t/app/main.o.meta" "$t/app/main.d"
	build "$t"
	assert_built ""
	touch_later "$t/app/app.h"
	build "$t"
	assert_built "app/main.o app/prog "
	# outside the directory each job runs in: a missing file, so out of date
	rm "$t/include/common.h"
	build "$t"
	assert_failure
	assert_built "lib/lib.o "
	assert_output --partial "common.h: No such file or directory"
}

@test "a nested make (.MAKE) logs its jobs in the inner .meta, not the outer one" {
	local t=$TREES/nested
	make_tree "$t"
	build "$t" -j2
	assert_success
	# the outer job ran the inner bmake ...
	grep -qx "E [0-9]* $BMAKE" "$t/lib-all.meta" || fail "lib-all.meta has no E of bmake"
	# ... whose compiler moved to the inner session with its job
	sed -n '/^-- filemon acquired metadata --$/,$p' "$t/lib/lib.o.meta" | grep -q "^R [0-9]* $t/lib/lib.c$" ||
		fail "lib/lib.o.meta lacks the compiler's read of lib.c"
	run grep "^R [0-9]* $t/lib/lib.c$" "$t/lib-all.meta"
	assert_failure
}

@test "Debian's meta2deps.py and meta2deps.sh read the .meta files: app depends on include and lib" {
	local t=$TREES/m2d
	make_tree "$t"
	build "$t" -j2
	assert_success
	# the truth: the directories of the headers gcc says main.c used, outside app/
	want=$(sed -e 's/^[^:]*://' -e 's/\\$//' "$t/app/main.d" | tr ' ' '\n' | grep '^\.\./' |
		sed 's|^\.\./\([^/]*\)/.*|\1|' | sort -u | tr '\n' ' ')
	assert_equal "$want" "include lib "
	run python3 "$MK/meta2deps.py" -S "$t" -R app "$t/app/main.o.meta"
	assert_success
	assert_equal "$(grep '^src:' <<<"$output" | sed 's/^src://' | sort | tr '\n' ' ')" "$want"
	run sh "$MK/meta2deps.sh" -S "$t" "$t/app/main.o.meta"
	assert_success
	assert_equal "$(sed "s|^$t/||" <<<"$output" | sort | tr '\n' ' ')" "$want"
}

@test "kill -9 of bmake mid-job: its sessions end, 0 tracer map entries while the job still runs" {
	local t=$TREES/kill
	mkdir -p "$t"
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'all: slow' 'slow:' \
		"	echo \$\$\$\$ >$t/job.pid; exec sleep 60" >"$t/Makefile"
	(cd "$t" && exec "$BMAKE" -r -j2 >/dev/null 2>&1) &
	local b=$!
	echo "$b" >>"$D/pids"
	for _ in $(seq $((100 * TIME_SCALE))); do [ -s "$t/job.pid" ] && break; sleep 0.1; done
	local job
	job=$(cat "$t/job.pid")
	echo "$job" >>"$D/pids"
	[ "$(tracer_entries)" -gt 0 ]
	kill -9 "$b"
	wait "$b" || true
	wait_tracer_entries_zero
	kill -0 "$job" # the job outlived bmake, untraced
}

@test "a daemon stopping unmounts its device and removes the file it made; a file with content is not covered" {
	local dev=$PUB/dev2
	"$FILEMOND" --daemon --socket "$PUB/fm2.sock" --device "$dev" 2>"$D/err" &
	local p=$!
	echo "$p" >>"$D/pids"
	for _ in $(seq $((200 * TIME_SCALE))); do findmnt -n "$dev" >/dev/null 2>&1 && break; sleep 0.05; done
	run findmnt -no FSTYPE "$dev"
	assert_output "fuse.filemon"
	kill -TERM "$p"
	wait "$p"
	run findmnt -n "$dev"
	assert_failure
	[ ! -e "$dev" ]
	echo keep >"$dev"
	run "$FILEMOND" --daemon --socket "$PUB/fm3.sock" --device "$dev"
	assert_failure
	assert_output --partial "something else is there"
	[ "$(cat "$dev")" = keep ]
	run findmnt -n "$dev"
	assert_failure
}

@test "loss is reported in the log before close returns (# lost ... so far), then in the trailer" {
	local dev=$PUB/dev-loss b=$D/b
	mkdir -p "$b"
	"$FILEMOND" --daemon --socket "$PUB/fm-loss.sock" --device "$dev" --ring-size 4096 2>"$D/err" &
	local p=$!
	echo "$p" >>"$D/pids"
	for _ in $(seq $((200 * TIME_SCALE))); do findmnt -n "$dev" >/dev/null 2>&1 && break; sleep 0.05; done
	"$FMDEV" "$dev" "log:$D/log" "run:sh,-c,$FMTEST waitfor:$D/go burst:$b:20000 && touch $D/done" close >"$D/out" &
	local c=$!
	echo "$c" >>"$D/pids"
	for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^E ' "$D/log" 2>/dev/null && break; sleep 0.05; done
	stall_consumer "$p" "$D/go" "$D/done"
	wait "$c"
	run cat "$D/out"
	assert_line "close OK"
	# what bmake would read right after its close
	grep -qE '^# lost [1-9][0-9]* events so far$' "$D/log" || fail "no loss line in $(tail -5 "$D/log")"
	kill -TERM "$p"
	wait "$p"
	grep -qE '^# lost [1-9][0-9]* events$' "$D/log" || fail "no final loss line: $(tail -5 "$D/log")"
}

@test "the socket's limits hold on the device: a user past --user-sessions is refused at open, root is not" {
	local dev=$PUB/dev-limit u=$PUB/u$BATS_TEST_NUMBER
	mkdir -m 0777 "$u"
	"$FILEMOND" --daemon --socket "$PUB/fm-limit.sock" --device "$dev" --user-sessions 1 2>"$D/err" &
	local p=$!
	echo "$p" >>"$D/pids"
	for _ in $(seq $((200 * TIME_SCALE))); do findmnt -n "$dev" >/dev/null 2>&1 && break; sleep 0.05; done
	# the user's first handle is a session; a second, held at once, is one too many
	run as_user "$FMDEV" "$dev" "log:$u/log" "2:log:$u/log2" close
	assert_failure 2
	assert_line "log:$u/log OK"
	assert_line --partial "Disk quota exceeded"
	# root keeps its slots
	run "$FMDEV" "$dev" "log:$D/log" "2:log:$D/log2" close
	assert_success
	assert_line "2:log:$D/log2 OK"
	kill -TERM "$p"
	wait "$p"
}
