#!/bin/sh
# build - make -j2 of Debian's lua5.4 source, from a clean copy each time.
# The source package is fetched once into bench/cache with a private apt
# source list (nothing on the system changes) and unpacked there.
set -eu
cache=$(cd "$(dirname "$0")/.." && pwd)/cache
src=$cache/lua-src
if [ ! -d "$src" ]; then
	mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial"
	cat >"$cache/apt/src.sources" <<-SRC
	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: bookworm
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	opts="-o Dir::Etc::SourceList=$cache/apt/src.sources -o Dir::Etc::SourceParts=/dev/null"
	opts="$opts -o Dir::State::Lists=$cache/apt/lists -o Dir::Cache::Archives=$cache/apt/archives"
	# shellcheck disable=SC2086
	apt-get $opts update -qq >/dev/null
	# shellcheck disable=SC2086
	(cd "$cache/apt" && apt-get $opts source --download-only -qq lua5.4 >/dev/null 2>&1)
	mkdir -p "$src.tmp"
	tar -xzf "$cache"/apt/lua5.4_*.orig.tar.gz -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
fi
[ "${1:-}" = "--fetch-only" ] && exit 0
work=${2:-$(mktemp -d)}
mkdir -p "$work"
rm -rf "$work/lua"
cp -r "$src" "$work/lua"
make -s -C "$work/lua/src" -j2 linux >/dev/null 2>&1
