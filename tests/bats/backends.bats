#!/usr/bin/env bats
# The two backends of the CLI (src/cli.c over src/backend_local.c and
# src/backend_remote.c): the same command gives the same log, the same
# warnings and the same exit status whether the session runs in-process
# (--standalone) or in the daemon (--connect).  Each test runs its command
# both ways and compares; each also checks that what was expected is there,
# against something filemond did not write (the shell's own status for the
# command, fmtest's record of what it did, the process tree the test made).
# And the protocol version (src/protocol.h) is checked on both sides.
#
# Logs are compared normalised: the lines that differ per run (# Target
# pid, # Start, # Stop) are dropped, and every pid becomes P1, P2... in the
# order of its first appearance.  The commands run one process at a time
# (fork, then wait), so their records come in one order.

bats_require_minimum_version 1.5.0

setup_file() {
	load helpers
	export SOCK=$BATS_FILE_TMPDIR/fm.sock
	# its cwd in our tree: teardown_file knows its lingerers by it
	(cd "$BATS_FILE_TMPDIR" && exec "$FILEMOND" --daemon --socket "$SOCK" >/dev/null 2>"$BATS_FILE_TMPDIR/daemon.err" 3>&-) &
	export DAEMON_PID=$!
	for _ in $(seq $((200 * TIME_SCALE))); do [ -S "$SOCK" ] && break; sleep 0.05; done
	[ -S "$SOCK" ] || fail "the daemon did not start: $(cat "$BATS_FILE_TMPDIR/daemon.err")"
}

teardown_file() {
	kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	rm -f "$SOCK"
	wait_own_lingerers
}

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR
	cd "$D" || return 1
	echo data >"$D/in"
	: >"$D/pids"
	STANDALONE=(--standalone)
	DAEMON=(--connect --socket "$SOCK")
}

# Stop what the test started (its pids in $D/pids), if still ours: a pid
# whose parent is not this shell is somebody else's by now.
teardown() {
	local p
	touch "$D/go.sa" "$D/go.dm" # release any waiting tree
	for p in $(cat "$D/pids" 2>/dev/null); do
		if [ "$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$p/stat" 2>/dev/null)" = "$BASHPID" ]; then
			kill "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	rm -f "$D"/*.sock
	true
}

track() { echo "$1" >>"$D/pids"; }

