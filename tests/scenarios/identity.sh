# Proves the harness: the emulated guest believes it runs on VMware, sees the
# precision clock device, gets real host time from the device model, and its
# own clock runs at the host's rate (no mis-calibrated TSC).
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local a b host_el sys_el ppm
	check_ok "kernel logs 'Hypervisor detected: VMware'" \
		sh -c 'dmesg | grep -q "Hypervisor detected: VMware"'
	check_ok "ACPI enumerates VMW0005" test -d /sys/bus/acpi/devices/VMW0005:00
	check_ok "platform device VMW0005:00 exists" \
		test -d /sys/bus/platform/devices/VMW0005:00
	check_ok "the TSC rate comes from the hypervisor (GETHZ), not calibration" \
		sh -c 'dmesg | grep -q "TSC freq read from hypervisor"'

	# The device model, straight from user space (no driver involved).
	a=$(guestctl backdoor 1)
	check_eq "backdoor GETTIME answers with status 0" 0x00000000 "$(kv last_status "$a")"
	sleep 2
	b=$(guestctl backdoor 1)
	host_el=$(($(kv host_ns "$b") - $(kv host_ns "$a")))
	sys_el=$(($(kv sys_ns "$b") - $(kv sys_ns "$a")))
	# Rate error in ppm between the guest's clock and the host's.
	ppm=$(( (sys_el - host_el) * 1000000 / host_el ))
	value rate_ppm "$ppm"
	check_cmp "guest clock runs at the host's rate (|error| < 1000 ppm, saw ${ppm} ppm)" \
		"$(abs "$ppm")" -lt 1000
	value backdoor_calls 2
}

host() {
	check_eq "device model counted the guest's 2 backdoor calls" \
		2 "$(model_stat calls)"
}
