#!/usr/bin/env bats
# The records every log has: F E X for the process tree, R W for opens of
# every kind; checked against fmtest's own record of what it did.

setup() {
	load helpers
	LOG=$BATS_TEST_TMPDIR/log
	D=$BATS_TEST_TMPDIR/files
	mkdir -p "$D"
	echo data >"$D/in"
}

@test "opens of every kind give R/W with absolute resolved paths" {
	cd "$D"
	trace "$LOG" "$FMTEST" open:in openw:out openrw:rw "openat:$D:in" openat2:in openat2w:out2 \
		creat:new legacy:in open:./../files/in "open:$D/in"
	assert_success
	assert_wellformed "$LOG"
	[ "$(wc -l <"$TRUTH")" -eq 12 ]
	assert_truth_in_log "$TRUTH" "$LOG"
	# O_RDWR gives R then W, adjacent
	grep -A1 -xF "R $(awk 'NR==1{print $2}' "$TRUTH") $D/rw" "$LOG" | tail -1 | grep -qxF "W $(awk 'NR==1{print $2}' "$TRUTH") $D/rw"
}

@test "failing opens give no record" {
	trace "$LOG" "$FMTEST" "fail:$D/missing" "fail:$D/in/notadir" "open:$D/in"
	assert_success
	assert_truth_in_log "$TRUTH" "$LOG"
	run grep -c -e missing -e notadir "$LOG"
	assert_output 0
}

@test "fork, vfork and clone3 children get F before their records and one X" {
	trace "$LOG" "$FMTEST" "fork:open:$D/in" "vfork:/bin/true" "clone3:openw:$D/c3" "fork:fork:open:$D/in"
	assert_success
	assert_wellformed "$LOG"
	assert_truth_in_log "$TRUTH" "$LOG"
	assert_order "$LOG"
	[ "$(grep -c '^F ' "$TRUTH")" -eq 5 ]
	# the vfork child's exec is there, by the child's pid
	vpid=$(awk '$1=="F"{n++} $1=="F" && n==2 {print $3}' "$TRUTH")
	grep -qxF "E $vpid $(realpath /bin/true)" "$LOG"
}

@test "threads: records carry the process id and no F is written for a thread" {
	trace "$LOG" "$FMTEST" "thread:open:$D/in" "thread:openw:$D/t" "thread:thread:open:$D/in"
	assert_success
	assert_truth_in_log "$TRUTH" "$LOG"
	run grep -c '^F ' "$LOG"
	assert_output 0
	pid=$(awk 'NR==1{print $2}' "$TRUTH")
	[ "$(grep -c '^X ' "$LOG")" -eq 1 ]
	grep -qxF "X $pid 0 0" "$LOG"
}

@test "exec gives E with the executed file's absolute path, and the image's records follow" {
	cd "$D"
	ln -sf "$FMTEST" fmlink
	trace "$LOG" "$FMTEST" "exec:./fmlink" "open:$D/in" "exit:0"
	assert_success
	assert_truth_in_log "$TRUTH" "$LOG"
	pid=$(awk 'NR==1{print $2}' "$TRUTH")
	# the E of the initial exec and of the re-exec, both by the same pid
	[ "$(grep -c "^E $pid $FMTEST\$" "$LOG")" -eq 2 ]
	grep -qxF "X $pid 0 0" "$LOG"
}

@test "exec from a non-leader thread keeps the process id" {
	trace "$LOG" "$FMTEST" "threadexec:$FMTEST" "open:$D/in"
	assert_success
	assert_truth_in_log "$TRUTH" "$LOG"
	pid=$(awk 'NR==1{print $2}' "$TRUTH")
	[ "$(grep -c "^E $pid " "$LOG")" -eq 2 ]
	[ "$(grep -c '^X ' "$LOG")" -eq 1 ]
}

@test "leader exits first: one X when the group dies, with the group's status" {
	trace "$LOG" "$FMTEST" "fork:leaderexit:7"
	assert_success
	assert_truth_in_log "$TRUTH" "$LOG"
	cpid=$(awk '$1=="F"{print $3}' "$TRUTH")
	grep -qxF "X $cpid 7 0" "$TRUTH"
	[ "$(grep -c "^X $cpid " "$LOG")" -eq 1 ]
}

@test "exit status: CMD's own, and X pid status 0" {
	trace "$LOG" "$FMTEST" "fork:exit:5" "exit:42"
	assert_equal "$status" 42
	assert_truth_in_log "$TRUTH" "$LOG"
	root=$(sed -n 's/^E \([0-9]*\) .*/\1/p' "$LOG" | head -1)
	grep -qxF "X $root 42 0" "$LOG"
}

@test "death by signal: 128+N, and X pid 0 N" {
	trace "$LOG" "$FMTEST" "fork:signal:9" "signal:15"
	assert_equal "$status" 143
	assert_truth_in_log "$TRUTH" "$LOG"
	assert_wellformed "$LOG"
	root=$(sed -n 's/^E \([0-9]*\) .*/\1/p' "$LOG" | head -1)
	grep -qxF "X $root 0 15" "$LOG"
}

@test "the whole tree is waited for: a child outliving the root is still logged" {
	trace "$LOG" sh -c "(sleep 0.3; cat $D/in >/dev/null) & exit 0"
	assert_success
	assert_wellformed "$LOG"
	assert_order "$LOG"
	grep -qE "^R [0-9]+ $D/in\$" "$LOG"
}
