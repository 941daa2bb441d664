# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: the device is there and so is a driver, but the host does
# not answer the clock (vmport.pclk=false), so the driver registers no clock
# and /dev/ptp_vmware never comes. The generator made chronyd's start wait
# for the clock (device and driver present): the wait must end once udev
# has loaded the driver, the driver said no and udev has handled the rest of
# its events, before the 30 s bound,
# and chronyd then run without the clock, nothing failed, our one log line
# pointing at dmesg.
SYS_IMAGE=pkg
SYS_ENV=present
SYS_STAGES=main
SYS_QEMU="-global vmport.pclk=false"

guest_main() {
	local n=refused wait t_no t_main
	report_times
	check_no_failed_units "$n: systemctl --failed is empty"
	check_chrony_own_sources_only "$n"
	check_eq "$n: no clock (the driver refused a device whose clock does not answer)" "" "$(ls /dev/ptp_vmware 2>/dev/null)"
	check_ok "$n: chronyd's start waited for the clock all the same (device and driver present)" waits_for_clock
	t_no=$(kernel_line_ms 'no PTP clock registered')
	check_ok "$n: the driver said no in the kernel's log (no PTP clock registered)" test -n "$t_no"
	wait=$(prepare_wait_ms)
	value device_wait_ms "$wait"
	check_cmp "$n: the wait ended with udev's work, before the 30 s bound ($wait ms)" "$wait" -lt 29000
	# It waited for the driver's verdict, then for the rest of udev's
	# coldplug (seconds under TCG), not for the bound.
	t_main=$(($(chrony_start_us) / 1000))
	value refusal_to_chronyd_ms "$((t_main - ${t_no:-0}))"
	check_cmp "$n: chronyd started after the driver's refusal, not before ($((t_main - ${t_no:-0})) ms after)" \
		"$t_main" -gt "${t_no:-x}"
	check_eq "$n: one log line from us, pointing at dmesg" \
		"ptp_vmw: chrony does not use the VMware host clock: the VMware precision clock (ACPI VMW0005) did not appear as /dev/ptp_vmware; see: dmesg | grep ptp_vmw" \
		"$(our_log_lines)"
	diag sh -c "journalctl -b -o short-monotonic --no-pager | grep -E 'ptp_vmw|ptp_vmware|Starting chrony' | head -n 12"
}
