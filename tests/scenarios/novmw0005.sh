# Proves a VMware guest without the precision clock device: the module loads
# (it belongs on VMware) but registers no clock and calls nothing.
BOOT_SSDT=no

guest() {
	check_ok "novmw0005: no VMW0005 device in ACPI" test ! -e /sys/bus/acpi/devices/VMW0005:00
	check_ok "novmw0005: insmod succeeds" insmod "$MODULE"
	check_ok "novmw0005: the module is loaded" test -d /sys/module/ptp_vmw
	check_eq "novmw0005: no PTP clock" 0 "$(ptp_count)"
	check_ok "novmw0005: rmmod succeeds" rmmod ptp_vmw
}

host() {
	check_eq "novmw0005: the driver made no hypercall" 0 "$(model_stat calls)"
}
