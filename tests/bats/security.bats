#!/usr/bin/env bats
# Attacks on the daemon's permission checks, from the security audit
# (F1, F2, F4, F5, F13, F15, F17, F19): an unprivileged user must not trace,
# through the daemon, a process it could not ptrace, nor follow one of its
# own processes across a setuid/setgid exec, nor see other users' sessions.
#
# Every test here was run against the unfixed daemon (b9dfc24) and failed
# there, for the attack's reason: the attack worked.  Where a test also
# checks that legitimate use still works (a control), the control comes
# first and passed on b9dfc24 too.
#
# Binaries come from the environment, with defaults in this tree:
# FILEMOND, FMCLIENT, FMTEST_STATIC (which needs the sleep:, waitfor: and
# nodump ops of tests/prog/fmtest.c).

bats_require_minimum_version 1.5.0

U1=fmsec-u1
U2=fmsec-u2
GRP=fmsec-g

setup_file() {
	load helpers
	FMCLIENT=${FMCLIENT:-$ROOT/build/tests/fmclient}
	FMTEST_STATIC=${FMTEST_STATIC:-$ROOT/build/tests/fmtest-static}
	export FMCLIENT FMTEST_STATIC
	"$FMTEST_STATIC" sleep:1 waitfor:/ ||
		fail "$FMTEST_STATIC lacks the sleep:/waitfor:/nodump ops: rebuild it (make)"
	# outside bats' private (0700) tree, so the unprivileged users reach it;
	# setuid/setgid copies live here, so it must not be mounted nosuid
	export PUB=$(mktemp -d /tmp/filemond-security-test.XXXXXX)
	chmod 0755 "$PUB"
	if findmnt -no OPTIONS -T "$PUB" | tr , '\n' | grep -qx nosuid; then
		rm -rf "$PUB"
		fail "$PUB is on a nosuid mount: the setid tests cannot run"
	fi
	# throw-away users and a group neither of them is in
	: >"$BATS_FILE_TMPDIR/created"
	for u in "$U1" "$U2"; do
		if ! id "$u" >/dev/null 2>&1; then
			useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
			echo "user $u" >>"$BATS_FILE_TMPDIR/created"
		fi
	done
	if ! getent group "$GRP" >/dev/null; then
		groupadd --system "$GRP"
		echo "group $GRP" >>"$BATS_FILE_TMPDIR/created"
	fi
	export UID1=$(id -u "$U1") UID2=$(id -u "$U2") GID1=$(id -g "$U1") GID2=$(id -g "$U2")
	# programs the users run, and the setid copies of fmtest-static
	export BIN=$PUB/bin
	mkdir -m 0755 "$BIN"
	cp "$FILEMOND" "$BIN/filemond"
	cp "$FMCLIENT" "$BIN/fmclient"
	cp "$FMTEST_STATIC" "$BIN/fmtest-static"
	cp "$FMTEST_STATIC" "$BIN/fmtest-suid"
	chmod 4755 "$BIN/fmtest-suid"
	cp "$FMTEST_STATIC" "$BIN/fmtest-sgid"
	chgrp "$GRP" "$BIN/fmtest-sgid"
	chmod 2755 "$BIN/fmtest-sgid"
	cp "$FMTEST_STATIC" "$BIN/fmtest-fcap"
	setcap cap_dac_read_search+ep "$BIN/fmtest-fcap"
	write_client >"$BIN/secclient.py"
	chmod 0755 "$BIN/secclient.py"
	cp "$ROOT/tests/lib/fmproto.py" "$BIN/fmproto.py"
	# a root-only file, a file only GRP may read, a public one
	mkdir -m 0700 "$PUB/secret"
	echo root-only >"$PUB/secret/file"
	chmod 0600 "$PUB/secret/file"
	export SECRET=$PUB/secret/file
	mkdir -m 0750 "$PUB/gsecret"
	echo group-only >"$PUB/gsecret/file"
	chgrp -R "$GRP" "$PUB/gsecret"
	chmod 0640 "$PUB/gsecret/file"
	export GSECRET=$PUB/gsecret/file
	echo public >"$PUB/public"
	echo public >"$PUB/public2"
	export PUBLIC=$PUB/public PUBLIC2=$PUB/public2
	# each user's own directory, for its logs
	export UDIR=$PUB/u1 U2DIR=$PUB/u2
	install -d -m 0755 -o "$UID1" -g "$GID1" "$UDIR"
	install -d -m 0755 -o "$UID2" -g "$GID2" "$U2DIR"
	export PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3)
	export SOCK=$PUB/fm.sock
	"$FILEMOND" --daemon --socket "$SOCK" 2>"$BATS_FILE_TMPDIR/daemon.err" 3>&- &
	export DAEMON_PID=$!
	for _ in $(seq $((200 * TIME_SCALE))); do [ -S "$SOCK" ] && break; sleep 0.05; done
	[ -S "$SOCK" ] || fail "the daemon did not start: $(cat "$BATS_FILE_TMPDIR/daemon.err")"
}

