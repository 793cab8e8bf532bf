#!/usr/bin/env bats
# Sessions through the daemon: one connection is one session, the
# /dev/filemon semantics of FreeBSD's p_filemon model (SET_FD, SET_PID,
# EBUSY, re-attach, close), limits, --status, --pid trees, SIGTERM.

bats_require_minimum_version 1.5.0

TEST_USER=filemond-test

setup_file() {
	load helpers
	# outside bats' private (0700) tree, so the unprivileged user reaches it
	export PUB=$(mktemp -d /tmp/filemond-daemon-test.XXXXXX)
	chmod 0755 "$PUB"
	export SOCK=$PUB/fm.sock
	"$FILEMOND" --daemon --socket "$SOCK" 2>"$BATS_FILE_TMPDIR/daemon.err" &
	export DAEMON_PID=$!
	for _ in $(seq $((100 * TIME_SCALE))); do [ -S "$SOCK" ] && break; sleep 0.05; done
	# an unprivileged user, and a directory it can use
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
	export UDIR=$PUB/user
	mkdir -m 0777 "$UDIR"
	cp "$FILEMOND" "$UDIR/filemond"
}

teardown_file() {
	kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -e "$BATS_FILE_TMPDIR/created-user" ] && userdel "$TEST_USER"
	rm -rf "$PUB"
}

setup() {
	load helpers
	FMCLIENT=$ROOT/build/tests/fmclient
	D=$BATS_TEST_TMPDIR
	echo data >"$D/f"
}

# Daemons a test starts for itself: killed in teardown even when the test
# fails (a daemon left running would hold bats' output open).
teardown() {
	local p
	for p in $(cat "$BATS_TEST_TMPDIR/daemons" 2>/dev/null); do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	true
}

# start_daemon SOCK ARGS...: a private daemon; its pid in $DPID.
start_daemon() {
	local sock=$1
	shift
	"$FILEMOND" --daemon --socket "$sock" "$@" 2>/dev/null &
	DPID=$!
	echo "$DPID" >>"$BATS_TEST_TMPDIR/daemons"
	for _ in $(seq $((100 * TIME_SCALE))); do [ -S "$sock" ] && return 0; sleep 0.05; done
	fail "the daemon on $sock did not start"
}

fmd() { "$FILEMOND" --socket "$SOCK" --connect "$@"; }
as_user() { setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups "$@"; }

@test "-- CMD through the daemon: the whole tree, race-free, with CMD's status" {
	TRUTH=$D/truth
	run env FMTEST_FD=9 "$FILEMOND" --socket "$SOCK" --connect -o "$D/log" -- \
		"$FMTEST" "fork:open:$D/f" "openw:$D/w" exit:7 9>"$TRUTH"
	assert_equal "$status" 7
	assert_wellformed "$D/log"
	assert_order "$D/log"
	assert_truth_in_log "$TRUTH" "$D/log"
	[[ "$(grep -v '^#' "$D/log" | sed -n 2p)" == "E "* ]]
}

@test "8 concurrent sessions each log exactly their own tree" {
	for i in 1 2 3 4 5 6 7 8; do
		echo "$i" >"$D/in$i"
		fmd -o "$D/log$i" -- sh -c "for k in 1 2 3 4 5; do cat $D/in$i >/dev/null; sleep 0.02; done" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for i in 1 2 3 4 5 6 7 8; do
		assert_wellformed "$D/log$i"
		assert_order "$D/log$i"
		[ "$(grep -c "^R [0-9]* $D/in$i\$" "$D/log$i")" -eq 5 ]
		[ "$(grep -c "^R [0-9]* $D/in[0-9]\$" "$D/log$i")" -eq 5 ] # nobody else's
	done
}

@test "SET_FD: a second one gives EEXIST, a read-only fd EBADF" {
	run "$FMCLIENT" "$SOCK" "rofd:$D/f" "fd:$D/log" "fd:$D/log2" close
	assert_success
	assert_line "rofd:$D/f EBADF"
	assert_line "fd:$D/log OK"
	assert_line "fd:$D/log2 EEXIST"
	assert_wellformed "$D/log"
}

