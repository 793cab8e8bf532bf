#!/usr/bin/env bats
# Coreutils traced by filemond and by strace: the same opens and execs.
# strace -y prints the path behind each returned fd (the file reached);
# the name as passed is made absolute from strace's own chdir and fork
# records; R/W come from the flags text (strace_view.awk).

setup() {
	load helpers
	D=$BATS_TEST_TMPDIR/w
	mkdir -p "$D/sub"
	printf 'b\na\nc\n' >"$D/in"
	cd "$D"
}

# Records "L path" (no pids) that strace saw, sorted: see strace_view.awk.
strace_view() {
	strace -f -y -qq -e status=successful \
		-e trace=open,openat,openat2,creat,execve,chdir,fchdir,clone,clone3,fork,vfork \
		-o "$BATS_TEST_TMPDIR/st" "$@" >/dev/null 2>&1 || true
	awk -v cwd="$(pwd -P)" -f "$BATS_TEST_DIRNAME/strace_view.awk" "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/st" | sort
}

# The same from filemond's log.
filemond_view() {
	"$FILEMOND" -o "$BATS_TEST_TMPDIR/fm" -- "$@" >/dev/null 2>&1 || true
	assert_wellformed "$BATS_TEST_TMPDIR/fm"
	assert_order "$BATS_TEST_TMPDIR/fm"
	awk '/^[ERW] / { $2 = ""; sub(/  /, " "); print }' "$BATS_TEST_TMPDIR/fm" | sort
}

compare() {
	local s f
	s=$(strace_view "$@")
	f=$(filemond_view "$@")
	[ -n "$s" ] || fail "strace saw nothing"
	[ "$s" = "$f" ] || fail "filemond and strace differ for '$*':
$(diff <(echo "$s") <(echo "$f"))"
}

@test "cat: the same reads as strace" { compare cat "$D/in"; }
@test "sort -o: reads and writes" { compare sort -o "$D/out" "$D/in"; }
@test "cp: O_WRONLY|O_CREAT destination" { compare cp "$D/in" "$D/sub/copy"; }
@test "ls -la: directory opens" { compare ls -la "$D"; }
@test "sh pipeline with redirections, subshell and relative paths" {
	compare sh -c "cd sub && cat ../in | sort > sorted && (cat sorted; cat ../in) > both && wc -l both"
}
@test "a multi-process make-like shell loop" {
	compare sh -c 'for f in a b c; do echo $f > $f.txt; cat $f.txt >> all; done; sort all > s'
}

# The model itself: a slow machine can print a child's calls before its
# parent's clone returns (seen in TCG guests), and the child may chdir in
# that window. Expected records written by hand.
@test "the strace model: a child's calls printed before its parent's clone returns" {
	cat >"$BATS_TEST_TMPDIR/st" <<'TRACE'
100 chdir("/X/sub")                = 0
100 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>
101 open("both", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</X/sub/both>
101 chdir("deep")                   = 0
100 <... clone resumed>)            = 101
101 open("f", O_RDONLY)             = 3</X/sub/deep/f>
100 openat(AT_FDCWD</X/sub>, "g", O_RDONLY) = 3</X/sub/g>
TRACE
	run awk -v cwd=/X -f "$BATS_TEST_DIRNAME/strace_view.awk" "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/st"
	assert_success
	assert_output "W /X/sub/both
R /X/sub/deep/f
R /X/sub/g"
}
