# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: the device is there and so is a driver, but the host does
# not answer the clock (vmport.pclk=false), so the driver registers no clock
# and /dev/ptp_vmware never comes. The generator made chronyd wait for it
# (device and driver present): the wait must end at the generator's 30 s
# bound, not systemd's 90 s default, and chronyd then run without the clock,
# nothing failed, our one log line pointing at dmesg.
SYS_IMAGE=pkg
SYS_ENV=present
SYS_STAGES=main
SYS_QEMU="-global vmport.pclk=false"

guest_main() {
	local n=refused held dev_job t_exp t_out job
	report_times
	check_no_failed_units "$n: systemctl --failed is empty"
	check_chrony_own_sources_only "$n"
	check_eq "$n: no clock (the driver refused a device whose clock does not answer)" "" "$(ls /dev/ptp_vmware 2>/dev/null)"
	check_ok "$n: chronyd was ordered after the clock all the same (device and driver present)" \
		sh -c "systemctl show -P After chrony.service | tr ' ' '\n' | grep -qx dev-ptp_vmware.device"
	dev_job=$(journalctl -b --no-pager -o cat | grep -m1 -i 'timed out waiting for device.*ptp_vmware')
	check_ok "$n: systemd gave up on dev-ptp_vmware.device (the journal says it timed out)" test -n "$dev_job"
	held=$(held_ms)
	value held_ms "$held"
	check_cmp "$n: chronyd waited for the clock no longer than the generator's 30 s bound (+5 s) ($held ms)" \
		"$held" -le 35000
	# The job's own clock: from "Expecting device" to "timed out" is the
	# generator's JobRunningTimeoutSec, and chronyd starts right after.
	t_exp=$(journal_mono_ms 'Expecting device dev-ptp_vmware.device')
	t_out=$(journal_mono_ms 'dev-ptp_vmware.device/start timed out')
	job=$((${t_out:-0} - ${t_exp:-0}))
	value device_job_ms "$job"
	check_cmp "$n: the device job lasted the generator's 30 s ($job ms >= 29 s) ..." "$job" -ge 29000
	check_cmp "$n: ... not systemd's 90 s ($job ms <= 32 s)" "$job" -le 32000
	check_cmp "$n: chronyd's start began within 3 s of the timeout ($(($(unit_prop chrony.service InactiveExitTimestampMonotonic) / 1000 - ${t_out:-0})) ms)" \
		"$(($(unit_prop chrony.service InactiveExitTimestampMonotonic) / 1000 - ${t_out:-0}))" -le 3000
	check_eq "$n: one log line from us, pointing at dmesg" \
		"ptp_vmw: chrony does not use the VMware host clock: the VMware precision clock (ACPI VMW0005) did not appear as /dev/ptp_vmware; see: dmesg | grep ptp_vmw" \
		"$(our_log_lines)"
	diag sh -c "journalctl -b -o short-monotonic --no-pager | grep -E 'ptp_vmw|ptp_vmware|Starting chrony' | head -n 12"
}