@test "SET_PID: no such process gives ESRCH; a process in another session EBUSY" {
	run -125 fmd -o "$D/log" --pid 999999
	assert_output --partial "cannot trace pid 999999: No such process"
	sleep $((30 * TIME_SCALE)) & # killed below
	target=$!
	fmd -o "$D/a.log" --pid "$target" &
	first=$!
	for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^# complete' "$D/a.log" 2>/dev/null && break; sleep 0.05; done
	run -125 fmd -o "$D/b.log" --pid "$target"
	assert_output --partial "Device or resource busy"
	kill "$target"
	wait "$first"
	assert_wellformed "$D/a.log"
	grep -qxF "X $target 0 15" "$D/a.log"
}

@test "--pid: a descendant in another session is named '# untraced', counted, and the status is 123" {
	echo data >"$D/f"
	bash -c '"$0" waitfor:'"$D/go"' open:'"$D/f"' & echo $! >'"$D/child"'; wait' "$FMTEST" &
	parent=$!
	for _ in $(seq $((100 * TIME_SCALE))); do [ -s "$D/child" ] && break; sleep 0.05; done
	child=$(cat "$D/child")
	fmd -o "$D/a.log" --pid "$child" &
	a=$!
	for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^# complete' "$D/a.log" 2>/dev/null && break; sleep 0.05; done
	fmd -o "$D/b.log" --pid "$parent" 2>"$D/b.err" &
	b=$!
	for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^# complete' "$D/b.log" 2>/dev/null && break; sleep 0.05; done
	touch "$D/go"
	st=0
	wait "$b" || st=$?
	wait "$a"
	assert_equal "$st" 123
	grep -qxF "# untraced $child: traced by another session" "$D/b.log" || fail "b: $(cat "$D/b.log")"
	grep -qxF "R $child $D/f" "$D/a.log" || fail "a: $(cat "$D/a.log")"
	run grep -c "^R $child " "$D/b.log"
	assert_output 0
	grep -qF "1 processes untraced: the log is incomplete" "$D/b.err" || fail "stderr: $(cat "$D/b.err")"
}

@test "records that come before SET_FD are counted as the session's loss, in the close reply and the log" {
	echo data >"$D/f"
	# the log is set only once fmtest has ended (it made "spawned" after)
	run "$FMCLIENT" "$SOCK" "spawn:FMTEST_FD=9 $FMTEST open:$D/f open:$D/f 9>$D/truth; : >$D/spawned" "wait:$D/spawned" "fd:$D/log" close
	assert_success
	assert_line "wait:$D/spawned OK"
	lost=$(sed -n 's/^lost \([0-9]*\)$/\1/p' <<<"$output")
	# at least the opens fmtest did (its own record), none written
	n=$(wc -l <"$D/truth")
	[ "$n" -eq 2 ] && [ -n "$lost" ] && [ "$lost" -ge "$n" ] || fail "lost '$lost', truth $n lines: $output"
	assert_wellformed "$D/log"
	grep -qxF "# lost $lost events" "$D/log"
	run grep -c "^R [0-9]* $D/f\$" "$D/log"
	assert_output 0
}

@test "self re-attach: a traced process moves itself to a new session" {
	# the outer session traces fmclient; fmclient attaches itself to an
	# inner session, as a nested bmake's job does, then runs a command
	run fmd -o "$D/outer.log" -- "$FMCLIENT" "$SOCK" "fd:$D/inner.log" self "exec:cat $D/f >/dev/null"
	assert_success
	assert_output --partial "self OK"
	assert_wellformed "$D/outer.log"
	assert_wellformed "$D/inner.log"
	grep -qE "^R [0-9]+ $D/f\$" "$D/inner.log"
	run grep -c "$D/f" "$D/outer.log"
	assert_output 0
}

@test "re-attach detaches the previous processes" {
	sh -c "while :; do cat $D/f >/dev/null; sleep 0.05; done" &
	a=$!
	echo b >"$D/g"
	sh -c "while :; do cat $D/g >/dev/null; sleep 0.05; done" &
	b=$!
	run "$FMCLIENT" "$SOCK" "fd:$D/log" "tree:$a" sleep:$((400 * TIME_SCALE)) "tree:$b" sleep:$((400 * TIME_SCALE)) close
	kill "$a" "$b"
	assert_line "tree:$a OK"
	assert_line "tree:$b OK"
	assert_wellformed "$D/log"
	last_a=$(grep -n "^R [0-9]* $D/f\$" "$D/log" | tail -1 | cut -d: -f1)
	first_b=$(grep -n "^R [0-9]* $D/g\$" "$D/log" | head -1 | cut -d: -f1)
	[ -n "$last_a" ] && [ -n "$first_b" ] && [ "$last_a" -lt "$first_b" ]
}

