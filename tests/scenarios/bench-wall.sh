# SPDX-License-Identifier: GPL-2.0-only
# make bench, wall-clock mode: noisy context for what only real time can
# show. The distribution's in-tree ptp_vmw and ours, loaded in turn in one
# guest with two vCPUs on two emulator threads (MTTCG) and the device model
# answering the precision clock without QEMU's big lock (pclk-bql=off), so
# that two readers can be inside it at once: BENCH_ROUNDS rounds, in the
# order in-tree/ours in odd rounds and ours/in-tree in even ones (so that a
# slow drift of the machine's speed favours neither). Per driver and round:
# read cost and brackets in nanoseconds of the host's time, the bare
# backdoor floor next to them, and 1 and 2 reader threads on the driver, on
# bare backdoor calls and on two controls without any exit. The host is
# shared: these figures move from run to run (the deterministic boot,
# bench-det, is the one to compare drivers with).
#
# Sourced by bash on the host (the runner: BOOT_* settings) and by busybox
# sh in the guest (guest()). The counts come from /opt/ptpvmw/bench.conf,
# written by run.sh into the bench's initrd layer.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="bench"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_SMP=2
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-bql=off"
# Per driver and round: the reading metrics take seconds, the threads
# 8 x BENCH_THREADS_MS.
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((240 + 2 * ${BENCH_ROUNDS:-0} * (60 + 8 * ${BENCH_THREADS_MS:-0} / 1000)))

# bench_reads DRIVER ROUND: the reading metrics, and the floor next to them.
bench_reads() {
	local p="driver=$1 round=$2" t out
	bench_emit "$p" ptpbench timer "$BENCH_N"
	bench_emit "$p" ptpbench backdoor "$BENCH_N"
	# guestctl's own loop: the floor the issue names.
	out=$(guestctl backdoor "$BENCH_N") || fail "$p: guestctl backdoor" "$out"
	data bench "$p op=guestctl ${out#op=backdoor }"
	bench_emit "$p" ptpbench gettime /dev/ptp_vmware "$BENCH_N"
	bench_emit "$p" ptpbench sysoff /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25
	if [ "$1" = ours ]; then
		bench_emit "$p" ptpbench sysoffx /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25
	else
		# Not offered by the in-tree driver: recorded as such, not failed.
		out=$(ptpbench sysoffx /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25)
		echo "$out" | sed "s/^/DATA bench $p /" >&3
	fi
	for t in 1 2; do
		bench_emit "$p" ptpbench threads /dev/ptp_vmware $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads backdoor $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads syscall $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads spin $t "$BENCH_THREADS_MS"
	done
}

guest() {
	local r d order
	# shellcheck disable=SC1091 # in the guest only: tests/guest/bench.sh
	. /opt/ptpvmw/bench.sh
	bench_setup
	for r in $(seq 1 "$BENCH_ROUNDS"); do
		order="intree ours"
		[ $((r % 2)) -eq 0 ] && order="ours intree"
		for d in $order; do
			bench_use_or_fail "$d" "round $r" || return
			bench_reads "$d" "$r"
		done
		pass "round $r of reading metrics ran on both drivers"
	done
	data bench op=end
}
