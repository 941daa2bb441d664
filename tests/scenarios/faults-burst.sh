# Proves an outage is survived and reported once: with chronyd locked on the
# clock, the device model refuses 100 x SCALE consecutive calls (1,000 in
# make stress). A paced reader and chronyd cross the outage together: every
# reading inside it fails with EIO, none outside it, none is stale or made
# up; the driver's failed_reads equals the model's refused calls exactly;
# the driver logs the outage in exactly two lines (start and end); chronyd
# keeps running and re-locks once the clock answers again.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

BURST_AT=50000
BURST_LEN=$((100 * ${STRESS_SCALE:-${SCALE:-1}}))
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-fail-from=$BURST_AT -global vmport.pclk-fail-to=$((BURST_AT + BURST_LEN - 1))"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((180 + 30 * ${STRESS_SCALE:-1}))

guest() {
	local dev out calls lock t lines eio
	install_dist
	start_udev
	dev=$(ptp_vmw_dev) || { fail "udev loads the module" "no clock"; return; }
	start_chronyd -l /var/log/chrony/chronyd.log
	lock=$(chrony_wait_lock 60)
	check_ok "chronyd locks on the clock before the outage (${lock:-no lock in 60} s)" \
		test -n "$lock"

	# Close in on the outage quickly, then cross it at 100 readings a
	# second, so that chronyd (about 100 calls a second) meets it too.
	calls=$(driver_calls)
	if [ "$calls" -ge $((BURST_AT - 200)) ]; then
		fail "the outage is still ahead after chrony locked" \
			"expected fewer than $((BURST_AT - 200)) calls so far, saw $calls"
		return
	fi
	out=$(hammer check "$dev" $((BURST_AT - 200 - calls)))
	check_eq "before the outage every reading succeeds" 0 \
		"$(($(kv eio "$out") + $(kv other "$out") + $(kv enodev "$out")))"
	mark_dmesg burst
	out=$(hammer check "$dev" $((BURST_LEN + 300)) 500 100)
	echo "$out"
	eio=$(kv eio "$out")
	check_cmp "the driver's calls went past the end of the outage" \
		"$(driver_calls)" -gt $((BURST_AT + BURST_LEN - 1))
	check_eq "the reader saw only successes and EIO" "0 0" \
		"$(kv other "$out") $(kv enodev "$out")"
	check_cmp "the reader met the outage" "$eio" -gt 0
	check_eq "the reader's EIOs were consecutive (one run)" "$eio" "$(kv eio_longest_run "$out")"
	check_eq "no stale reading" 0 "$(kv stale "$out")"
	check_eq "no made-up reading (within 500 ms of the clock's course)" 0 "$(kv wild "$out")"
	check_eq "driver's failed_reads is exactly the outage's length" \
		"$BURST_LEN" "$(vmw_stat failed_reads)"
	check_cmp "chronyd's readings met the outage too ($((BURST_LEN - eio)) of its calls failed)" \
		$((BURST_LEN - eio)) -gt 0
	value reads_ok "$(kv success "$out")"
	value reads_eio "$eio"
	value reads_enodev "$(kv enodev "$out")"
	value reads_other "$(kv other "$out")"

	check_ok "chronyd still running after the outage" pidof chronyd
	t=$(chrony_wait_lock 60)
	chronyc -n tracking
	chronyc -n sources
	value chrony_reach_after "$(chronyc -n sources | awk '$2 == "VMW" { print $5 }')"
	check_ok "chronyd re-locks after the outage (${t:-no lock in 60} s)" test -n "$t"
	value relock_seconds "${t:-none}"
	stop_chronyd

	lines=$(driver_log_since burst | grep -c .)
	driver_log_since burst
	value log_lines "$lines"
	check_eq "the outage made exactly two driver log lines" 2 "$lines"
	check_has "the first says the clock stopped answering" \
		"clock stopped answering (host status 0xffffffff); reads fail with EIO until it recovers" \
		"$(driver_log_since burst | head -n 1)"
	check_has "the second says it answers again, with the count" \
		"clock answering again ($BURST_LEN failed reads in all)" "$(driver_log_since burst | tail -n 1)"

	value failures_seen "$(vmw_stat failed_reads)"
	value driver_failed_reads "$(vmw_stat failed_reads)"
}

host() {
	check_eq "the device model refused exactly the outage's calls" \
		"$BURST_LEN" "$(model_stat failed_injected)"
	check_eq "driver's failed_reads equals the device model's refused calls" \
		"$(model_stat failed)" "$(guest_value driver_failed_reads)"
}
