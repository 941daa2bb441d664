# Proves the wrong-machine case: on a plain (non-VMware) guest the module
# refuses to load with ENODEV and exactly one log line saying why.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_VMWARE=no
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_SSDT=no

guest() {
	local out
	check_ok "the guest does not detect VMware" \
		sh -c '! dmesg | grep -q "Hypervisor detected: VMware"'
	mark_dmesg nonvmware
	out=$(insmod "$MODULE" 2>&1)
	echo "$out"
	check_has "insmod fails with 'No such device' (ENODEV)" "No such device" "$out"
	check_ok "the module is not loaded" test ! -d /sys/module/ptp_vmw
	out=$(driver_log_since nonvmware)
	echo "$out"
	check_eq "exactly one log line" 1 "$(echo "$out" | grep -c .)"
	check_has "it says this is not a VMware guest" "ptp_vmw: not a VMware guest" "$out"
	check_eq "no PTP clock" 0 "$(ptp_count)"
}
