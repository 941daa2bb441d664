#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: our ptp_vmw against the distribution's in-tree ptp_vmw, side by
# side in the emulated VMware guest, per kernel series.
#
#   bash tests/bench/run.sh          full counts, every series in KSERIES
#                                    (default: the two Debian 12 ships);
#                                    writes bench/results/<date>-<series>.md
#                                    and its PNG plots, and bench/results/latest.md;
#                                    earlier runs' reports become rows of
#                                    bench/results/history.md (bench_latest)
#   bash tests/bench/run.sh report   the tables and plots again, from the raw
#                                    results of the last run in $OUT/bench (no
#                                    boots): for a change to report.py
#   bash tests/bench/run.sh smoke    tiny counts, one series (BENCH_SMOKE_SERIES,
#                                    default 6.12); everything goes to
#                                    $OUT/bench/results, nothing into bench/.
#                                    Proves every metric is produced and the
#                                    deterministic boot repeats exactly;
#                                    asserts no timing; and tries the history
#                                    step on copies of bench/results (report.py
#                                    --selftest-history). make check runs this.
#   bash tests/bench/run.sh sync     only the comparison with NTP (below),
#                                    full counts, into bench/results (and
#                                    latest.md and history.md, as above)
#
# Per series: three short boots whose only precision-clock calls are the
# measured ones (hypercalls per reading, from the device model's counter);
# the deterministic boot (tests/scenarios/bench-det.sh: -icount, the device
# model's host clock on the guest's time base), twice, whose figures are
# instruction counts and must come out identical; and the wall-clock boot
# (bench-wall.sh: two vCPUs, MTTCG, no big lock in the device model) for
# what only real time shows, concurrency, as noisy context. BENCH_WALL=no
# leaves the wall-clock boot out. Then, on one series (BENCH_SYNC_SERIES,
# default the last of the list), what users run instead: chrony over NTP
# from a server on the host (tests/host/ntpserver.sh) against chrony on the
# precision clock, and both, one boot each (tests/scenarios/bench-sync.sh):
# time to 1 ms ... 1 us, the steady window, vMotion-like pauses;
# tests/bench/sync.py writes <date>-<series>-sync.md and its plot.
# BENCH_SYNC=no leaves it out. All through the one boot runner
# (tests/host/boot.sh); tests/bench/report.py turns what the guests said
# into the tables and the plots. Results go to $OUT/results.tsv and
# results.ktap; the last line says "N passed, N failed, N skipped".

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "$0")/../host/harness.sh"
. "$TOP/tests/host/ntpserver.sh"

MODE=${1:-full}
RUN_START=$(date +%s)
DATE=$(date -u +%Y-%m-%d)
BENCH_OUT=$OUT/bench
RUN_MODE=$MODE

case $MODE in
full)
	SERIES_LIST=$(kseries_expand "${KSERIES:-$KSERIES_DEFAULT}")
	RESULTS_DIR=$TOP/bench/results
	BENCH_N=100000           # readings per driver and round (clock_gettime, bare calls)
	BENCH_SYSOFF_CALLS=4000  # x 25 samples = 100,000 samples per driver and round
	BENCH_ROUNDS=3           # wall-clock rounds
	BENCH_THREADS_MS=1000
	BENCH_CHRONY_ROUNDS=3    # deterministic chrony rounds per driver
	BENCH_WINDOW=120         # seconds of chrony after lock (guest time)
	BENCH_CALLS_N=100000
	BENCH_CALLS_SYSOFF=4000
	;;
sync)
	SERIES_LIST=$(kseries_expand "${BENCH_SYNC_SERIES:-${KSERIES:-6.12}}")
	RESULTS_DIR=$TOP/bench/results
	;;
smoke)
	SERIES_LIST=$(kseries_expand "${BENCH_SMOKE_SERIES:-$KSERIES_ONE}")
	RESULTS_DIR=$BENCH_OUT/results
	BENCH_N=2000
	BENCH_SYSOFF_CALLS=40
	BENCH_ROUNDS=2
	BENCH_THREADS_MS=200
	BENCH_CHRONY_ROUNDS=1
	BENCH_WINDOW=5
	BENCH_CALLS_N=1000
	BENCH_CALLS_SYSOFF=20
	BENCH_SYNC_CONVERGE=5
	BENCH_SYNC_WINDOW=5
	BENCH_SYNC_RECOVER=6
	;;
report)
	[ -f "$OUT/bench/meta.sh" ] || die "no earlier bench run in $OUT/bench to report on"
	# shellcheck disable=SC1091
	. "$OUT/bench/meta.sh"
	;;
