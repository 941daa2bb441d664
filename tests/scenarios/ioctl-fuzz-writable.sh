# Proves the writable clock survives hostile callers too: ioctl-fuzz's
# 100,000 x SCALE seeded random ioctls and random clock_settime and
# clock_adjtime, with writable=1 on a host that takes writes, first as
# root, then as an unprivileged user given read-write access to the node.
# Root's clock calls now set, step and slew the host's clock: after each
# that succeeded the clock was where the call put it, no other call moved
# it (fuzz "writes"), and the device model took exactly the writes the
# fuzzer saw succeed, its rate the last frequency the fuzzer set; the host
# refused only frequencies beyond its range, each an EIO the fuzzer saw.
# The unprivileged user changed nothing: each write it tried that reached
# the driver failed with EPERM and was counted. Throughout, the kernel
# wrote nothing outside the arguments and no ioctl changed the clock;
# afterwards the clock reads what the host says.
#
# Reproduce a run with FUZZ_SEED=N (printed in the results): the seed reaches
# the guest on the kernel command line; the unprivileged run uses N+1.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom 2>/dev/null | tr -d " ")}
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_KARGS="ptpvmw.fuzzseed=$FUZZ_SEED"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((120 + 60 * ${STRESS_SCALE:-1}))

# req_errno OUTPUT REQUEST ERRNO: how many of the fuzzer's REQUEST calls
# failed with ERRNO (0 when none did).
req_errno() {
	local v
	v=$(kv "$3" "$(echo "$1" | grep "^req=$2 " | head -n 1)")
	echo "${v:-0}"
}

guest() {
	local dev seed tester_seed n out rc last w0 eio eperm phc ref
	seed=$(sed -n 's/.*ptpvmw\.fuzzseed=\([0-9]*\).*/\1/p' /proc/cmdline)
	tester_seed=$((seed + 1))
	n=$((100000 * SCALE))
	value fuzz_seed "$seed"
	note "seed $seed (replay with FUZZ_SEED=$seed; the unprivileged run uses $tester_seed)"
	if ! insmod "$MODULE" writable=1 || ! wait_until 5 ptp_vmw_dev; then
		fail "module loads with writable=1" "insmod failed"
		return
	fi
	dev=$(ptp_vmw_dev)
	check_eq "the clock is writable (max_adj 999999999)" 999999999 \
		"$(kv max_adj "$(ptptest caps "$dev")")"

	out=$(fuzz "$dev" "$n" "$seed" writes)
	rc=$?
	echo "$out"
	last=$(echo "$out" | grep '^op=fuzz' | tail -n 1)
	check_eq "root: the fuzzer survives and finishes (exit status, ok=)" \
		"0 1" "$rc $(kv ok "$last")"
	check_eq "root: $n ioctls made" "$n" "$(kv ioctls "$last")"
	check_eq "root: the kernel wrote nothing outside an ioctl's argument" \
		0 "$(kv overflow "$last")"
	check_eq "root: no ioctl changed the clock (PEROUT, EXTTS, PPS, pin functions)" \
		0 "$(kv changed "$last")"
	check_eq "root: the clock read fine and moved forward between writes" \
		0 "$(kv badreads "$last")"
	check_cmp "root: clock calls wrote the host's clock ($(kv settimes "$last") settimes, $(kv steps "$last") steps, $(kv freqs "$last") frequencies)" \
		"$(kv writes "$last")" -gt 0
	check_eq "root: after each write the clock was where it was put, and nothing else moved it" \
		0 "$(kv misplaced "$last")"
	eio=$(( $(req_errno "$out" clock_settime EIO) + $(req_errno "$out" clock_adjtime EIO) ))
	check_eq "root: the driver counted the probe's write and root's as taken, the EIOs as refused" \
		"$(( $(kv writes "$last") + 1 )) $eio" \
		"$(vmw_stat successful_writes) $(vmw_stat failed_writes)"
	check_eq "root: no write denied" 0 "$(vmw_stat denied_writes)"
	value settimes "$(kv settimes "$last")"
	value steps "$(kv steps "$last")"
	value freqs "$(kv freqs "$last")"
	value last_freq "$(kv last_freq "$last")"
	value host_refused "$eio"

	# Given read-write access (as a site's udev rule might), tester fuzzes.
	chgrp tester "$dev"
	chmod 0660 "$dev"
	w0=$(vmw_stat successful_writes)
	out=$(as_tester fuzz "$dev" "$n" "$tester_seed" writes)
	rc=$?
	echo "$out"
	last=$(echo "$out" | grep '^op=fuzz' | tail -n 1)
	check_eq "tester: the fuzzer survives and finishes (exit status, ok=)" \
		"0 1" "$rc $(kv ok "$last")"
	check_eq "tester: $n ioctls made" "$n" "$(kv ioctls "$last")"
	check_eq "tester: the kernel wrote nothing outside an ioctl's argument" \
		0 "$(kv overflow "$last")"
	check_eq "tester: nothing changed the clock (no ioctl, no write, nothing misplaced)" \
		"0 0 0" "$(kv changed "$last") $(kv writes "$last") $(kv misplaced "$last")"
	check_eq "tester: the clock read fine and moved forward between calls" \
		0 "$(kv badreads "$last")"
	eperm=$(( $(req_errno "$out" clock_settime EPERM) + $(req_errno "$out" clock_adjtime EPERM) ))
	check_cmp "tester: clock_settime/clock_adjtime reached the driver and were refused with EPERM ($eperm)" \
		"$eperm" -gt 0
	check_eq "tester: each EPERM counted in denied_writes" "$eperm" "$(vmw_stat denied_writes)"
	check_eq "tester: no write reached the host" "$w0" "$(vmw_stat successful_writes)"

	phc=$(kv ns "$(ptptest get "$dev")")
	ref=$(kv host_ns "$(guestctl backdoor 1)")
	check_cmp "afterwards the clock reads the host's clock, wherever root put it (within 1 s)" \
		"$(abs $((ref - ${phc:-0})))" -lt 1000000000
	check_eq "afterwards still exactly one clock, the same" "1 $dev" "$(ptp_count) $(ptp_vmw_dev)"
	check_eq "no read failed" 0 "$(vmw_stat failed_reads)"
	value ioctls $((2 * n))
}

host() {
	check_eq "model: took exactly the fuzzer's settimes" \
		"$(guest_value settimes)" "$(model_stat writes_settime)"
	check_eq "model: took exactly its steps, and the probe's" \
		"$(( $(guest_value steps) + 1 ))" "$(model_stat writes_adjtime)"
	check_eq "model: took exactly its frequencies" \
		"$(guest_value freqs)" "$(model_stat writes_adjfreq)"
	check_eq "model: its rate is the last frequency the fuzzer set (scaled ppm)" \
		"$(guest_value last_freq)" "$(model_stat rate_scaled_ppm)"
	check_eq "model: refused only frequencies out of its range, each an EIO the fuzzer saw" \
		"$(guest_value host_refused) $(guest_value host_refused) 0" \
		"$(model_stat failed_bad_argument) $(model_stat failed) $(model_stat writes_refused)"
}
