#!/usr/bin/env bats
# The daemon under fuzzed frames (tests/fuzz/daemon_fuzz.py): root and an
# unprivileged user send random and mutated requests at once while one
# well-behaved session stays open; afterwards the daemon is alive, serves a
# normal session, holds no session or tracer entry, and wrote no sanitizer
# report.  FUZZ_FRAMES (default 1500) frames per user; FUZZ_SEED fixes the
# seeds (printed either way).

bats_require_minimum_version 1.5.0

FUZZ_USER=fmfuzz-u1

setup_file() {
	load helpers
	export PYTHON=${PYTHON:-/usr/bin/python3}
	# outside bats' private (0700) tree, so the unprivileged user reaches it
	export PUB=$(mktemp -d /tmp/filemond-fuzz-test.XXXXXX)
	chmod 0755 "$PUB"
	export SOCK=$PUB/fm.sock
	cp "$ROOT/tests/fuzz/daemon_fuzz.py" "$ROOT/tests/lib/fmproto.py" "$PUB/"
	if ! id "$FUZZ_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$FUZZ_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
	mkdir -m 0700 "$PUB/root" "$PUB/u1"
	chown "$FUZZ_USER:" "$PUB/u1"
	# the daemon's pid in daemon.pid, its exit status in daemon.rc
	(
		"$FILEMOND" --daemon --socket "$SOCK" 2>"$PUB/daemon.err" &
		echo $! >"$PUB/daemon.pid"
		wait $!
		echo $? >"$PUB/daemon.rc"
	) 3>&- &
	for _ in $(seq $((200 * TIME_SCALE))); do [ -s "$PUB/daemon.pid" ] && [ -S "$SOCK" ] && break; sleep 0.05; done
	export DAEMON_PID=$(cat "$PUB/daemon.pid")
}

# kill_ours PID WORD: signal PID only if it is still the process we started
# (its command line has WORD), never a stranger that reused the number.
kill_ours() {
	[ -n "$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2" && kill "$1" 2>/dev/null
	return 0
}

teardown_file() {
	local p
	for p in hold root u1; do
		[ -s "$PUB/$p.pid" ] && kill_ours "$(cat "$PUB/$p.pid")" daemon_fuzz.py
	done
	[ -e "$PUB/daemon.rc" ] || kill_ours "$DAEMON_PID" --daemon
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$PUB/daemon.rc" ] && break; sleep 0.1; done
	# its lingerer (programs detached after the last session) ends by itself
	for p in $(cat "$PUB/lingerer.pids" 2>/dev/null); do
		for _ in $(seq $((150 * TIME_SCALE))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	[ -e "$BATS_FILE_TMPDIR/created-user" ] && userdel "$FUZZ_USER"
	rm -rf "$PUB"
}

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR
}

daemon_alive() {
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon is gone: $(tail -20 "$PUB/daemon.err")"
}

# The well-behaved session is open: its client said ready and no more.
hold_running() {
	[ "$(cat "$PUB/hold.state" 2>/dev/null)" = ready ]
}

@test "fuzz: random and mutated frames from root and $FUZZ_USER at once; the daemon survives" {
	local frames=${FUZZ_FRAMES:-1500} seed=${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))} rc_root rc_u1
	daemon_alive
	# the well-behaved session, open throughout
	"$PYTHON" "$PUB/daemon_fuzz.py" hold "$SOCK" "$PUB/hold.log" "$PUB/hold.state" >"$PUB/hold.out" 2>&1 3>&- &
	echo $! >"$PUB/hold.pid"
	for _ in $(seq $((100 * TIME_SCALE))); do [ -s "$PUB/hold.state" ] && break; sleep 0.05; done
	run cat "$PUB/hold.state"
	assert_output ready

	echo "# seeds: root $seed, $FUZZ_USER $((seed + 1)); $frames frames each" >&3
	timeout -k 5 $((90 * TIME_SCALE)) "$PYTHON" "$PUB/daemon_fuzz.py" fuzz "$SOCK" "$PUB/root" \
		--seed "$seed" --frames "$frames" >"$PUB/root.out" 2>&1 3>&- &
	echo $! >"$PUB/root.pid"
	timeout -k 5 $((90 * TIME_SCALE)) setpriv --reuid="$FUZZ_USER" --regid="$FUZZ_USER" --clear-groups \
		"$PYTHON" "$PUB/daemon_fuzz.py" fuzz "$SOCK" "$PUB/u1" \
		--seed "$((seed + 1))" --frames "$frames" >"$PUB/u1.out" 2>&1 3>&- &
	echo $! >"$PUB/u1.pid"
	wait "$(cat "$PUB/root.pid")" && rc_root=0 || rc_root=$?
	wait "$(cat "$PUB/u1.pid")" && rc_u1=0 || rc_u1=$?
	rm -f "$PUB/root.pid" "$PUB/u1.pid"
	grep -h -m1 -e '^daemon_fuzz: slow' "$PUB/root.out" "$PUB/u1.out" | sed 's/^/# /' >&3
	grep -h '^daemon_fuzz: uid .*problems$' "$PUB/root.out" "$PUB/u1.out" | sed 's/^/# /' >&3
	[ "$rc_root" -eq 0 ] || fail "root client (exit $rc_root): $(tail -25 "$PUB/root.out")"
	[ "$rc_u1" -eq 0 ] || fail "$FUZZ_USER client (exit $rc_u1): $(tail -25 "$PUB/u1.out")"
	daemon_alive
	hold_running || fail "the well-behaved session's client ended: $(cat "$PUB/hold.state")"
}

