# Proves the lifecycle: rmmod + insmod 20 times and unbind/bind through sysfs
# leave exactly one working clock each time and nothing behind.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local i bad=0 dev drv=/sys/bus/platform/drivers/ptp_vmw
	# shellcheck disable=SC2034 # i only counts the rounds
	for i in $(seq 1 20); do
		insmod "$MODULE" || bad=$((bad + 1))
		dev=$(ptp_vmw_dev) || bad=$((bad + 1))
		[ "$(kv ok "$(ptptest get "$dev")")" = 1 ] || bad=$((bad + 1))
		rmmod ptp_vmw || bad=$((bad + 1))
		[ "$(ptp_count)" -eq 0 ] || bad=$((bad + 1))
	done
	check_eq "20 x (insmod, read, rmmod) without a single fault" 0 "$bad"
	check_ok "the module is gone" test ! -d /sys/module/ptp_vmw

	load_ours
	dev=$(ptp_vmw_dev)
	check_ok "unbind through sysfs succeeds" sh -c "echo VMW0005:00 > $drv/unbind"
	check_eq "after unbind no PTP clock" 0 "$(ptp_count)"
	check_ok "after unbind the device has no driver" \
		test ! -e /sys/bus/platform/devices/VMW0005:00/driver
	check_ok "bind through sysfs succeeds" sh -c "echo VMW0005:00 > $drv/bind"
	check_eq "after bind one PTP clock" 1 "$(ptp_count)"
	dev=$(ptp_vmw_dev)
	check_eq "after bind it reads" 1 "$(kv ok "$(ptptest get "$dev")")"
	check_eq "after bind the counters start afresh (self-test + 1 read)" 2 \
		"$(vmw_stat successful_reads)"
	check_ok "rmmod while bound succeeds" rmmod ptp_vmw
	check_eq "nothing left" 0 "$(ptp_count)"
}
