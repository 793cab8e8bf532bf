#!/bin/bash
# bench/blocked-log.sh FILEMOND FMTEST [RING] - the cost of a blocked log to
# the other sessions (security-audit F6).  Session B runs 6 x 100k opens
# into a file; a second later session A's log is a pipe whose reader never
# reads for 12 s.  Prints STATUS latency once a second, then B's exit,
# loss and lines: a daemon that isolates sessions shows B with nothing
# lost and STATUS answering in milliseconds.
set -u
FM=$1 FMTEST=$2 RING=${3:-1M}
T=$(mktemp -d /tmp/fm-blocked.XXXXXX)
chmod 755 "$T"
"$FM" --daemon --socket "$T/s" --ring-size "$RING" 2>"$T/d.err" &
D=$!
for _ in $(seq 100); do [ -S "$T/s" ] && break; sleep 0.05; done
mkdir "$T/a" "$T/b"
( "$FM" --socket "$T/s" --connect -o "$T/b.log" -- \
	sh -c "for i in 1 2 3 4 5 6; do $FMTEST burst:$T/b:100000; done" 2>"$T/b.err"
  echo "B exit $?" >"$T/b.rc" ) &
B=$!
sleep 1
( "$FM" --socket "$T/s" --connect -o /dev/stdout -- "$FMTEST" "burst:$T/a:3000" 2>"$T/a.err" | sleep 12 ) &
A=$!
for _ in $(seq 8); do
	t0=$(date +%s%N)
	timeout 5 "$FM" --status --socket "$T/s" >/dev/null 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc -eq 0 ] && echo "status latency ms: $ms" || echo "status latency ms: >$ms (timed out)"
	sleep 1
done
wait "$B"
cat "$T/b.rc"
grep '^# lost' "$T/b.log" || echo "B: no '# lost' line"
echo "B lines: $(wc -l <"$T/b.log")"
wait "$A"
echo "A: $(cat "$T/a.err")"
kill "$D"
wait "$D" 2>/dev/null
rm -rf "$T"
