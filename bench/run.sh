#!/usr/bin/env bash
# bench/run.sh - filemond against strace and the untraced floor, in one run.
#
#   bench/run.sh [-n REPS] [-o RESULTS_DIR] [-s SECTIONS]
#
# SECTIONS (default all): workloads tax startstop rate
# Runs are interleaved (every tracer once per repetition, in an order that
# rotates) and ratios are paired: a traced run over the same repetition's
# untraced run.  Prints tables of medians and min-max; raw data goes to
# RESULTS_DIR (default bench/results, ignored by git).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=5
out=$top/bench/results
sections="workloads tax startstop rate"
while getopts n:o:s: opt; do
	case $opt in
	n) reps=$OPTARG ;;
	o) out=$OPTARG ;;
	s) sections=$OPTARG ;;
	*) echo "usage: bench/run.sh [-n REPS] [-o DIR] [-s SECTIONS]" >&2; exit 64 ;;
	esac
done
want() { [[ " $sections " == *" $1 "* ]]; }
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }

FM=$top/filemond
OL=$top/build/bench/openloop
FMTEST=$top/build/tests/fmtest
FMCLIENT=$top/build/tests/fmclient
mkdir -p "$out" "$top/build/bench"
make -s -C "$top" filemond build/tests/fmtest build/tests/fmclient >/dev/null
cc -O2 -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE "$top/bench/openloop.c" -o "$OL"
"$top/bench/workloads/build.sh" --fetch-only

work=$(mktemp -d /var/tmp/filemond-bench.XXXXXX)
sock=$work/fm.sock
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
start_daemon() {
	"$FM" --daemon --socket "$sock" </dev/null >/dev/null 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && return; sleep 0.05; done
	echo "bench: the daemon did not start" >&2
	exit 1
}
start_daemon

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f %.3f\n", m, a[1], a[NR]}'; }

# The workloads, each run in $work/run; its own time is written to $work/t.
workload_cmd() {
	case $1 in
	build) echo "$top/bench/workloads/build.sh run $work/run" ;;
	forkexec) echo "$top/bench/workloads/forkexec.sh 400 $work/run" ;;
	openloop) echo "$OL $work/run 200 100" ;;
	esac
}
# bash measures the command inside the traced tree: start-up is left out
timed() { echo "bash -c 's=\$EPOCHREALTIME; $1 >$work/cmd.out; e=\$EPOCHREALTIME; echo \"\${s/./} \${e/./}\" >$work/t'"; }

run_one() { # tracer workload -> "seconds lost records"
	local tracer=$1 w=$2 cmd log=$work/log rc=0
	rm -rf "$work/run" && mkdir -p "$work/run"
	cmd=$(timed "$(workload_cmd "$w")")
	case $tracer in
	none) eval "$cmd" ;;
	strace) eval "strace -f -qq -o /dev/null -e trace=%file,%process $cmd" ;;
	filemond) eval "\"$FM\" --standalone -o $log $cmd" || rc=$? ;;
	daemon) eval "\"$FM\" --connect --socket $sock -o $log $cmd" || rc=$? ;;
	esac
	read -r s e <"$work/t"
	local lost=- records=-
	if [ "$tracer" = filemond ] || [ "$tracer" = daemon ]; then
		lost=$(sed -n 's/^# lost \([0-9]*\) events$/\1/p' "$log"); lost=${lost:-0}
		[ "$rc" -eq 123 ] || [ "$lost" -eq 0 ] || lost="$lost(rc$rc)"
		if [ "$w" = openloop ]; then
			records=$(grep -cE "^[RW] [0-9]+ $work/run(/|\$)" "$log")
		else
			records=$(grep -cE '^[ERW] ' "$log")
		fi
	fi
	echo "$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.4f", (e - s) / 1e6}') $lost $records"
	if [ "$w" = openloop ]; then sed -n 's/^phase \(.\) \([0-9.]*\) ns\/op$/\1 \2/p' "$work/cmd.out" >"$work/phases.$tracer"; fi
}

# Truth for build and forkexec: filemond's E/R/W lines as predicted from an
# strace run (tests/bats/strace_view.awk); openloop prints its own.
truth() {
	local w=$1
	rm -rf "$work/run" && mkdir -p "$work/run"
	if [ "$w" = openloop ]; then
		$(workload_cmd openloop) | sed -n 's/^records //p'
		return
	fi
	# the same timing wrapper as the measured runs, so the trees are the same
	eval "strace -f -y -qq -e status=successful \
		-e trace=open,openat,openat2,creat,execve,chdir,fchdir,clone,clone3,fork,vfork \
		-o $work/st $(timed "$(workload_cmd "$w")")"
	awk -v cwd="$(pwd -P)" -f "$top/tests/bats/strace_view.awk" "$work/st" | wc -l
}

