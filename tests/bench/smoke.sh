# SPDX-License-Identifier: GPL-2.0-only
# make check's view of make bench: the bench in smoke mode (tiny counts, one
# kernel series, nine short boots) proves that every metric is still
# produced (deterministic, wall-clock, and the comparison with NTP: three
# boots, NTP, the precision clock and both, with their pauses), that the
# deterministic boot still repeats exactly (two boots, every data line
# identical) and that the tables and plots are still written, into the
# check's own output directory (never bench/results/). No timing is
# asserted.
# Sourced by tests/host/check.sh (after results.sh).

# host_test_bench_smoke SERIES: run tests/bench/run.sh smoke for SERIES and
# take its results (the same results.tsv form) into this run's.
host_test_bench_smoke() {
	local series=$1 out=$OUT/bench-smoke log=$OUT/bench-smoke.log rc
	result_context "$series" bench-smoke
	say "[$series] bench smoke test (tests/bench/run.sh smoke; log $log)"
	PTP_VMW_OUT=$out BENCH_SMOKE_SERIES=$series QEMU=${QEMU:-} \
		bash "$TOP/tests/bench/run.sh" smoke >"$log" 2>&1
	rc=$?
	if ! grep -qE '^(pass|fail)'$'\t' "$out/results.tsv" 2>/dev/null; then
		fail "bench smoke reported checks" "exit $rc, no results; see $log"
		return 0
	fi
	cat "$out/results.tsv" >>"$RESULTS"
	say "[$series] bench smoke: $(tail -n 1 "$log"); table and plots in $out/bench/results"
	[ "$rc" -eq 0 ] || grep -q '^fail'$'\t' "$out/results.tsv" ||
		fail "bench smoke: run.sh exits 0" "exit $rc; see $log"
}

# bench_smoke_series "SERIES...": the one series the smoke test runs on:
# 6.12 when the run proves it, else the last one.
bench_smoke_series() {
	case " $1 " in
	*" 6.12 "*) echo 6.12 ;;
	*) echo "${1##* }" ;;
	esac
}