teardown_file() {
	kill "$DAEMON_PID" 2>/dev/null || true
	for _ in $(seq $((200 * TIME_SCALE))); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	# every process whose command line names $PUB (the daemons of the
	# tests, their clients) is gone before $PUB is removed
	for _ in $(seq $((200 * TIME_SCALE))); do
		grep -qlF "$PUB" /proc/[0-9]*/cmdline 2>/dev/null || break
		sleep 0.05
	done
	while read -r kind name; do
		case $kind in
		user) userdel "$name" ;;
		group) groupdel "$name" ;;
		esac
	done <"$BATS_FILE_TMPDIR/created"
	rm -rf "$PUB"
}

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR
	: >"$D/pids"
	# for background jobs: $! is then the process itself (setpriv execs)
	AS1=(setpriv --reuid="$UID1" --regid="$GID1" --clear-groups)
	AS2=(setpriv --reuid="$UID2" --regid="$GID2" --clear-groups)
}

# Stop what the test started (by pid, if that pid is still the same
# process), and let waiting programs go.
teardown() {
	touch "$PUB/go"
	ours() { [ -n "$2" ] && [ "$(starttime "$1")" = "$2" ] && alive "$1"; }
	while read -r p t; do
		if ours "$p" "$t"; then kill -TERM "$p" 2>/dev/null || true; fi
	done <"$D/pids"
	while read -r p t; do
		for _ in $(seq $((40 * TIME_SCALE))); do ours "$p" "$t" || break; sleep 0.05; done
		if ours "$p" "$t"; then kill -KILL "$p" 2>/dev/null || true; fi
		wait "$p" 2>/dev/null || true
	done <"$D/pids"
	rm -f "$PUB/go"
}

# A process's start time (clock ticks after boot): pid and this name it.
starttime() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

# Is pid alive (not gone, not a zombie)?
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Remember a process to stop in teardown.
track() { echo "$1 $(starttime "$1")" >>"$D/pids"; }

# as_user USER CMD...: CMD as USER, with no supplementary groups.
as_user() {
	local u=$1
	shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups "$@"
}

# wait_until SECONDS CMD...: poll CMD every 50 ms.
wait_until() {
	local n=$(($1 * 20 * TIME_SCALE))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# reads N FILE: fmtest's operations to read FILE every 50 ms, N times, in READS.
reads() {
	READS=()
	for _ in $(seq "$1"); do READS+=("open:$2" sleep:50); done
}

# Has pid exec'd the program named (its comm)?
runs() { [ "$(sed -n 's/^Name:\t//p' "/proc/$1/status" 2>/dev/null)" = "$2" ]; }

# A thread of pid that is not its leader.
thread_of() {
	local t
	for t in "/proc/$1/task/"[0-9]*; do
		t=${t##*/}
		[ "$t" != "$1" ] && [ -e "/proc/$1/task/$t" ] && echo "$t" && return 0
	done
	return 1
}

# fork_at PID CMD...: start CMD in the background as pid PID (root's
# ns_last_pid), a few tries; $! is its pid.
fork_at() {
	local want=$1
	shift
	for _ in $(seq $((50 * TIME_SCALE))); do
		echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
		"$@" 3>&- &
		[ "$!" -eq "$want" ] && return 0
		{ kill -9 "$!" && wait "$!"; } 2>/dev/null || true
	done
	fail "could not start a process as pid $want"
}

# A root process that reads FILE every 50 ms, N times; sets VICTIM.
start_victim() {
	reads "${2:-120}" "$1"
	"$FMTEST_STATIC" "${READS[@]}" 3>&- &
	VICTIM=$!
	track "$VICTIM"
}

# Every record of pid in log: its own, and the F that created it.
pid_lines() {
	awk -v p="$2" '$1 ~ /^[A-Z]$/ && ($2 == p || ($1 == "F" && $3 == p))' "$1"
}

# The log holds no record of pid and never names file.
assert_not_traced() {
	local log=$1 pid=$2 file=$3 seen
	seen=$(pid_lines "$log" "$pid" | head -5)
	[ -z "$seen" ] || fail "$log traced pid $pid: $seen"
	seen=$(grep -F "$file" "$log" | head -5)
	[ -z "$seen" ] || fail "$log names $file: $seen"
}

# Is pid blocked in a sleep (nanosleep, clock_nanosleep, poll, select...)?
in_sleep() {
	local nr
	read -r nr _ <"/proc/$1/syscall" 2>/dev/null || return 1
	case $nr in
	7 | 23 | 35 | 230 | 270 | 271) return 0 ;;
	*) return 1 ;;
	esac
}

