#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench: our ptp_vmw against the distribution's in-tree ptp_vmw, side by
# side in the emulated VMware guest, per kernel series.
#
#   bash tests/bench/run.sh          full counts, every series in KSERIES
#                                    (default: the two Debian 12 ships);
#                                    writes bench/results/<date>-<series>.md
#                                    and its PNG plots, and bench/results/latest.md
#   bash tests/bench/run.sh report   the tables and plots again, from the raw
#                                    results of the last run in $OUT/bench (no
#                                    boots): for a change to report.py
#   bash tests/bench/run.sh smoke    tiny counts, one series (BENCH_SMOKE_SERIES,
#                                    default 6.12); everything goes to
#                                    $OUT/bench/results, nothing into bench/.
#                                    Proves every metric is produced; asserts
#                                    no timing. make check runs this.
#
# Per series four boots: three short ones whose only precision-clock calls
# are the measured ones (hypercalls per reading, from the device model's
# counter), and the main one (-smp 2) with both drivers in alternating rounds
# (tests/scenarios/bench-main.sh). tests/bench/report.py turns what the guests said
# into the table and the plots. Checks go to $OUT/results.txt as PASS/FAIL
# lines; the last line says "N passed, N failed".

. "$(dirname "$0")/../host/harness.sh"

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
	BENCH_ROUNDS=3
	BENCH_THREADS_MS=1000
	BENCH_CHRONY_ROUNDS=3
	BENCH_WINDOW=120         # seconds of chrony after lock
	BENCH_CALLS_N=100000
	BENCH_CALLS_SYSOFF=4000
	;;
smoke)
	SERIES_LIST=$(kseries_expand "${BENCH_SMOKE_SERIES:-6.12}")
	RESULTS_DIR=$BENCH_OUT/results
	BENCH_N=2000
	BENCH_SYSOFF_CALLS=40
	BENCH_ROUNDS=2
	BENCH_THREADS_MS=200
	BENCH_CHRONY_ROUNDS=1
	BENCH_WINDOW=5
	BENCH_CALLS_N=1000
	BENCH_CALLS_SYSOFF=20
	;;
report)
	[ -f "$OUT/bench/meta.sh" ] || die "no earlier bench run in $OUT/bench to report on"
	# shellcheck disable=SC1091
	. "$OUT/bench/meta.sh"
	;;
*) die "usage: tests/bench/run.sh [full|smoke|report]" ;;
esac
BENCH_LOCK_TIMEOUT=60
BENCH_LOCK_NS=100000     # lock: chrony on VMW with |System time| < 100 us
export BENCH_N BENCH_SYSOFF_CALLS BENCH_ROUNDS BENCH_THREADS_MS BENCH_CHRONY_ROUNDS \
	BENCH_WINDOW BENCH_CALLS_N BENCH_CALLS_SYSOFF BENCH_LOCK_TIMEOUT BENCH_LOCK_NS

if [ "$MODE" != report ]; then
	rm -rf "$BENCH_OUT"
	mkdir -p "$BENCH_OUT" "$RESULTS_DIR"
fi
: >"$RESULTS"

# _bench_layer KVER: the guest's bench files (scenarios under the names /init
# runs, the counts) as one more cpio after the normal initrd; sets BENCH_INITRD.
_bench_layer() {
	local kver=$1 stage=$BENCH_OUT/layer n
	rm -rf "$stage"
	mkdir -p "$stage/opt/ptpvmw/scenarios"
	cp "$TOP/tests/scenarios/bench-main.sh" "$stage/opt/ptpvmw/scenarios/bench-main.sh"
	for n in ours intree-gettime intree-sysoff; do
		cp "$TOP/tests/guest/bench-calls.sh" "$stage/opt/ptpvmw/scenarios/bench-calls-$n.sh"
	done
	for n in BENCH_N BENCH_SYSOFF_CALLS BENCH_ROUNDS BENCH_THREADS_MS BENCH_CHRONY_ROUNDS \
		BENCH_WINDOW BENCH_CALLS_N BENCH_CALLS_SYSOFF BENCH_LOCK_TIMEOUT BENCH_LOCK_NS; do
		echo "$n=${!n}"
	done >"$stage/opt/ptpvmw/bench.conf"
	_cpio_of "$stage" "$BENCH_OUT/layer.cpio" || return 1
	BENCH_INITRD=$BENCH_OUT/initrd-bench-$kver.cpio
	cat "$GUEST_INITRD" "$BENCH_OUT/layer.cpio" >"$BENCH_INITRD"
}

