# Proves binding: our module loads on a VMware guest with VMW0005, registers
# exactly one clock named ptp_vmw under the VMW0005 platform device, says so
# in one log line, and modinfo shows what udev and operators need.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev link
	check_eq "no PTP clock before the module loads" 0 "$(ptp_count)"
	mark_dmesg load
	check_ok "insmod ptp_vmw.ko succeeds" insmod "$MODULE"
	dev=$(ptp_vmw_dev)
	check_ok "a /dev/ptpN with clock_name ptp_vmw appears (saw '$dev')" test -c "$dev"
	check_eq "exactly one PTP clock" 1 "$(ptp_count)"
	link=$(readlink -f "/sys/class/ptp/${dev#/dev/}/device")
	check_eq "the clock's parent device is VMW0005:00" \
		/sys/devices/platform/VMW0005:00 "$link"
	check_eq "the platform driver bound VMW0005:00" ptp_vmw \
		"$(basename "$(readlink -f /sys/bus/platform/devices/VMW0005:00/driver)")"
	check_ok "one log line names the registered clock" \
		sh -c "dmesg | grep -q 'ptp_vmw VMW0005:00: VMware precision clock registered as ${dev#/dev/}'"
	check_eq "counters: the probe's self-test is one successful read" 1 \
		"$(vmw_stat successful_reads)"
	check_eq "counters: no failed reads" 0 "$(vmw_stat failed_reads)"
	check_eq "counters: no last error" 0x00000000 "$(vmw_stat last_error)"

	check_eq "modinfo license" GPL "$(modinfo -F license "$MODULE")"
	check_ok "modinfo has a description" test -n "$(modinfo -F description "$MODULE")"
	check_ok "modinfo has an author" test -n "$(modinfo -F author "$MODULE")"
	check_eq "modinfo version equals /sys/module/ptp_vmw/version" \
		"$(modinfo -F version "$MODULE")" "$(cat /sys/module/ptp_vmw/version)"
	check_eq "modinfo alias for udev autoload" 'acpi*:VMW0005:*' \
		"$(modinfo -F alias "$MODULE")"
	value version "$(cat /sys/module/ptp_vmw/version)"
}

host() {
	check_eq "module version equals dkms.conf's PACKAGE_VERSION" \
		"$(project_version)" \
		"$(guest_value version)"
	check_eq "device model answered exactly the self-test call" 1 "$(model_stat answered)"
}
