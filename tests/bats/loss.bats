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
		sh -c "$FMTEST waitfor:$D/go burst:$D:20000 && touch $D/done" 2>"$BATS_TEST_TMPDIR/err" &
	fm=$!
	for _ in $(seq 100); do grep -q '^V 5' "$BATS_TEST_TMPDIR/log" 2>/dev/null && break; sleep 0.05; done
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
