#!/usr/bin/env bats
# No silent loss: dropped records are counted, logged, and change the exit status.

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR/burst
	mkdir -p "$D"
}

@test "a stalled consumer with a one-page ring: '# lost N', warning, status 123" {
	# The log goes to a pipe whose reader starts late: the writer blocks,
	# the 4 KiB ring fills and the kernel must drop records.
	run bash -c '"$FILEMOND" --ring-size 4096 -o /dev/stdout -- "$FMTEST" burst:"$1":20000 2>"$2" \
		| { sleep 1; cat >"$3"; }; exit ${PIPESTATUS[0]}' _ "$D" "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/log"
	assert_equal "$status" 123
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
