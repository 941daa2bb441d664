# SPDX-License-Identifier: GPL-2.0-only
# What every scenario has inside the guest (busybox sh): the result
# protocol (tests/lib/protocol.sh: PASS, FAIL, SKIP, VALUE, NOTE and DATA
# lines on fd 3, the second serial port, read by the host's runner
# tests/host/boot.sh, which files each under the scenario it booted; check
# names never repeat the scenario's name), the assertion helpers
# (tests/lib/checks.sh, the same set the host uses), and helpers for the
# module, udev, chrony and the clock. /init frames a scenario's lines:
#   START scenario kernel / DMESG-BEGIN ... DMESG-END / DONE scenario
# (scenario_begin and scenario_end).

KREL=$(uname -r)
MODULE=/lib/modules/$KREL/updates/dkms/ptp_vmw.ko
# shellcheck disable=SC2034 # used by the scenarios and bench-calls.sh
INTREE_MODULE=/opt/ptpvmw/intree/ptp_vmw.ko

# Debian's busybox runs its own applets before anything on PATH; the module
# tools must be kmod's, as on a real system (busybox's insmod, for one,
# retries a failed load and so runs module init twice).
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
modprobe() { /sbin/modprobe "$@"; }
modinfo() { /sbin/modinfo "$@"; }
lsmod() { /sbin/lsmod "$@"; }

scenario_begin() { echo "START $1 $(uname -r)" >&3; }
scenario_end() {
	echo "DMESG-BEGIN" >&3
	dmesg >&3
	echo "DMESG-END" >&3
	echo "DONE $1" >&3
}

# The busybox guest has these files in /opt/ptpvmw, the Debian system's
# agent in /run/ptpvmw (PTPVMW_LIB).
# shellcheck source=/dev/null # tests/lib/protocol.sh, checked on its own
. "${PTPVMW_LIB:-/opt/ptpvmw}/protocol.sh"
# shellcheck source=/dev/null # tests/lib/checks.sh, checked on its own
. "${PTPVMW_LIB:-/opt/ptpvmw}/checks.sh"