# Every pid with an E has exactly one X.
assert_every_e_has_x() {
	awk '$1 == "E" { e[$2] = 1 } $1 == "X" { x[$2]++ }
		END { for (p in e) if (x[p] != 1) { print "pid " p ": E without exactly one X"; bad = 1 }; exit bad }' "$1" ||
		fail "in $1"
}

# Raw protocol clients (src/protocol.h), for what fmclient cannot do.
write_client() {
	cat <<'EOF'
#!/usr/bin/python3
"""Raw clients of filemond's socket protocol, for security.bats.

  secclient.py forkexec SOCK LOG VICTIM PROG ARG...
      connect, fork; the parent execs PROG ARG... (the connecting process);
      once it has, the child sends SET_FD LOG and SET_PID VICTIM, holds
      the session 1.5 s and sends CLOSE
  secclient.py forkexit SOCK LOG GO
      connect, fork; the parent (the connecting process) exits; once it
      has, the child sends SET_FD LOG, waits for the file GO, then sends
      SET_PID VICTIM (the pid its parent had), holds 1.5 s and CLOSEs
  secclient.py eventfd SOCK
      SET_FD with an eventfd, then CLOSE
Each request prints "<OP> <errno name or OK>".
"""
import errno, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fmproto import SET_FD, SET_PID, CLOSE, call, connect  # noqa: E402


def say(op, err):
    print(op, 'OK' if err == 0 else errno.errorcode.get(err, str(err)), flush=True)


def close(s):
    try:
        say('CLOSE', call(s, CLOSE)[0])
    except (OSError, EOFError):
        say('CLOSE', errno.EPIPE)


def set_fd(s, log):
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    say('SET_FD', call(s, SET_FD, fd=fd)[0])
    os.close(fd)


def set_pid(s, victim):
    say('SET_PID', call(s, SET_PID, pid=int(victim))[0])
    time.sleep(1.5)
    close(s)
    os._exit(0)


def attach(s, log, victim):
    set_fd(s, log)
    set_pid(s, victim)


def forkexec(sock, log, victim, prog, *args):
    s = connect(sock)
    if os.fork():
        os.execv(prog, [prog] + list(args))
    parent, want = os.getppid(), os.path.basename(prog)[:15]
    for _ in range(2000):
        with open('/proc/%d/status' % parent) as f:
            if f.readline().split()[1] == want:
                break
        time.sleep(0.005)
    else:
        print('the parent never ran', prog, flush=True)
        os._exit(1)
    time.sleep(0.2)  # the exec has committed its credentials
    attach(s, log, victim)


def forkexit(sock, log, go):
    s = connect(sock)
    victim = os.getpid()
    if os.fork():
        os._exit(0)
    while os.getppid() == victim:
        time.sleep(0.01)
    # the first request now, so the wait below is not a silent connection
    # (the daemon closes those after 5 s); the attack is SET_PID's
    set_fd(s, log)
    for _ in range(6000):
        if os.path.exists(go):
            break
        time.sleep(0.01)
    set_pid(s, victim)


def eventfd(sock):
    s = connect(sock)
    say('SET_FD', call(s, SET_FD, fd=os.eventfd(0))[0])
    close(s)


{'forkexec': forkexec, 'forkexit': forkexit, 'eventfd': eventfd}[sys.argv[1]](*sys.argv[2:])
EOF
}