*) die "usage: tests/bench/run.sh [full|smoke|sync|report]" ;;
esac
# The comparison with NTP at full counts (the environment may shorten them
# for a trial run, and the tables say what ran): seconds from chronyd's
# start to the steady window, of steady window, watched after each pause.
BENCH_SYNC_CONVERGE=${BENCH_SYNC_CONVERGE:-120}
BENCH_SYNC_WINDOW=${BENCH_SYNC_WINDOW:-600}
BENCH_SYNC_RECOVER=${BENCH_SYNC_RECOVER:-180}
# The series it runs on.
SYNC_SERIES=${BENCH_SYNC_SERIES:-${SERIES_LIST##* }}
BENCH_LOCK_TIMEOUT=60    # guest seconds
# Lock: chrony on VMW with |System time| (the correction still to slew)
# under 1 us. At 100 us the window started while chrony was still slewing
# away the last of the initial 300 ms: its first second, 4 to 34 us off,
# was most of the window's RMS, and where the lock poll fell in that slew
# decided the comparison.
BENCH_LOCK_NS=1000
BENCH_WALL=${BENCH_WALL:-yes}
BENCH_SYNC=${BENCH_SYNC:-yes}
# The source measured, as make check-matrix names it: every report says it,
# and history.md keeps it ("run.sh report": the run's own, from meta.sh).
BENCH_SOURCE=${BENCH_SOURCE:-$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)}
# The vMotion-like pauses, ms, and the comparison's sampling period.
BENCH_SYNC_PAUSES=100,1000,5000
BENCH_SYNC_PERIOD_MS=100
# The counts the guest is asked for (bench.conf) and report.py reads.
BENCH_VARS="BENCH_N BENCH_SYSOFF_CALLS BENCH_ROUNDS BENCH_THREADS_MS BENCH_CHRONY_ROUNDS
	BENCH_WINDOW BENCH_CALLS_N BENCH_CALLS_SYSOFF BENCH_LOCK_TIMEOUT BENCH_LOCK_NS
	BENCH_SYNC_CONVERGE BENCH_SYNC_WINDOW BENCH_SYNC_RECOVER BENCH_SYNC_PAUSES BENCH_SYNC_PERIOD_MS"
export BENCH_N BENCH_SYSOFF_CALLS BENCH_ROUNDS BENCH_THREADS_MS BENCH_CHRONY_ROUNDS \
	BENCH_WINDOW BENCH_CALLS_N BENCH_CALLS_SYSOFF BENCH_LOCK_TIMEOUT BENCH_LOCK_NS BENCH_WALL BENCH_SOURCE \
	BENCH_SYNC_CONVERGE BENCH_SYNC_WINDOW BENCH_SYNC_RECOVER BENCH_SYNC_PAUSES BENCH_SYNC_PERIOD_MS

if [ "$MODE" != report ]; then
	rm -rf "$BENCH_OUT"
	mkdir -p "$BENCH_OUT" "$RESULTS_DIR"
fi
results_reset
# Every boot's files under $OUT/bench/runs (run_scenario's RUNS).
RUNS=$BENCH_OUT/runs

# _bench_layer KVER: the counts the guest is asked for (bench.conf) as one
# more cpio after the normal initrd; points GUEST_INITRD at the result.
_bench_layer() {
	local kver=$1 stage=$BENCH_OUT/layer n
	rm -rf "$stage"
	mkdir -p "$stage/opt/ptpvmw"
	for n in $BENCH_VARS; do
		echo "$n=${!n}"
	done >"$stage/opt/ptpvmw/bench.conf"
	_cpio_of "$stage" "$BENCH_OUT/layer.cpio" || return 1
	cat "$GUEST_INITRD" "$BENCH_OUT/layer.cpio" >"$BENCH_OUT/initrd-bench-$kver.cpio"
	GUEST_INITRD=$BENCH_OUT/initrd-bench-$kver.cpio
}

# guest_net_layer KVER: the guest's network driver, for boots with a NIC
# (BOOT_NET=yes): the kernel's own e1000 module, uncompressed, at
# /opt/ptpvmw/net/e1000.ko, as one more cpio after GUEST_INITRD, which then
# points at the result. Only those boots carry it: every other boot's initrd
# stays as it was, byte for byte.
guest_net_layer() {
	local kver=$1 stage=$OUT/guest-net-$1 ko
	ko=$(find "$KERNELS/$kver/root/lib/modules/$kver/kernel/drivers/net/ethernet/intel/e1000" \
		-name 'e1000.ko*' | head -n 1)
	[ -n "$ko" ] || { echo "no e1000 module in $KERNELS/$kver" >&2; return 1; }
	rm -rf "$stage"
	mkdir -p "$stage/opt/ptpvmw/net"
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -qdc "$ko" ;;
	*) cat "$ko" ;;
	esac >"$stage/opt/ptpvmw/net/e1000.ko" || return 1
	_cpio_of "$stage" "$stage.cpio" || return 1
	cat "$GUEST_INITRD" "$stage.cpio" >"$stage-initrd.cpio"
	GUEST_INITRD=$stage-initrd.cpio
}