@test "double fork: a daemon stays traced until the session closes, nothing after; inheritance stops" {
	echo 2 >"$D/f2"
	# the daemon reads f, says so, and reads f2 only once the session is
	# closed (or after 60 s, so that it never outlives the test for long);
	# its output is not run's, or run would wait for it to end
	run "$FMCLIENT" "$SOCK" "fd:$D/log" \
		"spawn:setsid sh -c 'cat $D/f >/dev/null; : >$D/read; n=0; while [ ! -e $D/closed ] && [ \$n -lt 1200 ]; do sleep 0.05; n=\$((n + 1)); done; cat $D/f2 >/dev/null; echo done >$D/finished' >/dev/null 2>&1 3>&- & exit 0" \
		"wait:$D/read" close
	: >"$D/closed"
	assert_success
	assert_line "wait:$D/read OK"
	for _ in $(seq $((40 * TIME_SCALE))); do [ -e "$D/finished" ] && break; sleep 0.1; done
	[ -e "$D/finished" ]
	assert_wellformed "$D/log"
	grep -qE "^R [0-9]+ $D/f\$" "$D/log"
	run grep -c -e "$D/f2" -e finished "$D/log"
	assert_output 0
	# the daemonized sh (the parent of the cat that read f) was still alive
	# at the close: it gets no X
	cat_pid=$(grep -E "^R [0-9]+ $D/f\$" "$D/log" | awk '{print $2}')
	sh_pid=$(grep -E "^F [0-9]+ $cat_pid\$" "$D/log" | awk '{print $2}')
	[ -n "$sh_pid" ] || fail "no F for the cat ($cat_pid) in the log"
	run grep -c "^X $sh_pid " "$D/log"
	assert_output 0
}

@test "kill -9 of clients mid-run: after 200 sessions no tracer-map entry is left" {
	for i in $(seq 200); do
		fmd -o "$D/k.log" -- sh -c 'sleep 0.3' &
		c=$!
		sleep 0.01
		kill -9 "$c"
		wait "$c" 2>/dev/null || true
	done
	sleep 0.5
	for _ in $(seq $((50 * TIME_SCALE))); do
		run "$FILEMOND" --status --socket "$SOCK"
		[[ "${lines[0]}" == "sessions 0, tracer map entries 0" ]] && break
		sleep 0.1
	done
	assert_line --index 0 "sessions 0, tracer map entries 0"
}

@test "an unprivileged user traces its own command through the daemon, gets EPERM on root's" {
	run as_user "$UDIR/filemond" --socket "$SOCK" -o "$UDIR/u.log" -- cat /etc/hostname
	assert_success
	assert_wellformed "$UDIR/u.log"
	grep -qE '^R [0-9]+ /etc/hostname$' "$UDIR/u.log"
	sleep $((20 * TIME_SCALE)) & # killed below
	rootpid=$!
	run -125 as_user "$UDIR/filemond" --socket "$SOCK" -o "$UDIR/p.log" --pid "$rootpid"
	assert_output --partial "cannot trace pid $rootpid: Operation not permitted"
	kill "$rootpid"
	# without a daemon: a clear message
	run -125 as_user "$UDIR/filemond" --socket "$UDIR/none.sock" -o "$UDIR/x.log" -- true
	assert_output --partial "no daemon answers on $UDIR/none.sock"
	run -125 as_user "$UDIR/filemond" --standalone -o "$UDIR/x.log" -- true
	assert_output --partial "cannot load BPF programs: Operation not permitted (need root or CAP_BPF)"
}

@test "garbage on the socket closes that connection and disturbs no session" {
	TRUTH=$D/truth
	env FMTEST_FD=9 "$FILEMOND" --socket "$SOCK" --connect -o "$D/log" -- \
		sh -c "sleep 0.5; exec $FMTEST open:$D/f fork:open:$D/f" 9>"$TRUTH" &
	session=$!
	sleep 0.2
	run "$FMCLIENT" "$SOCK" garbage
	assert_output "garbage EINVAL"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"\x00"*7); s.close()' "$SOCK"
	wait "$session"
	assert_wellformed "$D/log"
	assert_truth_in_log "$TRUTH" "$D/log"
	run fmd -o "$D/log2" -- true
	assert_success
}

