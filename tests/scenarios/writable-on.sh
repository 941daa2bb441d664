# Proves the opt-in on a host that takes writes (the device model with
# pclk-writable=on): with writable=1 the probe's test write (ADJTIME 0 ns)
# is accepted without changing the clock, the clock offers writes (max_adj
# 999999999) and says so in its registration line; an unprivileged user
# still cannot write; phc_ctl adj and freq change the model's clock by
# exactly what was asked, which the host checks in the model's counters.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"

guest() {
	local dev out before after lines
	mark_dmesg won
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	# linuxptp 3.1's phc_ctl wants the /dev/ptpN path itself.
	dev=$(ptp_vmw_dev)
	out=$(driver_log_since won)
	echo "$out"
	check_has "the registration line says writable" \
		"registered as ${dev#/dev/} (writable)" "$out"
	check_eq "no other driver log line" 1 "$(echo "$out" | grep -c .)"
	check_eq "max_adj is 999999999" 999999999 \
		"$(kv max_adj "$(ptptest caps "$dev")")"
	check_eq "the probe's test write counts as one successful write" "1 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"
	out=$(ptptest get "$dev")
	check_cmp "the test write did not move the clock (PHC within 1 s of the host)" \
		"$(abs $(($(kv host_ns "$(guestctl backdoor 1)") - $(kv ns "$out"))))" -lt 1000000000

	# Unprivileged: /dev/ptpN is root's, and the PTP core wants the clock
	# opened for writing before it changes anything.
	out=$(as_tester ptptest settime "$dev")
	check_eq "tester: clock_settime fails (cannot open the clock for writing)" \
		"open EACCES" "$(kv op "$out") $(kv err "$out")"
	# phc_ctl says "unknown clock ...: No such device" for a node it may
	# not open (it then tries the name as a network interface).
	check_has "tester: phc_ctl adj cannot open the clock" "unknown clock $dev" \
		"$(as_tester phc_ctl "$dev" adj 10 2>&1)"
	out=$(as_tester tamper "$dev")
	echo "tester: $out"
	check_eq "tester: tamper changed nothing" 0 "$(kv changed "$out")"
	check_eq "tester's attempts reached no host write" "1 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	# Steps: +2.5 s, then -1.25 s. The model must end 1.25 s ahead.
	before=$(kv ns "$(ptptest get "$dev")")
	out=$(phc_ctl "$dev" adj 2.5 2>&1)
	after=$(kv ns "$(ptptest get "$dev")")
	echo "$out"
	check_has "phc_ctl adj 2.5 succeeds" "adjusted clock by 2.500000 seconds" "$out"
	check_cmp "the PHC moved by 2.5 s (+ under 1 s elapsed)" \
		$((after - before - 2500000000)) -ge 0
	check_cmp "... and not by more" $((after - before - 2500000000)) -lt 1000000000
	# "--": phc_ctl's getopt would take -1.25 for an option.
	out=$(phc_ctl -- "$dev" adj -1.25 2>&1)
	check_has "phc_ctl adj -1.25 succeeds" "adjusted clock by -1.250000 seconds" "$out"

	# Frequency: +100 ppm, then -50 ppm (scaled ppm 6553600, -3276800).
	out=$(phc_ctl "$dev" freq 100000 2>&1)
	check_has "phc_ctl freq 100000 succeeds" \
		"adjusted clock frequency offset to 100000.000000ppb" "$out"
	out=$(phc_ctl -- "$dev" freq -50000 2>&1)
	check_has "phc_ctl freq -50000 succeeds" \
		"adjusted clock frequency offset to -50000.000000ppb" "$out"
	check_eq "a frequency beyond max_adj is refused by the PTP core" ERANGE \
		"$(kv err "$(ptptest adjfreq "$dev" 1000000000)")"

	check_eq "counters: 1 test + 2 steps + 2 frequencies written, none refused" "5 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"
	check_eq "no failed reads, no last error" "0 0x00000000" \
		"$(vmw_stat failed_reads) $(vmw_stat last_error)"
	lines=$(driver_log_since won | grep -c .)
	check_eq "the writes added no log line" 1 "$lines"
}

host() {
	check_eq "model: 2 steps + the probe's 0 ns test were written, no settime" \
		"0 3" "$(model_stat writes_settime) $(model_stat writes_adjtime)"
	check_eq "model: the clock is exactly +2.5 s - 1.25 s (+ 0 ns) off its time base" \
		1250000000 "$(model_stat offset_ns)"
	check_eq "model: 2 frequency writes, the last -50 ppm (scaled ppm -3276800)" \
		"2 -3276800" "$(model_stat writes_adjfreq) $(model_stat rate_scaled_ppm)"
	check_eq "model: no write refused, no bad argument" "0 0" \
		"$(model_stat writes_refused) $(model_stat failed_bad_argument)"
}
