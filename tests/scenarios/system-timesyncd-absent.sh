# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: as system-timesyncd (Debian's default time daemon, our
# .deb installed with apt's defaults), on a VMware VM without the precision
# clock: timesyncd as the administrator left it, nothing of ours loaded,
# nothing failed, and not a word from us.
SYS_IMAGE=tsd
SYS_ENV=absent
SYS_STAGES=main

guest_main() {
	local n=timesyncd-absent taint
	report_times
	check_no_failed_units "$n: systemctl --failed is empty"
	check_no_time_daemon_change "$n"
	check_ok "$n: ptp_vmw is not loaded" test ! -d /sys/module/ptp_vmw
	taint=$(cat /proc/sys/kernel/tainted)
	check_eq "$n: no out-of-tree module tainted the kernel (taint bit 12 clear; tainted=$taint)" 0 $((taint & 4096))
	check_eq "$n: no line from us in the kernel's log" "" "$(kernel_lines 'ptp_vmw: this machine')"
	check_eq "$n: ptp-vmware-chrony advise (the postinst's) says nothing" "" "$("$HELPER" advise)"
}
