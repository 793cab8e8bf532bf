#!/usr/bin/env bash
# bench/run.sh - filemond against strace, the floor and the untraced run, in one run.
#
#   bench/run.sh [-n REPS] [-o RESULTS_DIR] [-s SECTIONS]
#
# SECTIONS (default all): workloads bpf levels tax startstop rate audit
# (AUDIT_WORKLOADS: the audit section's workloads, default "build forkexec openloop")
# Runs are interleaved (every tracer once per repetition, in an order that
# rotates) and ratios are paired: a traced run over the same repetition's
# untraced run.  Prints tables of medians and min-max; raw data goes to
# RESULTS_DIR (default bench/results, ignored by git).
#
# Tracers: none; strace -f; floor (bench/floor: the minimal design of
# perf-floor.md rebuilt, so the floor is measured here and now); filemond
# in-process (--standalone); filemond through a daemon this script starts.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=5
out=$top/bench/results
sections="workloads bpf levels tax startstop rate audit"
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
FLOOR=$top/build/bench/floor
FMTEST=$top/build/tests/fmtest
FMCLIENT=$top/build/tests/fmclient
mkdir -p "$out"
make -s -C "$top" filemond build/tests/fmtest build/tests/fmclient build/bench/openloop build/bench/floor >/dev/null || exit 1
"$top/bench/workloads/build.sh" --fetch-only || { echo "bench: cannot fetch the build workload's source" >&2; exit 1; }

work=$(mktemp -d /var/tmp/filemond-bench.XXXXXX)
sock=$work/fm.sock
daemon_pid=
bpf_stats_was=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$bpf_stats_was"
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