# bench_series SERIES: build, boot the bench boots, write the report.
bench_series() {
	SERIES=$1
	kernel_prepare "$SERIES"
	say "[$SERIES] kernel $KVER"
	# What "run.sh report" needs for this series.
	mkdir -p "$BENCH_OUT/runs/$SERIES"
	QEMU_DESC="$("$QEMU" --version | head -n 1) ($(basename "$(dirname "$(dirname "$QEMU")")"))"
	printf 'KVER=%q\nQEMU_DESC=%q\nMACHINE=%q\n' "$KVER" "$QEMU_DESC" "$MACHINE" \
		>"$BENCH_OUT/runs/$SERIES/meta.sh"
	if [ ! -s "$KDIR_IMAGE/ptp_vmw-intree.ko" ]; then
		# Debian's 5.10, for one: nothing to compare with, and no pretending.
		result_context "$SERIES" bench
		skip "ours against the in-tree driver" "kernel $KVER has no in-tree ptp_vmw to compare ours with"
		return 0
	fi
	module_build
	guest_initrd "$KVER" "$MODULE_KO" || die "[$SERIES] building the initrd failed"
	_bench_layer "$KVER" || die "[$SERIES] building the bench's initrd layer failed"
	if [ "$MODE" = sync ]; then
		bench_sync "$SERIES"
		return
	fi
	local n
	for n in ours intree-gettime intree-sysoff; do
		run_scenario "$SERIES" "bench-calls-$n"
		if [ -s "$RUN_DIR/model-stats" ]; then
			cp "$RUN_DIR/model-stats" "$RUN_DIR/model-stats.txt"
		else
			fail "the device model wrote its counters" "no $RUN_DIR/model-stats"
		fi
	done
	run_scenario "$SERIES" bench-det
	# The same boot again, filed apart: report.py compares the two.
	RUN_LABEL=bench-det-repeat run_scenario "$SERIES" bench-det
	[ "$BENCH_WALL" = no ] || run_scenario "$SERIES" bench-wall
	bench_report "$SERIES"
	if [ "$BENCH_SYNC" != no ] && [ "$SERIES" = "$SYNC_SERIES" ]; then
		bench_sync "$SERIES"
	fi
}

# bench_sync SERIES: chrony over NTP, on the precision clock, and both: the
# host's NTP server for as long as the three boots may take (and never
# longer: stopped on every way out of this subshell), the boots, the report.
bench_sync() {
	local series=$1 c limit
	guest_net_layer "$KVER" || die "[$series] adding the network driver to the initrd failed"
	limit=$(scenario_load bench-sync && echo $((3 * BOOT_TIMEOUT + 60)))
	trap ntp_server_stop EXIT
	if ! ntp_server_start "$BENCH_OUT/ntp-server" "$limit"; then
		result_context "$series" bench-sync
		fail "the host's NTP server for the guest answers" "see $BENCH_OUT/ntp-server/"
		return 0
	fi
	for c in ntp phc both; do
		BENCH_SYNC_CONFIG=$c RUN_LABEL=bench-sync-$c run_scenario "$series" bench-sync
	done
	ntp_server_stop
	trap - EXIT
	sync_report "$series"
}

# sync_report SERIES: the comparison's table and plot, from the three boots.
sync_report() {
	local series=$1 base=$DATE-$1-sync log=$BENCH_OUT/sync-report-$1.log rc
	/usr/bin/python3 "$TOP/tests/bench/sync.py" --series "$series" --kernel "$KVER" \
		--date "$DATE" --mode "$RUN_MODE" --machine "$MACHINE" \
		--runs "$BENCH_OUT/runs/$series" --out "$RESULTS_DIR/$base" >"$log" 2>&1
	rc=$?
	result_context "$series" sync-report
	record_lines "$log"
	[ $rc -eq 0 ] || fail "comparison with NTP: report for $series" "sync.py exited $rc; see $log"
	say "[$series] comparison with NTP: $RESULTS_DIR/$base.md"
}

# bench_report SERIES: the table and the plots, from the four boots.
bench_report() {
	local series=$1 base log
	base=$DATE-$series
	log=$BENCH_OUT/report-$series.log
	/usr/bin/python3 "$TOP/tests/bench/report.py" \
		--series "$series" --kernel "$KVER" --date "$DATE" --mode "$RUN_MODE" \
		--qemu "$QEMU_DESC" --machine "$MACHINE" \
		--runs "$BENCH_OUT/runs/$series" --out "$RESULTS_DIR/$base" >"$log" 2>&1
	local rc=$?
	result_context "$series" report
	record_lines "$log"
	[ $rc -eq 0 ] || fail "bench report for $series" "report.py exited $rc; see $log"
	say "[$series] table: $RESULTS_DIR/$base.md"
}

