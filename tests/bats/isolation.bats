#!/usr/bin/env bats
# Isolation (security audit F3 F6 F7 F8 F9 F10 F11 F12 F14 F18 F19): what one
# local user can do to the root daemon and to the other users' sessions.
# Each test runs its own daemon on a private socket, attacks it as a
# throw-away user (fmiso-u1), and checks that the daemon lives, answers root,
# and that a second user's session (fmiso-u2) loses nothing.
#
# The clients are small Python programs speaking src/protocol.h (written to
# $PUB/fmiso.py by setup_file) and tests/prog/fmiso.c (the workloads).  Run it
# against another build with FILEMOND=... FMCLIENT=... FMTEST=... FMISO=...;
# a test that finds several problems lists them all before it fails.

bats_require_minimum_version 1.5.0

U1=fmiso-u1
U2=fmiso-u2

setup_file() {
	load helpers
	FMCLIENT=${FMCLIENT:-$ROOT/build/tests/fmclient}
	FMISO=${FMISO:-$ROOT/build/tests/fmiso}
	PYTHON=${PYTHON:-/usr/bin/python3} # not a per-user shim: the test users run it
	for f in "$FILEMOND" "$FMCLIENT" "$FMTEST" "$FMISO" "$PYTHON"; do
		[ -x "$f" ] || { echo "isolation.bats: $f is missing (make)" >&2; return 1; }
	done
	# outside bats' private (0700) tree, so the test users reach it
	export PUB=$(mktemp -d /tmp/filemond-iso.XXXXXX)
	chmod 0755 "$PUB"
	mkdir -m 0755 "$PUB/bin"
	cp "$FILEMOND" "$PUB/bin/filemond"
	cp "$FMCLIENT" "$PUB/bin/fmclient"
	cp "$FMTEST" "$PUB/bin/fmtest"
	cp "$FMISO" "$PUB/bin/fmiso"
	write_fmiso_py "$PUB/fmiso.py"
	cp "$ROOT/tests/lib/fmproto.py" "$PUB/fmproto.py"
	export PYTHON
	for u in "$U1" "$U2"; do
		if ! id "$u" >/dev/null 2>&1; then
			useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
			echo "$u" >>"$BATS_FILE_TMPDIR/created-users"
		fi
	done
}

teardown_file() {
	local u p
	for u in "$U1" "$U2"; do
		# every test stops what it started; anything left is reported and ended
		for _ in $(seq $((100 * TIME_SCALE))); do pgrep -u "$u" >/dev/null || break; sleep 0.1; done
		for p in $(pgrep -u "$u"); do
			echo "# teardown_file: $u still runs pid $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)" >&3
			kill -KILL "$p" 2>/dev/null
		done
	done
	if [ -e "$BATS_FILE_TMPDIR/created-users" ]; then
		while read -r u; do
			for _ in $(seq $((50 * TIME_SCALE))); do pgrep -u "$u" >/dev/null || break; sleep 0.1; done
			userdel "$u"
		done <"$BATS_FILE_TMPDIR/created-users"
	fi
	rm -rf "$PUB"
	wait_no_lingerer # the daemons' tracepoint holders exit 5 s after their detach
}

setup() {
	load helpers
	UFM=$PUB/bin/filemond
	UFMTEST=$PUB/bin/fmtest
	UFMISO=$PUB/bin/fmiso
	UFMCLIENT=$PUB/bin/fmclient
	PY=("$PYTHON" "$PUB/fmiso.py")
	AS_U1=(setpriv --reuid="$U1" --regid="$U1" --clear-groups)
	AS_U2=(setpriv --reuid="$U2" --regid="$U2" --clear-groups)
	# a directory both test users can write, removed after the test
	W=$PUB/w$BATS_TEST_NUMBER
	mkdir -m 0777 "$W"
	echo data >"$W/f"
	chmod 0644 "$W/f"
	PIDS=() DAEMONS=() RELEASES=() PROBLEMS=()
}

teardown() {
	local p
	for p in "${RELEASES[@]}"; do touch "$p"; done # fmiso sleepers let their children go
	for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
	for p in "${DAEMONS[@]}"; do stop_pid "$p" 10; done
	rm -rf "$W"
}

# A process's start time (clock ticks after boot): with the pid, its identity.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# Alive and not a zombie (a dead child of this shell stays a zombie until waited for).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# stop_pid PID[:START] GRACE: SIGTERM, SIGKILL after GRACE seconds, reap;
# nothing if that process is gone (a pid with another start time is not it).
stop_pid() {
	local p=${1%%:*} t=${1#*:}
	[ "$t" != "$1" ] || t=$(start_time "$p")
	if alive "$p" && [ "$(start_time "$p")" = "$t" ]; then
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq $(($2 * 20 * TIME_SCALE))); do alive "$p" || break; sleep 0.05; done
		alive "$p" && [ "$(start_time "$p")" = "$t" ] && kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null || true
}

# stop_u1_pidfile FILE: stop the process of u1 whose pid FILE holds (a
# command left running untraced), if it is still u1's.
stop_u1_pidfile() {
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$p" ] && [ "$(stat -c %U "/proc/$p" 2>/dev/null)" = "$U1" ] && stop_pid "$p" 5
	return 0
}

# track PID: stopped in teardown if still running.
track() { PIDS+=("$1:$(start_time "$1")"); }

# wait_exit PID SECONDS: wait for a child of this shell, at most SECONDS;
# sets RC to its status, or 255 (and records a problem) if it still runs.
wait_exit() {
	local p=$1 what=${3:-pid $1}
	for _ in $(seq $(($2 * 20 * TIME_SCALE))); do alive "$p" || break; sleep 0.05; done
	if alive "$p"; then
		problem "$what still running after $(($2 * TIME_SCALE)) s"
		RC=255
		return 0
	fi
	RC=0
	wait "$p" || RC=$?
}

