#!/usr/bin/env bats
# The audit service (filemond --audit): every process on the machine as
# JSON lines.  Truth comes from outside filemond: the workload's own
# record (its pids, what it did), strace for a build session, Python's
# json module for every line (tests/lib/auditlog.py).

bats_require_minimum_version 1.5.0

AUDIT_USER=filemond-aud

setup_file() {
	load helpers
	export PUB=$(mktemp -d /tmp/filemond-audit-test.XXXXXX)
	chmod 0755 "$PUB"
	if ! id "$AUDIT_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$AUDIT_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
	# the cgroup v2 hierarchy (/sys/fs/cgroup, or .../unified on a hybrid system)
	export CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
}

teardown_file() {
	[ -e "$BATS_FILE_TMPDIR/created-user" ] && userdel "$AUDIT_USER"
	rm -rf "$PUB"
}

setup() {
	load helpers
	A=$(mktemp -d "$PUB/t.XXXXXX")
	chmod 0755 "$A"
	W=$A/work
	mkdir -m 0777 "$W"
	AUDIT_PID=
	CG=
	MNT=
}

teardown() {
	stop_audit
	if [ -n "$MNT" ]; then umount "$MNT"; fi
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		while read -r p; do echo "$p" >"$CGROOT/cgroup.procs" 2>/dev/null; done <"$CG/cgroup.procs"
		[ -d "$CG/inner" ] && rmdir "$CG/inner"
		rmdir "$CG"
	fi
}

PY() { PYTHONPATH=$ROOT/tests/lib python3 "$@"; }

# start_audit [FILEMOND OPTION...]: the audit daemon on $A/sock with the
# configuration $A/conf (log_dir $A/log unless the test wrote one).
start_audit() {
	[ -e "$A/conf" ] || echo "log_dir $A/log" >"$A/conf"
	"$FILEMOND" --audit --config "$A/conf" --socket "$A/sock" "$@" 2>"$A/err" &
	AUDIT_PID=$!
	for _ in $(seq $((200 * TIME_SCALE))); do
		grep -q 'auditing every process' "$A/err" 2>/dev/null && return 0
		kill -0 "$AUDIT_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "the audit did not start: $(cat "$A/err")"
}

# kernel_id_rule FIELD ID: the daemon's object holds that uid/auid rule
# (struct fm_audit_id_rule: field, id) in its map: the kernel applies it.
kernel_id_rule() {
	bpftool map dump name audit_id_rules -j | python3 -c "
import json, sys
keys = [bytes(int(b, 16) for b in e['key']) for e in json.load(sys.stdin)]
want = ($1).to_bytes(4, 'little') + ($2).to_bytes(4, 'little')
sys.exit(0 if want in keys else 'id rule map: %r' % keys)"
}

# stop_audit: SIGTERM, and its exit status in $AUDIT_STATUS.
stop_audit() {
	[ -n "$AUDIT_PID" ] || return 0
	kill -TERM "$AUDIT_PID" 2>/dev/null
	AUDIT_STATUS=0
	wait "$AUDIT_PID" || AUDIT_STATUS=$?
	AUDIT_PID=
}

# as_user LOGINUID CMD...: CMD as $AUDIT_USER with that loginuid, in a
# cgroup of its own ($CG).
as_user() {
	local auid=$1
	shift
	CG=$CGROOT/filemond-audit-test.$$.$BATS_TEST_NUMBER
	mkdir "$CG"
	sh -c 'echo "$1" >/proc/self/loginuid && echo $$ >"$2/cgroup.procs" && shift 2 && exec "$@"' sh \
		"$auid" "$CG" setpriv --reuid "$AUDIT_USER" --regid "$AUDIT_USER" --clear-groups "$@"
}