@test "F1: a user-namespace root cannot trace a root process" {
	as_user "$U1" unshare -Ur true || fail "no unprivileged user namespaces here: the attack cannot be tried"
	start_victim "$SECRET" $((120 * TIME_SCALE)) # alive through the three clients, even in a slow guest
	# controls: without a user namespace the user is refused; inside one
	# it still traces its own command
	run as_user "$U1" "$BIN/fmclient" "$SOCK" "fd:$UDIR/plain.log" "pid:$VICTIM" close
	assert_line "pid:$VICTIM EPERM"
	run as_user "$U1" unshare -Ur "$BIN/filemond" --socket "$SOCK" --connect -o "$UDIR/own.log" -- cat "$PUBLIC"
	assert_success
	grep -qE "^R [0-9]+ $PUBLIC\$" "$UDIR/own.log"
	# the attack: "root" in its own user namespace asks for root's process
	run as_user "$U1" unshare -Ur "$BIN/fmclient" "$SOCK" "fd:$UDIR/userns.log" \
		"pid:$VICTIM" sleep:1500 "tree:$VICTIM" sleep:1500 close
	kill -0 "$VICTIM" # it read its file all along
	assert_wellformed "$UDIR/userns.log"
	assert_not_traced "$UDIR/userns.log" "$VICTIM" "$SECRET"
	assert_line "pid:$VICTIM EPERM"
	assert_line "tree:$VICTIM EPERM"
}

@test "F2: a child cannot use the setuid-root program its parent exec'd after connecting" {
	start_victim "$SECRET" $((120 * TIME_SCALE)) # alive through both clients, even in a slow guest
	# control: the parent execs an ordinary program
	run as_user "$U1" "$PY" "$BIN/secclient.py" forkexec "$SOCK" "$UDIR/plain.log" "$VICTIM" \
		"$BIN/fmtest-static" sleep:2500
	assert_line "SET_FD OK"
	assert_line "SET_PID EPERM"
	# the attack: the parent (the process SO_PEERCRED names) becomes setuid root
	run as_user "$U1" "$PY" "$BIN/secclient.py" forkexec "$SOCK" "$UDIR/suid.log" "$VICTIM" \
		"$BIN/fmtest-suid" sleep:2500
	kill -0 "$VICTIM"
	assert_line "SET_FD OK"
	assert_wellformed "$UDIR/suid.log"
	assert_not_traced "$UDIR/suid.log" "$VICTIM" "$SECRET"
	assert_line "SET_PID EPERM"
}

@test "F2: a root process that reuses the pid of a client that exited lends it nothing" {
	rm -f "$PUB/go"
	"${AS1[@]}" "$PY" "$BIN/secclient.py" forkexit "$SOCK" "$UDIR/exited.log" "$PUB/go" >"$D/client.out" 3>&- &
	connector=$!
	track "$connector"
	wait "$connector" # the process SO_PEERCRED names is gone; its child holds the connection
	# a root process that reads its secret gets that pid; the child asks for it
	reads 200 "$SECRET"
	fork_at "$connector" "$FMTEST_STATIC" "${READS[@]}"
	victim=$!
	track "$victim"
	touch "$PUB/go"
	wait_until 20 grep -q '^CLOSE ' "$D/client.out" || fail "the client did not finish: $(cat "$D/client.out")"
	kill -0 "$victim"
	run cat "$D/client.out"
	assert_line "SET_FD OK"
	assert_wellformed "$UDIR/exited.log"
	assert_not_traced "$UDIR/exited.log" "$victim" "$SECRET"
	assert_line "SET_PID EPERM"
}

@test "F4: SET_PID of a thread that is not its group's leader gives ESRCH" {
	"${AS1[@]}" "$BIN/fmtest-static" thread:sleep:20000 3>&- &
	p=$!
	track "$p"
	wait_until 10 runs "$p" fmtest-static || fail "$p did not start"
	wait_until 10 thread_of "$p" >/dev/null || fail "no thread in $p"
	tid=$(thread_of "$p")
	run as_user "$U1" "$BIN/fmclient" "$SOCK" "fd:$UDIR/tid.log" "pid:$tid" "tree:$tid" "pid:$p" close
	assert_line "pid:$tid ESRCH"
	assert_line "tree:$tid ESRCH"
	assert_line "pid:$p OK" # its leader is the user's to trace
	run "$FMCLIENT" "$SOCK" "fd:$D/root.log" "pid:$tid" close
	assert_line "pid:$tid ESRCH" # root too: a TID is no process
}

