# Proves a writable clock's writes need CAP_SYS_TIME, whatever the node's
# mode. With writable=1 on a host that takes writes, and /dev/ptpN given
# read-write to a group (as sites do so that ptp4l and phc2sys run
# unprivileged), a member of that group (tester) reads the clock but cannot
# set, step or slew it: clock_settime and clock_adjtime fail with EPERM in
# the driver before the host is asked, phc_ctl and phc2sys -c steer
# nothing, and each refusal is counted in statistics/denied_writes. So is
# root without CAP_SYS_TIME (uid 0 with the capability dropped from its
# bounding set, as a service with CapabilityBoundingSet=~CAP_SYS_TIME): the
# driver tests the capability, not the uid. However many are refused, the
# log says so twice a minute, naming the first call's caller. Root with the
# capability still steps and slews, and the device model took exactly
# root's writes.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"

guest() {
	local dev out log stats d0 bnd
	mark_dmesg wunpriv
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	stats=/sys/class/ptp/${dev#/dev/}/device/statistics
	check_has "the clock is writable" "registered as ${dev#/dev/} (writable)" \
		"$(driver_log_since wunpriv)"
	check_eq "denied_writes reads 0 and is mode 444" "0 444" \
		"$(vmw_stat denied_writes) $(stat -c %a "$stats/denied_writes")"

	# A site gives the node to a group, read-write.
	chgrp tester "$dev"
	chmod 0660 "$dev"
	out=$(as_tester ptptest get "$dev")
	check_eq "tester can read the clock" 1 "$(kv ok "$out")"
	out=$(as_tester ptptest settime "$dev")
	check_eq "tester: clock_settime fails with EPERM" "settime EPERM" \
		"$(kv op "$out") $(kv err "$out")"
	out=$(as_tester ptptest adjtime "$dev")
	check_eq "tester: clock_adjtime(ADJ_SETOFFSET +1 s) fails with EPERM" \
		"adjtime EPERM" "$(kv op "$out") $(kv err "$out")"
	out=$(as_tester ptptest adjfreq "$dev" 1000)
	check_eq "tester: clock_adjtime(ADJ_FREQUENCY 1000 ppb) fails with EPERM" \
		"adjfreq EPERM" "$(kv op "$out") $(kv err "$out")"
	check_eq "tester: those 3 counted in denied_writes; no write reached the host but the probe's" \
		"3 1 0" "$(vmw_stat denied_writes) $(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	out=$(as_tester tamper "$dev")
	echo "tester: $out"
	check_eq "tester: tamper opened it read-write and changed nothing" "rw 0" \
		"$(kv open "$out") $(kv changed "$out")"
	check_eq "tester: settime, step, freq 0, freq 100 ppb refused by the driver (EPERM)" \
		"EPERM EPERM EPERM EPERM" \
		"$(kv settime "$out") $(kv step "$out") $(kv freq0 "$out") $(kv freq "$out")"
	check_has "tester: phc_ctl adj 10 is refused" \
		"failed to step clock: Operation not permitted" "$(as_tester phc_ctl "$dev" adj 10 2>&1)"
	check_has "tester: phc_ctl freq 100 is refused" \
		"failed to adjust the clock: Operation not permitted" \
		"$(as_tester phc_ctl "$dev" freq 100 2>&1)"
	check_eq "tester: 4 + 2 more denied writes, still none reached the host" "9 1 0" \
		"$(vmw_stat denied_writes) $(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	# phc2sys -c, as a site would run it unprivileged. Through a script: su
	# would take phc2sys's -s and -c for its own.
	printf '#!/bin/sh\nexec timeout 4 phc2sys -s CLOCK_REALTIME -c %s -O 0 -m -q -R 4\n' "$dev" \
		>/tmp/tester-phc2sys
	chmod 755 /tmp/tester-phc2sys
	out=$(as_tester /tmp/tester-phc2sys 2>&1)
	echo "tester, phc2sys: $(echo "$out" | tail -n 4)"
	check_has "tester: phc2sys -c is refused" "Operation not permitted" "$out"
	check_cmp "tester: ... every write it tried was denied ($(vmw_stat denied_writes) in all)" \
		"$(vmw_stat denied_writes)" -gt 9
	check_eq "tester: ... and none reached the host" "1 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	# Root, but without CAP_SYS_TIME.
	bnd=$(nocap sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
	check_eq "nocap: uid 0, CAP_SYS_TIME (bit 25) out of the bounding set ($bnd)" "0 0" \
		"$(nocap id -u) $(( (0x${bnd:-2000000} >> 25) & 1 ))"
	d0=$(vmw_stat denied_writes)
	out=$(nocap ptptest adjtime "$dev")
	check_eq "root without CAP_SYS_TIME: clock_adjtime(ADJ_SETOFFSET +1 s) fails with EPERM" \
		"adjtime EPERM" "$(kv op "$out") $(kv err "$out")"
	out=$(nocap tamper "$dev")
	echo "root without CAP_SYS_TIME: $out"
	check_eq "root without CAP_SYS_TIME: tamper changed nothing" 0 "$(kv changed "$out")"
	check_eq "root without CAP_SYS_TIME: settime, step, freq 0, freq 100 ppb refused (EPERM)" \
		"EPERM EPERM EPERM EPERM" \
		"$(kv settime "$out") $(kv step "$out") $(kv freq0 "$out") $(kv freq "$out")"
	check_has "root without CAP_SYS_TIME: phc_ctl adj 10 is refused" \
		"failed to step clock: Operation not permitted" "$(nocap phc_ctl "$dev" adj 10 2>&1)"
	check_eq "root without CAP_SYS_TIME: 1 + 4 + 1 more denied writes, none reached the host" \
		"$((d0 + 6)) 1 0" \
		"$(vmw_stat denied_writes) $(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	log=$(driver_log_since wunpriv | grep 'needs CAP_SYS_TIME')
	echo "$log"
	check_eq "$(vmw_stat denied_writes) denied writes, 2 log lines (at most two a minute)" 2 \
		"$(echo "$log" | grep -c .)"
	check_match "the first names the call (SETTIME), the caller and its uid" \
		'refused a clock write \(subcommand 1\) from ptptest\[[0-9]+\], uid 1000: it needs CAP_SYS_TIME' \
		"$(echo "$log" | head -n 1)"

	# Root with CAP_SYS_TIME steers as before: +0.5 s, then +1 ppm.
	out=$(phc_ctl "$dev" adj 0.5 2>&1)
	check_has "root: phc_ctl adj 0.5 steps the host's clock" "adjusted clock by 0.500000 seconds" "$out"
	out=$(ptptest adjfreq "$dev" 1000)
	check_eq "root: clock_adjtime(ADJ_FREQUENCY 1000 ppb) succeeds" 1 "$(kv ok "$out")"
	check_eq "root: the probe's write and root's two taken, none refused" "3 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"
	value denied_writes "$(vmw_stat denied_writes)"
}

host() {
	check_eq "model: exactly 3 write calls arrived (the probe's and root's two)" 3 \
		"$(model_stat write_calls)"
	check_eq "model: 2 steps (the probe's 0 ns, root's), 1 frequency, no settime, none refused" \
		"2 1 0 0" \
		"$(model_stat writes_adjtime) $(model_stat writes_adjfreq) $(model_stat writes_settime) $(model_stat writes_refused)"
	check_eq "model: its clock moved by exactly root's +0.5 s and runs 1 ppm fast (65536 scaled ppm)" \
		"500000000 65536" "$(model_stat offset_ns) $(model_stat rate_scaled_ppm)"
}
