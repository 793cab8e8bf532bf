#!/usr/bin/env bats
# The other records (C D M L A) and the format's tricky cases: symlinks,
# #! scripts, execveat/fexecve, PATH_MAX, escaping, setuid, pid reuse,
# io_uring, O_TMPFILE, chroot, concurrent renames.  Truth comes from
# fmtest's own record of what it did (getcwd, readlink of its own fds,
# waitpid), or from what the test itself created.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	LOG=$BATS_TEST_TMPDIR/log
	D=$(cd "$BATS_TEST_TMPDIR" && pwd -P)/w
	mkdir -p "$D/sub" "$D/dd"
	echo data >"$D/f"
	cd "$D"
}

# The log has every truth line; comments are matched by prefix.
check_truth() {
	assert_wellformed "$LOG"
	assert_order "$LOG"
	grep -v '^#' "$TRUTH" >"$TRUTH.records" || true
	assert_truth_in_log "$TRUTH.records" "$LOG"
	while read -r line; do
		grep -qF -- "$line" "$LOG" || fail "missing comment: $line"
	done < <(grep '^#' "$TRUTH" || true)
}

pid_of_truth() { awk 'NR==1 {print $2}' "$TRUTH"; }

@test "C: chdir and fchdir give the new cwd, absolute" {
	trace "$LOG" "$FMTEST" chdir:sub chdir:.. "fchdir:$D/sub" open:../f
	assert_success
	check_truth
	grep -qxF "C $(pid_of_truth) $D/sub" "$LOG"
	grep -qxF "R $(pid_of_truth) $D/sub/../f" "$LOG" # the name as written, made absolute
	grep -qxF "R $(pid_of_truth) $D/f" "$LOG"        # and the file reached
}

@test "D: unlink, unlinkat with a dirfd, and rmdir (directories give D too)" {
	touch g sub/h
	trace "$LOG" "$FMTEST" unlink:g unlinkat:sub:h rmdir:dd
	assert_success
	check_truth
	[ "$(grep -c '^D ' "$LOG")" -eq 3 ]
}

@test "M: rename and renameat2 across directories, both paths absolute" {
	touch a
	trace "$LOG" "$FMTEST" rename:a:sub/b renameat:sub:b:c
	assert_success
	check_truth
	grep -qxF "M $(pid_of_truth) '$D/a' '$D/sub/b'" "$LOG"
	run mv "$D/sub/c" "$D/moved" # coreutils mv uses renameat2(RENAME_NOREPLACE)
	"$FILEMOND" -o "$LOG" -- mv "$D/moved" "$D/sub/again"
	grep -qE "^M [0-9]+ '$D/moved' '$D/sub/again'\$" "$LOG"
}

@test "L: link and linkat resolved; symlink and symlinkat keep the text as written" {
	trace "$LOG" "$FMTEST" link:f:f2 linkat:.:f2:sub/f3 symlink:../f:sub/s1 symlinkat:dangling:sub:s2
	assert_success
	check_truth
	grep -qxF "L $(pid_of_truth) '../f' '$D/sub/s1'" "$LOG"
	grep -qxF "L $(pid_of_truth) 'dangling' '$D/sub/s2'" "$LOG"
}