@test "--status lists live sessions: client, uid, processes, records, lost, malformed, unresolved, untraced" {
	"$FILEMOND" --socket "$SOCK" -o "$D/log" -- sleep $((2 * TIME_SCALE)) &
	c=$!
	for _ in $(seq $((40 * TIME_SCALE))); do # until sleep is attached
		"$FILEMOND" --status --socket "$SOCK" | grep -qE '^sessions [1-9][0-9]*, tracer map entries [1-9]' && break
		sleep 0.05
	done
	run "$FILEMOND" --status --socket "$SOCK"
	assert_success
	assert_line --index 0 --regexp '^sessions [1-9][0-9]*, tracer map entries [1-9][0-9]*$'
	assert_line 'programs attached'
	assert_line --regexp '^events lost since start \(all sessions\) [0-9]+$'
	assert_line --regexp '^malformed records of no session since start [0-9]+$'
	assert_line --regexp '^SESSION +CLIENT +UID +PROCS +RECORDS +LOST +MALFORMED +UNRESOLVED +UNTRACED$'
	assert_line --regexp "^[0-9]+\.[0-9]+ +$c +0 +1 +[0-9]+ +0 +0 +0 +0 *\$"
	wait "$c"
}

@test "limits: past --max-sessions a client gets a clear error" {
	sock2=$D/limit.sock
	start_daemon "$sock2" --max-sessions 1
	"$FILEMOND" --socket "$sock2" -o "$D/a.log" -- "$FMTEST" "waitfor:$D/a-go" &
	a=$!
	for _ in $(seq $((100 * TIME_SCALE))); do
		"$FILEMOND" --status --socket "$sock2" | grep -q '^sessions 1,' && break
		sleep 0.05
	done
	run -125 "$FILEMOND" --socket "$sock2" -o "$D/b.log" -- true
	assert_output --partial "the daemon has no free session (--max-sessions)"
	touch "$D/a-go"
	wait "$a"
}

@test "loss is per session: the session that lost events says so, the other stays clean" {
	sock3=$D/loss.sock
	start_daemon "$sock3" --ring-size 4096
	d3=$DPID
	mkdir "$D/burst"
	# a quiet session, whose one read comes after the burst
	"$FILEMOND" --socket "$sock3" -o "$D/quiet.log" -- "$FMTEST" "waitfor:$D/quiet-go" "open:$D/f" &
	quiet=$!
	# the loud one bursts while the daemon is stopped: its ring overflows
	"$FILEMOND" --socket "$sock3" -o "$D/loud.log" -- \
		sh -c ": >$D/loud-up; $FMTEST waitfor:$D/go burst:$D/burst:20000 && touch $D/done" 2>/dev/null &
	loud=$!
	for log in quiet loud; do
		for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^V 5' "$D/$log.log" 2>/dev/null && break; sleep 0.05; done
	done
	# the loud command runs only once attached (the gate opened)
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$D/loud-up" ] && break; sleep 0.05; done
	stall_consumer "$d3" "$D/go" "$D/done"
	st=0
	wait "$loud" || st=$?
	assert_equal "$st" 123
	grep -qE '^# lost [1-9][0-9]* events$' "$D/loud.log"
	touch "$D/quiet-go"
	wait "$quiet"
	assert_wellformed "$D/quiet.log"
	run grep -c '^# lost' "$D/quiet.log"
	assert_output 0
	grep -qE "^R [0-9]+ $D/f\$" "$D/quiet.log"
}

@test "daemon SIGTERM ends every session with a trailer" {
	sock4=$D/term.sock
	start_daemon "$sock4"
	d4=$DPID
	for i in 1 2 3; do
		"$FILEMOND" --socket "$sock4" -o "$D/t$i.log" -- sleep $((3 * TIME_SCALE)) &
		clients="$clients $!"
	done
	for _ in $(seq $((100 * TIME_SCALE))); do
		"$FILEMOND" --status --socket "$sock4" | grep -q '^sessions 3,' && break
		sleep 0.05
	done
	kill -TERM "$d4"
	wait "$d4"
	for i in 1 2 3; do
		assert_wellformed "$D/t$i.log"
	done
	for c in $clients; do
		run -125 wait "$c"
	done
	[ ! -e "$sock4" ]
}