@test "F4: a root process that gets a traced thread's pid after the thread exited is not traced" {
	rm -f "$PUB/go"
	"${AS1[@]}" "$BIN/fmtest-static" "thread:waitfor:$PUB/go" sleep:20000 3>&- &
	p=$!
	track "$p"
	wait_until 10 runs "$p" fmtest-static || fail "$p did not start"
	wait_until 10 thread_of "$p" >/dev/null || fail "no thread in $p"
	tid=$(thread_of "$p")
	"${AS1[@]}" "$BIN/fmclient" "$SOCK" "fd:$UDIR/tid-reuse.log" "pid:$tid" sleep:4000 close >"$D/client.out" 3>&- &
	client=$!
	track "$client"
	wait_until 10 grep -q "^pid:$tid " "$D/client.out" || fail "no reply to pid:$tid"
	# the thread exits; the session lives on; root's next process gets its pid
	touch "$PUB/go"
	wait_until 10 test ! -e "/proc/$p/task/$tid" || fail "thread $tid did not exit"
	reads 20 "$SECRET"
	fork_at "$tid" "$FMTEST_STATIC" "${READS[@]}"
	victim=$!
	track "$victim"
	wait "$victim" # it read the secret 20 times and exited 0
	wait "$client"
	assert_wellformed "$UDIR/tid-reuse.log"
	assert_not_traced "$UDIR/tid-reuse.log" "$tid" "$SECRET"
	run cat "$D/client.out"
	assert_line "pid:$tid ESRCH"
}

# setid_exec PROG SECRET: the user traces, through the daemon, a shell that
# runs PROG (setid), which reads SECRET, forks a child that reads it too,
# and execs the plain fmtest, which reads PUBLIC2; the shell then reads
# PUBLIC.  Root's session does the same first and must follow PROG.
setid_exec() {
	local prog=$1 secret=$2 cmd p c e u x
	cmd="$prog open:$secret fork:open:$secret exec:$BIN/fmtest-static open:$PUBLIC2; cat $PUBLIC >/dev/null"
	# root: tracing follows the setid program
	env FMTEST_FD=9 "$FILEMOND" --socket "$SOCK" --connect -o "$D/root.log" -- sh -c "$cmd" 9>"$D/root.truth"
	p=$(awk '$1 == "F" { print $2; exit }' "$D/root.truth")
	c=$(awk '$1 == "F" { print $3; exit }' "$D/root.truth")
	assert_wellformed "$D/root.log"
	grep -qxF "R $p $secret" "$D/root.log" || fail "root's session lost $prog: $(cat "$D/root.log")"
	grep -qxF "R $c $secret" "$D/root.log" || fail "root's session lost the child of $prog"
	grep -qxF "R $p $PUBLIC2" "$D/root.log" || fail "root's session lost the exec after $prog"
	run grep -c '^# untraced' "$D/root.log"
	assert_output 0
	# the user: E, then untraced, then X, and nothing else of it or its child
	run as_user "$U1" env FMTEST_FD=9 "$BIN/filemond" --socket "$SOCK" --connect -o "$UDIR/setid.log" -- \
		sh -c "$cmd" 9>"$D/truth"
	assert_success
	p=$(awk '$1 == "F" { print $2; exit }' "$D/truth")
	c=$(awk '$1 == "F" { print $3; exit }' "$D/truth")
	[ -n "$p" ] && [ -n "$c" ] && grep -qxF "R $p $secret" "$D/truth" || fail "$prog did not run: $(cat "$D/truth")"
	log=$UDIR/setid.log
	assert_wellformed "$log"
	run grep -F "$secret" "$log"
	[ -z "$output" ] || fail "the user's log shows what $prog did: $output"
	run pid_lines "$log" "$c"
	[ -z "$output" ] || fail "the user's log traces the child of $prog: $output"
	run awk -v p="$p" '$2 == p && $1 != "X" && $0 != "E " p " " prog' prog="$prog" "$log"
	[ -z "$output" ] || fail "the user's log traces $prog after its exec: $output"
	e=$(grep -nxF "E $p $prog" "$log" | head -1 | cut -d: -f1)
	u=$(grep -nE "^# untraced $p: " "$log" | head -1 | cut -d: -f1)
	x=$(grep -nE "^X $p 0 0\$" "$log" | tail -1 | cut -d: -f1)
	[ -n "$e" ] || fail "no E $p $prog in $(cat "$log")"
	[ -n "$u" ] || fail "no '# untraced $p: ' line in $(cat "$log")"
	[ -n "$x" ] || fail "no X $p 0 0 in $(cat "$log")"
	[ "$e" -lt "$u" ] && [ "$u" -lt "$x" ] || fail "E, untraced, X of $p out of order: $(cat "$log")"
	assert_every_e_has_x "$log"
	assert_order "$log"
	# the rest of the user's command is still traced
	grep -qE "^R [0-9]+ $PUBLIC\$" "$log"
}

