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
	awk -v cwd="$(pwd -P)" -f "$BATS_TEST_DIRNAME/strace_view.awk" "$BATS_TEST_TMPDIR/st" | sort
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
