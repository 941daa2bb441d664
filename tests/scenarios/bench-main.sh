# SPDX-License-Identifier: GPL-2.0-only
# make bench, the main boot: the distribution's in-tree ptp_vmw and ours,
# loaded in turn in one guest (-smp 2), BENCH_ROUNDS rounds, in the order
# in-tree/ours in odd rounds and ours/in-tree in even ones (so that a slow
# drift of the machine's speed favours neither). Per driver and round: read
# cost, brackets, the bare-backdoor floor next to them, concurrency; then
# BENCH_CHRONY_ROUNDS rounds of chrony on each driver.
#
# Sourced by bash on the host (the runner: BOOT_* settings) and by busybox
# sh in the guest (guest()). The counts come from
# /opt/ptpvmw/bench.conf, written by run.sh into the bench's initrd layer.
# Data: "DATA bench driver=D round=R op=..." lines (ptpbench's key=value
# output) and "DATA chrony driver=D round=R log=tracking|refclocks LINE".
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="bench"

# shellcheck disable=SC1091 # in the guest only, written by tests/bench/run.sh
[ -f /opt/ptpvmw/bench.conf ] && . /opt/ptpvmw/bench.conf

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_SMP=2
# Per driver and round: the reading metrics take seconds; chrony takes at
# most its lock timeout plus the window.
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((240 + 2 * ${BENCH_ROUNDS:-0} * 60 + \
	2 * ${BENCH_CHRONY_ROUNDS:-0} * (${BENCH_LOCK_TIMEOUT:-0} + ${BENCH_WINDOW:-0} + 30)))

# bench_emit WORDS CMD...: CMD's output lines as "DATA bench WORDS LINE";
# a failing CMD is a failed check.
bench_emit() {
	local prefix="$1" out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed "s/^/DATA bench $prefix /" >&3
	[ $rc -eq 0 ] || fail "$prefix: $*" "expected exit 0, saw $rc: $(echo "$out" | tail -n 1)"
	return $rc
}

# bench_use DRIVER: unload whichever ptp_vmw is loaded, load DRIVER (intree
# or ours), wait for udev's /dev/ptp_vmware and make sure it is DRIVER's.
bench_use() {
	local ko dev stats
	if [ -d /sys/module/ptp_vmw ]; then
		rmmod ptp_vmw || return 1
	fi
	udevadm settle --timeout=10
	ko=$MODULE
	[ "$1" = intree ] && ko=$INTREE_MODULE
	insmod "$ko" || return 1
	udevadm settle --timeout=10
	wait_until 5 test -c /dev/ptp_vmware || return 1
	dev=$(ptp_vmw_dev) || return 1
	[ "$(readlink -f /dev/ptp_vmware)" = "$dev" ] || return 1
	# Only ours has counters: tells the two modules apart.
	stats=no
	[ -d "/sys/class/ptp/${dev#/dev/}/device/statistics" ] && stats=yes
	case $1:$stats in
	ours:yes | intree:no) return 0 ;;
	esac
	return 1
}

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
	for t in 1 2 4; do
		bench_emit "$p" ptpbench threads /dev/ptp_vmware $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads backdoor $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads syscall $t "$BENCH_THREADS_MS"
		bench_emit "$p" ptpbench threads spin $t "$BENCH_THREADS_MS"
	done
}

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# bench_chrony DRIVER ROUND: chronyd from the same start (system clock 300 ms
# behind the host, no drift file, kernel frequency reset) until lock, then a
# fixed window; chrony's logs of the window go to the host.
bench_chrony() {
	local p="driver=$1 round=$2" t0 now out sys locked='' nt nr
	rm -f /var/lib/chrony/chrony.drift /var/log/chrony/*.log
	ptpbench resetfreq >/dev/null || fail "$p: kernel frequency reset" "adjtimex failed"
	clock_behind_host 300000000
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
		killall chronyd
		return 1
	fi
	data bench "$p" op=chrony ok=1 lock_ms="$locked" lock_threshold_ns="$BENCH_LOCK_NS"
	# The window starts now: later log lines only.
	nt=$(wc -l </var/log/chrony/tracking.log)
	nr=$(wc -l </var/log/chrony/refclocks.log)
	bench_emit "$p" ptpbench truth "$BENCH_WINDOW" 4
	tail -n +$((nt + 1)) /var/log/chrony/tracking.log | grep '^[0-9]' |
		sed "s/^/DATA chrony $p log=tracking /" >&3
	tail -n +$((nr + 1)) /var/log/chrony/refclocks.log | grep '^[0-9]' |
		sed "s/^/DATA chrony $p log=refclocks /" >&3
	killall chronyd
	wait_until 10 sh -c '! pidof chronyd' || fail "$p: chronyd stops" "still running 10 s after SIGTERM"
}

guest() {
	local r d order
	install_dist
	# Kernels whose PTP core is a module (5.10) need it loaded first.
	command -v load_module_deps >/dev/null && load_module_deps
	# Measurement configuration, not the product's: chrony's own logs.
	printf 'log tracking refclocks\nlogbanner 0\n' >/etc/chrony/conf.d/zz-bench-logging.conf
	start_udev
	data bench op=info cpus="$(grep -c ^processor /proc/cpuinfo)" clocksource="$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" kernel="$(uname -r)"
	for r in $(seq 1 "$BENCH_ROUNDS"); do
		order="intree ours"
		[ $((r % 2)) -eq 0 ] && order="ours intree"
		for d in $order; do
			if ! bench_use "$d"; then
				fail "round $r: $d driver loads and gets /dev/ptp_vmware" \
					"expected the $d module behind /dev/ptp_vmware, saw '$(readlink -f /dev/ptp_vmware)'"
				return
			fi
			bench_reads "$d" "$r"
		done
		pass "round $r of reading metrics ran on both drivers"
	done
	for r in $(seq 1 "$BENCH_CHRONY_ROUNDS"); do
		order="intree ours"
		[ $((r % 2)) -eq 0 ] && order="ours intree"
		for d in $order; do
			if ! bench_use "$d"; then
				fail "chrony round $r: $d driver loads" "see dmesg"
				return
			fi
			bench_chrony "$d" "$r"
		done
	done
	data bench op=end
}
