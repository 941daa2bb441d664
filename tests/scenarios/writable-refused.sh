# Proves the opt-in falls back safely: loaded with writable=1 on a host that
# does not take writes (the device model refuses the write subcommands like
# any unknown one), the driver makes exactly one test write at probe, logs
# exactly one line saying the clock stays read-only, and is read-only: every
# write is refused in the driver with EOPNOTSUPP and none reaches the host.

guest() {
	local dev out lines before
	mark_dmesg wrefused
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "writable-refused: module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	check_eq "writable-refused: the parameter reads Y" Y \
		"$(cat /sys/module/ptp_vmw/parameters/writable)"
	out=$(driver_log_since wrefused)
	echo "$out"
	lines=$(echo "$out" | grep -c 'refuses clock writes')
	check_eq "writable-refused: exactly one log line says the host refuses writes" 1 "$lines"
	check_has "writable-refused: it names the host's status and the outcome" \
		"writable=1, but the host refuses clock writes (host status 0xffffffff); the clock stays read-only" \
		"$out"
	check_has "writable-refused: the registration line says read-only" \
		"registered as ${dev#/dev/} (read-only)" "$out"
	check_eq "writable-refused: no other driver log line" 2 "$(echo "$out" | grep -c .)"
	check_eq "writable-refused: max_adj is 0" 0 "$(kv max_adj "$(ptptest caps "$dev")")"

	check_eq "writable-refused: clock_settime fails with EOPNOTSUPP" EOPNOTSUPP \
		"$(kv err "$(ptptest settime "$dev")")"
	check_eq "writable-refused: clock_adjtime(ADJ_SETOFFSET +1 s) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjtime "$dev")")"
	check_eq "writable-refused: clock_adjtime(ADJ_FREQUENCY 0) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjfreq "$dev" 0)")"
	check_eq "writable-refused: clock_adjtime(ADJ_FREQUENCY 1000 ppb) fails with ERANGE" \
		ERANGE "$(kv err "$(ptptest adjfreq "$dev" 1000)")"
	check_has "writable-refused: phc_ctl set is refused" \
		"failed to set clock time: Operation not supported" "$(phc_ctl "$dev" set 2>&1)"

	check_eq "writable-refused: successful_writes is 0" 0 "$(vmw_stat successful_writes)"
	check_eq "writable-refused: failed_writes is 1 (the probe's test write)" 1 \
		"$(vmw_stat failed_writes)"
	check_eq "writable-refused: last_error holds the host's refusal" 0xffffffff \
		"$(vmw_stat last_error)"
	before=$(vmw_stat successful_reads)
	ptptest get "$dev" >/dev/null
	check_eq "writable-refused: reads are unaffected (one more successful read, no failed one)" \
		"$((before + 1)) 0" "$(vmw_stat successful_reads) $(vmw_stat failed_reads)"
	out=$(ptptest get "$dev")
	check_cmp "writable-refused: afterwards the PHC reads the host's time (within 1 s)" \
		"$(abs $(($(kv host_ns "$(guestctl backdoor 1)") - $(kv ns "$out"))))" -lt 1000000000
	check_eq "writable-refused: log still has the one refusal line" 1 \
		"$(driver_log_since wrefused | grep -c 'refuses clock writes')"
}

host() {
	check_eq "writable-refused: exactly one write call reached the device model (the probe's test)" \
		1 "$(model_stat failed_bad_subcommand)"
	check_eq "writable-refused: ... and it was the only call the model refused" 1 "$(model_stat failed)"
	check_eq "writable-refused: model: refused as a write (pclk-writable off); its clock unchanged" \
		"1 0 0" "$(model_stat writes_refused) $(model_stat offset_ns) $(model_stat rate_scaled_ppm)"
}