# bench_boot NAME FILE: one boot of a bench scenario, with the runner's QEMU
# command line (_qemu_args) and its BOOT_* defaults; progress every
# HEARTBEAT seconds; the guest's checks, its reaching the end and a clean
# kernel log recorded like run_scenario does.
bench_boot() {
	local name=$1 file=$2 pid start rc complaints
	RUN_DIR=$BENCH_OUT/runs/$SERIES/$name
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"
	BOOT_VMWARE=yes BOOT_SSDT=yes BOOT_QEMU= BOOT_KARGS= BOOT_SMP=1 BOOT_TIMEOUT=180 BOOT_SERIES=
	BOOT_MEM=768
	unset -f guest host
	# shellcheck disable=SC1090
	. "$file"
	GUEST_INITRD=$BENCH_INITRD _qemu_args "$name" "$RUN_DIR"
	printf '%q ' "${QARGS[@]}" >"$RUN_DIR/qemu-command"
	say "[$SERIES] $name: -smp $BOOT_SMP, boot limit ${BOOT_TIMEOUT}s"
	start=$(date +%s)
	timeout --kill-after=10 "$BOOT_TIMEOUT" "${QARGS[@]}" </dev/null >"$RUN_DIR/qemu.log" 2>&1 &
	pid=$!
	while ! _wait_for "$pid" "$HEARTBEAT"; do
		say "  ... $name: $(($(date +%s) - start)) s so far; guest said $(grep -c '^BENCH\|^CHRONY' "$RUN_DIR/results.log" 2>/dev/null || echo 0) result lines, last: $(tail -n 1 "$RUN_DIR/results.log" 2>/dev/null | tr -d '\r' | cut -c1-80)"
	done
	wait "$pid"
	rc=$?
	touch "$RUN_DIR/results.log" "$RUN_DIR/console.log"
	tr -d '\r' <"$RUN_DIR/results.log" >"$RUN_DIR/results.txt"
	echo "$(($(date +%s) - start))" >"$RUN_DIR/seconds"
	say "  done: $name ($(cat "$RUN_DIR/seconds") s)"
	sed -n '/^DMESG-BEGIN$/,/^DMESG-END$/p' "$RUN_DIR/results.txt" | sed '1d;$d' >"$RUN_DIR/dmesg.txt"

	record_lines "$SERIES" <(sed '/^DMESG-BEGIN$/,/^DMESG-END$/d' "$RUN_DIR/results.txt") \
		" (logs: $RUN_DIR)"
	if grep -qx "DONE $name" "$RUN_DIR/results.txt"; then
		pass "$name: guest ran the bench to the end"
	else
		fail "$name: guest ran the bench to the end" \
			"expected 'DONE $name', saw QEMU exit $rc$([ "$rc" -eq 124 ] && echo " (killed after ${BOOT_TIMEOUT}s)"); console tail:
$(tr -d '\r' <"$RUN_DIR/console.log" | tail -n 15 | sed 's/^/          | /')"
	fi
	complaints=$( (cat "$RUN_DIR/dmesg.txt"; tr -d '\r' <"$RUN_DIR/console.log") |
		grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -E "$KERNEL_COMPLAINTS" | sort -u | head -n 5)
	if [ -z "$complaints" ]; then
		pass "$name: kernel log free of Oops/WARNING/BUG/Call Trace"
	else
		fail "$name: kernel log free of Oops/WARNING/BUG/Call Trace" "saw: $complaints"
	fi
}

