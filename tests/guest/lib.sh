# SPDX-License-Identifier: GPL-2.0-only
# Helpers for scenario scripts inside the guest (busybox sh). Every check
# reports one line on fd 3 (the second serial port), read by the host:
#   PASS name
#   FAIL name<TAB>expected ..., saw ...
#   VALUE key=value        (for checks the host makes after the guest stops)

KREL=$(uname -r)
MODULE=/lib/modules/$KREL/updates/dkms/ptp_vmw.ko
INTREE_MODULE=/opt/ptpvmw/intree/ptp_vmw.ko

# Debian's busybox runs its own applets before anything on PATH; the module
# tools must be kmod's, as on a real system (busybox's insmod, for one,
# retries a failed load and so runs module init twice).
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
modprobe() { /sbin/modprobe "$@"; }
modinfo() { /sbin/modinfo "$@"; }
lsmod() { /sbin/lsmod "$@"; }

pass() { echo "PASS $1" >&3; }
# A tab separates a failed check's name (which has ": " in it) from the detail.
fail() { printf 'FAIL %s\t%s\n' "$1" "$2" >&3; }
value() { echo "VALUE $1=$2" >&3; }
note() { echo "NOTE $*" >&3; }

# check_eq NAME EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', saw '$3'"; fi
}

# check_cmp NAME A OP B (integers; OP one of -lt -le -eq -ge -gt -ne)
check_cmp() {
	if [ -n "$2" ] && [ -n "$4" ] && [ "$2" "$3" "$4" ] 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected '$2' $3 '$4'"
	fi
}

# check_ok NAME CMD...: CMD must succeed.
check_ok() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "expected '$*' to succeed, saw exit $rc: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# check_fails_with NAME TEXT CMD...: CMD must fail and print TEXT.
check_fails_with() {
	local name=$1 text=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && echo "$out" | grep -qF -- "$text"; then
		pass "$name"
	else
		fail "$name" "expected '$*' to fail with '$text', saw exit $rc: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# check_has NAME NEEDLE TEXT: TEXT contains NEEDLE.
check_has() {
	if echo "$3" | grep -qF -- "$2"; then
		pass "$1"
	else
		fail "$1" "expected to find '$2', saw '$(echo "$3" | tail -n 3 | tr '\n' ' ')'"
	fi
}

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
ptp_count() { ls -d /sys/class/ptp/ptp* 2>/dev/null | wc -l; }

# vmw_stat NAME: one of our counters (successful_reads, failed_reads, last_error).
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
	chronyd -u root -f /etc/chrony/chrony.conf "$@"
}

# host_minus_sys_ns: the host's time (straight from the backdoor, no driver)
# minus the guest's system time, in ns.
host_minus_sys_ns() {
	local r
	r=$(guestctl backdoor 1) || return 1
	echo $(($(kv host_ns "$r") - $(kv sys_ns "$r")))
}

# load_module_deps: what our module needs loaded first, loaded the way
# modprobe would on an installed system. Only kernels that build the PTP core
# as a module (Debian's 5.10: ptp.ko, pps_core.ko) have anything here; there
# a plain insmod of ours would fail with "Unknown symbol".
load_module_deps() {
	local deps
	deps=$(modinfo -F depends "$MODULE" 2>/dev/null | tr ',' ' ')
	[ -n "$deps" ] || return 0
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

# driver_calls: hypercalls our driver made on its clock so far (readings of
# either outcome; the probe's self-test included).
driver_calls() { echo $(($(vmw_stat successful_reads) + $(vmw_stat failed_reads))); }