tracers=(none strace filemond daemon)
workloads=(build forkexec openloop)
if want workloads; then
declare -A truth_of
for w in "${workloads[@]}"; do truth_of[$w]=$(truth "$w"); done

: >"$out/runs.txt"
: >"$out/phases.txt"
for rep in $(seq "$reps"); do
	for w in "${workloads[@]}"; do
		n=${#tracers[@]}
		for k in $(seq 0 $((n - 1))); do
			t=${tracers[$(((k + rep) % n))]}
			r=$(run_one "$t" "$w")
			echo "$rep $w $t $r" >>"$out/runs.txt"
			[ "$w" = openloop ] && sed "s/^/$rep $t /" "$work/phases.$t" >>"$out/phases.txt"
		done
	done
	echo "repetition $rep/$reps done" >&2
done

echo
echo "## Workloads ($reps repetitions, interleaved; ratio = traced / untraced, same repetition)"
echo
printf '| %-9s | %-8s | %-14s | %-21s | %-10s | %-24s | %-5s |\n' workload tracer "untraced s" "ratio median (min-max)" "+s median" "records logged / truth" lost
printf '|%s|\n' "-----------|----------|----------------|-----------------------|------------|--------------------------|-------"
for w in "${workloads[@]}"; do
	base=$(awk -v w="$w" '$2 == w && $3 == "none" {print $4}' "$out/runs.txt" | median)
	for t in strace filemond daemon; do
		ratio=$(awk -v w="$w" -v t="$t" '$2 == w && $3 == "none" {b[$1] = $4} $2 == w && $3 == t {r[$1] = $4}
			END {for (k in r) print r[k] / b[k]}' "$out/runs.txt" | median)
		plus=$(awk -v w="$w" -v t="$t" '$2 == w && $3 == "none" {b[$1] = $4} $2 == w && $3 == t {r[$1] = $4}
			END {for (k in r) print r[k] - b[k]}' "$out/runs.txt" | median)
		rec=$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $6}' "$out/runs.txt" | sort -u | tr '\n' ' ')
		lost=$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $5}' "$out/runs.txt" | sort -u | tr '\n' ' ')
		[ "$t" = strace ] && rec="-" && lost="-"
		[ "$t" != strace ] && rec="$rec/ ${truth_of[$w]}"
		printf '| %-9s | %-8s | %-14s | %-21s | %-10s | %-24s | %-5s |\n' "$w" "$t" "${base%% *}" \
			"$(echo "$ratio" | awk '{printf "%.3f (%.3f-%.3f)", $1, $2, $3}')" "$(echo "$plus" | awk '{printf "%+.3f", $1}')" "$rec" "$lost"
	done
done

echo
echo "## openloop: added ns per operation (median of paired differences; none = absolute ns)"
echo
printf '| %-8s |' tracer; for p in A B L M W S G; do printf ' %-8s |' "$p"; done; echo
printf '|----------|'; for _ in A B L M W S G; do printf -- '----------|'; done; echo
for t in none strace filemond daemon; do
	printf '| %-8s |' "$t"
	for p in A B L M W S G; do
		v=$(awk -v t="$t" -v p="$p" '$3 == p && $2 == "none" {b[$1] = $4} $3 == p && $2 == t {r[$1] = $4}
			END {for (k in r) print (t == "none") ? r[k] : r[k] - b[k]}' "$out/phases.txt" | median)
		printf ' %-8s |' "$(echo "$v" | awk -v t="$t" '{printf (t == "none") ? "%.0f" : "%+.0f", $1}')"
	done
	echo
done
echo "(A open+read+close, B openat(dirfd)+close, L legacy open+close, M failing openat, W open for writing+close, S stat, G getppid)"
fi

# Untraced tax: openloop NOT traced, while (a) a session traces something
# else, (b) the daemon runs with no session; against nothing loaded at all.
# Idle means idle: past the daemon's linger after its last session, and its
# detacher gone (no BPF link left).
wait_detached() {
	for _ in $(seq 100); do
		"$FM" --status --socket "$sock" | grep -qx 'programs detached (no session)' &&
			[ "$(bpftool link show 2>/dev/null | grep -c prog_id)" -eq 0 ] && return
		sleep 0.1
	done
}
tax_once() { # rep mode: appends "rep mode seconds" to tax.txt (no subshell: it restarts the daemon)
	local rep=$1 mode=$2 bg=
	rm -rf "$work/run" && mkdir -p "$work/run"
	case $mode in
	session) "$FM" --connect --socket "$sock" -o /dev/null -- sleep 600 </dev/null >/dev/null 2>&1 & bg=$!; sleep 0.3 ;;
	none) kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=; sleep 0.5 ;;
	idle) wait_detached ;;
	esac
	# a 5x longer openloop than the workload's: a 3 s run, not 0.6 s of noise
	eval "$(timed "$OL $work/run 1000 100")"
	read -r s e <"$work/t"
	[ -n "$bg" ] && kill "$bg" && wait "$bg" 2>/dev/null
	[ "$mode" = none ] && start_daemon
	awk -v r="$rep" -v m="$mode" -v s="$s" -v e="$e" 'BEGIN {printf "%s %s %.4f\n", r, m, (e - s) / 1e6}' >>"$out/tax.txt"
}
if want tax; then
: >"$out/tax.txt"
for rep in $(seq "$reps"); do
	for mode in none session idle; do tax_once "$rep" "$mode"; done