# Quiet: no program of ours attached and no tracepoint held, so an
# untraced run pays nothing for earlier traced ones.  The daemon past its
# linger after the last session, no BPF link left, no filemond-linger
# (tracer_detach's child, which holds tracepoints for a few seconds).
wait_quiet() {
	for _ in $(seq 200); do
		{ [ -z "$daemon_pid" ] || "$FM" --status --socket "$sock" | grep -qx 'programs detached (no session)'; } &&
			[ "$(bpftool link show 2>/dev/null | grep -c prog_id)" -eq 0 ] &&
			! pgrep -x filemond-linger >/dev/null && return
		sleep 0.1
	done
	echo "bench: still not quiet after 20 s" >&2
}
now() { echo "${EPOCHREALTIME/./}"; } # microseconds
# "median min max" of the numbers on stdin, or "-"
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f %.3f\n", m, a[1], a[NR]}'; }
# paired ratio / difference of tracer t over "none", per repetition: stdin "rep key tracer value"
paired() { awk -v k="$1" -v t="$2" -v op="$3" '$2 == k && $3 == "none" {b[$1] = $4} $2 == k && $3 == t {r[$1] = $4}
	END {for (i in r) if (i in b) print (op == "ratio") ? r[i] / b[i] : r[i] - b[i]}'; }

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

# Random temporary names (gcc's /tmp/ccXXXXXX.s, ar's stXXXXXX) made alike.
same_temps() { sed -E 's#/tmp/cc[A-Za-z0-9]{6}\.#/tmp/ccXXXXXX.#; s#/st[A-Za-z0-9]{6}$#/stXXXXXX#'; }
# A log's E/R/W lines without pids: the multiset a run of the workload
# must produce.
log_view() { grep -E '^[ERW] ' "$1" | sed -E 's/^([ERW]) [0-9]+ /\1 /' | same_temps | sort; }

# Truth.  openloop counts its own E/R/W records of files in its directory.
# For build and forkexec: the lines predicted from an strace run of the
# same workload under the same wrapper (tests/bats/strace_view.awk, the
# model the integration tests use), into $work/truth.WORKLOAD.
truth() {
	local w=$1
	rm -rf "$work/run" && mkdir -p "$work/run"
	if [ "$w" = openloop ]; then
		$(workload_cmd openloop) | sed -n 's/^records //p'
		return
	fi
	eval "strace -f -y -qq -e status=successful \
		-e trace=open,openat,openat2,creat,execve,chdir,fchdir,clone,clone3,fork,vfork \
		-o $work/st $(timed "$(workload_cmd "$w")")"
	awk -v cwd="$(pwd -P)" -f "$top/tests/bats/strace_view.awk" "$work/st" | same_temps | sort >"$work/truth.$w"
	cp "$work/st" "$out/strace.$w.txt"
	wc -l <"$work/truth.$w"
}

run_one() { # tracer workload -> "seconds lost logged missing extra"
	local tracer=$1 w=$2 cmd log=$work/log rc=0 lost=- logged=- missing=- extra=-
	rm -rf "$work/run" "$log" && mkdir -p "$work/run"
	cmd=$(timed "$(workload_cmd "$w")")
	wait_quiet # every run from the same idle start: none pays for the last
	case $tracer in
	none) eval "$cmd" ;;
	strace) eval "strace -f -qq -o /dev/null -e trace=%file,%process $cmd" ;;
	floor) eval "\"$FLOOR\" $log $cmd" 2>"$work/floor.err" ;;
	filemond) eval "\"$FM\" --standalone -o $log $cmd" || rc=$? ;;
	daemon) eval "\"$FM\" --connect --socket $sock -o $log $cmd" || rc=$? ;;
	esac
	read -r s e <"$work/t"
	if [ "$tracer" = floor ]; then
		lost=$(sed -n 's/^floor: \([0-9]*\) records lost$/\1/p' "$work/floor.err"); lost=${lost:-0}
	elif [ "$tracer" = filemond ] || [ "$tracer" = daemon ]; then
		lost=$(sed -n 's/^# lost \([0-9]*\) events$/\1/p' "$log"); lost=${lost:-0}
		[ "$rc" -eq 123 ] || [ "$lost" -eq 0 ] || lost="$lost(rc$rc)"
		if [ "$w" = openloop ]; then
			logged=$(grep -cE "^[ERW] [0-9]+ $work/run(/|\$)" "$log")
			missing=$((truth_of[$w] > logged ? truth_of[$w] - logged : 0))
			extra=$((logged > truth_of[$w] ? logged - truth_of[$w] : 0))
		else
			log_view "$log" >"$work/view"
			logged=$(wc -l <"$work/view")
			missing=$(comm -23 "$work/truth.$w" "$work/view" | wc -l)
			extra=$(comm -13 "$work/truth.$w" "$work/view" | wc -l)
			if [ "$missing" -gt 0 ] || [ "$extra" -gt 0 ]; then # kept for a look
				{ echo "== $tracer: missing"; comm -23 "$work/truth.$w" "$work/view"
				  echo "== $tracer: extra"; comm -13 "$work/truth.$w" "$work/view"; } >>"$out/differences.$w.txt"
			fi
		fi
	fi
	echo "$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.4f", (e - s) / 1e6}') $lost $logged $missing $extra"
	if [ "$w" = openloop ]; then sed -n 's/^phase \(.\) \([0-9.]*\) ns\/op$/\1 \2/p' "$work/cmd.out" >"$work/phases.$tracer"; fi
}

