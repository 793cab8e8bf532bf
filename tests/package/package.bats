#!/usr/bin/env bats
# The Debian package: built by "make deb" (lintian-clean), installed with
# apt into a clean Debian 12 made by debootstrap (a chroot sharing this
# kernel), used there, and purged.  Ground truth: dpkg's own file list, the
# README's list of installed files, the chroot's file tree before and after,
# bpftool for BPF objects.

bats_require_minimum_version 1.5.0

DEB_NAME=filemond_0.1.0_amd64.deb
CACHE=${PACKAGE_TEST_CACHE:-/var/cache/filemond-test}

setup_file() {
	load ../bats/helpers
	export CH=$(mktemp -d /var/lib/filemond-package-test.XXXXXX)
	# a minimal Debian 12, made once and kept as a tarball
	if [ ! -s "$CACHE/bookworm-minbase.tar" ]; then
		mkdir -p "$CACHE"
		debootstrap --variant=minbase bookworm "$CH" http://deb.debian.org/debian >"$CH.debootstrap.log" 2>&1 ||
			fail "debootstrap failed: $(tail -5 "$CH.debootstrap.log")"
		tar -C "$CH" -cf "$CACHE/bookworm-minbase.tar.part" . && mv "$CACHE/bookworm-minbase.tar.part" "$CACHE/bookworm-minbase.tar"
		rm -f "$CH.debootstrap.log"
	else
		tar -C "$CH" -xf "$CACHE/bookworm-minbase.tar"
	fi
	cp /etc/resolv.conf "$CH/etc/resolv.conf"
	mount -t proc proc "$CH/proc"
	mount --bind /sys "$CH/sys"
	mount --bind /dev "$CH/dev"
}

teardown_file() {
	local m
	for m in dev sys proc; do
		mountpoint -q "$CH/$m" && umount -l "$CH/$m"
	done
	rm -rf "$CH"
	rm -f "$CH.before" "$CH.after" "$CH.users" "$CH.debootstrap.log"
}

setup() {
	load ../bats/helpers
}

in_chroot() { chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# The chroot's files, less apt's and dpkg's own bookkeeping and the mounts.
snapshot() {
	(cd "$CH" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		-o -path ./var/lib/apt -o -path ./var/cache/apt -o -path ./var/lib/dpkg -o -path ./var/log/apt \
		-o -path ./var/cache/debconf -o -path ./run \) -prune -o -print |
		grep -vxE '\./var/log/(dpkg|alternatives)\.log' | sort)
}

@test "make deb: a package lintian finds no error or warning in" {
	run make -C "$ROOT" -s deb
	assert_success
	[ -s "$ROOT/build-deb/$DEB_NAME" ]
	# make deb fails on an error or a warning; the tags it printed, if any, are informational
	run grep -E '^[EW]: ' <<<"$output"
	assert_failure
}

@test "apt-get install into a clean Debian 12: the socket enabled, the audit service not; filemond traces there" {
	[ -s "$ROOT/build-deb/$DEB_NAME" ] || fail "no package: the first test failed"
	snapshot >"$CH.before"
	cat "$CH/etc/passwd" "$CH/etc/group" >"$CH.users"
	cp "$ROOT/build-deb/$DEB_NAME" "$CH/tmp/"
	run in_chroot sh -c "apt-get update -qq && apt-get install -y -qq /tmp/$DEB_NAME"
	assert_success
	[ -L "$CH/etc/systemd/system/sockets.target.wants/filemond.socket" ]
	run find "$CH/etc/systemd/system" -name 'filemond-audit*' -o -name 'filemond-device*'
	assert_output ""
	# the audit's configuration is a conffile: an upgrade keeps the admin's edits
	run in_chroot dpkg-query -W -f='${Conffiles}\n' filemond
	assert_output --regexp '^ /etc/filemond/audit\.conf [0-9a-f]{32}$'
	run in_chroot /usr/sbin/filemond -o /tmp/log -- /bin/cat /etc/debian_version
	assert_success
	run cat "$CH/tmp/log"
	assert_line --index 0 "# filemon version 5"
	assert_line --regexp '^E [0-9]+ /(usr/)?bin/cat$'
	assert_line --regexp '^R [0-9]+ /etc/debian_version$'
	assert_line "# Bye bye"
}

@test "dpkg -L lists every file the README says the package installs, and no other" {
	run in_chroot dpkg -L filemond
	assert_success
	local listed=$output want
	want=$(awk '/<!-- package files:/ { m = 1; next } m == 1 && /^```$/ { m = 2; next }
		m == 2 && /^```$/ { exit } m == 2' "$ROOT/README.md")
	[ -n "$want" ] || fail "no file list in README.md"
	[ "$(wc -l <<<"$want")" -ge 10 ]
	while read -r f; do
		grep -qxF "$f" <<<"$listed" || fail "dpkg -L filemond lacks $f (README.md says it is installed)"
	done <<<"$want"
	while read -r f; do
		[ -d "$CH$f" ] || grep -qxF "$f" <<<"$want" || fail "the package installs $f, which README.md does not list"
	done <<<"$listed"
}

@test "apt-get purge leaves no file, user, unit or BPF object behind" {
	[ -s "$CH.before" ] || fail "not installed: the earlier test failed"
	# the audit's log directory exists once the service has run
	mkdir -p "$CH/var/log/filemond" && echo '{}' >"$CH/var/log/filemond/audit.json"
	run in_chroot apt-get purge -y -qq --autoremove filemond
	assert_success
	snapshot >"$CH.after"
	run diff "$CH.before" "$CH.after"
	assert_success
	run diff "$CH.users" <(cat "$CH/etc/passwd" "$CH/etc/group")
	assert_success
	run find "$CH/etc/systemd" "$CH/lib/systemd" -name 'filemond*'
	assert_output ""
	wait_no_lingerer
	[ "$(filemond_prog_count)" -eq 0 ]
	rm -f "$CH.before" "$CH.after" "$CH.users"
}

@test "make install honours PREFIX and DESTDIR everywhere, the units' paths included" {
	local d=$BATS_TEST_TMPDIR/dest
	run make -C "$ROOT" -s install DESTDIR="$d" PREFIX=/usr UNITDIR=/lib/systemd/system
	assert_success
	[ -x "$d/usr/sbin/filemond" ]
	[ -s "$d/usr/include/dev/filemon/filemon.h" ]
	[ -s "$d/etc/filemond/audit.conf" ]
	grep -qx 'ExecStart=/usr/sbin/filemond --daemon' "$d/lib/systemd/system/filemond.service"
	grep -q '^ExecStart=/usr/sbin/filemond --audit --config /etc/filemond/audit.conf' "$d/lib/systemd/system/filemond-audit.service"
	grep -qx 'ExecStart=/usr/sbin/filemond --daemon --device /dev/filemon' "$d/lib/systemd/system/filemond-device.service"
	d=$BATS_TEST_TMPDIR/opt
	run make -C "$ROOT" -s install DESTDIR="$d" PREFIX=/opt/fm UNITDIR=/opt/fm/lib/systemd/system
	assert_success
	grep -qx 'ExecStart=/opt/fm/sbin/filemond --daemon' "$d/opt/fm/lib/systemd/system/filemond.service"
	grep -q '^ExecStart=/opt/fm/sbin/filemond --audit --config /opt/fm/etc/filemond/audit.conf' \
		"$d/opt/fm/lib/systemd/system/filemond-audit.service"
	# nothing outside PREFIX
	run find "$d" -mindepth 1 -maxdepth 1
	assert_output "$d/opt"
	run grep -rl '/usr/local' "$d"
	assert_output ""
}