# bench_latest: the reports of earlier runs (older than the newest of their
# kind, make bench's or the comparison with NTP's) become rows of
# bench/results/history.md and go, plots and all; bench/results/latest.md
# points at the newest of each kind and at history.md.
bench_latest() {
	/usr/bin/python3 "$TOP/tests/bench/report.py" --latest "$RESULTS_DIR" --date "$DATE" \
		>"$BENCH_OUT/latest.log" 2>&1 ||
		{ result_context host report &&
			fail "bench/results/latest.md and history.md written" "see $BENCH_OUT/latest.log"; }
}

# bench_history_selftest: bench_latest's history step on copies of
# bench/results, with made-up earlier runs (report.py --selftest-history):
# rows with the reports' figures, nothing twice, the newest of each kind kept.
bench_history_selftest() {
	local log=$BENCH_OUT/history-selftest.log
	result_context host bench-history
	/usr/bin/python3 "$TOP/tests/bench/report.py" --selftest-history "$TOP/bench/results" \
		--out "$BENCH_OUT/history-selftest" >"$log" 2>&1
	record_lines "$log"
	grep -qE '^(PASS|FAIL) ' "$log" || fail "bench history self-test reported checks" "no PASS/FAIL lines; see $log"
}

# bench_finish WHAT: the failures, results.ktap, and "WHAT: N passed, N
# failed, N skipped (...)"; succeeds when nothing failed and something passed.
bench_finish() {
	local counts
	/usr/bin/python3 "$TOP/tests/host/results.py" ktap "$RESULTS" >"$OUT/results.ktap"
	/usr/bin/python3 "$TOP/tests/host/results.py" failures "$RESULTS" >&2
	counts=$(/usr/bin/python3 "$TOP/tests/host/results.py" counts "$RESULTS")
	echo "$1: $counts ($(($(date +%s) - RUN_START)) s; tables in $RESULTS_DIR)"
	case $counts in *" 0 failed"*) ;; *) return 1 ;; esac
	case $counts in "0 passed"*) return 1 ;; esac
}

need_pkgs gnuplot-nox python3
if [ "$MODE" = report ]; then
	for series in $SERIES_LIST; do
		(
			# shellcheck disable=SC1090 # written by bench_series
			. "$BENCH_OUT/runs/$series/meta.sh" || exit 1
			[ -d "$BENCH_OUT/runs/$series/bench-det" ] && { bench_report "$series" || exit 1; }
			[ ! -d "$BENCH_OUT/runs/$series/bench-sync-ntp" ] || sync_report "$series"
		) || { result_context "$series" report && fail "bench report for $series" "see above"; }
	done
	[ "$RUN_MODE" = smoke ] || bench_latest
	bench_finish "bench report"
	exit
fi
MACHINE="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), host kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
export MACHINE
# What "run.sh report" needs to draw this run's tables again.
{
	printf 'SERIES_LIST=%q\nRESULTS_DIR=%q\nDATE=%q\nRUN_MODE=%q\nBENCH_WALL=%q\nBENCH_SOURCE=%q\n' \
		"$SERIES_LIST" "$RESULTS_DIR" "$DATE" "$MODE" "$BENCH_WALL" "$BENCH_SOURCE"
	for n in $BENCH_VARS; do
		echo "$n=${!n}"
	done
} >"$BENCH_OUT/meta.sh"
say "ptp_vmw bench ($MODE): kernel series [$SERIES_LIST]; logs in $BENCH_OUT; tables in $RESULTS_DIR"
[ "$MODE" = smoke ] && bench_history_selftest
guest_userland
# The cached userland is shared with other runs, which may replace it: this
# run keeps its own link to the file it started with.
ln -f "$GUEST_USERLAND" "$BENCH_OUT/userland.cpio" 2>/dev/null ||
	cp "$GUEST_USERLAND" "$BENCH_OUT/userland.cpio" || die "cannot keep a copy of $GUEST_USERLAND"
GUEST_USERLAND=$BENCH_OUT/userland.cpio
guest_project
guest_setup

for series in $SERIES_LIST; do
	( bench_series "$series" ) ||
		{ result_context "$series" bench && fail "bench for kernel series $series ran" "a step failed; see the messages above"; }
done

[ "$MODE" = smoke ] || bench_latest
bench_finish "bench ($MODE)"
