# Proves the point of a writable clock: with writable=1 on a host that takes
# writes, phc2sys -s CLOCK_REALTIME -c /dev/ptpN steers the host's clock
# (the device model's) onto the guest's system clock, which starts 300 ms
# off it: phc2sys steps, then slews, and within 30 s its last ten offsets
# are under 50 us; read straight from the host, without the driver, the
# model's clock is then within 1 ms of the guest's system clock; root
# (with CAP_SYS_TIME) had no write denied. An unprivileged user cannot run
# phc2sys on the clock. The host sees steps and frequency writes, none
# refused.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"

guest() {
	local dev out i n off worst s2 pid
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	clock_behind_host 300000000
	off=$(host_minus_sys_ns)
	value initial_offset_ns "$off"
	check_cmp "before, the host's clock is >= 100 ms off the system clock (saw $off ns)" \
		"$(abs "$off")" -ge 100000000

	# Through a script: su would take phc2sys's -s and -c for its own.
	printf '#!/bin/sh\nexec timeout 5 phc2sys -s CLOCK_REALTIME -c %s -O 0 -m -q\n' "$dev" \
		>/tmp/tester-phc2sys
	chmod 755 /tmp/tester-phc2sys
	out=$(as_tester /tmp/tester-phc2sys 2>&1)
	echo "tester: $out"
	check_has "tester: phc2sys cannot open the clock" "unknown clock $dev" "$out"
	check_eq "tester: ... and wrote nothing (only the probe's test write)" "1 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"

	phc2sys -s CLOCK_REALTIME -c "$dev" -O 0 -m -q -R 4 >/tmp/phc2sys.log 2>&1 &
	pid=$!
	# Converged: the last ten updates (2.5 s at -R 4) in servo state s2
	# with |offset| < 50 us.
	s2=
	for i in $(seq 1 60); do
		sleep 0.5
		n=$(grep -c ' s2 freq ' /tmp/phc2sys.log)
		[ "$n" -ge 10 ] || continue
		worst=$(grep ' offset ' /tmp/phc2sys.log | tail -n 10 |
			awk '{ o = $5 < 0 ? -$5 : $5; if ($6 != "s2") o = 1e18; if (o > m) m = o } END { print m + 0 }')
		if [ "$worst" -lt 50000 ]; then
			s2=$i
			break
		fi
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	tail -n 15 /tmp/phc2sys.log
	check_ok "within 30 s, the last 10 offsets are in s2 and under 50 us (worst $worst ns)" \
		test -n "$s2"
	value converged_s "$(( ${s2:-60} / 2 ))"
	value worst_last10_ns "$worst"
	off=$(host_minus_sys_ns)
	value final_offset_ns "$off"
	check_cmp "straight from the host, its clock is within 1 ms of the system clock (saw $off ns)" \
		"$(abs "$off")" -lt 1000000
	check_eq "no write refused by the host or denied by the driver (root has CAP_SYS_TIME), no read failed" \
		"0 0 0" "$(vmw_stat failed_writes) $(vmw_stat denied_writes) $(vmw_stat failed_reads)"
	value driver_writes "$(vmw_stat successful_writes)"
}

host() {
	check_cmp "model: phc2sys stepped the clock (adjtime writes beyond the probe's)" \
		"$(model_stat writes_adjtime)" -ge 2
	check_cmp "model: ... and slewed it (frequency writes)" \
		"$(model_stat writes_adjfreq)" -ge 5
	check_eq "model: every write the driver counted reached the model" \
		"$(guest_value driver_writes)" \
		"$(( $(model_stat writes_settime) + $(model_stat writes_adjtime) + $(model_stat writes_adjfreq) ))"
	check_eq "model: no write refused, no bad argument" "0 0" \
		"$(model_stat writes_refused) $(model_stat failed_bad_argument)"
}