@test "a user's workload: exec argv, opens, a refused open (EACCES), rename, links, unlink, mkdir, rmdir, chmod, chown, chdir, exit; uid, auid, cgroup" {
	echo secret >"$A/secret"
	chmod 0600 "$A/secret"
	echo data >"$W/in"
	mkdir "$W/d2" && chmod 0777 "$W/d2"
	cat >"$W/work.sh" <<-SH
		echo \$\$ >$W/pid
		cat $W/in >/dev/null
		cat $A/secret 2>/dev/null
		touch $W/new
		mv $W/new $W/moved
		ln $W/moved $W/hard
		ln -s target $W/sym
		rm $W/hard
		mkdir $W/d
		rmdir $W/d
		chmod 0640 $W/moved
		chgrp \$(id -g) $W/moved
		chmod 0644 $A/secret 2>/dev/null
		cd $W/d2
		/bin/echo "arg with space" 'quote"x' >/dev/null
		: >"$W/\$(printf 'bad\\377name\\nx')"
	SH
	start_audit
	as_user 4242 sh "$W/work.sh"
	uid=$(id -u "$AUDIT_USER")
	stop_audit
	[ "$AUDIT_STATUS" -eq 0 ] || fail "the audit exited $AUDIT_STATUS: $(cat "$A/err")"
	run PY - "$A/log" "$(cat "$W/pid")" "$uid" "$W" "$A" "${CG#"$CGROOT"}" "$(id -g "$AUDIT_USER")" <<-'PY'
		import sys, auditlog as al
		d, pid, uid, W, A, cg, uid_gid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
		ev = al.load(d)
		# from the exec of work.sh on (the sh -c before it ran as root)
		start = [al.get(e, 'filemond.seq') for e in ev if al.get(e, 'event.action') == 'exec'
		         and al.get(e, 'process.pid') == pid and al.get(e, 'process.args') == ['sh', W + '/work.sh']]
		if len(start) != 1:
		    sys.exit('%d execs of work.sh by pid %d' % (len(start), pid))
		mine = [e for e in ev if (al.get(e, 'process.pid') == pid or al.get(e, 'process.parent.pid') == pid)
		        and al.get(e, 'filemond.seq', -1) >= start[0]]
		problems = []
		def want(what, pred):
		    if not any(pred(e) for e in mine):
		        problems.append('missing: ' + what)
		act = lambda e: al.get(e, 'event.action')
		ok = lambda e: al.get(e, 'event.outcome') == 'success'
		path = lambda e: al.get(e, 'file.path')
		want('exec of cat with its argv', lambda e: act(e) == 'exec' and al.get(e, 'process.args') == ['cat', W + '/in'] and path(e) == '/usr/bin/cat')
		want('open of in, read', lambda e: act(e) == 'open' and ok(e) and path(e) == W + '/in' and al.get(e, 'filemond.open.access') == 'read' and al.get(e, 'filemond.path_source') == 'kernel')
		want('the refused open of secret: EACCES', lambda e: act(e) == 'open' and al.get(e, 'event.outcome') == 'failure' and al.get(e, 'error.code') == 'EACCES' and path(e) == A + '/secret')
		want('rename new -> moved', lambda e: act(e) == 'rename' and ok(e) and al.get(e, 'filemond.source.path') == W + '/new' and path(e) == W + '/moved')
		want('link moved -> hard', lambda e: act(e) == 'link' and al.get(e, 'filemond.source.path') == W + '/moved' and path(e) == W + '/hard')
		want('symlink sym -> target', lambda e: act(e) == 'symlink' and path(e) == W + '/sym' and al.get(e, 'file.target_path') == 'target')
		want('unlink of hard', lambda e: act(e) == 'unlink' and path(e) == W + '/hard')
		want('rmdir of d', lambda e: act(e) == 'rmdir' and path(e) == W + '/d')
		want('mkdir of d, mode 0777', lambda e: act(e) == 'mkdir' and ok(e) and path(e) == W + '/d' and al.get(e, 'filemond.mode') == '0777')
		want('chmod of moved to 0640', lambda e: act(e) == 'chmod' and ok(e) and path(e) == W + '/moved' and al.get(e, 'filemond.mode') == '0640')
		want('chgrp of moved', lambda e: act(e) == 'chown' and ok(e) and path(e) == W + '/moved' and al.get(e, 'filemond.owner') == {'uid': -1, 'gid': int(uid_gid)})
		want('the refused chmod of secret: EPERM', lambda e: act(e) == 'chmod' and al.get(e, 'error.code') == 'EPERM' and path(e) == A + '/secret')
		want('chdir of the shell to d2', lambda e: act(e) == 'chdir' and al.get(e, 'process.pid') == pid and al.get(e, 'process.working_directory') == W + '/d2')
		want('exec of echo, argv exact', lambda e: act(e) == 'exec' and al.get(e, 'process.args') == ['/bin/echo', 'arg with space', 'quote"x'])
		want('the bad name, bytes exact, flagged', lambda e: act(e) == 'open' and path(e) and al.path_bytes(path(e)) == W.encode() + b'/bad\xffname\nx' and al.get(e, 'filemond.invalid_utf8') is True)
		want('exit of the shell, status 0', lambda e: act(e) == 'exit' and al.get(e, 'process.pid') == pid and al.get(e, 'process.exit_code') == 0)
		for e in mine:
		    who = (al.get(e, 'user.id'), al.get(e, 'user.audit.id'), al.get(e, 'filemond.cgroup.path'))
		    if who != (uid, '4242', cg):
		        problems.append('%s of pid %s: uid/auid/cgroup %r, not %r' % (act(e), al.get(e, 'process.pid'), who, (uid, '4242', cg)))
		        break
		    if al.get(e, 'filemond.audit_session') is None or not al.get(e, 'process.entity_id'):
		        problems.append('%s: no audit session or entity id' % act(e))
		        break
		dup, lost, covered, missing, overlap = al.seq_check(ev)
		if dup or missing or overlap:
		    problems.append('sequence: %d duplicates, %d missing %r, %d both seen and lost' % (dup, len(missing), missing[:5], len(overlap)))
		print('%d events, %d of the workload' % (len(ev), len(mine)))
		print('\n'.join(problems))
		sys.exit(1 if problems else 0)
	PY
	echo "# $output" | head -3 >&3
	[ "$status" -eq 0 ] || fail "$output"
}

