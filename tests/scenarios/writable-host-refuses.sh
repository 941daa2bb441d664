# Proves what becomes of a write the host refuses after the probe accepted
# writes: on a host that takes the driver's first three writes and then
# stops (the device model with pclk-write-limit=3, as after a migration to
# a host without clock writes), the clock stays writable (max_adj is
# unchanged), and root's later writes fail with EIO, not EOPNOTSUPP (a
# failed call, which phc2sys may retry), each counted in failed_writes with
# the host's status in last_error, logged at most twice a minute. Reads go
# on unaffected, the clock keeps what the host took, and a caller without
# CAP_SYS_TIME still gets EPERM without the host being asked.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on -global vmport.pclk-write-limit=3"

guest() {
	local dev out log phc
	mark_dmesg wrefuses
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	check_has "the probe's test write (host write 1) was taken: the clock is writable" \
		"registered as ${dev#/dev/} (writable)" "$(driver_log_since wrefuses)"

	# Host writes 2 and 3: taken.
	out=$(phc_ctl "$dev" adj 1 2>&1)
	check_has "phc_ctl adj 1 succeeds (host write 2)" "adjusted clock by 1.000000 seconds" "$out"
	out=$(ptptest adjfreq "$dev" 1000)
	check_eq "clock_adjtime(ADJ_FREQUENCY 1000 ppb) succeeds (host write 3)" 1 "$(kv ok "$out")"
	check_eq "3 writes taken, none refused" "3 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	# From here on the host refuses every write.
	out=$(ptptest adjtime "$dev")
	check_eq "then clock_adjtime(ADJ_SETOFFSET +1 s) fails with EIO" "adjtime EIO" \
		"$(kv op "$out") $(kv err "$out")"
	out=$(ptptest settime "$dev")
	check_eq "clock_settime fails with EIO" "settime EIO" "$(kv op "$out") $(kv err "$out")"
	out=$(ptptest adjfreq "$dev" 0)
	check_eq "clock_adjtime(ADJ_FREQUENCY 0) fails with EIO" "adjfreq EIO" \
		"$(kv op "$out") $(kv err "$out")"
	check_has "phc_ctl adj 1 is refused with 'Input/output error'" \
		"failed to step clock: Input/output error" "$(phc_ctl "$dev" adj 1 2>&1)"
	check_eq "counters: 3 writes taken, 4 refused by the host, none denied" "3 4 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes) $(vmw_stat denied_writes)"
	check_eq "last_error holds the host's refusal" 0xffffffff "$(vmw_stat last_error)"
	check_eq "the clock is still writable (max_adj 999999999)" 999999999 \
		"$(kv max_adj "$(ptptest caps "$dev")")"

	log=$(driver_log_since wrefuses | grep 'host refused a clock write')
	echo "$log"
	check_eq "4 refusals, 2 log lines (at most two a minute)" 2 "$(echo "$log" | grep -c .)"
	check_has "the first names the subcommand (2, ADJTIME), the host's status and EIO" \
		"host refused a clock write (subcommand 2, host status 0xffffffff); the caller gets EIO" \
		"$(echo "$log" | head -n 1)"

	# Reads are unaffected, and show what the host took (+1 s).
	phc=$(kv ns "$(ptptest get "$dev")")
	check_cmp "the PHC reads the host's clock (within 1 s, straight from the host)" \
		"$(abs $(($(kv host_ns "$(guestctl backdoor 1)") - ${phc:-0})))" -lt 1000000000
	check_eq "no read failed" 0 "$(vmw_stat failed_reads)"

	# The capability is tested before the host is asked.
	chgrp tester "$dev"
	chmod 0660 "$dev"
	out=$(as_tester ptptest adjtime "$dev")
	check_eq "tester (node 0660 root:tester): EPERM, not EIO" "adjtime EPERM" \
		"$(kv op "$out") $(kv err "$out")"
	check_eq "... denied without asking the host" "3 4 1" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes) $(vmw_stat denied_writes)"
}

host() {
	check_eq "model: exactly the driver's 7 write calls arrived (none of tester's)" 7 \
		"$(model_stat write_calls)"
	check_eq "model: took 2 steps (the probe's 0 ns, +1 s) and 1 frequency, refused 4" \
		"2 1 0 4" \
		"$(model_stat writes_adjtime) $(model_stat writes_adjfreq) $(model_stat writes_settime) $(model_stat writes_refused)"
	check_eq "model: its clock is exactly +1 s and 1 ppm fast (65536 scaled ppm)" \
		"1000000000 65536" "$(model_stat offset_ns) $(model_stat rate_scaled_ppm)"
}