@test "fuzz: afterwards a normal session traces cat /etc/hostname" {
	daemon_alive
	run "$FILEMOND" --socket "$SOCK" --connect -o "$D/log" -- cat /etc/hostname
	assert_success
	assert_wellformed "$D/log"
	grep -qE '^R [0-9]+ /etc/hostname$' "$D/log" || fail "no R /etc/hostname: $(cat "$D/log")"
	grep -qE '^X [0-9]+ 0 0$' "$D/log" || fail "no X: $(cat "$D/log")"
}

@test "fuzz: the well-behaved session open throughout logged its child and closes cleanly" {
	hold_running || skip "no well-behaved session (the first test failed)"
	kill_ours "$(cat "$PUB/hold.pid")" daemon_fuzz.py
	for _ in $(seq $((150 * TIME_SCALE))); do hold_running || break; sleep 0.1; done
	rm -f "$PUB/hold.pid"
	run cat "$PUB/hold.state"
	echo "# well-behaved session: $output" >&3
	assert_output --regexp '^ok'
	assert_wellformed "$PUB/hold.log"
}

@test "fuzz: once the clients are gone, status shows sessions 0, tracer map entries 0" {
	daemon_alive
	for _ in $(seq $((50 * TIME_SCALE))); do
		run "$FILEMOND" --status --socket "$SOCK"
		[[ "$output" == "sessions 0, tracer map entries 0"* ]] && break
		sleep 0.2
	done
	assert_success
	assert_line --index 0 "sessions 0, tracer map entries 0"
}

@test "fuzz: the daemon wrote no sanitizer report and stops cleanly" {
	daemon_alive
	# let the idle daemon detach its programs first: its lingerer is then
	# a child we can name, and waited for in teardown_file
	sleep 2.5
	pgrep -P "$DAEMON_PID" -x filemond-linger >"$PUB/lingerer.pids" || true
	kill -TERM "$DAEMON_PID"
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$PUB/daemon.rc" ] && break; sleep 0.1; done
	[ -e "$PUB/daemon.rc" ] || fail "the daemon did not stop within 10 s of SIGTERM"
	run grep -nE 'Sanitizer|runtime error|double free|corrupted' "$PUB/daemon.err"
	assert_failure 1
	run cat "$PUB/daemon.rc"
	assert_output 0
}
