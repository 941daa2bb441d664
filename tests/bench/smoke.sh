# SPDX-License-Identifier: GPL-2.0-only
# make check's view of make bench: the bench in smoke mode (tiny counts, one
# kernel series, four short boots) proves that every metric is still
# produced and the table and plots are still written, into the check's own
# output directory (never bench/results/). No timing is asserted.
# Sourced by tests/host/check.sh (after boot.sh, for record).

# host_test_bench_smoke SERIES: run tests/bench/run.sh smoke for SERIES and
# take its checks into this run's results.
host_test_bench_smoke() {
	local series=$1 out=$OUT/bench-smoke log=$OUT/bench-smoke.log rc n
	say "[$series] bench smoke test (tests/bench/run.sh smoke; log $log)"
	PTP_VMW_OUT=$out BENCH_SMOKE_SERIES=$series QEMU=${QEMU:-} \
		bash "$TOP/tests/bench/run.sh" smoke >"$log" 2>&1
	rc=$?
	# Its results file already has this run's "STATUS [series] check" form.
	n=$(grep -cE '^(PASS|FAIL) ' "$out/results.txt" 2>/dev/null)
	if [ "${n:-0}" -eq 0 ]; then
		record FAIL "$series" "bench smoke: reported checks" "exit $rc, no PASS/FAIL lines; see $log"
		return 0
	fi
	grep -E '^(PASS|FAIL) ' "$out/results.txt" >>"$RESULTS"
	grep '^FAIL ' "$out/results.txt" | sed 's/^/  /' >&2
	say "[$series] bench smoke: $(grep -c '^PASS ' "$out/results.txt") passed, $(grep -c '^FAIL ' "$out/results.txt") failed; table and plots in $out/bench/results"
	[ "$rc" -eq 0 ] || grep -q '^FAIL ' "$out/results.txt" ||
		record FAIL "$series" "bench smoke: run.sh exits 0" "exit $rc; see $log"
}

# bench_smoke_series "SERIES...": the one series the smoke test runs on:
# 6.12 when the run proves it, else the last one.
bench_smoke_series() {
	case " $1 " in
	*" 6.12 "*) echo 6.12 ;;
	*) echo "${1##* }" ;;
	esac
}