# bench_series SERIES: build, boot the four bench boots, write the report.
bench_series() {
	SERIES=$1
	kernel_prepare "$SERIES"
	say "[$SERIES] kernel $KVER"
	if [ ! -s "$KDIR_IMAGE/ptp_vmw-intree.ko" ]; then
		# Debian's 5.10, for one: nothing to compare with, and no pretending.
		record NOTRUN "$SERIES" "bench: not run: kernel $KVER has no in-tree ptp_vmw to compare ours with"
		return 0
	fi
	module_build
	guest_initrd "$KVER" "$MODULE_KO" || die "[$SERIES] building the initrd failed"
	_bench_layer "$KVER" || die "[$SERIES] building the bench's initrd layer failed"
	local n
	for n in ours intree-gettime intree-sysoff; do
		bench_boot "bench-calls-$n" "$TOP/tests/guest/bench-calls.sh"
		if [ -s "$RUN_DIR/model-stats" ]; then
			cp "$RUN_DIR/model-stats" "$RUN_DIR/model-stats.txt"
		else
			fail "bench-calls-$n: the device model wrote its counters" "no $RUN_DIR/model-stats"
		fi
	done
	bench_boot bench-main "$TOP/tests/scenarios/bench-main.sh"
	bench_report "$SERIES"
}

# bench_report SERIES: the table and the plots, from the four boots.
bench_report() {
	local series=$1 base log meta=$BENCH_OUT/runs/$1/meta.sh
	if [ "$MODE" = report ]; then
		# shellcheck disable=SC1090
		. "$meta" || return 1
	else
		QEMU_DESC="$("$QEMU" --version | head -n 1) ($(basename "$(dirname "$(dirname "$QEMU")")"))"
		printf 'KVER=%q\nQEMU_DESC=%q\nMACHINE=%q\n' "$KVER" "$QEMU_DESC" "$MACHINE" >"$meta"
	fi
	base=$DATE-$series
	log=$BENCH_OUT/report-$series.log
	/usr/bin/python3 "$TOP/tests/bench/report.py" \
		--series "$series" --kernel "$KVER" --date "$DATE" --mode "$RUN_MODE" \
		--qemu "$QEMU_DESC" --machine "$MACHINE" \
		--runs "$BENCH_OUT/runs/$series" --out "$RESULTS_DIR/$base" >"$log" 2>&1
	local rc=$?
	record_lines "$series" "$log"
	[ $rc -eq 0 ] || fail "bench report for $series" "report.py exited $rc; see $log"
	say "[$series] table: $RESULTS_DIR/$base.md"
}

# bench_latest: bench/results/latest.md, pointing at this run's tables.
bench_latest() {
	/usr/bin/python3 "$TOP/tests/bench/report.py" --latest "$RESULTS_DIR" --date "$DATE" \
		--series-list "$SERIES_LIST" >"$BENCH_OUT/latest.log" 2>&1 ||
		record FAIL bench "bench/results/latest.md written" "see $BENCH_OUT/latest.log"
}

need_pkgs gnuplot-nox python3
if [ "$MODE" = report ]; then
	for series in $SERIES_LIST; do
		( bench_report "$series" ) || record FAIL "$series" "bench report for $series" "see above"
	done
	[ "$RUN_MODE" = full ] && bench_latest
	passed=$(grep -c '^PASS' "$RESULTS")
	failed=$(grep -c '^FAIL' "$RESULTS")
	echo "bench report: $passed passed, $failed failed (tables in $RESULTS_DIR)"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
fi
MACHINE="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), host kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
export MACHINE
# What "run.sh report" needs to draw this run's tables again.
{
	printf 'SERIES_LIST=%q\nRESULTS_DIR=%q\nDATE=%q\nRUN_MODE=%q\n' "$SERIES_LIST" "$RESULTS_DIR" "$DATE" "$MODE"
	for n in BENCH_N BENCH_SYSOFF_CALLS BENCH_ROUNDS BENCH_THREADS_MS BENCH_CHRONY_ROUNDS \
		BENCH_WINDOW BENCH_CALLS_N BENCH_CALLS_SYSOFF BENCH_LOCK_TIMEOUT BENCH_LOCK_NS; do
		echo "$n=${!n}"
	done
} >"$BENCH_OUT/meta.sh"
say "ptp_vmw bench ($MODE): kernel series [$SERIES_LIST]; logs in $BENCH_OUT; tables in $RESULTS_DIR"
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
		record FAIL "$series" "bench for kernel series $series ran" "a step failed; see the messages above"
done

[ "$MODE" = full ] && bench_latest

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo >&2
if [ "$failed" -gt 0 ]; then
	echo "Failed checks:" >&2
	grep '^FAIL' "$RESULTS" | sed 's/^/  /' >&2
fi
echo "bench ($MODE): $passed passed, $failed failed ($(($(date +%s) - RUN_START)) s; tables in $RESULTS_DIR)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
