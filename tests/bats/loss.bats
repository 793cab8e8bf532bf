#!/usr/bin/env bats
# No silent loss: dropped records are counted, logged, and change the exit status.

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR/burst
	mkdir -p "$D"
}

@test "a stalled consumer with a one-page ring: '# lost N', warning, status 123" {
	# filemond is stopped (SIGSTOP) while the traced burst runs: the 4 KiB
	# ring fills and the kernel must drop records.  (A slow log alone no
	# longer stalls the consumer: the log has a writer thread of its own.)
	"$FILEMOND" --ring-size 4096 -o "$BATS_TEST_TMPDIR/log" -- \
		sh -c ": >$D/up; $FMTEST waitfor:$D/go burst:$D:20000 && touch $D/done" 2>"$BATS_TEST_TMPDIR/err" &
	fm=$!
	# the command runs only once attached (the gate opened)
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$D/up" ] && break; sleep 0.05; done
	stall_consumer "$fm" "$D/go" "$D/done"
	st=0
	wait "$fm" || st=$?
	assert_equal "$st" 123
	assert_wellformed "$BATS_TEST_TMPDIR/log"
	lost=$(sed -n 's/^# lost \([0-9]*\) events$/\1/p' "$BATS_TEST_TMPDIR/log")
	[ -n "$lost" ] && [ "$lost" -gt 0 ]
	# the lost line comes right before the trailer
	[ "$(tail -3 "$BATS_TEST_TMPDIR/log" | head -1)" = "# lost $lost events" ]
	# every open is either in the log or counted as lost
	written=$(grep -c "^W [0-9]* $D/f" "$BATS_TEST_TMPDIR/log")
	[ $((written + lost)) -ge 20000 ]
	grep -q "filemond: warning: $lost events lost" "$BATS_TEST_TMPDIR/err"
}

@test "the same burst at default settings loses nothing" {
	run "$FILEMOND" -o "$BATS_TEST_TMPDIR/log" -- "$FMTEST" burst:"$D":20000
	assert_success
	refute_output --partial lost
	run grep -c "^W [0-9]* $D/f" "$BATS_TEST_TMPDIR/log"
	assert_output 20000
	run grep -c '^# lost' "$BATS_TEST_TMPDIR/log"
	assert_output 0
}

# tree N: a shell ($ROOT_PID) with N children, each waiting for $D/go, then
# opening $D/f; their pids are in $D/pids once all have started.
tree() {
	echo data >"$D/f"
	bash -c 'for i in $(seq '"$1"'); do "$0" waitfor:'"$D/go"' open:'"$D/f"' & echo $! >>'"$D/pids.tmp"'; done
		mv '"$D/pids.tmp $D/pids"'; wait' "$FMTEST" &
	ROOT_PID=$!
	for _ in $(seq $((100 * TIME_SCALE))); do [ -e "$D/pids" ] && break; sleep 0.05; done
	[ -e "$D/pids" ] || fail "the tree did not start"
}

# wait_complete LOG: until the log says every existing process is attached.
wait_complete() {
	for _ in $(seq $((200 * TIME_SCALE))); do grep -q '^# complete: ' "$1" 2>/dev/null && return 0; sleep 0.05; done
	fail "no '# complete' line in $1: $(cat "$1")"
}

@test "--pid: the log says where it is complete, and from there every process of the tree is in it" {
	tree 5
	"$FILEMOND" --standalone -o "$D/log" --pid "$ROOT_PID" 2>"$D/err" &
	fm=$!
	wait_complete "$D/log"
	grep -qxE "# complete: pid $ROOT_PID and its 5 descendants are traced from here on" "$D/log" ||
		fail "$(grep '^# complete' "$D/log")"
	touch "$D/go"
	st=0
	wait "$fm" || st=$?
	assert_equal "$st" 0
	assert_wellformed "$D/log"
	while read -r p; do
		grep -qxF "R $p $D/f" "$D/log" || fail "no R of $p after the complete line: $(cat "$D/log")"
		awk -v p="$p" '/^# complete: / { c = NR } $1 == "R" && $2 == p { r = NR } END { exit !(c && r > c) }' \
			"$D/log" || fail "the R of $p is not after the complete line"
	done <"$D/pids"
}

@test "--pid with a full tracer map: every descendant left out is named '# untraced', counted, and the status is 123" {
	tree 5
	# 3 map entries: the shell and two of its children; three are left out
	"$FILEMOND" --standalone --max-procs 3 -o "$D/log" --pid "$ROOT_PID" 2>"$D/err" &
	fm=$!
	wait_complete "$D/log"
	touch "$D/go"
	st=0
	wait "$fm" || st=$?
	wait "$ROOT_PID"
	assert_equal "$st" 123
	assert_wellformed "$D/log"
	traced=0 untraced=0
	while read -r p; do
		if grep -qxF "R $p $D/f" "$D/log"; then
			traced=$((traced + 1))
		else
			grep -qxF "# untraced $p: the tracer map is full (--max-procs)" "$D/log" ||
				fail "$p is neither traced nor named untraced: $(cat "$D/log")"
			untraced=$((untraced + 1))
		fi
	done <"$D/pids"
	assert_equal "$traced" 2
	assert_equal "$untraced" 3
	grep -qE "^# complete: pid $ROOT_PID and its 2 descendants are traced from here on$" "$D/log"
	grep -qF "0 events lost, 0 paths unresolved, 3 processes untraced: the log is incomplete" "$D/err" ||
		fail "stderr: $(cat "$D/err")"
}
