# Proves the opt-in falls back safely: loaded with writable=1 on a host that
# does not take writes (the device model refuses the write subcommands like
# any unknown one), the driver makes exactly one test write at probe, logs
# exactly one line saying the clock stays read-only, and is read-only: every
# write is refused in the driver with EOPNOTSUPP and none reaches the host.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev out lines before
	mark_dmesg wrefused
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	check_eq "the parameter reads Y" Y \
		"$(cat /sys/module/ptp_vmw/parameters/writable)"
	out=$(driver_log_since wrefused)
	echo "$out"
	lines=$(echo "$out" | grep -c 'refuses clock writes')
	check_eq "exactly one log line says the host refuses writes" 1 "$lines"
	check_has "it names the host's status and the outcome" \
		"writable=1, but the host refuses clock writes (host status 0xffffffff); the clock stays read-only" \
		"$out"
	check_has "the registration line says read-only" \
		"registered as ${dev#/dev/} (read-only)" "$out"
	check_eq "no other driver log line" 2 "$(echo "$out" | grep -c .)"
	check_eq "max_adj is 0" 0 "$(kv max_adj "$(ptptest caps "$dev")")"

	check_eq "clock_settime fails with EOPNOTSUPP" EOPNOTSUPP \
		"$(kv err "$(ptptest settime "$dev")")"
	check_eq "clock_adjtime(ADJ_SETOFFSET +1 s) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjtime "$dev")")"
	check_eq "clock_adjtime(ADJ_FREQUENCY 0) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjfreq "$dev" 0)")"
	check_eq "clock_adjtime(ADJ_FREQUENCY 1000 ppb) fails with ERANGE" \
		ERANGE "$(kv err "$(ptptest adjfreq "$dev" 1000)")"
	check_has "phc_ctl set is refused" \
		"failed to set clock time: Operation not supported" "$(phc_ctl "$dev" set 2>&1)"

	check_eq "successful_writes is 0" 0 "$(vmw_stat successful_writes)"
	check_eq "failed_writes is 1 (the probe's test write)" 1 \
		"$(vmw_stat failed_writes)"
	check_eq "last_error holds the host's refusal" 0xffffffff \
		"$(vmw_stat last_error)"
	before=$(vmw_stat successful_reads)
	ptptest get "$dev" >/dev/null
	check_eq "reads are unaffected (one more successful read, no failed one)" \
		"$((before + 1)) 0" "$(vmw_stat successful_reads) $(vmw_stat failed_reads)"
	out=$(ptptest get "$dev")
	check_cmp "afterwards the PHC reads the host's time (within 1 s)" \
		"$(abs $(($(kv host_ns "$(guestctl backdoor 1)") - $(kv ns "$out"))))" -lt 1000000000
	check_eq "log still has the one refusal line" 1 \
		"$(driver_log_since wrefused | grep -c 'refuses clock writes')"
}

host() {
	check_eq "exactly one write call reached the device model (the probe's test)" \
		1 "$(model_stat failed_bad_subcommand)"
	check_eq "... and it was the only call the model refused" 1 "$(model_stat failed)"
	check_eq "model: refused as a write (pclk-writable off); its clock unchanged" \
		"1 0 0" "$(model_stat writes_refused) $(model_stat offset_ns) $(model_stat rate_scaled_ppm)"
}
