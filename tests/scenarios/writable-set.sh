# Proves SETTIME on a host that takes writes: with writable=1, phc_ctl set
# puts the device model's clock at exactly the time asked. The model keeps
# its clock as host time plus an offset, so the host checks that offset
# against the guest's bracket of the host's time around the call: it must
# lie between X - (host time just before) - (time the bracket took) and
# X - (host time just before). An unprivileged user cannot set it.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"

# 2023-11-14 22:13:20 UTC: far from now, so a missed write cannot pass.
SET_S=1700000000

guest() {
	local dev out r0 r1 h0 h1 e
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)

	check_has "tester: phc_ctl set cannot open the clock" "unknown clock $dev" \
		"$(as_tester phc_ctl "$dev" set "$SET_S" 2>&1)"
	r0=$(guestctl backdoor 1)
	out=$(phc_ctl "$dev" set "$SET_S" 2>&1)
	r1=$(guestctl backdoor 1)
	echo "$out"
	check_has "phc_ctl set $SET_S succeeds" "set clock time to $SET_S.000000000" "$out"
	h0=$(kv host_ns "$r0")
	h1=$(kv host_ns "$r1")
	# The guest's system clock is not touched here: its difference is the
	# time the bracket took.
	e=$(($(kv sys_ns "$r1") - $(kv sys_ns "$r0")))
	value set_ns "${SET_S}000000000"
	value host_before_ns "$h0"
	value bracket_ns "$e"
	check_cmp "straight from the host, the clock now reads $SET_S s plus at most the bracket ($e ns)" \
		$((h1 - SET_S * 1000000000)) -le "$e"
	check_cmp "... and not less than $SET_S s" $((h1 - SET_S * 1000000000)) -ge 0
	out=$(ptptest get "$dev")
	check_cmp "the PHC reads $SET_S s plus under 1 s" \
		$(($(kv ns "$out") - SET_S * 1000000000)) -lt 1000000000
	check_eq "counters: the test write and the set, none refused" "2 0" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"
}

host() {
	local x h0 e off
	x=$(guest_value set_ns)
	h0=$(guest_value host_before_ns)
	e=$(guest_value bracket_ns)
	off=$(model_stat offset_ns)
	check_eq "model: one settime and the probe's adjtime written, none refused" \
		"1 1 0" "$(model_stat writes_settime) $(model_stat writes_adjtime) $(model_stat writes_refused)"
	check_cmp "model: offset $off ns <= X - host time before ($((x - h0)))" \
		"${off:-x}" -le $((x - h0))
	# 1 ms more for the guest's own clock reading after the host's (r0).
	check_cmp "model: offset $off ns >= X - host time before - bracket - 1 ms ($((x - h0 - e - 1000000)))" \
		"${off:-x}" -ge $((x - h0 - e - 1000000))
}