# kv KEY LINE: the value of KEY=... in a key=value line.
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# abs N
abs() { if [ "$1" -lt 0 ]; then echo $((-$1)); else echo "$1"; fi; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s; 0 once it succeeds.
wait_until() {
	local n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# ptp_vmw_dev: /dev/ptpN of the clock named ptp_vmw (ours or in-tree), or "".
ptp_vmw_dev() {
	local c
	for c in /sys/class/ptp/ptp*; do
		[ "$(cat "$c/clock_name" 2>/dev/null)" = ptp_vmw ] && { echo "/dev/${c##*/}"; return 0; }
	done
	return 1
}

# ptp_count: how many PTP clocks exist.
# shellcheck disable=SC2012 # sysfs names ptpN are plain
ptp_count() { ls -d /sys/class/ptp/ptp* 2>/dev/null | wc -l; }

# vmw_stat NAME: one of our statistics/ files (successful_reads, failed_reads,
# successful_writes, failed_writes, denied_writes, last_error).
vmw_stat() {
	local dev
	dev=$(ptp_vmw_dev) || return 1
	cat "/sys/class/ptp/${dev#/dev/}/device/statistics/$1"
}

# load_ours [insmod output file]: insert our module, wait for its clock.
load_ours() {
	insmod "$MODULE" || return 1
	wait_until 5 ptp_vmw_dev
}

# dmesg_since MARK: kernel log lines after the line containing MARK.
mark_dmesg() { echo "ptpvmw-mark $1" >/dev/kmsg; }
dmesg_since() { dmesg | sed -n "/ptpvmw-mark $1\$/,\$p" | sed 1d; }
# driver_log_since MARK: the driver's own log lines since MARK (the kernel's
# notices about loading an unsigned out-of-tree module are not the driver's).
driver_log_since() {
	dmesg_since "$1" | grep ptp_vmw | grep -v 'taints kernel\|module verification failed'
}

# install_dist: put the project's system-integration files exactly where the
# .deb installs them (debian/ptp-vmw-dkms.install; tests/host/packages.sh
# checks that the two agree).
install_dist() {
	mkdir -p /lib/udev/rules.d /etc/chrony/conf.d \
		/lib/systemd/system/chrony.service.d /usr/libexec/ptp_vmw
	cp /opt/ptpvmw/dist/udev/61-ptp-vmware.rules /lib/udev/rules.d/
	cp /opt/ptpvmw/dist/chrony/ptp_vmw.conf /etc/chrony/conf.d/
	cp /opt/ptpvmw/dist/systemd/chrony.service.d/ptp-vmware.conf /lib/systemd/system/chrony.service.d/
	cp /opt/ptpvmw/dist/systemd/ptp-vmware-chrony /usr/libexec/ptp_vmw/
}

# start_udev: Debian's systemd-udevd with its own rules (and ours, if
# installed), replaying the boot's uevents so that autoload happens.
start_udev() {
	mkdir -p /run/udev
	/lib/systemd/systemd-udevd --daemon || return 1
	udevadm trigger --action=add --type=subsystems
	udevadm trigger --action=add --type=devices
	udevadm settle --timeout=30
}

# start_chronyd: Debian's chronyd with Debian's chrony.conf (its pool has no
# network here and stays unreachable) plus whatever is in conf.d (with
# install_dist: the refclock, when the clock is there).
start_chronyd() {
	mkdir -p /run/chrony /var/lib/chrony /var/log/chrony
	chmod 0750 /run/chrony
	# What the package's ExecStartPre does before each start of chronyd:
	# the refclock under /run when /dev/ptp_vmware exists (install_dist).
	if [ -x /usr/libexec/ptp_vmw/ptp-vmware-chrony ]; then
		/usr/libexec/ptp_vmw/ptp-vmware-chrony prepare
	fi
	chronyd -u root -f /etc/chrony/chrony.conf "$@" || return
	# And what its ExecStartPost does once chronyd runs.
	if [ -x /usr/libexec/ptp_vmw/ptp-vmware-chrony ]; then
		/usr/libexec/ptp_vmw/ptp-vmware-chrony started
	fi
}

# host_minus_sys_ns: the host's time (straight from the backdoor, no driver)
# minus the guest's system time, in ns.
host_minus_sys_ns() {
	local r
	r=$(guestctl backdoor 1) || return 1
	echo $(($(kv host_ns "$r") - $(kv sys_ns "$r")))
}

# clock_behind_host NS: step the system clock to NS ns behind the host's
# (whatever the boot left it at: the RTC it started from has whole seconds).
clock_behind_host() {
	local off
	off=$(host_minus_sys_ns) || return 1
	guestctl shift $((off - $1))
}

# load_module_deps: what our module needs loaded first, loaded the way
# modprobe would on an installed system. Only kernels that build the PTP core
# as a module (Debian's 5.10: ptp.ko, pps_core.ko) have anything here; there
# a plain insmod of ours would fail with "Unknown symbol".
load_module_deps() {
	local deps
	deps=$(modinfo -F depends "$MODULE" 2>/dev/null | tr ',' ' ')
	[ -n "$deps" ] || return 0
	# shellcheck disable=SC2086 # a list of module names
	if modprobe -a $deps; then
		note "this kernel has $deps as module(s), not built in: loaded first, as modprobe does"
	else
		fail "module dependencies load" "expected 'modprobe -a $deps' to succeed"
	fi
}

# as_tester CMD [ARG...]: run CMD as the unprivileged user tester (uid and
# gid 1000, no other groups). busybox's setpriv here cannot change uids; its
# su can, and as root it asks for no password.
as_tester() {
	local cmd
	cmd=$(command -v "$1") || return 127
	shift
	# shellcheck disable=SC2016 # expanded by tester's sh, not here
	su -s /bin/sh tester -c 'exec "$0" "$@"' "$cmd" "$@"
}

# chrony_locked: chronyd has the PHC (refid VMW) selected, its latest sample
# is at most 2 s old, and the system clock is within 1 ms of it.
chrony_locked() {
	local rx sys
	rx=$(chronyc -n sources 2>/dev/null | awk '$1 == "#*" && $2 == "VMW" { print $6 }')
	case $rx in
	[0-2]) ;;
	*) return 1 ;;
	esac
	sys=$(chronyc -n tracking 2>/dev/null | sed -n 's/^System time *: \([0-9.]*\) seconds.*/\1/p')
	[ -n "$sys" ] && awk -v s="$sys" 'BEGIN { exit !(s < 0.001) }'
}

# chrony_wait_lock SECONDS: wait until chrony_locked; prints the seconds it
# took (in quarter-second steps, rounded up) and succeeds, or fails.
chrony_wait_lock() {
	local n=0 max=$(($1 * 4))
	while [ $n -lt $max ]; do
		if chrony_locked; then
			echo $(((n + 3) / 4))
			return 0
		fi
		sleep 0.25
		n=$((n + 1))
	done
	return 1
}

# stop_chronyd: end chronyd and wait until it has gone (no more readings).
stop_chronyd() {
	killall chronyd 2>/dev/null
	wait_until 10 sh -c '! pidof chronyd'
}

# vm_pause MS: ask the host to stop this guest (its vCPUs and clocks) for
# MS ms, as vMotion's stun does (the scenario needs BOOT_QMP=yes; the host's
# tests/host/pausehook.py does it, a few ms after this line, while the guest
# goes on with whatever comes next).
vm_pause() { echo "PAUSE $1" >&3; }

# driver_calls: hypercalls our driver made on its clock so far (readings of
# either outcome; the probe's self-test included).
driver_calls() { echo $(($(vmw_stat successful_reads) + $(vmw_stat failed_reads))); }
