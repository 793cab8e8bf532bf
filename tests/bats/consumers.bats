#!/usr/bin/env bats
# Consumers must accept filemond's logs unchanged: Debian's bmake in meta
# mode, meta2deps.py and meta2deps.sh; and a real make -j2 build logs the
# same set of files as strace sees.

bats_require_minimum_version 1.5.0

MK=/usr/share/bmake/mk-bmake

setup() {
	load helpers
	# bmake ignores /tmp, /var/tmp and $TMPDIR: the tree must live elsewhere
	P=$(mktemp -d /var/lib/filemond-test.XXXXXX)
	mkdir "$P/inc" "$P/lib"
	printf '#define A 1\n' >"$P/inc/cfg.h"
	printf '#define B 2\n' >"$P/lib/other.h"
	printf '#include "cfg.h"\nint a = A;\n' >"$P/a.c"
	printf '#include "other.h"\nint b = B;\n' >"$P/b.c"
	cd "$P"
}

teardown() {
	cd /
	rm -rf "$P"
}

# Build with bmake in meta mode (no header dependencies declared), then run
# each target's command under filemond and append the section to its .meta,
# as bmake does with /dev/filemon.
bmake_build_with_sections() {
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'CFLAGS = -I${.CURDIR}/inc -I${.CURDIR}/lib' \
		'all: a.o b.o' 'a.o: a.c' '\t${CC} ${CFLAGS} -c ${.CURDIR}/a.c -o ${.TARGET}' \
		'b.o: b.c' '\t${CC} ${CFLAGS} -c ${.CURDIR}/b.c -o ${.TARGET}' | sed 's/\\t/\t/' >Makefile
	bmake >/dev/null
	for m in a.o.meta b.o.meta; do
		(cd "$(sed -n 's/^CWD //p' "$m")" && "$FILEMOND" -o "$P/section" -- sh -c "$(sed -n 's/^CMD //p' "$m")")
		assert_wellformed "$P/section"
		{ echo '-- filemon acquired metadata --'; cat "$P/section"; } >>"$m"
	done
	rm "$P/section"
}

@test "bmake meta mode: up to date, then exactly the dependent target is rebuilt" {
	bmake_build_with_sections
	a_before=$(stat -c %Y.%y a.o)
	run bmake -dM
	assert_success
	refute_output --partial "Building"
	refute_output --partial "malformed"
	sleep 1.1
	touch lib/other.h
	run bmake -dM
	assert_success
	assert_output --partial "b.o.meta: "
	assert_output --partial "file '$P/lib/other.h' is newer than the target"
	assert_output --partial "Building $P/b.o"
	refute_output --partial "Building $P/a.o"
	assert_equal "$(stat -c %Y.%y a.o)" "$a_before"
}

@test "bmake meta mode: a target made through O_TMPFILE and linkat is up to date, not missing" {
	# the workload needs O_TMPFILE where the tree is (overlayfs has it from 6.6)
	if ! "$FMTEST" "tmpfile:$P" 2>/dev/null; then
		[ -n "${FILEMOND_GUEST:-}" ] || fail "fmtest tmpfile: fails without filemond"
		skip "O_TMPFILE does not work on $(stat -f -c %T "$P") here, even untraced"
	fi
	printf '%s\n' '.MAKE.MODE = meta verbose curdirOk=yes' 'all: t.out' 't.out: a.c' \
		"\trm -f \${.TARGET}; $FMTEST tmpfile:\${.CURDIR} tmpfileproc:\${.CURDIR}:t.out" | sed 's/\\t/\t/' >Makefile
	bmake >/dev/null
	(cd "$(sed -n 's/^CWD //p' t.out.meta)" && "$FILEMOND" -o "$P/section" -- sh -c "$(sed -n 's/^CMD //p' t.out.meta)")
	assert_wellformed "$P/section"
	{ echo '-- filemon acquired metadata --'; cat "$P/section"; } >>t.out.meta
	run bmake -dM
	assert_success
	refute_output --partial "missing"
	refute_output --partial "Building"
	refute_output --partial "malformed"
	grep -qE "^W [0-9]+ $P/t.out\$" "$P/section" || fail "no W of the linked name: $(cat "$P/section")"
}

@test "meta2deps.py and meta2deps.sh parse the sections and find the dependencies" {
	bmake_build_with_sections
	run python3 "$MK/meta2deps.py" -m amd64 -S "$P/" -O /nonexistent-objroot/ a.o.meta
	assert_success
	assert_output --partial "src:inc"
	refute_output --partial "lib"
	run python3 "$MK/meta2deps.py" -m amd64 -S "$P/" -O /nonexistent-objroot/ b.o.meta
	assert_success
	assert_output --partial "src:lib"
	run sh "$MK/meta2deps.sh" -m amd64 -S "$P" -O /nonexistent-objroot a.o.meta
	assert_success
	assert_output "$P/inc"
	run sh "$MK/meta2deps.sh" -m amd64 -S "$P" -O /nonexistent-objroot b.o.meta
	assert_success
	assert_output "$P/lib"
}

@test "make -j2 of a multi-file C project: the same files read and written as strace sees" {
	for i in 1 2 3 4 5 6; do
		printf '#include "cfg.h"\n#include "other.h"\nint f%d(void) { return A + B + %d; }\n' $i $i >"m$i.c"
	done
	printf 'int main(void) { return 0; }\n' >main.c
	printf '%s\n' 'CFLAGS = -Iinc -Ilib' 'OBJS = main.o m1.o m2.o m3.o m4.o m5.o m6.o' \
		'prog: $(OBJS)' '\t$(CC) -o $@ $(OBJS)' '%.o: %.c inc/cfg.h lib/other.h' \
		'\t$(CC) $(CFLAGS) -c $< -o $@' 'clean:' '\trm -f *.o prog' | sed 's/\\t/\t/' >Makefile
	# the compiler's temporary files have random names: left out of both
	strip_tmp() { grep -v -E ' /tmp/cc[A-Za-z0-9]{6}(\.[a-z.]+)?$' | sort -u; }
	strace -f -y -qq -e status=successful \
		-e trace=open,openat,openat2,creat,execve,chdir,fchdir,clone,clone3,fork,vfork \
		-o "$BATS_TEST_TMPDIR/st" make -s -j2 >/dev/null
	s=$(awk -v cwd="$P" -f "$BATS_TEST_DIRNAME/strace_view.awk" "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/st" | strip_tmp)
	make -s clean
	"$FILEMOND" -o "$BATS_TEST_TMPDIR/fm" -- make -s -j2 >/dev/null
	assert_wellformed "$BATS_TEST_TMPDIR/fm"
	assert_order "$BATS_TEST_TMPDIR/fm"
	f=$(awk '/^[ERW] / { $2 = ""; sub(/  /, " "); print }' "$BATS_TEST_TMPDIR/fm" | strip_tmp)
	[ "$(echo "$s" | wc -l)" -gt 50 ] || fail "strace saw too little: $s"
	[ "$s" = "$f" ] || fail "filemond and strace differ:
$(diff <(echo "$s") <(echo "$f"))"
	grep -qE "^W [0-9]+ $P/prog\$" "$BATS_TEST_TMPDIR/fm"
	[ "$(grep -cE "^R [0-9]+ $P/inc/cfg.h\$" "$BATS_TEST_TMPDIR/fm")" -eq 6 ]
}
