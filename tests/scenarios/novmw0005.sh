# Proves a VMware guest without the precision clock device: the module loads
# (it belongs on VMware) but registers no clock and calls nothing.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_SSDT=no

guest() {
	check_ok "no VMW0005 device in ACPI" test ! -e /sys/bus/acpi/devices/VMW0005:00
	check_ok "insmod succeeds" insmod "$MODULE"
	check_ok "the module is loaded" test -d /sys/module/ptp_vmw
	check_eq "no PTP clock" 0 "$(ptp_count)"
	check_ok "rmmod succeeds" rmmod ptp_vmw
}

host() {
	check_eq "the driver made no hypercall" 0 "$(model_stat calls)"
}