@test "rules: an excluded uid and an excluded executable leave nothing; events keeps only the kinds named" {
	echo data >"$W/in2"
	chmod 0644 "$W/in2"
	nobody=$(id -u nobody)
	cat >"$A/conf" <<-EOF
		# the test's configuration
		log_dir $A/log
		events exec,exit,open   # no unlink
		exclude uid $nobody
		exclude exe /usr/bin/head
	EOF
	start_audit
	# the uid rule is the kernel's: in the exclude map of this daemon's object
	kernel_id_rule 1 "$nobody" # FM_EXCLUDE_UID
	setpriv --reuid nobody --regid nogroup --clear-groups cat "$W/in2" >/dev/null
	head -c1 "$W/in2" >/dev/null
	tail -c1 "$W/in2" >/dev/null
	touch "$W/gone" && rm "$W/gone"
	run "$FILEMOND" --status --socket "$A/sock"
	assert_success
	assert_line --regexp "^audit: [1-9][0-9]* events written to $A/log/audit.json, [1-9][0-9]* filtered out, lost: 0 in the ring, 0 malformed, 0 not written, 0 not taken by journald\$"
	stop_audit
	run PY - "$A/log" "$W" "$nobody" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1])
		W, nobody = sys.argv[2], sys.argv[3]
		opens = [e for e in ev if al.get(e, 'file.path') == W + '/in2' and al.get(e, 'event.action') == 'open']
		by = sorted(set(al.get(e, 'process.executable') for e in opens))
		problems = []
		if by != ['/usr/bin/tail']:
		    problems.append('in2 opened by %r, want only tail' % by)
		if any(al.get(e, 'user.id') == nobody for e in ev):
		    problems.append('an event of the excluded uid')
		kinds = set(al.get(e, 'event.action') for e in ev if al.get(e, 'event.kind') == 'event')
		if not kinds <= {'exec', 'exit', 'open'}:
		    problems.append('kinds not asked for: %r' % sorted(kinds - {'exec', 'exit', 'open'}))
		print('\n'.join(problems))
		sys.exit(1 if problems else 0)
	PY
	[ "$status" -eq 0 ] || fail "$output"
}