tracers=(none strace floor filemond daemon)
workloads=(build forkexec openloop)
phases=(A B L M W S G E)
if want workloads; then
rm -f "$out"/differences.*.txt
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
echo "Records: E/R/W lines logged / the truth (openloop: its own count; build, forkexec: the strace"
echo "model), and, over all runs, the most lines missing from or extra to the truth."
echo
printf '| %-8s | %-8s | %-10s | %-24s | %-9s | %-32s | %-5s |\n' workload tracer "untraced s" "ratio median (min-max)" "+s median" "records logged / truth" lost
printf '|%s|\n' "----------|----------|------------|--------------------------|-----------|----------------------------------|-------"
for w in "${workloads[@]}"; do
	base=$(awk -v w="$w" '$2 == w && $3 == "none" {print $4}' "$out/runs.txt" | median)
	for t in strace floor filemond daemon; do
		ratio=$(awk '{print $1, $2, $3, $4}' "$out/runs.txt" | paired "$w" "$t" ratio | median)
		plus=$(awk '{print $1, $2, $3, $4}' "$out/runs.txt" | paired "$w" "$t" diff | median)
		lost=$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $5}' "$out/runs.txt" | sort -u | tr '\n' ' ')
		rec=-
		if [ "$t" = filemond ] || [ "$t" = daemon ]; then
			rec=$(awk -v w="$w" -v t="$t" -v truth="${truth_of[$w]}" '$2 == w && $3 == t {
				n[$6]++; if ($7 > m) m = $7; if ($8 > x) x = $8 }
				END {for (k in n) s = s (s ? "," : "") k; printf "%s / %s (-%d +%d)", s, truth, m, x}' "$out/runs.txt")
		fi
		printf '| %-8s | %-8s | %-10s | %-24s | %-9s | %-32s | %-5s |\n' "$w" "$t" "${base%% *}" \
			"$(echo "$ratio" | awk '{printf "%.3f (%.3f-%.3f)", $1, $2, $3}')" "$(echo "$plus" | awk '{printf "%+.3f", $1}')" "$rec" "$lost"
	done
done

echo
echo "## openloop: added ns per operation (median of paired differences; none = absolute ns)"
echo
printf '| %-8s |' tracer; for p in "${phases[@]}"; do printf ' %-8s |' "$p"; done; echo
printf '|----------|'; for _ in "${phases[@]}"; do printf -- '----------|'; done; echo
for t in "${tracers[@]}"; do
	printf '| %-8s |' "$t"
	for p in "${phases[@]}"; do
		if [ "$t" = none ]; then
			v=$(awk -v p="$p" '$2 == "none" && $3 == p {print $4}' "$out/phases.txt" | median | awk '{printf "%.0f", $1}')
		else
			v=$(awk '{print $1, $3, $2, $4}' "$out/phases.txt" | paired "$p" "$t" diff | median | awk '{printf "%+.0f", $1}')
		fi
		printf ' %-8s |' "$v"
	done
	echo
done
echo "(A open+read+close, B openat(dirfd)+close, L legacy open+close, M failing openat, W open for writing+close,"
echo " S stat, G getppid, E fork+exec+wait of a static binary)"
fi

# BPF run time of the open hook (kernel.bpf_stats_enabled, run_time_ns /
# run_cnt) over 100 000 opens of $work/run/src/lib/include/x86_64/sys/fN, 9
# path components: filemond's sys_exit_open against the floor's floor_open,
# interleaved.
bpf_ns_once() { # filemond|floor -> ns per run
	local d=$work/run/src/lib/include/x86_64/sys what
	rm -rf "$work/run" && mkdir -p "$d"
	what="$FMTEST burst:$d:100000; bpftool prog show name"
	wait_quiet # no other program of that name attached (the daemon's)
	sysctl -qw kernel.bpf_stats_enabled=1
	case $1 in
	filemond) "$FM" --standalone -o "$work/log" -- sh -c "$what sys_exit_open" ;;
	floor) "$FLOOR" "$work/log" sh -c "$what floor_open" ;;
	esac | sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p' |
		sort -k2,2n | tail -1 | awk '{printf "%.0f\n", $1 / $2}' # the program that ran them (not the daemon's)
	sysctl -qw kernel.bpf_stats_enabled="$bpf_stats_was"
}
if want bpf; then
for rep in $(seq "$reps"); do
	for t in filemond floor; do echo "$t $(bpf_ns_once $t)"; sleep 1; done
