# Proves a flaky host is reported, never papered over: the device model
# refuses every 10th precision clock call. 1,000 x SCALE readings (half
# clock_gettime, half PTP_SYS_OFFSET_EXTENDED) fail with EIO exactly where
# the model refused, never with another error, and never hand out a stale
# or made-up time; the driver's failed_reads equals the model's count of
# refused calls; the driver logs a bounded number of lines; chronyd keeps
# running. (The faults never stop here; faults-burst.sh proves chrony
# re-locks after an outage.)
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-fail-every=10"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((150 + 30 * ${STRESS_SCALE:-1}))

guest() {
	local dev n out eio t0 t lines bound chrony_s
	n=$((1000 * SCALE))
	mark_dmesg every10
	t0=$(date +%s)
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)
	check_eq "the probe's self-test (call 1) succeeded" 1 "$(vmw_stat successful_reads)"

	# Calls 2 .. n+1 are ours alone: the model refuses those divisible by 10.
	out=$(hammer check "$dev" "$n")
	echo "$out"
	eio=$(kv eio "$out")
	check_eq "$n readings: EIO exactly for the model's refused calls" \
		$(((n + 1) / 10)) "$eio"
	check_eq "every other reading succeeded" $((n - (n + 1) / 10)) "$(kv success "$out")"
	check_eq "no error but EIO (other errno, ENODEV)" "0 0" \
		"$(kv other "$out") $(kv enodev "$out")"
	check_eq "failures are isolated (longest EIO run)" 1 "$(kv eio_longest_run "$out")"
	check_eq "no stale reading (each success newer than the last)" 0 "$(kv stale "$out")"
	check_eq "no made-up reading (all within 500 ms of the clock's course)" \
		0 "$(kv wild "$out")"
	check_eq "driver's failed_reads equals the EIOs the reader saw" \
		"$eio" "$(vmw_stat failed_reads)"
	value reads_ok "$(kv success "$out")"
	value reads_eio "$eio"
	value reads_enodev "$(kv enodev "$out")"
	value reads_other "$(kv other "$out")"

	# chronyd on the same flaky clock: it asks for 25 samples per reading,
	# so at this failure rate its every reading fails. It must keep running
	# and leave the system clock alone.
	install_dist
	start_udev
	start_chronyd -l /var/log/chrony/chronyd.log
	chrony_s=$((4 * SCALE))
	sleep "$chrony_s"
	check_ok "chronyd still running after ${chrony_s} s on the flaky clock" pidof chronyd
	chronyc -n tracking
	chronyc -n sources
	cat /var/log/chrony/chronyd.log
	value chrony_reference "$(chronyc -n tracking | sed -n 's/^Reference ID *: //p' | tr ' ' '_')"
	check_ok "chronyd stepped nothing on failed readings" \
		sh -c '! grep -q "System clock was stepped" /var/log/chrony/chronyd.log'
	stop_chronyd

	# The driver's log: one line at the start and one at the end of an
	# outage, at most two outages reported a minute, plus the rate
	# limiter's own "callbacks suppressed" line once a minute.
	t=$(($(date +%s) - t0))
	lines=$(driver_log_since every10 | grep -v 'registered as' | grep -c .)
	bound=$((5 * (t / 60 + 1)))
	driver_log_since every10
	value log_lines "$lines"
	check_cmp "driver log lines bounded ($lines in ${t} s, at most $bound)" \
		"$lines" -le "$bound"
	check_cmp "the driver did report the failures" "$lines" -ge 2

	value failures_seen "$(vmw_stat failed_reads)"
	value driver_failed_reads "$(vmw_stat failed_reads)"
}

host() {
	check_eq "driver's failed_reads equals the device model's refused calls" \
		"$(model_stat failed)" "$(guest_value driver_failed_reads)"
	check_cmp "the model did inject failures" "$(model_stat failed_injected)" -gt 0
}
