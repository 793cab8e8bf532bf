# Shared setup and checks for filemond's bats suites.
# shellcheck shell=bash

# bats-support and bats-assert, sourced as their load.bash files do, less
# those files' 15 dirname(1) runs: a setup() of each test pays this, and in
# an emulated guest that was 1.5 s a test
for f in /usr/lib/bats/bats-support/src/{output,error,lang}.bash /usr/lib/bats/bats-assert/src/*.bash; do
	# shellcheck disable=SC1090
	source "$f"
done
unset f

ROOT=${BATS_TEST_DIRNAME%/tests/*}
FILEMOND=${FILEMOND:-$ROOT/filemond}
FMTEST=${FMTEST:-$ROOT/build/tests/fmtest}
# How much slower this machine may be than the one the latency limits were
# set on (tests/vm/test-kernels sets 5 inside its emulated guests).
TIME_SCALE=${TIME_SCALE:-1}
export FILEMOND FMTEST

# trace LOG CMD...: run CMD under filemond; fmtest's truth goes to $TRUTH.
# Sets $status like bats' run.
trace() {
	local log=$1
	shift
	TRUTH=$BATS_TEST_TMPDIR/truth
	: >"$TRUTH"
	run env FMTEST_FD=9 "$FILEMOND" -o "$log" -- "$@" 9>>"$TRUTH"
}

# The log is a well-formed filemon v5 log: header, records, trailer,
# one record per line, no empty line, final newline.
assert_wellformed() {
	local log=$1
	[ -s "$log" ] || fail "log $log is empty"
	[ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ] || fail "log does not end in a newline"
	awk '
		NR == 1 && $0 != "# filemon version 5" { print "line 1: " $0; bad = 1 }
		NR == 2 && $0 !~ /^# Target pid [0-9]+$/ { print "line 2: " $0; bad = 1 }
		NR == 3 && $0 !~ /^# Start [0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ { print "line 3: " $0; bad = 1 }
		NR == 4 && $0 != "V 5" { print "line 4: " $0; bad = 1 }
		$0 == "" { print "empty line " NR; bad = 1 }
		NR > 4 && !/^#/ && !/^[A-Z] [0-9]+ ./ { print "malformed line " NR ": " $0; bad = 1 }
		{ prev = last; last = $0 }
		END {
			if (prev !~ /^# Stop [0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) { print "no Stop line: " prev; bad = 1 }
			if (last != "# Bye bye") { print "no Bye bye: " last; bad = 1 }
			exit bad
		}' "$log" || fail "log $log is not well-formed"
}

# Every line of the truth file appears in the log.
assert_truth_in_log() {
	local truth=$1 log=$2 missing
	missing=$(grep -vxF -f "$log" "$truth" || true)
	[ -z "$missing" ] || fail "missing from the log: $missing"
}

# F precedes every record of the child; X is the last record of its pid
# (until an F for a reused pid); one X per F'd pid.
assert_order() {
	awk '
		/^#/ || /^V / { next }
		$1 == "F" { if ($3 in exited) delete exited[$3]; forked[$3] = 1; seenf[$3] = 1 }
		$1 != "F" && ($2 in exited) { print "record after X: " $0; bad = 1 }
		$1 == "X" { exited[$2] = 1; xs[$2]++ }
		END {
			for (p in seenf) if (!(p in xs)) { print "no X for " p; bad = 1 }
			exit bad
		}' "$1" || fail "record order broken in $1"
	# a child's first record must not come before the F that created it
	awk '
		/^#/ || /^V / { next }
		$1 == "F" { if (!($3 in f)) f[$3] = NR; next }
		{ if (!($2 in seen)) seen[$2] = NR }
		END { for (p in f) if ((p in seen) && seen[p] < f[p]) { print "pid " p " before its F"; bad = 1 }; exit bad }
	' "$1" || fail "a child record precedes its F in $1"
}

# Lines of the log that are records for pid.
records_of() {
	grep -E "^[A-Z] $2( |$)" "$1"
}

# Count the BPF programs filemond loads that exist right now (bpftool
# shows names cut to 15 bytes: io_uring_submit_req is "io_uring_submit").
filemond_prog_count() {
	bpftool prog show 2>/dev/null | grep -cE ' name (on_fork|on_exec|on_exit|sys_exit_open|sys_exit_names|io_uring_submi[a-z_]*) ' || true
}

# Wait (up to 10 s) until no filemond BPF program is loaded.
wait_no_filemond_progs() {
	for _ in $(seq 100); do
		[ "$(filemond_prog_count)" -eq 0 ] && return 0
		sleep 0.1
	done
	echo "$FUNCNAME: timed out" >&2
	return 1
}

# Wait (up to 10 s) until no BPF link is left on the system (the detacher
# has finished; the suites run alone, so every link is a filemond's).
wait_no_filemond_links() {
	for _ in $(seq 100); do
		[ "$(bpftool link show 2>/dev/null | grep -c 'prog_id')" -eq 0 ] && return 0
		sleep 0.1
	done
	echo "$FUNCNAME: timed out" >&2
	return 1
}

# Wait (up to 15 s) until no filemond-linger (tracer_detach's child) is left.
wait_no_lingerer() {
	for _ in $(seq 150); do
		pgrep -x filemond-linger >/dev/null || return 0
		sleep 0.1
	done
	echo "$FUNCNAME: timed out" >&2
	return 1
}

# stall_consumer PID GO DONE: a deterministic ring overflow.  Stop filemond
# PID (nothing drains the ring), let the traced burst start (touch GO),
# wait until it is done (DONE appears), let filemond go on.
stall_consumer() {
	kill -STOP "$1"
	touch "$2"
	for _ in $(seq 300); do [ -e "$3" ] && break; sleep 0.1; done
	kill -CONT "$1"
}