@test "rules: an included uid is the kernel's: nobody else's events reach the daemon" {
	echo data >"$W/in3"
	chmod 0644 "$W/in3"
	nobody=$(id -u nobody)
	printf 'log_dir %s\ninclude uid %s\n' "$A/log" "$nobody" >"$A/conf"
	start_audit
	kernel_id_rule 3 "$nobody" # FM_INCLUDE_UID
	setpriv --reuid nobody --regid nogroup --clear-groups cat "$W/in3" >/dev/null
	cat "$W/in3" >/dev/null
	run "$FILEMOND" --status --socket "$A/sock"
	# left out in the kernel: the daemon filtered nothing itself
	assert_line --regexp "^audit: [1-9][0-9]* events written to $A/log/audit.json, 0 filtered out,"
	stop_audit
	run PY - "$A/log" "$W/in3" "$nobody" <<-'PY'
		import sys, auditlog as al
		ev = [e for e in al.load(sys.argv[1]) if al.get(e, 'event.kind') == 'event']
		uids = sorted(set(al.get(e, 'user.id') for e in ev))
		opens = [e for e in ev if al.get(e, 'event.action') == 'open' and al.get(e, 'file.path') == sys.argv[2]]
		if uids != [sys.argv[3]] or len(opens) != 1:
		    sys.exit('uids %r, %d opens of the file' % (uids, len(opens)))
	PY
	[ "$status" -eq 0 ] || fail "$output"
}

@test "rules: cgroup rules are the kernel's: an excluded subtree's events and a non-included one's never reach the daemon" {
	echo data >"$W/in4"
	chmod 0644 "$W/in4"
	CG=$CGROOT/filemond-audit-test.$$.$BATS_TEST_NUMBER
	mkdir "$CG" "$CG/inner"
	rel=${CG#"$CGROOT"}
	for rule in "exclude cgroup $rel" "include cgroup $rel/inner"; do
		printf 'log_dir %s\n%s\n' "$A/log" "$rule" >"$A/conf"
		rm -rf "$A/log"
		start_audit
		grep -q 'applied by the daemon only' "$A/err" && fail "$(cat "$A/err")"
		# in the subtree: cat run from a shell moved into the inner cgroup
		sh -c 'echo $$ >"$1/cgroup.procs" && exec cat "$2"' sh "$CG/inner" "$W/in4" >/dev/null
		cat "$W/in4" >/dev/null # outside it
		run "$FILEMOND" --status --socket "$A/sock"
		assert_line --regexp "^audit: [1-9][0-9]* events written to $A/log/audit.json, 0 filtered out,"
		stop_audit
		run PY - "$A/log" "$W/in4" "$rel/inner" "${rule%% *}" <<-'PY'
			import sys, auditlog as al
			ev = [e for e in al.load(sys.argv[1]) if al.get(e, 'event.kind') == 'event']
			opens = [al.get(e, 'filemond.cgroup.path') for e in ev
			         if al.get(e, 'event.action') == 'open' and al.get(e, 'file.path') == sys.argv[2]]
			inside = [c for c in opens if c == sys.argv[3]]
			want_inside = 0 if sys.argv[4] == 'exclude' else 1
			if len(inside) != want_inside or len(opens) != 1:
			    sys.exit('%s: opens from cgroups %r' % (sys.argv[4], opens))
		PY
		[ "$status" -eq 0 ] || fail "$output"
	done
}

@test "a build session while the audit runs: its filemon log as strace sees it, and the audit holds the same opens" {
	echo one >"$W/b1"
	echo two >"$W/b2"
	start_audit
	run "$FILEMOND" --socket "$A/sock" --connect -o "$A/build.log" -- \
		strace -f -qq -e trace=open,openat -e status=successful -o "$A/strace" -- sh -c "cat $W/b1 $W/b2 >/dev/null; cat $W/missing 2>/dev/null; chmod 0600 $W/b2"
	[ "$status" -eq 0 ] || fail "the build: $output"
	stop_audit
	assert_wellformed "$A/build.log"
	# the workload's opens, as strace saw them (not strace's own)
	grep -o "open[a-z]*(.*\"$W/b[12]\"" "$A/strace" | grep -o "$W/b[12]" | sort -u >"$A/strace.paths"
	[ "$(wc -l <"$A/strace.paths")" -eq 2 ] || fail "strace saw: $(cat "$A/strace.paths")"
	grep -E "^R [0-9]+ $W/b[12]\$" "$A/build.log" | awk '{ print $3 }' | sort -u >"$A/log.paths"
	diff "$A/strace.paths" "$A/log.paths" || fail "the filemon log differs from strace"
	# the audit's own records (a failed open, a chmod) are not filemon's
	! grep -E "$W/missing|^# unresolved" "$A/build.log" || fail "the filemon log has the audit's records"
	run PY - "$A/log" "$W" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1])
		W = sys.argv[2]
		got = sorted(set(al.get(e, 'file.path') for e in ev if al.get(e, 'event.action') == 'open'
		                 and al.get(e, 'event.outcome') == 'success' and al.get(e, 'filemond.session')
		                 and (al.get(e, 'file.path') or '').startswith(W + '/b')))
		print('\n'.join(got))
	PY
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "$(cat "$A/log.paths")" ] || fail "the audit's session opens: $output"
}

