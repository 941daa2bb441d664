# Proves the acpi=off path: with no ACPI there is no VMW0005 to bind, so the
# module asks the hypervisor directly and registers the clock on a device of
# its own; rmmod removes both.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_KARGS="acpi=off"

guest() {
	local dev out
	check_ok "ACPI is off" test ! -d /sys/firmware/acpi/tables
	check_ok "insmod succeeds" insmod "$MODULE"
	dev=$(ptp_vmw_dev)
	check_ok "a clock named ptp_vmw appears (saw '$dev')" test -c "$dev"
	check_eq "its parent is the module's own platform device" \
		/sys/devices/platform/ptp_vmw "$(readlink -f "/sys/class/ptp/${dev#/dev/}/device")"
	out=$(ptptest sysoffx "$dev" 5)
	check_eq "PTP_SYS_OFFSET_EXTENDED works" 1 "$(kv ok "$out")"
	check_ok "rmmod succeeds" rmmod ptp_vmw
	check_eq "the clock is gone" 0 "$(ptp_count)"
	check_ok "the module's platform device is gone" test ! -e /sys/devices/platform/ptp_vmw
	check_ok "insmod works again after rmmod" insmod "$MODULE"
	check_eq "one clock again" 1 "$(ptp_count)"
}