@test "F5a: a user's session stops tracing at the exec of a setuid-root program" {
	setid_exec "$BIN/fmtest-suid" "$SECRET"
}

@test "F5a: a user's session stops tracing at the exec of a setgid program" {
	setid_exec "$BIN/fmtest-sgid" "$GSECRET"
}

@test "F5a: a user's session stops tracing at the exec of a program with file capabilities" {
	getcap "$BIN/fmtest-fcap" | grep -q cap_dac_read_search || fail "setcap did not give the copy file capabilities"
	setid_exec "$BIN/fmtest-fcap" "$SECRET"
}

@test "F5b: a tree attach of a user's shell skips its setuid and setgid children" {
	rm -f "$PUB/go"
	"${AS1[@]}" env FMTEST_FD=9 sh -c "$BIN/fmtest-suid waitfor:$PUB/go open:$SECRET &
		$BIN/fmtest-sgid waitfor:$PUB/go open:$GSECRET &
		$BIN/fmtest-static waitfor:$PUB/go open:$PUBLIC &
		wait" 9>"$D/truth" 3>&- &
	sh=$!
	track "$sh"
	kids() { cat "/proc/$sh/task/$sh/children" 2>/dev/null; }
	all_running() {
		local n=0
		for k in $(kids); do
			runs "$k" fmtest-suid || runs "$k" fmtest-sgid || runs "$k" fmtest-static || return 1
			n=$((n + 1))
		done
		[ "$n" -eq 3 ]
	}
	wait_until 10 all_running || fail "the shell's children did not start: $(kids)"
	for k in $(kids); do track "$k"; done
	"${AS1[@]}" "$BIN/fmclient" "$SOCK" "fd:$UDIR/tree.log" "tree:$sh" sleep:4000 close >"$D/client.out" 3>&- &
	client=$!
	track "$client"
	wait_until 10 grep -q "^tree:$sh " "$D/client.out" || fail "no reply to tree:$sh"
	touch "$PUB/go" # now the children read
	wait "$sh"
	wait "$client"
	run cat "$D/client.out"
	assert_line "tree:$sh OK"
	suid=$(awk -v f="$SECRET" '$1 == "R" && $3 == f { print $2 }' "$D/truth")
	sgid=$(awk -v f="$GSECRET" '$1 == "R" && $3 == f { print $2 }' "$D/truth")
	plain=$(awk -v f="$PUBLIC" '$1 == "R" && $3 == f { print $2 }' "$D/truth")
	[ -n "$suid" ] && [ -n "$sgid" ] && [ -n "$plain" ] || fail "a child did not read: $(cat "$D/truth")"
	log=$UDIR/tree.log
	assert_wellformed "$log"
	grep -qxF "R $plain $PUBLIC" "$log" || fail "the ordinary sibling was not traced: $(cat "$log")"
	for f in "$SECRET" "$GSECRET"; do
		run grep -F "$f" "$log"
		[ -z "$output" ] || fail "the user's log shows a setid child's read: $output"
	done
	for k in "$suid" "$sgid"; do
		run awk -v p="$k" '$2 == p && $1 != "X"' "$log"
		[ -z "$output" ] || fail "the user's log traces setid child $k: $output"
	done
}

