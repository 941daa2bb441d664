# Proves reading: phc_ctl get, caps, PTP_SYS_OFFSET and PTP_SYS_OFFSET_EXTENDED
# give the host's time with sane brackets; PTP_SYS_OFFSET_PRECISE fails
# cleanly; every reading is exactly one hypercall and the counters say so.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev out ref phc before after n
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)

	# phc_ctl get against the host's time read straight from the backdoor.
	out=$(phc_ctl "$dev" get 2>&1)
	ref=$(guestctl backdoor 1)
	phc=$(echo "$out" | sed -n 's/.*clock time is \([0-9]*\)\.\([0-9]*\).*/\1\2/p')
	echo "$out"
	check_ok "phc_ctl get prints a time (saw: $(echo "$out" | tail -n 1))" test -n "$phc"
	phc=${phc:-0}
	check_cmp "phc_ctl get is within 2 s of the host's clock" \
		"$(abs $(( $(kv host_ns "$ref") - phc )))" -lt 2000000000

	out=$(phc_ctl "$dev" caps 2>&1)
	echo "$out"
	check_has "phc_ctl caps: 0 maximum frequency adjustment" \
		" 0 maximum frequency adjustment" "$out"
	check_has "phc_ctl caps: 0 pins" " 0 configurable input/output pins" "$out"
	check_has "phc_ctl caps: 0 alarms" " 0 programable alarms" "$out"
	check_has "phc_ctl caps: 0 external time stamp channels" " 0 external time stamp channels" "$out"
	check_has "phc_ctl caps: 0 periodic signals" " 0 programmable periodic signals" "$out"
	check_has "phc_ctl caps: no PPS" "doesn't have pulse per second support" "$out"
	check_has "phc_ctl caps: no cross timestamping" "doesn't have cross timestamping support" "$out"
	out=$(ptptest caps "$dev")
	check_eq "PTP_CLOCK_GETCAPS: no cross-timestamping" 0 "$(kv cross_timestamping "$out")"

	out=$(ptptest sysoff "$dev" 25)
	echo "$out"
	check_eq "PTP_SYS_OFFSET with 25 samples succeeds" 1 "$(kv ok "$out")"
	check_eq "PTP_SYS_OFFSET brackets are ordered (pre <= post)" 1 "$(kv ordered "$out")"
	check_cmp "PTP_SYS_OFFSET: PHC within 2 s of system time" \
		"$(abs "$(kv phc_minus_sys_ns "$out")")" -lt 2000000000

	out=$(ptptest sysoffx "$dev" 25)
	echo "$out"
	check_eq "PTP_SYS_OFFSET_EXTENDED with 25 samples succeeds" 1 "$(kv ok "$out")"
	check_eq "PTP_SYS_OFFSET_EXTENDED brackets are ordered (pre <= post)" 1 "$(kv ordered "$out")"
	check_cmp "PTP_SYS_OFFSET_EXTENDED: PHC within 2 s of system time" \
		"$(abs "$(kv phc_minus_sys_ns "$out")")" -lt 2000000000
	value sysoffx_width_median_ns "$(kv width_median_ns "$out")"

	out=$(ptptest precise "$dev")
	check_eq "PTP_SYS_OFFSET_PRECISE fails with EOPNOTSUPP" EOPNOTSUPP "$(kv err "$out")"

	# One hypercall per reading: the counter moves by exactly the readings made.
	before=$(vmw_stat successful_reads)
	n=1000
	out=$(ptptest readloop "$dev" $n)
	after=$(vmw_stat successful_reads)
	check_eq "$n clock_gettime calls all succeed" $n "$(kv success "$out")"
	check_eq "successful_reads grew by exactly $n" $n $((after - before))
	before=$after
	ptptest sysoffx "$dev" 25 >/dev/null
	ptptest sysoff "$dev" 25 >/dev/null
	after=$(vmw_stat successful_reads)
	check_eq "25 EXTENDED + 25 SYS_OFFSET samples are exactly 50 reads" 50 $((after - before))
	check_eq "no failed reads" 0 "$(vmw_stat failed_reads)"
	value driver_reads "$after"
	value backdoor_calls 1
}

host() {
	local reads calls
	reads=$(guest_value driver_reads)
	calls=$(model_stat answered)
	check_eq "device model answered = driver's successful_reads + the scenario's 1 direct backdoor call" \
		"$((reads + 1))" "$calls"
	check_eq "device model saw no failed calls" 0 "$(model_stat failed)"
}