done >"$out/bpf.txt"
echo
echo "## BPF run time per open (kernel.bpf_stats_enabled; 100 000 opens of a path 9 components long, $reps runs)"
echo
echo "| program | ns per run, median (min-max) |"
echo "|---|---|"
for t in filemond floor; do
	awk -v t="$t" '$1 == t {print $2}' "$out/bpf.txt" | median |
		awk -v t="$t" '{printf "| %s | %.0f (%.0f-%.0f) |\n", (t == "floor") ? "floor: floor_open (look up, read the name, submit)" : "filemond: sys_exit_open (look up, walk the file, read the name, submit)", $1, $2, $3}'
done
fi

# BPF levels (bpf/path.bpf.h), each forced on this kernel: the BPF run
# time per open, and openloop's ns per operation traced at that level
# minus untraced, interleaved per repetition.
levels_once() { # rep -> lines "rep level bpf_ns A_added W_added" in levels.txt
	local rep=$1 l base_a base_w a w ns
	rm -rf "$work/run" && mkdir -p "$work/run"
	"$OL" "$work/run" 200 100 >"$work/ol.untraced"
	base_a=$(awk '$2 == "A" {print $3}' "$work/ol.untraced")
	base_w=$(awk '$2 == "W" {print $3}' "$work/ol.untraced")
	for l in 3 2 1; do
		ns=$(FILEMOND_BPF_LEVEL=$l bpf_ns_once filemond)
		wait_quiet
		FILEMOND_BPF_LEVEL=$l "$FM" --standalone -o /dev/null -- "$OL" "$work/run" 200 100 >"$work/ol.$l"
		a=$(awk '$2 == "A" {print $3}' "$work/ol.$l")
		w=$(awk '$2 == "W" {print $3}' "$work/ol.$l")
		echo "$rep $l $ns $a $base_a $w $base_w" | awk '{printf "%s %s %s %.0f %.0f\n", $1, $2, $3, $4 - $5, $6 - $7}'
	done >>"$out/levels.txt"
}
if want levels; then
: >"$out/levels.txt"
for rep in $(seq "$reps"); do levels_once "$rep"; done
echo
echo "## BPF levels, each forced on this kernel ($reps runs; added ns: traced minus untraced, openloop)"
echo
echo "| level | sys_exit_open ns per run | added ns per open+read+close (A) | added ns per open for write (W) |"
echo "|---|---|---|---|"
for l in 3 2 1; do
	row=""
	for col in 3 4 5; do
		row="$row | $(awk -v l="$l" -v c="$col" '$2 == l {print $c}' "$out/levels.txt" | median | awk '{printf "%.0f (%.0f-%.0f)", $1, $2, $3}')"
	done
	echo "| $l$row |"
done
fi

# Untraced tax: openloop NOT traced, while (a) a session traces something
# else, (b) the daemon runs with no session (idle: wait_quiet); against
# nothing loaded at all.
tax_once() { # rep mode: appends "rep mode seconds" to tax.txt (no subshell: it restarts the daemon)
	local rep=$1 mode=$2 bg=
	rm -rf "$work/run" && mkdir -p "$work/run"
	case $mode in
	session) "$FM" --connect --socket "$sock" -o /dev/null -- sleep 600 </dev/null >/dev/null 2>&1 & bg=$!; sleep 0.3 ;;
	none) kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null; daemon_pid=; wait_quiet ;;
	idle) wait_quiet ;;
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
	awk '{print $1, "tax", $2, $3}' "$out/tax.txt" | paired tax "$mode" ratio |
		median | awk -v m="$mode" '{printf "| %s | %.3f (%.3f-%.3f) |\n", (m == "session") ? "a session traces another process" : "the daemon is idle (no session)", $1, $2, $3}'
done
fi

