#!/bin/sh
# bmake-filemon.sh HEADER - print the path of a bmake built from Debian's
# bmake source package, unpatched, configured with --with-filemon=HEADER
# (the project's include/dev/filemon/filemon.h): bmake's own filemon_dev.c
# drives /dev/filemon.  Built once into $BMAKE_CACHE (/var/cache/filemond-test);
# rebuilt when the header changes.  The source comes from Debian's archive,
# the .dsc pinned by its SHA-256 and the rest checked by dpkg-source.
set -eu

header=$(realpath "$1")
cache=${BMAKE_CACHE:-/var/cache/filemond-test}
pool=http://deb.debian.org/debian/pool/main/b/bmake
dsc=bmake_20200710-15.dsc
dsc_sha256=5f7b40215d396bcc5d35477f76b237422fba6015d7e13cfa14ecfa56e629ca7f
files="$dsc bmake_20200710.orig.tar.gz bmake_20200710-15.debian.tar.xz"
out=$cache/bmake-filemon
stamp=$out/header.sha256

want=$(sha256sum "$header" | cut -d' ' -f1)
if [ -x "$out/bmake" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	echo "$out/bmake"
	exit 0
fi

mkdir -p "$cache/src"
for f in $files; do
	[ -s "$cache/src/$f" ] && continue
	curl -sSfL -o "$cache/src/$f.part" "$pool/$f" ||
		{ echo "bmake-filemon: cannot download $pool/$f" >&2; exit 1; }
	mv "$cache/src/$f.part" "$cache/src/$f"
done
echo "$dsc_sha256  $cache/src/$dsc" | sha256sum -c --quiet - >&2 ||
	{ echo "bmake-filemon: $dsc is not the one pinned" >&2; exit 1; }

rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp"
dpkg-source -x "$cache/src/$dsc" "$out.tmp/src" >/dev/null 2>&1 ||
	{ echo "bmake-filemon: dpkg-source -x $dsc failed (checksums?)" >&2; exit 1; }
cd "$out.tmp/src"
./configure --with-filemon="$header" >../configure.log 2>&1 ||
	{ tail -20 ../configure.log >&2; exit 1; }
grep -q 'Using: filemon_dev.c' ../configure.log ||
	{ echo "bmake-filemon: configure did not pick filemon_dev.c" >&2; exit 1; }
sh ./make-bootstrap.sh >../build.log 2>&1 || { tail -20 ../build.log >&2; exit 1; }
mkdir -p "$out"
cp bmake "$out/bmake"
cd /
rm -rf "$out.tmp"
echo "$want" >"$stamp"
echo "$out/bmake"