@test "open with O_CREAT says created only when this open made the file" {
	echo old >"$W/existing"
	start_audit
	# the truth: the workload looks before it opens
	python3 - "$W" >"$A/truth" <<-'PY'
		import os, sys
		W = sys.argv[1]
		for name in ('new', 'existing'):
		    p = os.path.join(W, name)
		    existed = os.path.exists(p)
		    os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o644))
		    print(p, 'existed' if existed else 'created')
		print(os.getpid())
	PY
	stop_audit
	run PY - "$A/log" "$A/truth" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1])
		lines = open(sys.argv[2]).read().split()
		pid, truth = int(lines[-1]), dict(zip(lines[0:-1:2], lines[1:-1:2]))
		problems = []
		for path, what in truth.items():
		    opens = [e for e in ev if al.get(e, 'process.pid') == pid and al.get(e, 'event.action') == 'open'
		             and al.get(e, 'file.path') == path]
		    if len(opens) != 1:
		        problems.append('%s: %d opens' % (path, len(opens)))
		        continue
		    o = opens[0]['filemond']['open']
		    if 'O_CREAT' not in o['flags'] or o.get('created', False) != (what == 'created'):
		        problems.append('%s (%s): %r' % (path, what, o))
		print('\n'.join(problems))
	PY
	[ "$status" -eq 0 ] && [ -z "$output" ] || fail "$output"
}

@test "a process in a pid namespace of its own: its pid there and the namespace's depth" {
	echo ns >"$W/nsfile"
	start_audit
	inner=$(unshare --pid --fork --mount-proc sh -c 'echo $$; exec cat "$1" >/dev/null' sh "$W/nsfile")
	stop_audit
	run PY - "$A/log" "$W/nsfile" "$inner" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1])
		opens = [e for e in ev if al.get(e, 'event.action') == 'open' and al.get(e, 'file.path') == sys.argv[2]
		         and al.get(e, 'process.name') == 'cat']
		if len(opens) != 1:
		    sys.exit('%d opens of the file' % len(opens))
		e = opens[0]
		want = {'pid': int(sys.argv[3]), 'level': 1}
		if e['filemond'].get('pid_ns') != want or e['process']['pid'] == want['pid']:
		    sys.exit('pid %r, pid_ns %r, want %r' % (e['process']['pid'], e['filemond'].get('pid_ns'), want))
	PY
	[ "$status" -eq 0 ] || fail "$output"
}

@test "rotation under load: every event once across the files, the sequence whole, every line parses" {
	mkdir "$W/r"
	cat >"$A/conf" <<-EOF
		log_dir $A/log
		rotate_size 16K
		rotate_keep 1000
	EOF
	start_audit
	sh -c "for i in \$(seq 3000); do : >$W/r/\$i; done"
	stop_audit
	[ "$(ls "$A/log" | wc -l)" -gt 3 ] || fail "no rotation: $(ls "$A/log")"
	run PY - "$A/log" "$W" <<-'PY'
		import sys, collections, auditlog as al
		ev = al.load(sys.argv[1])
		W = sys.argv[2]
		n = collections.Counter(al.get(e, 'file.path') for e in ev if al.get(e, 'event.action') == 'open'
		                        and (al.get(e, 'file.path') or '').startswith(W + '/r/'))
		problems = []
		want = set('%s/r/%d' % (W, i) for i in range(1, 3001))
		if set(n) != want:
		    problems.append('%d of 3000 files present, %d others' % (len(set(n) & want), len(set(n) - want)))
		if any(c != 1 for c in n.values()):
		    problems.append('%d files logged more than once' % sum(c != 1 for c in n.values()))
		dup, lost, covered, missing, overlap = al.seq_check(ev)
		if dup or missing or overlap:
		    problems.append('sequence: %d duplicates, %d missing, %d both seen and lost' % (dup, len(missing), len(overlap)))
		print('%d events in %d files' % (len(ev), len(al.files(sys.argv[1]))))
		print('\n'.join(problems))
		sys.exit(1 if problems else 0)
	PY
	echo "# $output" >&3
	[ "$status" -eq 0 ] || fail "$output"
}

