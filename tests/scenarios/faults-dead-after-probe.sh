# Proves a clock that dies after the probe never yields a time: the device
# model answers the probe's self-test (call 1) and refuses every call after
# it. 1,000 x SCALE readings all fail with EIO (none succeeds, none fails
# otherwise); PTP_SYS_OFFSET* fail too; the driver logs the outage once and
# stays quiet however often it is read; chronyd keeps running, never selects
# the clock and steps nothing; failed_reads equals the model's refused calls;
# a re-probe (unbind, bind) refuses to register the dead clock and says why.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-fail-after=1"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((150 + 30 * ${STRESS_SCALE:-1}))

guest() {
	local dev n out drv=/sys/bus/platform/drivers/ptp_vmw chrony_s failed lines
	n=$((1000 * SCALE))
	mark_dmesg dead
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)
	check_ok "the probe's self-test passed, the clock is registered" test -c "$dev"

	out=$(hammer check "$dev" "$n")
	echo "$out"
	check_eq "$n readings, $n EIO, no success, no other error" \
		"$n 0 0 0" "$(kv eio "$out") $(kv success "$out") $(kv other "$out") $(kv enodev "$out")"
	value reads_ok "$(kv success "$out")"
	value reads_eio "$(kv eio "$out")"
	value reads_enodev "$(kv enodev "$out")"
	value reads_other "$(kv other "$out")"
	check_eq "PTP_SYS_OFFSET_EXTENDED fails with EIO" EIO \
		"$(kv err "$(ptptest sysoffx "$dev" 5)")"
	check_eq "PTP_SYS_OFFSET fails with EIO" EIO \
		"$(kv err "$(ptptest sysoff "$dev" 5)")"
	check_eq "last_error holds the host's status word" 0xffffffff \
		"$(vmw_stat last_error)"

	install_dist
	start_udev
	start_chronyd -l /var/log/chrony/chronyd.log
	chrony_s=$((3 * SCALE))
	sleep "$chrony_s"
	chronyc -n tracking
	chronyc -n sources
	cat /var/log/chrony/chronyd.log
	check_ok "chronyd still running after ${chrony_s} s on the dead clock" pidof chronyd
	check_has "chronyd is not synchronised" "Leap status     : Not synchronised" \
		"$(chronyc -n tracking)"
	check_eq "chronyd never got a sample (reach 0)" 0 \
		"$(chronyc -n sources | awk '$2 == "VMW" { print $5 }')"
	check_ok "chronyd stepped nothing" \
		sh -c '! grep -q "System clock was stepped" /var/log/chrony/chronyd.log'
	stop_chronyd

	failed=$(vmw_stat failed_reads)
	value driver_failed_reads "$failed"
	value failures_seen "$failed"
	lines=$(driver_log_since dead | grep -v 'registered as' | grep -c .)
	driver_log_since dead
	value log_lines "$lines"
	check_eq "$failed failed reads made exactly one log line" 1 "$lines"
	check_has "it says the clock stopped answering" \
		"clock stopped answering (host status 0xffffffff)" "$(driver_log_since dead)"

	# A fresh probe meets the dead clock: no clock, one line saying why.
	mark_dmesg reprobe
	check_ok "unbind succeeds" sh -c "echo VMW0005:00 > $drv/unbind"
	check_fails_with "bind is refused with ENODEV" "No such device" \
		sh -c "echo VMW0005:00 > $drv/bind"
	check_eq "no clock after the re-probe" 0 "$(ptp_count)"
	check_has "the re-probe says the clock does not answer" \
		"precision clock device present, but the clock does not answer (host status 0xffffffff); no PTP clock registered" \
		"$(driver_log_since reprobe)"
	check_ok "rmmod succeeds" rmmod ptp_vmw
}

host() {
	# The re-probe's self-test is one more refused call, counted by no clock.
	check_eq "device model refused = driver's failed_reads + the re-probe's self-test" \
		"$(model_stat failed)" "$(($(guest_value driver_failed_reads) + 1))"
	check_eq "device model answered only the probe's self-test" 1 "$(model_stat answered)"
}
