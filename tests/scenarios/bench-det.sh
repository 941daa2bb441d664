# SPDX-License-Identifier: GPL-2.0-only
# make bench, deterministic mode: the in-tree ptp_vmw and ours in one guest
# with deterministic time (BOOT_ICOUNT=0: one instruction is one nanosecond
# of guest time, and the guest's TSC counts them), the device model's host
# clock on that same time base, DET_RATE_PPT parts per 10^12 fast so that
# chrony has a frequency to track. The boot repeats to the instruction, so
# one run per driver says it all, and two runs must agree exactly.
#
# Per driver: instructions per reading (clock_gettime on the PHC, a sample
# of PTP_SYS_OFFSET and of PTP_SYS_OFFSET_EXTENDED, a bare backdoor call),
# where each answer lands in its system-time bracket (ptpbench bracket).
# Then BENCH_CHRONY_ROUNDS rounds of chronyd with the shipped drop-in on
# each driver (in-tree first in odd rounds, ours first in even ones), each
# from the same kind of start: no drift file, kernel frequency reset, the
# system clock 300 ms behind the host in round 1, 20 ms more in each next
# round (chrony's path to lock is chaotic: a start a little different is a
# trajectory quite different, so one round would compare two accidents).
# Per round: time to lock, and for BENCH_WINDOW seconds from lock chrony's
# own logs and the exact host minus system time four times a second
# (ptpbench truth).
#
# Sourced by bash on the host (the runner: BOOT_* settings) and by busybox
# sh in the guest (guest()). The counts come from /opt/ptpvmw/bench.conf.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="bench"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_ICOUNT=0
# The host clock's rate error: +12.5 ppm.
DET_RATE_PPT=12500000
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-rate-ppm=$((DET_RATE_PPT / 1000000)).$(printf %06d $((DET_RATE_PPT % 1000000)))"
# Real time, not guest time: an idle guest costs nothing, a busy one runs at
# the emulator's speed (a few minutes on a slow, shared machine).
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((600 + 2 * ${BENCH_CHRONY_ROUNDS:-0} * (${BENCH_LOCK_TIMEOUT:-0} + ${BENCH_WINDOW:-0})))

# det_host: the device model's host clock for ptpbench: its value at TSC 0
# (ns since the epoch) and its rate.
det_host() {
	echo "$(($(kv ptpvmw.epoch "$(cat /proc/cmdline)") * 1000000000)) $DET_RATE_PPT"
}

# det_reads DRIVER: instructions per reading, and the brackets.
det_reads() {
	local p="driver=$1 round=1" out
	# shellcheck disable=SC2046 # det_host is two words by design
	set -- "$1" $(det_host)
	bench_emit "$p" ptpbench model "$BENCH_N" "$2" "$3"
	bench_emit "$p" ptpbench insns timer "$BENCH_N"
	bench_emit "$p" ptpbench insns backdoor "$BENCH_N"
	bench_emit "$p" ptpbench insns /dev/ptp_vmware "$BENCH_N"
	bench_emit "$p" ptpbench bracket backdoor "$BENCH_SYSOFF_CALLS" 25 sysoff "$2" "$3"
	bench_emit "$p" ptpbench bracket /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25 sysoff "$2" "$3"
	if [ "$1" = ours ]; then
		bench_emit "$p" ptpbench bracket /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25 sysoffx "$2" "$3"
	else
		# Not offered by the in-tree driver: recorded as such, not failed.
		out=$(ptpbench bracket /dev/ptp_vmware "$BENCH_SYSOFF_CALLS" 25 sysoffx "$2" "$3")
		echo "$out" | sed "s/^/DATA bench $p /" >&3
	fi
}

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# det_chrony DRIVER ROUND: chronyd from the round's start until lock, then a
# fixed window; chrony's logs of the window go to the host.
det_chrony() {
	local p="driver=$1 round=$2" t0 now out sys locked='' nt nr
	rm -f /var/lib/chrony/chrony.drift /var/log/chrony/*.log
	ptpbench resetfreq >/dev/null || fail "$p: kernel frequency reset" "adjtimex failed"
	clock_behind_host $((300000000 + ($2 - 1) * 20000000))
	t0=$(uptime_ms)
	start_chronyd || { fail "$p: chronyd starts" "chronyd exited $?"; return 1; }
	while :; do
		now=$(uptime_ms)
		[ $((now - t0)) -gt $((BENCH_LOCK_TIMEOUT * 1000)) ] && break
		out=$(chronyc -n tracking 2>/dev/null)
		sys=$(echo "$out" | sed -n 's/^System time *: \([0-9.]*\) seconds.*/\1/p')
		if echo "$out" | grep -q '^Reference ID *: [0-9A-F]* (VMW)' && [ -n "$sys" ] &&
			awk -v s="$sys" -v l="$BENCH_LOCK_NS" 'BEGIN { exit !(s * 1e9 < l) }'; then
			locked=$((now - t0))
			break
		fi
		sleep 0.2
	done
	if [ -z "$locked" ]; then
		fail "$p: chrony locks on VMW within ${BENCH_LOCK_TIMEOUT}s" \
			"expected |System time| < $BENCH_LOCK_NS ns, saw: $(echo "$out" | grep -E '^(Reference|System)' | tr '\n' ' ')"
		stop_chronyd
		return 1
	fi
	data bench "$p" op=chrony ok=1 lock_ms="$locked" lock_threshold_ns="$BENCH_LOCK_NS" behind_ms=$((300 + ($2 - 1) * 20))
	# The window starts now: later log lines only.
	nt=$(wc -l </var/log/chrony/tracking.log)
	nr=$(wc -l </var/log/chrony/refclocks.log)
	# shellcheck disable=SC2046 # det_host is two words by design
	bench_emit "$p" ptpbench truth "$BENCH_WINDOW" 4 $(det_host)
	tail -n +$((nt + 1)) /var/log/chrony/tracking.log | grep '^[0-9]' |
		sed "s/^/DATA chrony $p log=tracking /" >&3
	tail -n +$((nr + 1)) /var/log/chrony/refclocks.log | grep '^[0-9]' |
		sed "s/^/DATA chrony $p log=refclocks /" >&3
	stop_chronyd || fail "$p: chronyd stops" "still running 10 s after SIGTERM"
}

guest() {
	local d r order
	# shellcheck disable=SC1091 # in the guest only: tests/guest/bench.sh
	. /opt/ptpvmw/bench.sh
	bench_setup
	for d in intree ours; do
		bench_use_or_fail "$d" "reading metrics" || return
		det_reads "$d"
	done
	pass "reading metrics ran on both drivers"
	for r in $(seq 1 "$BENCH_CHRONY_ROUNDS"); do
		order="intree ours"
		[ $((r % 2)) -eq 0 ] && order="ours intree"
		for d in $order; do
			bench_use_or_fail "$d" "chrony round $r" || return
			det_chrony "$d" "$r"
		done
	done
	data bench op=end
}