# Start and stop.
if want startstop; then
ms_of() { local s e; s=$(now); "$@" >/dev/null 2>&1; e=$(now); awk -v d=$((e - s)) 'BEGIN {printf "%.2f", d / 1000}'; }
for i in $(seq 10); do
	# standalone with nothing else attached: a daemon holding the same
	# tracepoints would make the detach look cheaper than it is
	wait_quiet
	echo "true $(ms_of /bin/true)"
	echo "standalone $(ms_of "$FM" --standalone -o /dev/null -- /bin/true)"
	# at once again: the previous run's detacher still holds the tracepoints
	echo "again $(ms_of "$FM" --standalone -o /dev/null -- /bin/true)"
	sleep 1.5 # let its detacher finish
	echo "daemon $(ms_of "$FM" --connect --socket "$sock" -o /dev/null -- /bin/true)"
	echo "attached $(ms_of "$FM" --connect --socket "$sock" -o /dev/null -- /bin/true)"
	echo "setup $(ms_of "$FMCLIENT" "$sock" fd:/dev/null self close)"
done >"$out/startstop.txt"
echo
echo "## Start and stop (10 runs, median ms, min-max)"
echo
echo "| what | ms |"
echo "|---|---|"
for k in true standalone again daemon attached setup; do
	awk -v k="$k" '$1 == k {print $2}' "$out/startstop.txt" | median | awk -v k="$k" '{
		n = (k == "true") ? "/bin/true alone" : (k == "standalone") ? "filemond --standalone -- /bin/true" : (k == "again") ? "the same, started right after another (its detach still running)" : (k == "daemon") ? "filemond --connect -- /bin/true (via the daemon, idle: it attaches its programs)" : (k == "attached") ? "the same again (programs still attached)" : "session set-up via the daemon (attached): connect, SET_FD, SET_PID, CLOSE"
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
# The audit service (filemond --audit, default configuration: everything)
# against the untraced run, auditd with equivalent system-wide rules, and a
# build session as today; interleaved, one fresh daemon per run.
if want audit; then
AUDIT_RULES="-S open,openat,openat2,creat,execve,execveat,unlink,unlinkat,rmdir,rename,renameat,renameat2,link,linkat,symlink,symlinkat"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
audit_run() { # rep workload tracer -> appends "rep workload tracer seconds events lost cpu_ticks rss_kb" to audit.txt
	local rep=$1 w=$2 t=$3 cmd pid= cpu=- rss=- events=- lost=- l0
	rm -rf "$work/run" "$work/alog" && mkdir -p "$work/run"
	cmd=$(timed "$(workload_cmd "$w")")
	wait_quiet
	case $t in
	audit)
		printf 'log_dir %s\n' "$work/alog" >"$work/audit.conf"
		"$FM" --audit --config "$work/audit.conf" --socket "$work/audit.sock" 2>"$work/audit.err" &
		pid=$!
		for _ in $(seq 200); do grep -q auditing "$work/audit.err" && break; sleep 0.05; done ;;
	auditd)
		auditd -n -c "$work/auditd" 2>/dev/null &
		pid=$!
		sleep 0.5
		auditctl -D >/dev/null; auditctl -b 8192 >/dev/null
		auditctl -a always,exit -F arch=b64 $AUDIT_RULES -k fmbench >/dev/null
		l0=$(auditctl -s | awk '$1 == "lost" {print $2}') ;;
	esac
	case $t in
	session) eval "\"$FM\" --connect --socket $sock -o $work/log $cmd" ;;
	*) eval "$cmd" ;;
	esac
	read -r s e <"$work/t"
	if [ -n "$pid" ]; then
		sleep 0.3 # the last records drained
		cpu=$(cpu_ticks "$pid"); rss=$(hwm_kb "$pid")
	fi
	case $t in
	audit)
		kill -TERM "$pid"; wait "$pid"
		events=$(cat "$work"/alog/audit.json* | grep -c "\"path\":\"$work/run")
		lost=$(cat "$work"/alog/audit.json* | grep -o '"lost":{"count":[0-9]*' | grep -o '[0-9]*$' | awk '{n += $1} END {print n + 0}') ;;
	auditd)
		lost=$(( $(auditctl -s | awk '$1 == "lost" {print $2}') - l0 ))
		auditctl -D >/dev/null
		kill -TERM "$pid"; wait "$pid"
		events=$(cat "$work"/auditd/audit.log* 2>/dev/null | grep -c "name=\"$work/run")
		rm -f "$work"/auditd/audit.log* ;;
	session)
		events=$(grep -cE "^[ERW] [0-9]+ $work/run" "$work/log")
		lost=$(sed -n 's/^# lost \([0-9]*\) events$/\1/p' "$work/log"); lost=${lost:-0} ;;
	esac
	echo "$rep $w $t $(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", (e - s) / 1e6}') $events $lost $cpu $rss" >>"$out/audit.txt"
}
audit_tracers=(none audit session)
if command -v auditd >/dev/null && auditctl -s >/dev/null 2>&1; then
	audit_tracers+=(auditd)
	mkdir -p "$work/auditd"
	# one log large enough for a run, so every record of the workload is counted
	sed -e "s#^log_file.*#log_file = $work/auditd/audit.log#" -e "s#^max_log_file =.*#max_log_file = 4096#" \
		/etc/audit/auditd.conf >"$work/auditd/auditd.conf"
	chmod 0640 "$work/auditd/auditd.conf"
