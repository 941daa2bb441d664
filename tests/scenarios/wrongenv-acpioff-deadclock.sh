# Proves acpi=off on a VMware guest whose precision clock does not answer:
# with no ACPI the module asks the hypervisor directly, gets a refusal, and
# refuses to load with ENODEV and one log line saying why; it leaves no
# platform device and no driver behind, and made exactly that one call.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_KARGS="acpi=off"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk=false"

guest() {
	local out
	check_ok "ACPI is off" test ! -d /sys/firmware/acpi/tables
	mark_dmesg acpioffdead
	out=$(insmod "$MODULE" 2>&1)
	echo "$out"
	check_has "insmod fails with 'No such device' (ENODEV)" "No such device" "$out"
	check_ok "the module is not loaded" test ! -d /sys/module/ptp_vmw
	check_eq "no PTP clock" 0 "$(ptp_count)"
	check_ok "no platform device left behind" test ! -e /sys/devices/platform/ptp_vmw
	check_ok "no platform driver left behind" test ! -e /sys/bus/platform/drivers/ptp_vmw
	out=$(driver_log_since acpioffdead)
	echo "$out"
	check_eq "exactly one log line" 1 "$(echo "$out" | grep -c .)"
	check_has "it says why" \
		"ptp_vmw: ACPI is disabled and the precision clock does not answer (host status 0xffffffff); not loading" "$out"
}

host() {
	check_eq "the module made exactly one call, refused" "1 0" \
		"$(model_stat calls) $(model_stat answered)"
}