@test "O_TMPFILE: an unnamed file is a comment on its directory; linking it gives W of its name" {
	trace "$LOG" "$FMTEST" tmpfile:sub tmpfile:sub:named tmpfileproc:sub:viaproc linkfd:f:f4
	assert_success
	check_truth
	p=$(pid_of_truth)
	# the kernel's pseudo-name DIR/#INODE is not a file: never a record;
	# nor is /proc/self/fd/N, which names another file in every other process
	run grep -E "^[^#].*(/sub/#[0-9]+|/proc/self/fd/)" "$LOG"
	assert_failure
	[ "$(grep -cxF "# tmpfile $p $D/sub: an unnamed file (O_TMPFILE), no dependency unless it is linked" "$LOG")" -eq 3 ]
	grep -qxF "W $p $D/sub/named" "$LOG"
	grep -qxF "W $p $D/sub/viaproc" "$LOG"
	run grep -E "^L $p '(/proc/|$D/sub/#)" "$LOG"
	assert_failure
	# a named file linked through its fd stays an L (truth: L f f4)
	grep -qxF "L $p '$D/f' '$D/f4'" "$LOG"
}

@test "A: openat with a real dirfd and a relative path writes A before R" {
	trace "$LOG" "$FMTEST" "openat:$D/sub:../f"
	assert_success
	check_truth
	pid=$(pid_of_truth)
	run grep -n -e "^A $pid ../f\$" -e "^R $pid $D/sub/../f\$" -e "^R $pid $D/f\$" "$LOG"
	assert_equal "${#lines[@]}" 3
	[[ "${lines[0]}" == *"A $pid ../f" ]]
	# no A for AT_FDCWD or absolute paths
	trace "$LOG" "$FMTEST" open:f "openat:$D/sub:$D/f"
	run grep -c '^A ' "$LOG"
	assert_output 0
}

@test "symlinks: an open through a link logs the link named and the file reached" {
	ln -s f link
	ln -s sub dirlink
	touch sub/t
	trace "$LOG" "$FMTEST" open:link openw:dirlink/t
	assert_success
	check_truth
	pid=$(pid_of_truth)
	grep -qxF "R $pid $D/link" "$LOG"
	grep -qxF "R $pid $D/f" "$LOG"
	grep -qxF "W $pid $D/dirlink/t" "$LOG"
	grep -qxF "W $pid $D/sub/t" "$LOG"
}

@test "E: relative exec, execveat with a dirfd and fexecve are absolute, never /dev/fd" {
	cp "$FMTEST" ./prog
	trace "$LOG" ./prog "execveat:$D:prog" "fexecve:$D/prog" open:f
	assert_success
	check_truth
	run grep -c "^E [0-9]* $D/prog\$" "$LOG"
	assert_output 3
	run grep -c '/dev/fd' "$LOG"
	assert_output 0
}

@test "E: a #! script gives the script, the interpreter named and the file run" {
	printf '#!/bin/sh\ncat "%s/f" >/dev/null\n' "$D" >script
	chmod +x script
	run "$FILEMOND" -o "$LOG" -- ./script
	assert_success
	pid=$(sed -n 's/^E \([0-9]*\) .*/\1/p' "$LOG" | head -1)
	run grep "^E $pid " "$LOG"
	assert_equal "${lines[0]}" "E $pid $D/script"
	assert_equal "${lines[1]}" "E $pid /bin/sh"
	assert_equal "${lines[2]}" "E $pid $(realpath /bin/sh)"
	grep -qE "^R [0-9]+ $D/f\$" "$LOG"
}

@test "E: failed execs of a PATH search are not logged" {
	run env PATH="$D/none1:$D/none2:/usr/bin:/bin" "$FILEMOND" -o "$LOG" -- cat /dev/null
	assert_success
	run grep -c -e none1 -e none2 "$LOG"
	assert_output 0
	[ "$(grep -c '^E ' "$LOG")" -ge 1 ]
}

@test "only successful calls: failing unlink, rename, link, chdir, open give nothing" {
	"$FILEMOND" -o "$LOG" -- sh -c "rm $D/nx1; mv $D/nx2 $D/x; ln $D/nx3 $D/y; cd $D/nx4; cat $D/nx5; ln -s t $D/f" 2>/dev/null || true
	assert_wellformed "$LOG"
	run grep -c -e nx1 -e nx2 -e nx3 -e nx4 -e nx5 -e "'$D/f'" "$LOG"
	assert_output 0
}

@test "PATH_MAX: a 4000-byte path is written whole; a longer one is flagged, not cut" {
	# build a deep tree with relative steps (an absolute mkdir -p would hit PATH_MAX)
	python3 - "$D" <<-'PY'
	import os, sys
	os.chdir(sys.argv[1])
	name = "d" * 200
	base = len(os.getcwd())
	while len(os.getcwd()) + 201 < 4000:
	    os.mkdir(name); os.chdir(name)
	open("short", "w").close()
	while len(os.getcwd()) < 4200:
	    os.mkdir(name); os.chdir(name)
	open("long", "w").close()
	PY
	deep=$(python3 -c 'import os,sys; os.chdir(sys.argv[1]); n="d"*200
while os.path.isdir(n) and len(os.getcwd())+201 < 4000: os.chdir(n)
print(os.getcwd())' "$D")
	run "$FILEMOND" -o "$LOG" -- sh -c "cd $(printf '%q' "${deep#"$D"/}") && cat short && cd ${deep#"$D"/} 2>/dev/null; exit 0"
	# the short one: its full path, over 4000 bytes, on one line
	grep -qxF "R $(sed -n 's/^E \([0-9]*\) .*/\1/p' "$LOG" | tail -1) $deep/short" "$LOG" ||
		grep -qE "^R [0-9]+ $deep/short\$" "$LOG"
	# the long one
	run "$FILEMOND" -o "$LOG" -- python3 -c '
import os, sys
os.chdir(sys.argv[1]); n = "d" * 200
while os.path.isdir(n): os.chdir(n)
open("long").close()' "$D"
	assert_equal "$status" 123
	grep -qE '^# unresolved R [0-9]+: path longer than PATH_MAX$' "$LOG"
	run grep -c '/long$' "$LOG"
	assert_output 0
	assert_wellformed "$LOG"
	# names joined to a long cwd follow the same rule as the kernel's walks:
	# the rename, the write-open and the unlink of a path past PATH_MAX are
	# flagged with their own letters, never written at 4000+ bytes
	run "$FILEMOND" -o "$LOG" -- python3 -c '
import os, sys
os.chdir(sys.argv[1]); n = "d" * 200
while os.path.isdir(n): os.chdir(n)
os.rename("long", "long2"); open("long3", "w").close(); os.unlink("long2")' "$D"
	assert_equal "$status" 123
	grep -qE '^# unresolved M [0-9]+: path longer than PATH_MAX$' "$LOG"
	grep -qE '^# unresolved W [0-9]+: path longer than PATH_MAX$' "$LOG"
	grep -qE '^# unresolved D [0-9]+: path longer than PATH_MAX$' "$LOG"
	run grep -c '/long[23]' "$LOG"
	assert_output 0
	assert_wellformed "$LOG"
}

@test "escaping: newline, tab, backslash and quotes keep one record per line" {
	run "$FILEMOND" -o "$LOG" -- sh -c "touch '$D/new
line' \"$D/tab	b\\\\s\" && mv '$D/new
line' \"$D/it's here\""
	assert_success
	assert_wellformed "$LOG"
	grep -qE "^W [0-9]+ $D/new\\\\012line\$" "$LOG"
	grep -qE "^W [0-9]+ $D/tab\\\\011b\\\\134s\$" "$LOG"
	grep -qE "^M [0-9]+ '$D/new\\\\012line' '$D/it\\\\047s here'\$" "$LOG"
}

@test "setuid exec: tracing continues after the credential change, and X is written" {
	cp "$FMTEST" suid
	chown nobody suid
	chmod 4755 suid
	trace "$LOG" ./suid open:f exit:4
	assert_equal "$status" 4
	check_truth
	pid=$(pid_of_truth)
	grep -qxF "X $pid 4 0" "$LOG"
}

@test "pid reuse: X of the old process comes before F of the new one" {
	trace "$LOG" "$FMTEST" "reuse:open:$D/f"
	assert_success
	check_truth
	cpid=$(awk '$1 == "F" {print $3; exit}' "$TRUTH")
	run grep -n -E "^(F [0-9]+|X) $cpid( |\$)" "$LOG"
	assert_equal "${#lines[@]}" 4
	[[ "${lines[0]}" == *"F "* && "${lines[1]}" == *"X $cpid"* && "${lines[2]}" == *"F "* && "${lines[3]}" == *"X $cpid"* ]]
}

@test "io_uring use is flagged: a comment says the log may be incomplete" {
	trace "$LOG" "$FMTEST" iouring iouring open:f
	assert_success
	check_truth
	run grep -c "^# io_uring $(awk 'NR==1 {print $3}' "$TRUTH"): file operations submitted through io_uring are not recorded\$" "$LOG"
	assert_output 1
}

@test "open_by_handle_at gives R of the file" {
	# the workload itself needs a file system that hands out file handles
	# and opens them again (not the VM guest's tmpfs /tmp: ESTALE)
	if ! "$FMTEST" "handle:$D/f" 2>/dev/null; then
		[ -n "${FILEMOND_GUEST:-}" ] || fail "fmtest handle: fails without filemond"
		skip "open_by_handle_at does not work on $(stat -f -c %T "$D") here, even untraced"
	fi
	trace "$LOG" "$FMTEST" "handle:$D/f"
	assert_success
	check_truth
}

@test "chroot: paths are in the task's own root" {
	mkdir -p root/bin root/etc root/proc
	cp "$ROOT/build/tests/fmtest-static" root/bin/fmtest
	echo x >root/etc/data
	# fmtest reads /proc for its truth: mount one in a private namespace
	trace "$LOG" unshare -m sh -c "mount -t proc proc $D/root/proc && exec chroot $D/root /bin/fmtest open:/etc/data"
	assert_success
	check_truth
	grep -qxF "E $(pid_of_truth) /bin/fmtest" "$LOG"
}

@test "posix_spawn children get their F first" {
	run "$FILEMOND" -o "$LOG" -- python3 -c '
import os
pid = os.posix_spawn("/bin/cat", ["cat", "/dev/null"], os.environ)
os.waitpid(pid, 0)
print(pid)'
	assert_success
	child=$output
	assert_order "$LOG"
	grep -qE "^F [0-9]+ $child\$" "$LOG"
	grep -qE "^E $child $(realpath /bin/cat)\$" "$LOG"
}

@test "the traced command's own setup does not appear: its E is the first record" {
	run "$FILEMOND" -o "$LOG" -- "$FMTEST" "open:$D/f"
	assert_success
	first=$(grep -v '^#' "$LOG" | sed -n 2p)
	[[ "$first" == "E "*" $FMTEST" ]]
}

@test "concurrent renames: every path is a name the directory really had, never a mix of two" {
	# A directory flips between a short name (kept inside the dentry) and a
	# 50-byte one (kept outside it) while a traced process opens files in
	# it; the walk must never pair one name's length with the other's bytes.
	long=$(printf 'l%.0s' $(seq 50))
	mkdir "$D/short"
	for i in 0 1 2 3; do : >"$D/short/f$i"; done
	python3 -c '
import os, sys, time
a, b = sys.argv[1] + "/short", sys.argv[1] + "/" + sys.argv[2]
end = time.time() + 4
while time.time() < end:
    os.rename(a, b); os.rename(b, a)' "$D" "$long" &
	renamer=$!
	run "$FILEMOND" -o "$LOG" -- python3 -c '
import os, sys, time
end = time.time() + 3
while time.time() < end:
    for sub in ("short", sys.argv[2]):
        for i in range(4):
            try:
                os.close(os.open(sys.argv[1] + "/" + sub + "/f%d" % i, os.O_RDONLY))
            except OSError:
                pass' "$D" "$long"
	wait "$renamer"
	# Nothing lost, no record malformed, every path whole; the one
	# exception is outside filemond: a name read from the opener's memory
	# at the call's end while its page was being moved (seen once in 6.1
	# in CI), which must be counted, said, and rare.
	unresolved=$(grep -ac '^# unresolved' "$LOG" || true)
	other=$(grep -a '^# unresolved' "$LOG" | grep -cv ": name unreadable in the caller's memory" || true)
	echo "status $status, unresolved $unresolved (other reasons: $other)"
	if [ "$status" -ne 0 ]; then
		assert_equal "$status" 123
		assert_equal "$other" 0
		assert_output "filemond: warning: 0 events lost, $unresolved paths unresolved: the log is incomplete (command exit status 0)"
		[ "$unresolved" -ge 1 ] && [ "$unresolved" -le 5 ]
	fi
	assert_wellformed "$LOG"
	[ "$(grep -cE "^R [0-9]+ $D/(short|$long)/f[0-3]\$" "$LOG")" -gt 1000 ]
	bad=$(grep -aE "^[RW] [0-9]+ $D/" "$LOG" | grep -cvE "^R [0-9]+ $D/(short|$long)/f[0-3]\$" || true)
	assert_equal "$bad" 0
}