@test "a tiny ring: lost events in the stream account for the sequence gap, and the exit status says so" {
	start_audit --ring-size 4096
	# two processes opening as fast as they can: more than a 4 KiB ring
	# holds between two drains, even in an emulated guest
	mkdir "$W/a" "$W/b"
	"$FMTEST" "burst:$W/a:20000" &
	p1=$!
	"$FMTEST" "burst:$W/b:20000" &
	p2=$!
	wait "$p1" "$p2"
	stop_audit
	run PY - "$A/log" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1])
		dup, lost, covered, missing, overlap = al.seq_check(ev)
		print('ring lost %d (ranges cover %d), missing uncovered %d, dup %d, overlap %d' % (lost, covered, len(missing), dup, len(overlap)))
		sys.exit(0 if lost > 0 and lost == covered and not missing and not dup and not overlap else 1)
	PY
	echo "# $output; audit exit $AUDIT_STATUS" >&3
	[ "$status" -eq 0 ] || fail "$output"
	[ "$AUDIT_STATUS" -eq 123 ] || fail "exit $AUDIT_STATUS, not 123 after a loss"
	grep -q 'the audit lost' "$A/err"
}

@test "a full disk: lines are counted lost while it is full, written again once space returns, never a cut line" {
	mkdir "$A/log" "$W/full" "$W/back"
	mount -t tmpfs -o size=1m,mode=0700 filemond-audit-test "$A/log"
	MNT=$A/log
	start_audit
	local full_from=$SECONDS
	dd if=/dev/zero of="$A/log/fill" bs=64k 2>/dev/null || true # until ENOSPC
	sh -c "for i in \$(seq 300); do : >$W/full/\$i; done"
	for _ in $(seq $((100 * TIME_SCALE))); do
		"$FILEMOND" --status --socket "$A/sock" | grep -qE ' [1-9][0-9]* not written' && break
		sleep 0.1
	done
	run "$FILEMOND" --status --socket "$A/sock"
	echo "# while full: $(echo "$output" | grep '^audit:')" >&3
	[[ "$output" =~ \ [1-9][0-9]*\ not\ written ]] || fail "no lines counted lost on a full disk: $output"
	rm "$A/log/fill"
	local full_s=$((SECONDS - full_from + 1))
	sh -c "for i in \$(seq 300); do : >$W/back/\$i; done"
	stop_audit
	run PY - "$A/log" "$W" "$full_s" <<-'PY'
		import sys, auditlog as al
		ev = al.load(sys.argv[1]) # every line whole and parsed
		W, full_s = sys.argv[2], int(sys.argv[3])
		def opened(d):
		    return set(al.get(e, 'file.path') for e in ev if al.get(e, 'event.action') == 'open'
		               and (al.get(e, 'file.path') or '').startswith(W + d))
		back = opened('/back/')
		writer = sum(al.get(e, 'filemond.lost.count') for e in ev if al.get(e, 'filemond.lost.where') == 'writer')
		dup, lost, covered, missing, overlap = al.seq_check(ev)
		reports = sum(1 for e in ev if al.get(e, 'filemond.lost.where') == 'writer')
		print('after space returned %d of 300 creations; while full %d of 300; writer lost %d in %d reports, '
		      'sequence numbers missing %d, dup %d; full for %d s'
		      % (len(back), len(opened('/full/')), writer, reports, len(missing), dup, full_s))
		# the lost lines that carry no sequence number are the writer's own
		# reports, tried at most 4 times a second while the disk is full
		ok = (len(back) == 300 and writer > 0 and len(missing) > 0 and not dup
		      and len(missing) <= writer <= len(missing) + 4 * full_s + 4)
		sys.exit(0 if ok else 1)
	PY
	echo "# $output; audit exit $AUDIT_STATUS" >&3
	[ "$status" -eq 0 ] || fail "$output"
	[ "$AUDIT_STATUS" -eq 123 ] || fail "exit $AUDIT_STATUS, not 123 after a loss"
}

