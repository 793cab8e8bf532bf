# tests/lib/tap.sh - reading the TAP of `bats --tap --timing`, for tests/run
# and tests/vm/*.  Sourced.

# tap_report TAP LABEL SECONDS [STATUS]: prints TAP's lines that are not
# "ok", its three slowest tests, and "LABEL: P passed, F failed (SECONDS s)";
# sets TAP_PASSED and TAP_FAILED.  No result at all counts as one failure,
# as does STATUS 124 (timeout(1): the suite ran out of time).
tap_report() {
	local tap=$1 label=$2 secs=$3 status=${4:-0}
	TAP_PASSED=$(grep -c '^ok ' "$tap")
	TAP_FAILED=$(grep -c '^not ok ' "$tap")
	grep -v '^ok ' "$tap" | grep -v '^1\.\.' || true
	if [ "$TAP_PASSED" -eq 0 ] && [ "$TAP_FAILED" -eq 0 ]; then
		TAP_FAILED=1
		echo "not ok - $label: the suite did not run (status $status)"
	elif [ "$status" -eq 124 ]; then
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok - $label: the suite ran out of time"
	fi
	sed -n 's/^\(not \)\{0,1\}ok [0-9]* \(.*\) in \([0-9]*\)ms$/\3 \2/p' "$tap" | sort -rn | head -3 |
		awk -v l="$label" '{ ms = $1; $1 = ""; printf "# %s slowest:%s, %.1f s\n", l, $0, ms / 1000 }'
	echo "$label: $TAP_PASSED passed, $TAP_FAILED failed ($secs s)"
}