@test "F5c: a same-uid process that is setgid to another group cannot be traced" {
	"${AS1[@]}" "$BIN/fmtest-static" sleep:10000 3>&- &
	plain=$!
	track "$plain"
	"${AS1[@]}" "$BIN/fmtest-sgid" sleep:10000 3>&- &
	p=$!
	track "$p"
	wait_until 10 runs "$p" fmtest-sgid || fail "$p did not start"
	wait_until 10 runs "$plain" fmtest-static || fail "$plain did not start"
	# the kernel's own answer: ptrace is refused
	run as_user "$U1" timeout 5 strace -qq -e trace=none -p "$p"
	assert_output --partial "Operation not permitted"
	run as_user "$U1" "$BIN/fmclient" "$SOCK" "fd:$UDIR/sgid.log" "pid:$plain" "pid:$p" "tree:$p" close
	assert_line "pid:$plain OK" # control: an ordinary process of its own
	assert_line "pid:$p EPERM"
	assert_line "tree:$p EPERM"
}

# refused_like_ptrace P NAME: U1 may not strace P (the independent oracle),
# and the daemon refuses U1 both P and its tree.
refused_like_ptrace() {
	run as_user "$U1" timeout 5 strace -qq -e trace=none -p "$1"
	assert_output --partial "Operation not permitted"
	run as_user "$U1" "$BIN/fmclient" "$SOCK" "fd:$UDIR/$2.log" "pid:$1" "tree:$1" close
	assert_line "pid:$1 EPERM"
	assert_line "tree:$1 EPERM"
}

@test "F5c: a same-uid process that made itself non-dumpable cannot be traced" {
	"${AS1[@]}" "$BIN/fmtest-static" nodump sleep:10000 3>&- &
	p=$!
	track "$p"
	# /proc/PID/environ belongs to root once the process is not dumpable
	nodump() { runs "$p" fmtest-static && [ "$(stat -c %u "/proc/$p/environ" 2>/dev/null)" = 0 ]; }
	wait_until 10 nodump || fail "$p did not become non-dumpable"
	refused_like_ptrace "$p" nodump
}

@test "F5c: a same-uid process holding capabilities cannot be traced" {
	# ptrace wants the tracer's capabilities to cover the target's
	setpriv --reuid="$U1" --regid="$U1" --clear-groups --inh-caps=+net_bind_service \
		--ambient-caps=+net_bind_service "$BIN/fmtest-static" sleep:10000 3>&- &
	p=$!
	track "$p"
	wait_until 10 runs "$p" fmtest-static || fail "$p did not start"
	grep -q '^CapPrm:.*[1-9a-f]' "/proc/$p/status" || fail "$p holds no capability"
	refused_like_ptrace "$p" caps
}

# The daemon sleeps FILEMOND_TEST_ATTACH_DELAY_MS (read at its start)
# between the permission check and the tracer-map insert, so the window is
# certain.  The unfixed daemon has no such hook, and fails here with "the
# daemon does not honour ...".  To show the attack itself on unfixed code,
# this test was run against /work/baseline-f17: b9dfc24 plus only that
# sleep, in serve() (src/daemon.c) between may_trace() and session_attach():
#	if (attach_delay_ms > 0)
#		usleep((useconds_t)attach_delay_ms * 1000);
# with attach_delay_ms = atol(getenv(...)) at the top of daemon_run().
# There the reply was OK and the user's log got the root process's reads.
@test "F17: the permission check and the map insert concern the same process" {
	sock=$PUB/f17.sock
	FILEMOND_TEST_ATTACH_DELAY_MS=3000 "$FILEMOND" --daemon --socket "$sock" 2>"$D/f17.err" 3>&- &
	d=$!
	track "$d"
	wait_until 10 test -S "$sock" || fail "the daemon did not start: $(cat "$D/f17.err")"
	"${AS1[@]}" "$BIN/fmtest-static" sleep:30000 3>&- &
	p=$!
	track "$p"
	wait_until 10 runs "$p" fmtest-static || fail "$p did not start"
	"${AS1[@]}" "$BIN/fmclient" "$sock" "fd:$UDIR/f17.log" "pid:$p" sleep:2500 close >"$D/client.out" 3>&- &
	client=$!
	track "$client"
	# SET_FD is done, SET_PID on its way: the daemon checks p, then waits
	wait_until 10 grep -q '^V 5$' "$UDIR/f17.log" 2>/dev/null || fail "no SET_FD"
	wait_until 1 in_sleep "$d" || true
	run cat "$D/client.out"
	refute_line --partial "pid:$p " ||
		fail "the reply came at once: the daemon does not honour FILEMOND_TEST_ATTACH_DELAY_MS"
	# meanwhile p dies and a root process takes its pid
	{ kill -9 "$p" && wait "$p"; } 2>/dev/null || true
	reads 300 "$SECRET"
	fork_at "$p" "$FMTEST_STATIC" "${READS[@]}"
	victim=$!
	track "$victim"
	wait "$client"
	kill -0 "$victim" # it was reading all along
	run cat "$D/client.out"
	refute_line --partial "fmclient:"
	assert_wellformed "$UDIR/f17.log"
	assert_not_traced "$UDIR/f17.log" "$p" "$SECRET"
	assert_line "pid:$p ESRCH"
	kill "$d"
	wait "$d"
}