@test "configuration errors: FILE:LINE: what is wrong, non-zero exit, nothing loaded; --check-config passes a good one" {
	local bad
	while IFS='|' read -r line want; do
		printf '# a comment\n%s\n' "$line" >"$A/bad.conf"
		run "$FILEMOND" --check-config --config "$A/bad.conf"
		[ "$status" -ne 0 ] || fail "'$line' accepted"
		[ "$output" = "$A/bad.conf:2: $want" ] || fail "'$line': $output"
	done <<-'EOF'
		frobnicate yes|unknown keyword
		events exec,teleport|unknown event kind
		rotate_size 12Q|not a size (N, NK, NM or NG)
		rotate_keep many|not a number
		failures maybe|expected yes or no
		exclude shoesize 42|unknown field (uid, auid, exe, path, cgroup)
		exclude uid root|not a user id
		include path relative/dir|not an absolute path
		log_dir|expected: KEYWORD VALUE
		exclude uid|expected: include|exclude FIELD VALUE
		log_dir /a /b /c /d|too many words
	EOF
	run "$FILEMOND" --audit --config "$A/nonexistent.conf"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot read $A/nonexistent.conf"* ]]
	printf 'log_dir /var/log/filemond\nrotate_size 1M\nevents all\nfailures no\ninclude auid 1000\nexclude path /proc\n' >"$A/good.conf"
	run "$FILEMOND" --check-config --config "$A/good.conf"
	assert_success
	assert_output "$A/good.conf: ok"
}

@test "--format json for a build: its events in the audit's schema, failed lookups and argv included, standalone and through the daemon alike" {
	echo in >"$W/in"
	"$FILEMOND" --daemon --socket "$A/d.sock" 2>"$A/d.err" &
	AUDIT_PID=$! # stop_audit stops it
	for _ in $(seq $((100 * TIME_SCALE))); do [ -S "$A/d.sock" ] && break; sleep 0.05; done
	for m in standalone connect; do
		run "$FILEMOND" --$m --socket "$A/d.sock" --format json -o "$A/$m.json" -- \
			sh -c "cat $W/in >/dev/null; cat $W/missing 2>/dev/null; true"
		[ "$status" -eq 0 ] || fail "$m: exit $status: $output"
		run PY - "$A/$m.json" "$W" <<-'PY'
			import json, sys, auditlog as al
			lines = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
			W = sys.argv[2]
			if any(al.get(e, 'filemond.schema') != 1 for e in lines):
			    sys.exit('a line without schema 1')
			acts = [al.get(e, 'event.action') for e in lines]
			if acts[0] != 'start' or acts[-1] != 'end' or al.get(lines[-1], 'filemond.lost.count') != 0:
			    sys.exit('not start ... end with 0 lost: %r %r' % (acts[0], lines[-1]))
			mine = sorted(set((al.get(e, 'event.action'), al.get(e, 'event.outcome'), al.get(e, 'error.code'), al.get(e, 'file.path'))
			                  for e in lines if (al.get(e, 'file.path') or '').startswith(W + '/')))
			print(mine)
			cat = [e for e in lines if al.get(e, 'process.args') == ['cat', W + '/in']]
			sys.exit(0 if cat else 'no exec of cat with its argv')
		PY
		[ "$status" -eq 0 ] || fail "$m: $output"
		echo "$output" >"$A/$m.view"
	done
	[ "$(cat "$A/standalone.view")" = "[('open', 'failure', 'ENOENT', '$W/missing'), ('open', 'success', None, '$W/in')]" ] ||
		fail "standalone: $(cat "$A/standalone.view")"
	diff "$A/standalone.view" "$A/connect.view" || fail "the daemon's JSON differs"
}