fi
: >"$out/audit.txt"
audit_workloads=${AUDIT_WORKLOADS:-build forkexec openloop}
for rep in $(seq "$reps"); do
	for w in $audit_workloads; do
		n=${#audit_tracers[@]}
		for i in $(seq 0 $((n - 1))); do audit_run "$rep" "$w" "${audit_tracers[$(((i + rep) % n))]}"; done
	done
done
echo
echo "## The audit service: filemond --audit (everything logged) vs auditd (the same calls, system-wide) vs a build session"
echo
echo "| workload | tracer | ratio median (min-max) | events of the workload logged (median) | lost (max) | daemon CPU ticks (median) | daemon peak RSS KiB (max) |"
echo "|---|---|---|---|---|---|---|"
for w in $audit_workloads; do
	for t in "${audit_tracers[@]}"; do
		[ "$t" = none ] && continue
		ratio=$(awk '{print $1, $2, $3, $4}' "$out/audit.txt" | paired "$w" "$t" ratio | median)
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$t" "$(echo "$ratio" | awk '{printf "%.3f (%.3f-%.3f)", $1, $2, $3}')" \
			"$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $5}' "$out/audit.txt" | median | awk '{print $1}')" \
			"$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $6}' "$out/audit.txt" | sort -n | tail -1)" \
			"$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $7}' "$out/audit.txt" | median | awk '{print $1}')" \
			"$(awk -v w="$w" -v t="$t" '$2 == w && $3 == t {print $8}' "$out/audit.txt" | sort -n | tail -1)"
	done
done
echo "(events: audit JSON lines / auditd PATH records / filemon E R W lines naming the workload's directory;"
echo " CPU: the daemon's user+sys in ${CLK_TCK:-100} Hz ticks over the run, auditd's userspace only)"
# RSS of the audit daemon through a fork/exec storm: flat if per-process
# state is freed at exit.
printf 'log_dir %s\n' "$work/alog" >"$work/audit.conf"
rm -rf "$work/alog"
"$FM" --audit --config "$work/audit.conf" --socket "$work/audit.sock" 2>"$work/audit.err" &
apid=$!
for _ in $(seq 200); do grep -q auditing "$work/audit.err" && break; sleep 0.05; done
rss="$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")"
for round in 1 2 3 4 5; do
	sh -c 'for i in $(seq 20000); do /bin/true; done'
	sleep 0.3
	rss="$rss $(awk '/VmRSS/ {print $2}' "/proc/$apid/status")"
done
kill -TERM "$apid"; wait "$apid"
echo
echo "Audit daemon RSS (KiB) at start and after each 20 000 processes (100 000 in all): $rss"
fi

echo
echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "Mitigations: spec_rstack_overflow: $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null || echo n/a); spectre_v2: $(cut -d';' -f1 /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo n/a)"
[ "$sections" = "workloads bpf levels tax startstop rate audit" ] && shown="" || shown=" -s \"$sections\""
echo "Command: bench/run.sh -n $reps$shown at commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
