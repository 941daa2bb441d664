# SPDX-License-Identifier: GPL-2.0-only
# make bench, inside the guest: what the deterministic and the wall-clock
# boots (tests/scenarios/bench-det.sh, bench-wall.sh) share. In the guest
# as /opt/ptpvmw/bench.sh, with the counts run.sh wrote into bench.conf.
# Data: "DATA bench driver=D round=R op=..." lines (ptpbench's key=value
# output), read by tests/bench/report.py.

: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC1091 # in the guest only, written by tests/bench/run.sh
[ -f /opt/ptpvmw/bench.conf ] && . /opt/ptpvmw/bench.conf

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

# bench_use_or_fail DRIVER WHAT: bench_use, or a failed check naming WHAT.
bench_use_or_fail() {
	bench_use "$1" && return 0
	fail "$2: $1 driver loads and gets /dev/ptp_vmware" \
		"expected the $1 module behind /dev/ptp_vmware, saw '$(readlink -f /dev/ptp_vmware)'"
	return 1
}

# bench_setup: the product's files as installed, chrony's logs (measurement
# configuration, not the product's), udev; and what the guest is.
bench_setup() {
	install_dist
	printf 'log tracking refclocks\nlogbanner 0\n' >/etc/chrony/conf.d/zz-bench-logging.conf
	start_udev
	data bench op=info cpus="$(grep -c ^processor /proc/cpuinfo)" clocksource="$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" kernel="$(uname -r)"
}
