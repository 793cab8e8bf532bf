#!/bin/sh
# forkexec - a configure-like storm of short processes: ROUNDS rounds of
# true, sh -c, expr, sed on a file, a pipe, and cc --version every 25th.
rounds=${1:-400}
dir=${2:-$(mktemp -d)}
printf 'one\ntwo\nthree\n' >"$dir/input"
i=0
while [ "$i" -lt "$rounds" ]; do
	/bin/true
	sh -c 'exit 0'
	expr "$i" + 1 >/dev/null
	sed -n 2p "$dir/input" >/dev/null
	echo "$i" | tr 0-9 a-j >/dev/null
	[ $((i % 25)) -eq 0 ] && cc --version >/dev/null
	i=$((i + 1))
done