# start_daemon_at PATH: a daemon on PATH, until it serves or exits; sets
# DPID.  Its stderr goes to PATH.err.
start_daemon_at() {
	"$FILEMOND" --daemon --socket "$1" 2>"$1.err" 3>&- &
	DPID=$!
	track "$DPID"
	wait_until 15 eval "[ -S '$1' ] || ! alive $DPID"
}

@test "F13: the socket is 0666; --socket naming a regular file is refused and the file kept" {
	local dir=$PUB/f13 # under $PUB: teardown_file waits for these daemons
	mkdir "$dir"
	run stat -c %A "$SOCK"
	assert_output srw-rw-rw-
	# control: a stale socket (no daemon behind it) is replaced
	"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$dir/stale.sock"
	[ -S "$dir/stale.sock" ]
	start_daemon_at "$dir/stale.sock"
	wait_until 10 "$FILEMOND" --status --socket "$dir/stale.sock" >/dev/null 2>&1 ||
		fail "no daemon on a stale socket: $(cat "$dir/stale.sock.err")"
	kill "$DPID"
	wait "$DPID"
	# a symlink at the path: whatever the daemon does, the file it names is untouched
	echo keep >"$dir/target"
	chmod 0600 "$dir/target"
	ln -s "$dir/target" "$dir/link.sock"
	start_daemon_at "$dir/link.sock"
	kill "$DPID" 2>/dev/null || true
	wait "$DPID" || true
	run stat -c '%A %s %U' "$dir/target"
	assert_output '-rw------- 5 root'
	# the attack (a typo): a regular file at the path
	printf 'important data\n' >"$dir/notasocket"
	start_daemon_at "$dir/notasocket"
	if alive "$DPID"; then
		fail "the daemon started on a regular file: $(ls -l "$dir/notasocket")"
	fi
	st=0
	wait "$DPID" || st=$?
	[ "$st" -ne 0 ] || fail "the daemon refused, but exited 0"
	run cat "$dir/notasocket"
	assert_output "important data"
	[ -f "$dir/notasocket" ] && [ ! -S "$dir/notasocket" ]
	grep -qF "$dir/notasocket" "$dir/notasocket.err" || fail "no clear error: $(cat "$dir/notasocket.err")"
}

@test "F15: a user's --status does not show another user's session" {
	rm -f "$PUB/go"
	"${AS2[@]}" "$BIN/filemond" --socket "$SOCK" --connect -o "$U2DIR/s.log" -- \
		"$BIN/fmtest-static" "waitfor:$PUB/go" 3>&- &
	c2=$!
	track "$c2"
	row="^[0-9]+\.[0-9]+ +$c2 +$UID2 +"
	wait_until 10 eval '"$FILEMOND" --status --socket "$SOCK" | grep -qE "$row"' || fail "no session of $U2"
	run "$FILEMOND" --status --socket "$SOCK"
	assert_line --regexp "$row" # root sees it
	run as_user "$U1" "$BIN/filemond" --status --socket "$SOCK"
	touch "$PUB/go"
	wait "$c2"
	assert_success
	refute_line --regexp "^[^ ]+ +$c2( |$)"
	refute_line --regexp "^[0-9]+\.[0-9]+ +[0-9]+ +$UID2( |$)"
	assert_wellformed "$U2DIR/s.log"
}

@test "F19: an eventfd as the log gives EINVAL at SET_FD" {
	run as_user "$U1" "$PY" "$BIN/secclient.py" eventfd "$SOCK"
	assert_line "SET_FD EINVAL"
	run "$FILEMOND" --status --socket "$SOCK"
	assert_success
}
