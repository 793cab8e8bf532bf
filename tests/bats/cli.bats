#!/usr/bin/env bats
# The command line: options, errors, exit statuses, log format, cleanup.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	LOG=$BATS_TEST_TMPDIR/log
}

@test "--help and --version" {
	run "$FILEMOND" --help
	assert_success
	assert_output --partial "usage: filemond"
	run "$FILEMOND" --version
	assert_success
	assert_output --regexp '^filemond [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "usage errors: one line, status 64" {
	run "$FILEMOND"
	assert_equal "$status" 64
	assert_output --regexp '^filemond: no command given'
	run "$FILEMOND" --ring-size 3000 -- true
	assert_equal "$status" 64
	assert_output "filemond: --ring-size must be a power of two from 4096 to 1G: '3000'"
	run "$FILEMOND" --max-procs 0 -- true
	assert_equal "$status" 64
	run "$FILEMOND" --bogus -- true
	assert_equal "$status" 64
	# a pid takes no size suffix: 1k is no process id (not pid 1024)
	run "$FILEMOND" --pid 1k
	assert_equal "$status" 64
	assert_output "filemond: --pid needs a process id: '1k'"
}

@test "unwritable log: one line, status 125, command not run" {
	run "$FILEMOND" -o /nonexistent/dir/log -- touch "$BATS_TEST_TMPDIR/ran"
	assert_equal "$status" 125
	assert_output "filemond: cannot open log '/nonexistent/dir/log': No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "log write failure is reported: status 125" {
	run "$FILEMOND" -o /dev/full -- true
	assert_equal "$status" 125
	assert_output --partial "filemond: cannot write log '/dev/full'"
}

@test "command not found: 127; not executable: 126; the log stays well-formed" {
	run -127 "$FILEMOND" -o "$LOG" -- /nonexistent/cmd
	assert_output --partial "filemond: cannot execute '/nonexistent/cmd': No such file or directory"
	assert_wellformed "$LOG"
	echo data >"$BATS_TEST_TMPDIR/noexec"
	chmod 0644 "$BATS_TEST_TMPDIR/noexec"
	run -126 "$FILEMOND" -o "$LOG" -- "$BATS_TEST_TMPDIR/noexec"
	assert_output --partial "Permission denied"
	assert_wellformed "$LOG"
}

@test "without -o the log goes to standard error" {
	run --separate-stderr "$FILEMOND" -- sh -c 'echo out'
	assert_success
	assert_output "out"
	[[ "$stderr" == "# filemon version 5"* ]]
	[[ "$stderr" == *"# Bye bye" ]]
}

@test "header, Target pid of filemond, trailer" {
	"$FILEMOND" -o "$LOG" -- true &
	fpid=$!
	wait $fpid
	assert_wellformed "$LOG"
	grep -qxF "# Target pid $fpid" "$LOG"
	[ "$(grep -c '^E ' "$LOG")" -eq 1 ]
	grep -qE '^X [0-9]+ 0 0$' "$LOG"
}

@test "no BPF programs or tracefs mounts are left behind" {
	wait_no_filemond_progs # earlier tests' detachers
	mounts=$(grep -c tracefs /proc/self/mountinfo || true)
	"$FILEMOND" -o "$LOG" -- true
	wait_no_filemond_progs
	assert_equal "$(filemond_prog_count)" 0
	assert_equal "$(grep -c tracefs /proc/self/mountinfo || true)" "$mounts"
}

@test "after exit the programs are gone at once; one filemond-linger holds only perf events, then leaves" {
	wait_no_lingerer # earlier tests'
	"$FILEMOND" --standalone -o "$LOG" -- true
	run pgrep -x filemond-linger
	assert_success
	assert_equal "${#lines[@]}" 1
	linger=${lines[0]}
	wait_no_filemond_progs
	assert_equal "$(filemond_prog_count)" 0
	sleep 1 # past its "programs off" message to a filemond that is gone
	kill -0 "$linger" # still there: it holds the tracepoints for 5 s
	run sh -c "ls -l /proc/$linger/fd | awk 'NR > 1 && \$(NF - 2) + 0 > 2 {print \$NF}' | sort | uniq -c"
	assert_output --regexp '^ *[0-9]+ anon_inode:\[perf_event\]$'
	wait_no_lingerer
	run pgrep -x filemond-linger
	assert_failure
}

@test "standalone runs started back to back each record their command" {
	for i in 1 2 3; do "$FILEMOND" --standalone -o "$LOG.$i" -- cat /etc/hostname >/dev/null; done
	for i in 1 2 3; do grep -qE '^R [0-9]+ /etc/hostname$' "$LOG.$i"; done
}

@test "works with tracefs unmounted, and mounts nothing" {
	# A private mount namespace, so the system's tracefs is not touched.
	run unshare -m sh -c '
		umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null
		grep -q " tracefs " /proc/self/mountinfo && { echo "still mounted"; exit 9; }
		"$FILEMOND" -o "$0" -- cat /etc/hostname >/dev/null || exit $?
		grep -c " tracefs " /proc/self/mountinfo' "$LOG"
	assert_output "0"
	grep -qE '^R [0-9]+ /etc/hostname$' "$LOG"
}

@test "the traced command does not inherit filemond's descriptors" {
	# filemond's own are BPF objects, epoll, signalfd, perf events and the log
	run "$FILEMOND" -o "$LOG" -- ls -l /proc/self/fd/
	assert_success
	assert_output --partial ' 0 -> '
	refute_output --partial 'anon_inode'
	refute_output --partial "$LOG"
}