# filemond-linger (tracer.c) holds released tracepoints for 5 s after a
# detach, then exits: wait for those of our own filemonds (their cwd is in
# this run's tree), not for other people's.
wait_own_lingerers() {
	local p ours
	for _ in $(seq $((150 * TIME_SCALE))); do
		ours=
		for p in $(pgrep -x filemond-linger); do
			case $(readlink "/proc/$p/cwd" 2>/dev/null) in "$BATS_RUN_TMPDIR"/*) ours=$p ;; esac
		done
		[ -z "$ours" ] && return 0
		sleep 0.1
	done
	echo "# filemond-linger $ours did not exit" >&3
}

# start_daemon SOCK ARGS...: a daemon of the test's own, stopped in teardown.
start_daemon() {
	local sock=$1
	shift
	"$FILEMOND" --daemon --socket "$sock" "$@" >/dev/null 2>"$D/daemon.err" 3>&- &
	track $!
	for _ in $(seq $((200 * TIME_SCALE))); do [ -S "$sock" ] && return 0; sleep 0.05; done
	fail "the daemon on $sock did not start: $(cat "$D/daemon.err")"
}

# backend_run NAME ARGS...: filemond ARGS (a mode, then -- CMD or --pid),
# the log in $D/NAME.log; its stderr in $D/NAME.err, its exit status in
# $D/NAME.status, fmtest's truth in $D/NAME.truth.
backend_run() {
	local name=$1 st=0
	shift
	env FMTEST_FD=9 timeout 30 "$FILEMOND" -o "$D/$name.log" "$@" 9>"$D/$name.truth" 2>"$D/$name.err" || st=$?
	echo "$st" >"$D/$name.status"
}

# run_both CMD...: CMD standalone (sa) and through the daemon (dm).
run_both() {
	backend_run sa "${STANDALONE[@]}" -- "$@"
	backend_run dm "${DAEMON[@]}" -- "$@"
}

# normalise FILE: a log or stderr without the lines that differ per run,
# pids numbered by first appearance: records' pids (and F's child), and
# the pid after "pid", "untraced", "io_uring", "unresolved L" elsewhere.
normalise() {
	awk '
	function p(x) { if (!(x in m)) m[x] = "P" (++n); return m[x] }
	/^# (Target pid|Start|Stop) / { next }
	/^[A-UW-Z] [0-9]+( |$)/ { # a record (V is the version)
		if ($1 == "F") { print "F " p($2) " " p($3); next }
		print $1 " " p($2) substr($0, length($1 " " $2) + 1)
		next
	}
	{
		out = ""
		s = $0
		while (match(s, /(pid|untraced|io_uring|unresolved [A-Z]) [0-9]+/)) {
			tok = substr(s, RSTART, RLENGTH)
			num = tok
			sub(/.* /, "", num)
			sub(/[0-9]+$/, "", tok)
			out = out substr(s, 1, RSTART - 1) tok p(num)
			s = substr(s, RSTART + RLENGTH)
		}
		print out s
	}' "$1"
}

# assert_same: the two runs agree on the log, stderr and exit status.
assert_same() {
	local f
	for f in log err; do
		normalise "$D/sa.$f" >"$D/sa.n$f"
		normalise "$D/dm.$f" >"$D/dm.n$f"
		diff -u "$D/sa.n$f" "$D/dm.n$f" >&2 || fail "standalone and daemon: the $f differs (normalised)"
	done
	[ "$(cat "$D/sa.status")" = "$(cat "$D/dm.status")" ] ||
		fail "exit status: standalone $(cat "$D/sa.status"), daemon $(cat "$D/dm.status")"
}

# assert_status N: both runs exited N.
assert_status() {
	assert_equal "$(cat "$D/sa.status")" "$1"
	assert_equal "$(cat "$D/dm.status")" "$1"
}

@test "files opened, created, renamed, unlinked, a fork, exit 3: same log, stderr and status" {
	local cmd=("$FMTEST" "open:$D/in" "openw:$D/new" "fork:openw:$D/child" "rename:$D/new:$D/new2"
		"unlink:$D/new2" "fork:open:$D/in" exit:3)
	# the truth: what the shell sees of the command itself
	run -3 "${cmd[@]}"
	run_both "${cmd[@]}"
	assert_same
	assert_status 3
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		assert_order "$D/$m.log"
		[ "$(wc -l <"$D/$m.truth")" -eq 10 ] || fail "$m: fmtest wrote $(wc -l <"$D/$m.truth") truth lines"
		assert_truth_in_log "$D/$m.truth" "$D/$m.log"
		grep -qxF "X $(awk 'NR==1 {print $2}' "$D/$m.truth") 3 0" "$D/$m.log"
		[ ! -s "$D/$m.err" ] || fail "$m: stderr: $(cat "$D/$m.err")"
	done
	# the normalised log still has every record (pids only renamed)
	[ "$(grep -vc '^#' "$D/sa.nlog")" -eq "$(grep -vc '^#' "$D/sa.log")" ]
	grep -qxF "V 5" "$D/sa.nlog"
	grep -qxF "M P1 '$D/new' '$D/new2'" "$D/sa.nlog"
	grep -qxF "F P1 P2" "$D/sa.nlog"
	grep -qxF "F P1 P3" "$D/sa.nlog"
}

@test "a command killed by SIGTERM: 143 in both, with the signal in X" {
	local cmd=("$FMTEST" "fork:open:$D/in" "open:$D/in" signal:15)
	run -143 "${cmd[@]}"
	run_both "${cmd[@]}"
	assert_same
	assert_status 143
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		assert_truth_in_log "$D/$m.truth" "$D/$m.log"
		# the parent died of SIGTERM, its child exited 0 (which of the two
		# wrote its truth line first is a race)
		sigs=$(for p in $(awk '{print $2}' "$D/$m.truth" | sort -u); do
			awk -v p="$p" '$1 == "X" && $2 == p {print $3, $4}' "$D/$m.log"; done | sort | tr '\n' ';')
		[ "$sigs" = "0 0;0 15;" ] || fail "$m: X status and signal of the two: $sigs"
	done
	[ ! -s "$D/sa.err" ] || fail "stderr: $(cat "$D/sa.err")"
}

@test "a command not found (127) or not executable (126): the same status and error in both" {
	local nx=no-such-command-$RANDOM$RANDOM
	run ! command -v "$nx"
	run -127 "$nx"
	run_both "$nx"
	assert_same
	assert_status 127
	grep -qxF "filemond: cannot execute '$nx': No such file or directory" "$D/sa.err"
	[ "$(wc -l <"$D/sa.err")" -eq 1 ]
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		grep -qE '^X [0-9]+ 127 0$' "$D/$m.log"
		run -1 grep '^E ' "$D/$m.log" # nothing was executed
	done

	printf '#!/bin/sh\nexit 0\n' >"$D/noexec"
	chmod 0644 "$D/noexec"
	run -126 "$D/noexec"
	run_both "$D/noexec"
	assert_same
	assert_status 126
	grep -qxF "filemond: cannot execute '$D/noexec': Permission denied" "$D/sa.err"
	grep -qE '^X [0-9]+ 126 0$' "$D/dm.log"
}

@test "io_uring: both logs name the process and both warn 'processes used io_uring'" {
	local cmd=("$FMTEST" "open:$D/in" iouring "fork:open:$D/in" exit:0)
	run -0 "${cmd[@]}" # io_uring works here (fmtest dies if it does not)
	run_both "${cmd[@]}"
	assert_same
	assert_status 0
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		pid=$(awk '$1 == "#" && $2 == "io_uring" {print $3}' "$D/$m.truth")
		[ -n "$pid" ] || fail "$m: fmtest did not record its io_uring"
		grep -vF '# io_uring' "$D/$m.truth" >"$D/$m.truth-files"
		assert_truth_in_log "$D/$m.truth-files" "$D/$m.log"
		grep -qxF "# io_uring $pid: file operations submitted through io_uring are not recorded" "$D/$m.log" ||
			fail "$m: no '# io_uring $pid' line"
		grep -qxF "filemond: warning: 1 processes used io_uring: what they did through it is not in the log" \
			"$D/$m.err" || fail "$m: no io_uring warning: $(cat "$D/$m.err")"
		[ "$(wc -l <"$D/$m.err")" -eq 1 ]
	done
}

@test "a path past PATH_MAX: both flag it unresolved, exit 123, say '0 events lost, 1 paths unresolved'" {
	# the command's cwd: a directory of about 3950 bytes (a cwd the kernel
	# still names); in it, it creates SUB/f0, whose path is past PATH_MAX
	local comp sub rel="" pad
	comp=$(printf 'd%.0s' $(seq 200))
	sub=$(printf 's%.0s' $(seq 200))
	while [ $((${#D} + 1 + ${#rel} + 201)) -lt 3950 ]; do rel=${rel:+$rel/}$comp; done
	pad=$((3950 - ${#D} - 1 - ${#rel} - 1))
	if [ "$pad" -gt 0 ]; then rel=$rel/$(printf 'e%.0s' $(seq "$pad")); fi
	mkdir -p "$rel/$sub"
	[ $((${#D} + 1 + ${#rel} + 1 + ${#sub} + 3)) -gt 4096 ]
	local cmd=("$FMTEST" "open:$D/in" "burst:$sub:1" "open:$D/in" exit:0)
	(cd "$rel" && "${cmd[@]}") || fail "the command alone failed"
	for m in sa dm; do
		(cd "$rel" && rm "$sub/f0")
		if [ $m = sa ]; then
			(cd "$rel" && backend_run sa "${STANDALONE[@]}" -- "${cmd[@]}")
		else
			(cd "$rel" && backend_run dm "${DAEMON[@]}" -- "${cmd[@]}")
		fi
		(cd "$rel" && [ -e "$sub/f0" ]) || fail "$m: the command did not create its file"
	done
	assert_same
	assert_status 123
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		[ "$(wc -l <"$D/$m.truth")" -eq 2 ]
		assert_truth_in_log "$D/$m.truth" "$D/$m.log"
		pid=$(awk 'NR == 1 {print $2}' "$D/$m.truth")
		# the open of SUB/f0 (O_WRONLY|O_CREAT: W), flagged and not cut
		[ "$(grep -cxE "# unresolved W $pid: path longer than PATH_MAX" "$D/$m.log")" -eq 1 ] ||
			fail "$m: not one '# unresolved ... $pid' line"
		[ "$(grep -c '^# unresolved' "$D/$m.log")" -eq 1 ]
		if grep -qF "$sub" "$D/$m.log"; then fail "$m: the long path is in the log (cut?)"; fi
		grep -qxF "X $pid 0 0" "$D/$m.log"
		run cat "$D/$m.err"
		assert_output "filemond: warning: 0 events lost, 1 paths unresolved: the log is incomplete (command exit status 0)"
	done
}

# pid_tree_run NAME ARGS...: a tree of a root sh and 3 fmtest children that
# wait for $D/go.NAME, traced by filemond ARGS --pid ROOT; released once the
# log says the attach is complete.  The tree's pids: $D/NAME.root, .children.
pid_tree_run() {
	local name=$1 root c n fm
	shift
	FMTEST_FD=9 sh -c "for i in 1 2 3; do $FMTEST waitfor:$D/go.$name open:$D/in & done; wait" 9>"$D/$name.tree-truth" &
	root=$!
	track "$root"
	# all 3 children exist and have exec'd fmtest (no E can come later)
	for _ in $(seq $((200 * TIME_SCALE))); do
		n=0
		for c in $(pgrep -P "$root"); do [ "$(cat "/proc/$c/comm" 2>/dev/null)" = fmtest ] && n=$((n + 1)); done
		[ "$n" -eq 3 ] && break
		sleep 0.02
	done
	[ "$n" -eq 3 ] || fail "$name: the tree did not start"
	echo "$root" >"$D/$name.root"
	pgrep -P "$root" | sort -n >"$D/$name.children"
	backend_run "$name" "$@" --pid "$root" &
	fm=$!
	for _ in $(seq $((200 * TIME_SCALE))); do grep -q '^# complete' "$D/$name.log" 2>/dev/null && break; sleep 0.02; done
	touch "$D/go.$name"
	wait "$fm"
	wait "$root" || fail "$name: the tree's root exited $?"
}

@test "--pid with --max-procs 2: both name the untraced descendants, warn, and exit 123" {
	start_daemon "$D/max2.sock" --max-procs 2
	pid_tree_run sa --standalone --max-procs 2
	pid_tree_run dm --connect --socket "$D/max2.sock"
	assert_same
	assert_status 123
	for m in sa dm; do
		assert_wellformed "$D/$m.log"
		assert_order "$D/$m.log"
		root=$(cat "$D/$m.root")
		# the one child that got the second map entry: its read is there
		traced=$(grep -xF -f "$D/$m.tree-truth" "$D/$m.log" | awk '{print $2}')
		[ "$(wc -w <<<"$traced")" -eq 1 ] || fail "$m: children with records: '$traced'"
		grep -qxF "$traced" "$D/$m.children"
		grep -qxF "X $traced 0 0" "$D/$m.log"
		grep -qxF "X $root 0 0" "$D/$m.log"
		# the other two, and only they, are named untraced
		sed -n 's/^# untraced \([0-9]*\): the tracer map is full (--max-procs)$/\1/p' "$D/$m.log" | sort -n >"$D/$m.untraced"
		grep -vxF "$traced" "$D/$m.children" >"$D/$m.expected-untraced"
		diff -u "$D/$m.expected-untraced" "$D/$m.untraced" >&2 || fail "$m: the untraced lines name other pids"
		[ "$(grep -c '^# untraced' "$D/$m.log")" -eq 2 ]
		grep -qxF "# complete: pid $root and its 1 descendant are traced from here on" "$D/$m.log"
		grep -qxF "filemond: warning: 0 events lost, 0 paths unresolved, 2 processes untraced: the log is incomplete (command exit status 0)" \
			"$D/$m.err" || fail "$m: stderr: $(cat "$D/$m.err")"
	done
}

@test "--pid of a process that does not exist: 125 and the same one-line error in both" {
	local p=999999
	while [ -e "/proc/$p" ]; do p=$((p + 1)); done
	backend_run sa "${STANDALONE[@]}" --pid "$p"
	backend_run dm "${DAEMON[@]}" --pid "$p"
	assert_same
	assert_status 125
	for m in sa dm; do
		run cat "$D/$m.err"
		assert_output "filemond: cannot trace pid $p: No such process"
		assert_wellformed "$D/$m.log"
		[ "$(grep -vc '^#' "$D/$m.log")" -eq 1 ] # V 5 and no record
	done
}

@test "protocol: a request of version 0 (or 3) gets EPROTONOSUPPORT, then the daemon closes the connection" {
	cat >"$D/oldclient.py" <<-'PY'
	import errno, socket, sys
	import fmproto  # the copy next to this script
	s = fmproto.connect(sys.argv[1], timeout=5)
	s.sendall(fmproto.request(fmproto.STATUS, version=int(sys.argv[2])))
	magic, typ, version, op, err, ln, _, *result = fmproto.REP.unpack(fmproto.recv_exact(s, fmproto.REP.size))
	print(f"magic {magic:#x} type {typ} version {version} op {op} err {errno.errorcode.get(err, err)} len {ln}")
	try:
	    print("closed" if s.recv(1) == b"" else "more data")
	except socket.timeout:
	    print("still open")
	PY
	cp "$ROOT/tests/lib/fmproto.py" "$D/"
	for v in 0 3; do
		run -0 timeout 20 python3 -B "$D/oldclient.py" "$SOCK" "$v"
		assert_line --index 0 "magic 0x464d4f4e type 1 version 2 op 4 err EPROTONOSUPPORT len 0"
		assert_line --index 1 closed
	done
	# the daemon serves on, and a request of its own version gets its answer
	run -0 "$FILEMOND" --status --socket "$SOCK"
	assert_line --index 0 --regexp '^sessions [0-9]+, tracer map entries [0-9]+$'
	kill -0 "$DAEMON_PID"
}

@test "protocol: a daemon that answers in version 3 makes the client stop: 125 and one line naming the protocol version" {
	cat >"$D/fakedaemon.py" <<-'PY'
	# Answers every request with a reply of version 3 (err 0), and writes
	# what it was sent to its log.
	import os, socket, sys
	import fmproto  # the copy next to this script
	path, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
	srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	srv.bind(path)
	srv.listen(8)
	open(path + ".ready", "w").close()
	def serve(c):
	    while True:
	        msg, anc, _, _ = c.recvmsg(fmproto.REQ.size, socket.CMSG_SPACE(16))
	        for level, kind, data in anc:
	            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
	                for i in range(0, len(data) - len(data) % 4, 4):
	                    os.close(int.from_bytes(data[i:i + 4], sys.byteorder))
	        while msg and len(msg) < fmproto.REQ.size:
	            more = c.recv(fmproto.REQ.size - len(msg))
	            if not more:
	                break
	            msg += more
	        if len(msg) < fmproto.REQ.size:
	            return
	        magic, op, version, pid, flags = fmproto.REQ.unpack(msg)
	        log.write(f"request magic {magic:#x} op {op} version {version} fd {len(anc)}\n")
	        c.sendall(fmproto.REP.pack(fmproto.MAGIC, fmproto.REPLY, 3, op, 0, 0, 0, 0, 0, 0, 0, 0))
	while True:
	    c, _ = srv.accept()
	    try:
	        serve(c)
	    except OSError as e:  # the client went away
	        log.write(f"connection: {e}\n")
	    c.close()
	PY
	cp "$ROOT/tests/lib/fmproto.py" "$D/"
	python3 -B "$D/fakedaemon.py" "$D/fake.sock" "$D/fake.requests" >/dev/null 2>"$D/fake.err" 3>&- &
	track $!
	for _ in $(seq $((200 * TIME_SCALE))); do [ -e "$D/fake.sock.ready" ] && break; sleep 0.05; done
	[ -e "$D/fake.sock.ready" ] || fail "the fake daemon did not start"

	run -125 --separate-stderr timeout 20 "$FILEMOND" --connect --socket "$D/fake.sock" -o "$D/fake.log" -- true
	[ -z "$output" ] || fail "stdout: $output"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
	[[ $stderr == filemond:* ]] || fail "$stderr"
	[[ $stderr == *"protocol version"* ]] || fail "the error does not name the protocol version: $stderr"
	# the client spoke version 2 (SET_FD, the log passed), and stopped at
	# the first reply (it may go without reading the rest: a reset)
	run grep '^request' "$D/fake.requests"
	assert_output "request magic 0x464d4f4e op 1 version 2 fd 1"
	# and the command was never started
	run -125 timeout 20 "$FILEMOND" --connect --socket "$D/fake.sock" -o "$D/fake.log" -- touch "$D/ran"
	[[ $output == *"protocol version"* ]] || fail "second run: $output"
	[ ! -e "$D/ran" ] || fail "the command ran although the session failed"
	[ "$(grep -c '^request .* version 2 ' "$D/fake.requests")" -eq 2 ]
}