# A tree that keeps forking while --pid attaches: every child records its own
# pid and reads f once the log says the tree is traced from there on (its
# "# complete:" line), so a child missing from the log is a broken promise.
pid_tree_test() {
	local fm rc=0
	sh -c "for i in \$(seq 40); do sh -c 'n=0; while [ ! -e $D/go ] && [ \$n -lt 600 ]; do sleep 0.2; n=\$((n + 1)); done; echo \$\$ >>$D/pids; exec cat $D/f >/dev/null' & sleep 0.01; done; wait" &
	root=$!
	sleep 0.15
	timeout $((60 * TIME_SCALE)) "$@" -o "$D/log" --pid "$root" 2>"$D/err" &
	fm=$!
	for _ in $(seq $((600 * TIME_SCALE))); do grep -q '^# complete: ' "$D/log" 2>/dev/null && break; sleep 0.1; done
	: >"$D/go"
	wait "$fm" || rc=$?
	[ "$rc" -eq 0 ] || fail "status $rc: $(cat "$D/err")"
	grep -q "^# complete: pid $root and its [0-9]* descendants are traced from here on\$" "$D/log" ||
		fail "no '# complete:' line for $root in the log"
	assert_wellformed "$D/log"
	assert_order "$D/log"
	[ "$(wc -l <"$D/pids")" -eq 40 ]
	while read -r p; do
		[ "$(grep -cE "^R $p $D/f\$" "$D/log")" -eq 1 ] || fail "child $p missed"
		[ "$(grep -cE "^X $p " "$D/log")" -eq 1 ] || fail "child $p: not exactly one X"
	done <"$D/pids"
	grep -qE "^X $root 0 0\$" "$D/log"
}

@test "--pid through the daemon: every descendant, none twice, forks during the scan" {
	pid_tree_test "$FILEMOND" --socket "$SOCK" --connect
}

@test "--pid standalone: every descendant, none twice, forks during the scan" {
	pid_tree_test "$FILEMOND" --standalone
}

# A tree whose processes exit while --pid attaches them: four loops that
# fork /bin/true without pause until half a second after the log says the
# tree is traced (its "# complete:" line).  A descendant found in /proc and
# attached just after its exit hook ran (it is exiting, not yet a zombie)
# must not be counted, or the session waits for an exit that already
# happened and --pid never returns.
pid_storm_test() {
	local round root rc runs fm
	for round in 1 2 3 4 5; do
		: >"$D/runs"
		rm -f "$D/stop" "$D/storm.log"
		sh -c "end=\$((\$(date +%s) + 60 * $TIME_SCALE)); for k in 1 2 3 4; do (while [ ! -e $D/stop ] && [ \$(date +%s) -lt \$end ]; do /bin/true && echo >>$D/runs; done) & done; wait" &
		root=$!
		sleep 0.3
		rc=0
		timeout $((90 * TIME_SCALE)) "$@" -o "$D/storm.log" --pid "$root" &
		fm=$!
		for _ in $(seq $((300 * TIME_SCALE))); do grep -q '^# complete: ' "$D/storm.log" 2>/dev/null && break; sleep 0.1; done
		sleep 0.5
		: >"$D/stop"
		wait "$fm" || rc=$?
		wait "$root"
		[ "$rc" -ne 124 ] || fail "round $round: --pid still running $((90 * TIME_SCALE)) s after it started"
		[ "$rc" -eq 0 ] || fail "round $round: exit $rc"
		grep -qE "^X $root 0 0\$" "$D/storm.log" || fail "round $round: no X of the root"
		runs=$(wc -l <"$D/runs")
		[ "$runs" -gt 0 ] || fail "round $round: the tree ran nothing"
	done
}

@test "--pid through the daemon: a tree forking and exiting without pause, its end seen" {
	pid_storm_test "$FILEMOND" --socket "$SOCK" --connect
}

@test "--pid standalone: a tree forking and exiting without pause, its end seen" {
	pid_storm_test "$FILEMOND" --standalone
}

@test "an idle daemon detaches its programs, and attaches them again for the next session" {
	run fmd -o "$D/a.log" -- cat "$D/f"
	assert_success
	for _ in $(seq $((60 * TIME_SCALE))); do
		"$FILEMOND" --status --socket "$SOCK" | grep -qx 'programs detached (no session)' && break
		sleep 0.1
	done
	run "$FILEMOND" --status --socket "$SOCK"
	assert_line 'programs detached (no session)'
	wait_no_filemond_links
	run fmd -o "$D/b.log" -- cat "$D/f"
	assert_success
	grep -qE "^R [0-9]+ $D/f\$" "$D/b.log"
}