done
echo
echo "## Untraced tax: openloop not traced (ratio to nothing loaded, same repetition)"
echo
echo "| while | ratio median (min-max) |"
echo "|---|---|"
for mode in session idle; do
	awk -v m="$mode" '$2 == "none" {b[$1] = $3} $2 == m {r[$1] = $3} END {for (k in r) print r[k] / b[k]}' "$out/tax.txt" |
		median | awk -v m="$mode" '{printf "| %s | %.3f (%.3f-%.3f) |\n", (m == "session") ? "a session traces another process" : "the daemon is idle (no session)", $1, $2, $3}'
done
fi

# Start and stop.
if want startstop; then
ms_of() { local s e; s=$(now); "$@" >/dev/null 2>&1; e=$(now); awk -v d=$((e - s)) 'BEGIN {printf "%.2f", d / 1000}'; }
for i in $(seq 10); do
	echo "true $(ms_of /bin/true)"
	echo "standalone $(ms_of "$FM" --standalone -o /dev/null -- /bin/true)"
	sleep 1 # let its detacher finish
	echo "daemon $(ms_of "$FM" --connect --socket "$sock" -o /dev/null -- /bin/true)"
	echo "setup $(ms_of "$FMCLIENT" "$sock" fd:/dev/null self close)"
done >"$out/startstop.txt"
echo
echo "## Start and stop (10 runs, median ms, min-max)"
echo
echo "| what | ms |"
echo "|---|---|"
for k in true standalone daemon setup; do
	awk -v k="$k" '$1 == k {print $2}' "$out/startstop.txt" | median | awk -v k="$k" '{
		n = (k == "true") ? "/bin/true alone" : (k == "standalone") ? "filemond --standalone -- /bin/true" : (k == "daemon") ? "filemond --connect -- /bin/true (via the daemon)" : "session set-up via the daemon: connect, SET_FD, SET_PID, CLOSE"
		printf "| %s | %.2f (%.2f-%.2f) |\n", n, $1, $2, $3}'
done
echo
echo "Daemon RSS after the runs: $(awk '/VmRSS/ {print $2, $3}' "/proc/$daemon_pid/status")"
fi

# Event rate: both cores opening as fast as they can, under one session.
if want rate; then
rate_once() { # ring-size -> "opens/s lost"
	local log=$work/rate.log s e lost
	rm -rf "$work/run" && mkdir -p "$work/run/a" "$work/run/b"
	s=$(now)
	"$FM" --standalone --ring-size "$1" -o "$log" -- sh -c "$FMTEST burst:$work/run/a:200000 & $FMTEST burst:$work/run/b:200000 & wait" || true
	e=$(now)
	lost=$(sed -n 's/^# lost \([0-9]*\) events$/\1/p' "$log")
	echo "$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.0f", 400000 / ((e - s) / 1e6)}') ${lost:-0}"
}
echo
echo "## Event rate: 2 processes opening as fast as they can (400 000 opens), one session"
echo
echo "| ring size | opens/s (median of 3, incl. start/stop) | events lost (max of 3) |"
echo "|---|---|---|"
for ring in 16M 1M 256K 64K 16K; do
	for i in 1 2 3; do rate_once "$ring"; done >"$out/rate.$ring"
	printf '| %s%s | %s | %s |\n' "$ring" "$([ $ring = 16M ] && echo ' (default)')" \
		"$(awk '{print $1}' "$out/rate.$ring" | median | awk '{printf "%d", $1}')" "$(awk '{print $2}' "$out/rate.$ring" | sort -n | tail -1)"
done
fi
echo
echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "Command: bench/run.sh -n $reps"