# wait_file PATH SECONDS: poll until PATH exists.
wait_file() {
	for _ in $(seq $(($2 * 20 * TIME_SCALE))); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

# Collect what went wrong, so that one run against a daemon shows it all.
problem() { PROBLEMS+=("$*"); }
no_problems() {
	((${#PROBLEMS[@]} == 0)) && return 0
	printf '  - %s\n' "${PROBLEMS[@]}" >&2
	fail "${#PROBLEMS[@]} problem(s), listed above"
}

# start_daemon NAME [OPTION...]: a private daemon on $PUB/NAME.sock, its
# stderr in $PUB/NAME.err; sets SOCK, DPID, DERR.  With NOFILE=N set, it runs
# under "ulimit -n N" (soft and hard, so it cannot raise it).
start_daemon() {
	local name=$1
	shift
	SOCK=$PUB/$name.sock
	DERR=$PUB/$name.err
	if [ -n "${NOFILE:-}" ]; then
		(ulimit -n "$NOFILE" && exec "$FILEMOND" --daemon --socket "$SOCK" "$@") 2>"$DERR" &
	else
		"$FILEMOND" --daemon --socket "$SOCK" "$@" 2>"$DERR" &
	fi
	DPID=$!
	DAEMONS+=("$DPID:$(start_time "$DPID")")
	for _ in $(seq $((200 * TIME_SCALE))); do
		"$FILEMOND" --status --socket "$SOCK" >/dev/null 2>&1 && return 0
		alive "$DPID" || break
		sleep 0.05
	done
	fail "the daemon did not start: $(cat "$DERR")"
}

# The daemon still runs, wrote no sanitizer report, and serves a session.
daemon_ok() {
	if ! alive "$DPID"; then
		problem "the daemon (pid $DPID) died: $({ grep -m3 -E 'ERROR|double free|corrupt|#[0-3] ' "$DERR" || tail -3 "$DERR"; } | tr '\n' '|')"
		return 0
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|double free|corruption' "$DERR"; then
		problem "the daemon reported: $(grep -m2 -E 'AddressSanitizer|runtime error:|double free|corruption' "$DERR" | tr '\n' '|')"
	fi
	if ! timeout 20 "$FILEMOND" --socket "$SOCK" --connect -o "$W/ok.log" -- cat "$W/f" >/dev/null 2>"$W/ok.err"; then
		problem "a root session afterwards failed: $(cat "$W/ok.err")"
	elif ! grep -qE "^R [0-9]+ $W/f\$" "$W/ok.log"; then
		problem "a root session afterwards did not log its read"
	fi
}

# status_probe LIMIT: root's "filemond --status", at most LIMIT seconds;
# prints "RC MS" (RC 124: timed out).
status_probe() {
	local t0=${EPOCHREALTIME/./} rc=0
	timeout $(($1 * TIME_SCALE)) "$FILEMOND" --status --socket "$SOCK" >/dev/null 2>&1 || rc=$?
	echo "$rc $(((${EPOCHREALTIME/./} - t0) / 1000))"
}

# check_status LIMIT_MS WHEN: one probe; a problem if it failed or took longer.
check_status() {
	local rc ms
	local limit=$(($1 * TIME_SCALE))
	read -r rc ms < <(status_probe $(((limit + 999) / 1000 + 3)))
	if [ "$rc" -ne 0 ]; then
		problem "$2: root's --status failed (rc $rc) after $ms ms"
	elif [ "$ms" -gt "$limit" ]; then
		problem "$2: root's --status took $ms ms (limit $limit)"
	fi
	echo "# status $2: rc $rc, $ms ms" >&3
}

# start_status_poller OUT: root polls --status every 0.2 s until OUT.stop
# exists; one "RC MS" line per probe.
start_status_poller() {
	(while [ ! -e "$1.stop" ]; do
		status_probe 30
		sleep 0.2
	done) >"$1" &
	track $!
	POLLER=$!
}
stop_status_poller() {
	touch "$1.stop"
	wait_exit "$POLLER" 40 "the status poller"
}

# A workload of known size for the bystander: ROUNDS x 500 reads of FILE
# (one R record each), a 50 ms sleep between rounds.
reads_cmd() {
	echo "for r in \$(seq $1); do i=0; while [ \$i -lt 500 ]; do read x <$2; i=\$((i+1)); done; sleep 0.05; done"
}

# check_bystander LOG ERR RC READS: the bystander's session lost nothing.
check_bystander() {
	local n
	[ "$3" -eq 0 ] || problem "the bystander's filemond exited $3: $(tr '\n' ' ' <"$2")"
	if grep -q '^# lost' "$1"; then problem "the bystander's log says: $(grep '^# lost' "$1")"; fi
	n=$(grep -cE "^R [0-9]+ $W/f\$" "$1" || true)
	[ "$n" -eq "$4" ] || problem "the bystander's log has $n of its $4 reads"
	(assert_wellformed "$1") >/dev/null 2>&1 || problem "the bystander's log is not well-formed"
}

# Every line of LOG is a whole filemon line and the file ends in a newline.
check_whole_lines() {
	local bad
	[ -s "$1" ] || { problem "$2: the log is empty"; return 0; }
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] ||
		problem "$2: the log does not end with a newline: ...$(tail -c 60 "$1" | od -An -c | tr -s ' ' | tr -d '\n')"
	bad=$(awk '!/^# ./ && $0 != "V 5" && !/^[A-Z] [0-9]+ [^ ]/ { n++; if (n <= 3) printf "line %d: [%s] ", NR, $0 } END { if (n) printf "(%d bad lines)", n }' "$1")
	[ -z "$bad" ] || problem "$2: $bad"
}

daemon_has_option() { "$FILEMOND" --help 2>&1 | grep -q -- "$1"; }

@test "F3: connections closed while the idle daemon detaches do not crash it (use-after-free)" {
	start_daemon f3
	# Each cycle: a session opened and closed (the daemon is now idle), 200
	# idle connections; from 1.8 s on each sends 16 zero bytes, reads its
	# reply (EINVAL) and closes, 2 ms apart, through the detach at 2 s, whose
	# forked helper held a copy of every fd: the unfixed daemon's epoll then
	# handed back a freed struct conn.  Unfixed, the ASan build dies within a
	# few cycles (heap-use-after-free in conn_readable), the release build
	# aborts ("double free or corruption").  First as u1, as in the audit;
	# then as root, whose connections no per-user limit turns away, so that
	# the closes still span the detach on a daemon that caps u1's connections.
	run timeout 60 "${AS_U1[@]}" "${PY[@]}" uaf "$SOCK" 4 200 "$W/uaf-u1"
	echo "# u1: $(tr '\n' ';' <"$W/uaf-u1" 2>/dev/null)" >&3
	grep -qE '^cycle 3: 200 replies' "$W/uaf-u1" ||
		problem "u1's cycles were not all served: $(tr '\n' ';' <"$W/uaf-u1" 2>/dev/null)"
	if alive "$DPID"; then
		run timeout 60 "${PY[@]}" uaf "$SOCK" 4 200 "$W/uaf-root"
		echo "# root: $(tr '\n' ';' <"$W/uaf-root" 2>/dev/null)" >&3
		grep -qE '^cycle 3: 200 replies \(200 EINVAL\)' "$W/uaf-root" ||
			problem "root's cycles were not all served: $(tr '\n' ';' <"$W/uaf-root" 2>/dev/null)"
	fi
	daemon_ok
	no_problems
}

@test "F6: --log-timeout is an option of the daemon, documented" {
	run "$FILEMOND" --help
	assert_output --partial '--log-timeout'
	grep -q 'log-timeout' "$ROOT/man/filemond.8" || fail "filemond.8 does not document --log-timeout"
	run -64 "$FILEMOND" --daemon --socket "$W/x.sock" --log-timeout never
}

# check_blocked NAME: the session whose log was the pipe that NAME's holder
# never read ended at the log timeout (3 s), with status 123 and a word on
# its log; its holder wrote "rc RC held 0|1 full T ended T" to $W/NAME.
check_blocked() {
	local rc held full ended
	wait_file "$W/$1" 60 || { problem "$1: its pipe holder did not finish"; return 0; }
	read -r _ rc _ held _ full _ ended <"$W/$1"
	echo "# $1: $(cat "$W/$1"); stderr: $(tr '\n' ' ' <"$W/$1.err")" >&3
	[ "$full" != never ] || { problem "$1: its log pipe never filled"; return 0; }
	if [ "$held" = 1 ]; then
		problem "$1: the client still ran 15 s after it started, its log blocked since $full (then released: exit $rc)"
	else
		# ended after the timeout (plus slack), not long before it
		awk -v f="$full" -v e="$ended" 'BEGIN { exit !(e - f <= 3 + 10 && e - f >= 1.5) }' ||
			problem "$1: the session ended $(awk -v f="$full" -v e="$ended" 'BEGIN { printf "%.1f", e - f }') s after its log blocked (--log-timeout 3)"
		[ "$rc" -eq 123 ] || problem "$1: the client exited $rc, not 123 (events lost)"
	fi
	grep -qi 'log' "$W/$1.err" || problem "$1: the client did not say that the log was the trouble: $(cat "$W/$1.err")"
	if grep -qE '(^|[^0-9])0 events lost' "$W/$1.err"; then
		problem "$1: the records its log never took are not counted: \"$(grep -oE '[0-9]+ events lost' "$W/$1.err")\""
	fi
}

@test "F6: a blocked log costs only its own session" {
	local timeout_opt=()
	# (the unfixed daemon has no --log-timeout: the pipes are then held 15 s)
	daemon_has_option --log-timeout && timeout_opt=(--log-timeout 3)
	start_daemon f6 --ring-size 1M "${timeout_opt[@]}"
	mkdir -m 0777 "$W/burst1" "$W/burst2"
	# B (u2): 20000 reads over about 3 s, already running when A blocks
	"${AS_U2[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/b.log" -- sh -c "$(reads_cmd 40 "$W/f")" 2>"$W/b.err" &
	b=$!
	track $b
	for _ in $(seq $((200 * TIME_SCALE))); do grep -qE "^R [0-9]+ $W/f\$" "$W/b.log" 2>/dev/null && break; sleep 0.05; done
	# A (u1), twice: each log is the write end of a pipe that u1 holds and
	# never reads, 10000 opens traced into it.  A1's command is done at once
	# (the timeout comes while the client waits for CLOSE), A2's still runs
	# (the daemon ends the session under it).
	"${AS_U1[@]}" "${PY[@]}" blockpipe $((15 * TIME_SCALE)) "$W/a1" -- "$UFM" --socket "$SOCK" --connect -o /dev/stdout -- \
		"$UFMTEST" "burst:$W/burst1:10000" 2>"$W/a1.err" &
	track $!
	"${AS_U1[@]}" "${PY[@]}" blockpipe $((15 * TIME_SCALE)) "$W/a2" -- "$UFM" --socket "$SOCK" --connect -o /dev/stdout -- \
		sh -c "echo \$\$ >$W/a2.pid; $UFMTEST burst:$W/burst2:10000; exec sleep 12" 2>"$W/a2.err" &
	track $!
	# the first to block, then a moment for the other (the unfixed daemon,
	# stuck on the first one's pipe, never takes the second one's log)
	for _ in $(seq $((240 * TIME_SCALE))); do [ -e "$W/a1.full" ] || [ -e "$W/a2.full" ] && break; sleep 0.05; done
	wait_file "$W/a1.full" 4 || true
	wait_file "$W/a2.full" 4 || true
	if [ -e "$W/a1.full" ] || [ -e "$W/a2.full" ]; then
		for i in 1 2 3; do
			check_status 2000 "A's log blocked, probe $i"
			sleep 0.3
		done
	fi
	wait_exit "$b" 40 "the bystander (u2)"
	check_bystander "$W/b.log" "$W/b.err" "$RC" 20000
	check_blocked a1
	check_blocked a2
	stop_u1_pidfile "$W/a2.pid"
	daemon_ok
	no_problems
}

@test "F7: 1200 idle connections neither spin the daemon nor lock out root, and are closed" {
	local c0 c1 ticks limit left t rc ms
	# the systemd default soft limit, and as hard limit too: no way around EMFILE
	NOFILE=1024 start_daemon f7
	# u1 (with enough descriptors of its own) opens 1200 connections that send
	# nothing; the first 20 send 7 bytes of a request and then nothing
	(ulimit -n 4096 && exec setpriv --reuid="$U1" --regid="$U1" --clear-groups \
		"${PY[@]}" idle "$SOCK" 1200 20 25 "$W/idle") &
	att=$!
	track $att
	wait_file "$W/idle.opened" 60 || problem "the attacker could not open its connections"
	echo "# $(cat "$W/idle.opened")" >&3
	# root asks meanwhile; and the daemon's CPU over 3 s
	(status_probe 8) >"$W/status" &
	sp=$!
	track $sp
	c0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	sleep 3
	c1=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	ticks=$((c1 - c0))
	limit=$((3 * $(getconf CLK_TCK) * 30 / 100))
	echo "# daemon CPU: $ticks ticks in 3 s (limit $limit)" >&3
	[ "$ticks" -le "$limit" ] || problem "the daemon used $ticks clock ticks of CPU in 3 s (more than 30% of a core)"
	# a second user gets a session too (at once if u1's connections are
	# capped, else once they are closed)
	rc=0
	timeout 15 "${AS_U2[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/u2.log" -- cat "$W/f" >/dev/null 2>"$W/u2.err" || rc=$?
	[ "$rc" -eq 0 ] || problem "u2's session: status $rc (124: not done in 15 s) $(cat "$W/u2.err")"
	wait_exit "$sp" 15 "root's --status"
	read -r rc ms <"$W/status" || true
	echo "# status: rc $rc, $ms ms" >&3
	[ "$rc" -eq 0 ] || problem "root's --status did not answer within 8 s (rc $rc)"
	# the connections that never sent a whole request are closed by the daemon
	wait_exit "$att" 40 "the attacker"
	read -r _ t left <<<"$(tail -1 "$W/idle")"
	echo "# attacker: $(tail -1 "$W/idle")" >&3
	[ "${left:-1}" -eq 0 ] && awk -v t="$t" 'BEGIN { exit !(t <= 12) }' ||
		problem "$left connections were still open ${t} s after they were made (closed after 5 s expected)"
	daemon_ok
	no_problems
}

@test "F8: one user cannot take every session" {
	local ok refused other
	start_daemon f8
	RELEASES+=("$W/release")
	# u1: 70 connections, each SET_FD /dev/null, all held.  Those past the
	# per-user limits are refused with the limit's errno: EUSERS
	# (--max-sessions), EDQUOT (--user-sessions), EMFILE (connections per user)
	"${AS_U1[@]}" "${PY[@]}" sessions "$SOCK" 70 /dev/null "$W/release" "$W/sess" &
	track $!
	wait_file "$W/sess" 60 || problem "u1's 70 connections did not finish"
	echo "# u1's 70 SET_FD: $(cat "$W/sess")" >&3
	read -r ok refused other < <(awk '{ for (i = 1; i < NF; i += 2) if ($i == "ok") ok += $(i+1);
		else if ($i ~ /^(EUSERS|EDQUOT|EMFILE)$/) ref += $(i+1); else oth += $(i+1) }
		END { print ok + 0, ref + 0, oth + 0 }' "$W/sess")
	[ "$ok" -le 8 ] || problem "u1 got $ok sessions (at most 8)"
	[ "$ok" -ge 1 ] || problem "u1 got no session at all"
	[ "$other" -eq 0 ] || problem "u1's other connections were not refused with a limit's error: $(cat "$W/sess")"
	# while u1 holds them: root and a second user still get sessions
	timeout 20 "$FILEMOND" --socket "$SOCK" --connect -o "$W/root.log" -- cat "$W/f" >/dev/null 2>"$W/root.err" &&
		grep -qE "^R [0-9]+ $W/f\$" "$W/root.log" || problem "root's session failed: $(cat "$W/root.err")"
	timeout 20 "${AS_U2[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/u2.log" -- cat "$W/f" >/dev/null 2>"$W/u2.err" &&
		grep -qE "^R [0-9]+ $W/f\$" "$W/u2.log" || problem "u2's session failed: $(cat "$W/u2.err")"
	# and u1's next one is refused with a message that names the per-user limit
	run timeout 20 "${AS_U1[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/u1.log" -- true
	echo "# u1's CLI: status $status: $output" >&3
	[ "$status" -eq 125 ] || problem "u1's ninth session: exit $status, not 125"
	grep -qiE 'per[- ]?(user|uid)|one user|(this|each|every) user|--user-' <<<"$output" ||
		problem "u1's refusal does not name the per-user limit: $output"
	touch "$W/release"
	daemon_ok
	no_problems
}

@test "F9: a STATUS flood from one user starves neither the ring nor root" {
	start_daemon f9 --ring-size 1M
	# B (u2): 20000 reads over about 3 s
	"${AS_U2[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/b.log" -- sh -c "$(reads_cmd 40 "$W/f")" 2>"$W/b.err" &
	b=$!
	track $b
	for _ in $(seq $((200 * TIME_SCALE))); do grep -qE "^R [0-9]+ $W/f\$" "$W/b.log" 2>/dev/null && break; sleep 0.05; done
	# u1: STATUS requests for 4 s, 64 KiB per send, replies never read
	"${AS_U1[@]}" "${PY[@]}" flood "$SOCK" 4 "$W/flood" &
	fl=$!
	track $fl
	sleep 0.5
	for i in 1 2 3; do
		check_status 2000 "during the flood, probe $i"
		sleep 0.3
	done
	wait_exit "$b" 40 "the bystander (u2)"
	check_bystander "$W/b.log" "$W/b.err" "$RC" 20000
	wait_exit "$fl" 20 "the flood"
	echo "# flood: $(cat "$W/flood" 2>/dev/null)" >&3
	daemon_ok
	no_problems
}

@test "F10: one session cannot take the whole tracer map (--max-procs 512)" {
	local a_rc n
	start_daemon f10 --max-procs 512
	RELEASES+=("$W/release")
	# u1: a command that forks 600 sleeping children
	"${AS_U1[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/a.log" -- \
		"$UFMISO" sleepers 600 "$W/ready" "$W/release" 60 2>"$W/a.err" &
	a=$!
	track $a
	wait_file "$W/ready" 30 || problem "u1's 600 children were not started"
	echo "# u1 forked $(cat "$W/ready" 2>/dev/null); $("$FILEMOND" --status --socket "$SOCK" | head -1)" >&3
	# u2 meanwhile: ten execs, every one traced to its exit
	run timeout 30 "${AS_U2[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/b.log" -- \
		sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done'
	if [ "$status" -ne 0 ]; then
		problem "u2's session: exit $status: $output"
	else
		(assert_wellformed "$W/b.log" && assert_order "$W/b.log") >/dev/null 2>&1 ||
			problem "u2's log is not well-formed or out of order"
		n=$(awk '$1 == "E" && $3 ~ /\/true$/ { p[$2] = 1 } END { print length(p) }' "$W/b.log")
		[ "$n" -eq 10 ] || problem "u2's log has $n of its 10 execs of true"
		awk '$1 == "E" { e[$2] = 1 } $1 == "X" { x[$2] = 1 } END { for (p in e) if (!(p in x)) exit 1 }' "$W/b.log" ||
			problem "u2's log has an E without its X"
		! grep -q '^# lost' "$W/b.log" || problem "u2's log says: $(grep '^# lost' "$W/b.log")"
	fi
	touch "$W/release"
	wait_exit "$a" 30 "u1's session"
	a_rc=$RC
	echo "# u1: exit $a_rc, $(grep '^# lost' "$W/a.log" 2>/dev/null)" >&3
	[ "$a_rc" -eq 123 ] || grep -qE '^# lost [1-9][0-9]* events$' "$W/a.log" ||
		problem "u1's session went past its share without reporting loss (exit $a_rc)"
	daemon_ok
	no_problems
}

@test "F11: a non-blocking pipe as the log: every record arrives, or the loss is counted" {
	local close_err lost n complete=0 counted=0
	start_daemon f11
	mkdir -m 0777 "$W/burst"
	# u1's log: an O_NONBLOCK pipe it reads late and slowly; 3000 opens
	run timeout 90 "${AS_U1[@]}" "${PY[@]}" nbpipe "$SOCK" "$UFMTEST" "$W/burst" 3000 "$W/nb"
	[ -e "$W/nb" ] || fail "the client did not finish: $output"
	read -r _ _ _ close_err _ lost <"$W/nb"
	n=$(grep -cE "^W [0-9]+ $W/burst/f[0-9]+\$" "$W/nb.log" || true)
	echo "# $(cat "$W/nb"); $n of 3000 W records; $(grep -c '' "$W/nb.log") lines" >&3
	[ "$n" -eq 3000 ] && [ "$(tail -1 "$W/nb.log")" = "# Bye bye" ] && complete=1
	[ "${lost:-0}" != None ] && [ "${lost:-0}" -gt 0 ] && grep -qE '^# lost [1-9][0-9]* events$' "$W/nb.log" && counted=1
	[ $complete = 1 ] || [ $counted = 1 ] ||
		problem "$n of 3000 records, trailer $(grep -c '^# Bye bye' "$W/nb.log"), '# lost' lines $(grep -c '^# lost' "$W/nb.log"), CLOSE lost $lost: records missing and not counted"
	check_whole_lines "$W/nb.log" "the pipe's log"
	[ "$close_err" = 0 ] || [ "$close_err" = 11 ] ||
		problem "CLOSE's error is $close_err: neither 0 nor the EAGAIN of the failed write"
	# /dev/full: an error, never a success
	run timeout 20 "${AS_U1[@]}" "$UFM" --socket "$SOCK" --connect -o /dev/full -- sh -c "cat $W/f >/dev/null"
	echo "# /dev/full: status $status: $output" >&3
	[ "$status" -ne 0 ] || problem "a session logging to /dev/full succeeded"
	grep -qE 'No space left on device|ENOSPC' <<<"$output" || problem "the /dev/full failure does not say ENOSPC: $output"
	daemon_ok
	no_problems
}

@test "F12: a name flipped to \"\" during the call never gives a record without a path" {
	start_daemon f12
	mkdir -m 0777 "$W/flip"
	# openat(dirfd, buf), unlinkat(dirfd, buf), unlink(buf) of u1's own file
	# while another thread flips buf between "junkfile000" and "": the hooks
	# read buf again at syscall exit, so the unfixed daemon logged "A <pid> "
	# (thousands of times in 5000 rounds).
	# The audit's other flip, between the file's name and "/etc/passwd", gives
	# a "D <pid> /etc/passwd" for an unlink of the junk file: the fix only
	# documents that race (filemond(8)), so it is not asserted here.
	run timeout 60 "${AS_U1[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/flip.log" -- "$UFMISO" flip "$W/flip" 5000
	echo "# $output" >&3
	[ "$status" -eq 0 ] || [ "$status" -eq 123 ] || problem "the session exited $status: $output"
	grep -qE "^W [0-9]+ $W/flip/junkfile000\$" "$W/flip.log" || problem "the log has none of the opens"
	grep -E '^[A-Z] [0-9]+ ?$' "$W/flip.log" | grep -vx 'V 5' >"$W/nopath" || true
	[ ! -s "$W/nopath" ] ||
		problem "$(grep -c '' "$W/nopath") records without a path, e.g. [$(head -1 "$W/nopath")]"
	check_whole_lines "$W/flip.log" "the flip log"
	daemon_ok
	no_problems
}

@test "F14: kill -9 of the daemon: the log ends in whole lines and says it is incomplete" {
	local last
	start_daemon f14
	# u1 traces a loop that logs steadily (about 25 records per cat)
	"${AS_U1[@]}" "$UFM" --socket "$SOCK" --connect -o "$W/k.log" -- \
		sh -c "echo \$\$ >$W/cmd.pid; for i in \$(seq 300); do cat $W/f >/dev/null; sleep 0.01; done" 2>"$W/k.err" &
	c=$!
	track $c
	# once more than 64 KiB are out, the unfixed daemon's 64 KiB buffer has
	# been flushed mid-record: kill it then, mid-run
	for _ in $(seq $((400 * TIME_SCALE))); do [ "$(stat -c %s "$W/k.log" 2>/dev/null || echo 0)" -gt 70000 ] && break; sleep 0.05; done
	sleep 0.1
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	wait_exit "$c" 20 "the client"
	echo "# client: exit $RC: $(tr '\n' ' ' <"$W/k.err")" >&3
	stop_u1_pidfile "$W/cmd.pid" # the command runs on, untraced
	[ "$RC" -eq 125 ] || problem "the client exited $RC, not 125"
	check_whole_lines "$W/k.log" "the killed session's log"
	last=$(tail -1 "$W/k.log")
	[[ "$last" == "# filemond:"*incomplete* ]] ||
		problem "the log's last line does not say it is incomplete: [$last]"
	no_problems
}

@test "F18: SET_PID trees of 3000 processes do not stall the daemon" {
	local procs errs
	start_daemon f18
	RELEASES+=("$W/release")
	"${AS_U1[@]}" "$UFMISO" sleepers 3000 "$W/ready" "$W/release" $((90 * TIME_SCALE)) &
	tree=$!
	track $tree
	wait_file "$W/ready" 60 || fail "the tree was not built"
	[ "$(cat "$W/ready")" -eq 3000 ] || fail "only $(cat "$W/ready") processes could be forked"
	start_status_poller "$W/lat"
	sleep 0.5
	# ten SET_PID + FM_PID_TREE of that tree, pipelined: one alone takes the
	# unfixed ASan daemon about 0.8 s (below any sane bound), ten in a row
	# held its loop about 7 s
	run timeout $((120 * TIME_SCALE)) "${AS_U1[@]}" "${PY[@]}" tree "$SOCK" "$tree" 10 "$W/tree"
	stop_status_poller "$W/lat"
	echo "# tree: $(cat "$W/tree" 2>/dev/null) $output; status probes (rc ms), slowest: $(sort -k2 -n "$W/lat" | tail -1)" >&3
	read -r _ errs _ procs _ <"$W/tree" || problem "the tree client failed: $output"
	[ "${errs:-x}" = 0 ] || problem "SET_PID tree answered errno(s) $errs"
	[ "${procs:--1}" -ge 3000 ] || problem "the session holds ${procs:-?} processes, not the tree's 3001"
	awk -v lim=$((2000 * TIME_SCALE)) '$1 != 0 { print "status failed, rc " $1; bad = 1 } $2 > lim { print "status waited " $2 " ms"; bad = 1 } END { exit bad }' "$W/lat" >"$W/lat.bad" ||
		problem "root's --status while the trees were attached: $(sort -u "$W/lat.bad" | tr '\n' ';')"
	touch "$W/release"
	wait_exit "$tree" 30 "the tree"
	daemon_ok
	no_problems
}

@test "F19: garbage from 100 connections is warned about at a bounded rate" {
	local n0 n1 einval t0 secs
	start_daemon f19
	n0=$(wc -l <"$DERR")
	t0=$SECONDS
	einval=$(for i in $(seq 100); do "${AS_U1[@]}" "$UFMCLIENT" "$SOCK" garbage; done | grep -c '^garbage EINVAL$' || true)
	"$FILEMOND" --status --socket "$SOCK" >/dev/null
	sleep 0.3
	n1=$(wc -l <"$DERR")
	secs=$((SECONDS - t0 + 1))
	echo "# $einval EINVAL replies; $((n1 - n0)) daemon stderr lines in about $secs s" >&3
	[ "$einval" -eq 100 ] || problem "$einval of 100 garbage requests got EINVAL"
	# one warning a second at most (on a slow machine the 100 take longer)
	[ $((n1 - n0)) -le $((secs + 1)) ] ||
		problem "the daemon wrote $((n1 - n0)) stderr lines for 100 garbage connections in about $secs s"
	daemon_ok
	no_problems
}

@test "F19: a session that lost only unresolved paths says 0 events lost, N paths unresolved" {
	local n
	start_daemon f19b
	mkdir -m 0777 "$W/deep"
	# 22 nested 200-byte names: the file at the bottom is past PATH_MAX
	run timeout 30 "${AS_U1[@]}" sh -c "cd $W/deep && exec $UFM --socket $SOCK --connect -o $W/deep.log -- $UFMISO deep 22"
	echo "# $output" >&3
	n=$(grep -c '^# unresolved' "$W/deep.log" || true)
	[ "$n" -ge 1 ] || problem "no '# unresolved' record in the log"
	[ "$status" -eq 123 ] || problem "exit $status, not 123"
	grep -qF "0 events lost, $n paths unresolved" <<<"$output" ||
		problem "the warning does not say '0 events lost, $n paths unresolved': $output"
	! grep -q '^# lost' "$W/deep.log" || problem "the log says: $(grep '^# lost' "$W/deep.log")"
	rm -rf "$W/deep"
	daemon_ok
	no_problems
}

# The protocol clients, in Python: written to $PUB/fmiso.py by setup_file.
write_fmiso_py() {
	cat >"$1" <<'PY'
# Clients of filemond's socket protocol (src/protocol.h) for isolation.bats.
import array, errno, fcntl, os, select, socket, struct, sys, termios, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fmproto import (SET_FD, SET_PID, CLOSE, STATUS, PID_TREE, REPLY, NOTE_EMPTY as EMPTY,  # noqa: E402
                     REP, request as req, connect, recv_exact, recv_reply, parse_reply, call)


def out(path, text):
    """Write a result file atomically (the test polls for it)."""
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path + '.tmp', path)


def cmd_uaf(sock, cycles, n, outp):
    """F3: close the last session, then close n connections one by one,
    2 ms apart, through the moment the idle daemon detaches and forks."""
    log = []
    for c in range(cycles):
        try:
            s = connect(sock, 5)
            dn = os.open('/dev/null', os.O_WRONLY)
            call(s, SET_FD, fd=dn)
            os.close(dn)
            call(s, CLOSE)
            s.close()
        except (OSError, EOFError) as e:
            log.append('cycle %d: no session: %s' % (c, e))
            break
        t0 = time.monotonic()
        conns = []
        try:
            for _ in range(n):
                conns.append(connect(sock, 5))
        except OSError as e:
            log.append('cycle %d: connect: %s' % (c, e))
            break
        time.sleep(max(0, t0 + 1.8 - time.monotonic()))
        replied, einval = 0, 0
        for k in conns:
            try:
                try:
                    k.sendall(b'\0' * 16)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # turned away at accept (a per-user limit): its reply waits
                e = recv_reply(k)[2]
                replied += 1
                einval += e == errno.EINVAL
            except (OSError, EOFError, ValueError):
                pass
            k.close()
            time.sleep(0.002)
        log.append('cycle %d: %d replies (%d EINVAL) of %d, %.2f s'
                   % (c, replied, einval, n, time.monotonic() - t0))
        time.sleep(max(0, t0 + 2.4 - time.monotonic()))
    out(outp, '\n'.join(log) + '\n')


def cmd_idle(sock, n, partial, hold, outp):
    """F7: n connections that send nothing (partial of them 7 bytes of a
    request); watch how long the daemon keeps them."""
    conns, refused = [], 0
    for i in range(n):
        try:
            # a backlog full for 0.2 s: the daemon accepts no more (after
            # three such, do not wait for the rest)
            s = connect(sock, 0.2 if refused < 3 else 0.005)
        except OSError:
            refused += 1
            continue
        s.setblocking(False)
        if i < partial:
            try:
                s.send(req(STATUS)[:7])
            except OSError:
                pass
        conns.append(s)
    t0 = time.monotonic()
    out(outp + '.opened', 'opened %d refused %d\n' % (len(conns), refused))
    open_ = set(conns)
    lines = []
    while open_ and time.monotonic() - t0 < hold:
        p = select.poll()
        for s in open_:
            p.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
        byfd = {s.fileno(): s for s in open_}
        for fd, ev in p.poll(250):
            s = byfd[fd]
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b''
            if not data:
                open_.discard(s)
                s.close()
        lines.append('%.1f %d' % (time.monotonic() - t0, len(open_)))
    lines.append('final %.1f %d' % (time.monotonic() - t0, len(open_)))
    out(outp, '\n'.join(lines) + '\n')


def cmd_sessions(sock, n, logpath, release, outp):
    """F8: n connections, each a session with SET_FD of logpath, held until
    release exists."""
    tally, conns = {}, []
    for _ in range(n):
        try:
            s = connect(sock, 10)
            conns.append(s)
            fd = os.open(logpath, os.O_WRONLY)
            err, _ = call(s, SET_FD, fd=fd)
            os.close(fd)
            name = 'ok' if err == 0 else errno.errorcode.get(err, str(err))
        except EOFError:
            name = 'EOF'
        except OSError as e:
            name = 'conn-' + errno.errorcode.get(e.errno or 0, type(e).__name__)
        tally[name] = tally.get(name, 0) + 1
    out(outp, ' '.join('%s %d' % kv for kv in sorted(tally.items())) + '\n')
    t0 = time.monotonic()
    while not os.path.exists(release) and time.monotonic() - t0 < 60:
        time.sleep(0.05)


def cmd_flood(sock, seconds, outp):
    """F9: STATUS requests, 64 KiB per send, as fast as possible, never
    reading a reply; reconnect if the daemon hangs up."""
    chunk = req(STATUS) * 4096
    sent, reconnects = 0, 0
    t0 = time.monotonic()
    s = None
    while time.monotonic() - t0 < seconds:
        try:
            if s is None:
                s = connect(sock, 0.5)
            n = s.send(chunk)
            sent += n // 16
        except socket.timeout:
            continue
        except OSError:
            if s:
                s.close()
            s = None
            reconnects += 1
            time.sleep(0.01)
    out(outp, 'requests %d reconnects %d\n' % (sent, reconnects))


def cmd_tree(sock, root, k, outp):
    """F18: SET_PID root with FM_PID_TREE, k requests pipelined."""
    s = connect(sock, 120)
    dn = os.open('/dev/null', os.O_WRONLY)
    call(s, SET_FD, fd=dn)
    os.close(dn)
    t0 = time.monotonic()
    s.sendall(req(SET_PID, root, PID_TREE) * k)
    errs, times = [], []
    while len(errs) < k:
        typ, _, err, _, _ = recv_reply(s)
        if typ == REPLY:
            errs.append(err)
            times.append(time.monotonic() - t0)
    # how many processes the session holds now, from its own STATUS line
    procs = -1
    s.sendall(req(STATUS))
    while True:
        typ, _, err, _, text = recv_reply(s)
        if typ == REPLY:
            break
    for line in text.decode(errors='replace').splitlines():
        f = line.split()
        if len(f) >= 4 and f[1] == str(os.getpid()) and f[3].isdigit():
            procs = int(f[3])
    call(s, CLOSE)
    out(outp, 'errs %s procs %d first %.2f last %.2f\n'
        % (','.join(map(str, sorted(set(errs)))), procs, times[0], times[-1]))


def cmd_nbpipe(sock, fmtest, burstdir, count, outp):
    """F11: the log is an O_NONBLOCK pipe that this client reads slowly."""
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    s = connect(sock, 60)
    err, _ = call(s, SET_FD, fd=w)
    if err:
        out(outp, 'SET_FD err %d\n' % err)
        return
    gr, gw = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(gw)
        os.close(r)
        os.close(w)
        os.read(gr, 1)
        os.execv(fmtest, [fmtest, 'burst:%s:%d' % (burstdir, count)])
    os.close(gr)
    err, _ = call(s, SET_PID, pid=pid)
    os.write(gw, b'g')
    os.close(gw)
    log = bytearray()
    t0 = time.monotonic()
    state, close_err, lost = 'wait-empty', None, None
    buf = b''
    while state != 'done' and time.monotonic() - t0 < 60:
        # the first half second nothing is read, then 4 KiB every 20 ms
        rl = [s] + ([r] if time.monotonic() - t0 > 0.5 else [])
        ready, _, _ = select.select(rl, [], [], 0.02)
        if r in ready:
            log += os.read(r, 4096)
            time.sleep(0.02)
        if s in ready:
            c = s.recv(4096)
            if not c:
                state = 'done'
                break
            buf += c
            while len(buf) >= REP.size:
                magic, typ, op, e, value, ln = parse_reply(buf)
                buf = buf[REP.size + ln:]
                if typ == EMPTY and state == 'wait-empty':
                    s.sendall(req(CLOSE))
                    state = 'wait-close'
                elif typ == REPLY and op == CLOSE:
                    close_err, lost, state = e, value, 'done'
    os.waitpid(pid, 0)
    s.close()
    os.close(w)
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
    t1 = time.monotonic()
    while time.monotonic() - t1 < 10:  # until the daemon lets go of its copy
        try:
            c = os.read(r, 65536)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if not c:
            break
        log += c
    with open(outp + '.log', 'wb') as f:
        f.write(log)
    out(outp, 'set_pid %d close_err %s lost %s\n' % (err, close_err, lost))


def cmd_blockpipe(holdmax, outp, argv):
    """F6: run argv with its stdout the write end of a pipe whose read end
    this process holds and never reads (until holdmax seconds)."""
    r, w = os.pipe()
    t0 = time.time()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        os.close(w)
        os.execvp(argv[0], argv)
    os.close(w)
    full_at = None
    status = None
    last, changed = -1, time.time()
    while time.time() - t0 < holdmax:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = st
            break
        n = array.array('i', [0])
        fcntl.ioctl(r, termios.FIONREAD, n)
        now = time.time()
        if n[0] != last:
            last, changed = n[0], now
        # blocked: at least half the pipe's 64 KiB, and no byte more for
        # 0.5 s; it stopped accepting when the last byte came
        if full_at is None and last >= 32768 and now - changed >= 0.5:
            full_at = changed
            out(outp + '.full', '%.6f %d\n' % (full_at, last))
        time.sleep(0.05)
    ended = time.time()
    held = status is None
    os.close(r)  # lets a daemon (or client) that waits on it go
    t1 = time.time()
    while status is None and time.time() - t1 < 30:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = st
        time.sleep(0.05)
    if status is None:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    out(outp, 'rc %d held %d full %s ended %.6f\n' % (rc, held, '%.6f' % full_at if full_at else 'never', ended))


def main():
    a = sys.argv[1:]
    c = a[0]
    if c == 'uaf':
        cmd_uaf(a[1], int(a[2]), int(a[3]), a[4])
    elif c == 'idle':
        cmd_idle(a[1], int(a[2]), int(a[3]), float(a[4]), a[5])
    elif c == 'sessions':
        cmd_sessions(a[1], int(a[2]), a[3], a[4], a[5])
    elif c == 'flood':
        cmd_flood(a[1], float(a[2]), a[3])
    elif c == 'tree':
        cmd_tree(a[1], int(a[2]), int(a[3]), a[4])
    elif c == 'nbpipe':
        cmd_nbpipe(a[1], a[2], a[3], int(a[4]), a[5])
    elif c == 'blockpipe':
        cmd_blockpipe(float(a[1]), a[2], a[a.index('--') + 1:])
    else:
        sys.exit('fmiso.py: unknown command ' + c)


main()
PY
}
