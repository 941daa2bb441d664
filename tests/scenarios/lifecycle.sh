# Proves the lifecycle: rmmod + insmod 20 times and unbind/bind through sysfs
# leave exactly one working clock each time and nothing behind.

guest() {
	local i bad=0 dev drv=/sys/bus/platform/drivers/ptp_vmw
	for i in $(seq 1 20); do
		insmod "$MODULE" || bad=$((bad + 1))
		dev=$(ptp_vmw_dev) || bad=$((bad + 1))
		[ "$(kv ok "$(ptptest get "$dev")")" = 1 ] || bad=$((bad + 1))
		rmmod ptp_vmw || bad=$((bad + 1))
		[ "$(ptp_count)" -eq 0 ] || bad=$((bad + 1))
	done
	check_eq "lifecycle: 20 x (insmod, read, rmmod) without a single fault" 0 "$bad"
	check_ok "lifecycle: the module is gone" test ! -d /sys/module/ptp_vmw

	load_ours
	dev=$(ptp_vmw_dev)
	check_ok "lifecycle: unbind through sysfs succeeds" sh -c "echo VMW0005:00 > $drv/unbind"
	check_eq "lifecycle: after unbind no PTP clock" 0 "$(ptp_count)"
	check_ok "lifecycle: after unbind the device has no driver" \
		test ! -e /sys/bus/platform/devices/VMW0005:00/driver
	check_ok "lifecycle: bind through sysfs succeeds" sh -c "echo VMW0005:00 > $drv/bind"
	check_eq "lifecycle: after bind one PTP clock" 1 "$(ptp_count)"
	dev=$(ptp_vmw_dev)
	check_eq "lifecycle: after bind it reads" 1 "$(kv ok "$(ptptest get "$dev")")"
	check_eq "lifecycle: after bind the counters start afresh (self-test + 1 read)" 2 \
		"$(vmw_stat successful_reads)"
	check_ok "lifecycle: rmmod while bound succeeds" rmmod ptp_vmw
	check_eq "lifecycle: nothing left" 0 "$(ptp_count)"
}
