# Proves the clock's character device survives hostile callers: 100,000 x
# SCALE seeded random ioctls (the PTP range; real, mangled and random request
# numbers; NULL, wild, unaligned and page-straddling arguments; n_samples 0,
# 25, 26 and huge; pin, channel, PPS and mask requests on a clock that has
# none) plus random clock_settime/clock_adjtime, first as root, then as an
# unprivileged user given read-write access to the node. Afterwards the
# fuzzer is alive, the kernel wrote nothing outside the arguments, nothing
# changed the clock, and the clock still reads the host's time.
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
BOOT_TIMEOUT=$((120 + 60 * ${STRESS_SCALE:-1}))

# fuzz_judge WHO OUTPUT RC N: the checks every fuzz run must pass.
fuzz_judge() {
	local who="$1" out="$2" rc="$3" n="$4" last
	last=$(echo "$out" | grep '^op=fuzz' | tail -n 1)
	check_eq "$who: the fuzzer survives and finishes (exit status, ok=)" \
		"0 1" "$rc $(kv ok "$last")"
	check_eq "$who: $n ioctls made" "$n" "$(kv ioctls "$last")"
	check_eq "$who: the kernel wrote nothing outside an ioctl's argument" \
		0 "$(kv overflow "$last")"
	check_eq "$who: no call changed the clock (PEROUT, EXTTS, PPS, pin functions, set, adjust)" \
		0 "$(kv changed "$last")"
	check_eq "$who: the clock read fine and moved forward between calls" \
		0 "$(kv badreads "$last")"
}

# req_line OUTPUT NAME: the fuzzer's tally for one request.
req_line() { echo "$1" | grep "^req=$2 " | head -n 1; }

guest() {
	local dev seed n out rc ref phc tester_seed pps
	seed=$(sed -n 's/.*ptpvmw\.fuzzseed=\([0-9]*\).*/\1/p' /proc/cmdline)
	tester_seed=$((seed + 1))
	n=$((100000 * SCALE))
	value fuzz_seed "$seed"
	note "seed $seed (replay with FUZZ_SEED=$seed; the unprivileged run uses $tester_seed)"
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)

	out=$(fuzz "$dev" "$n" "$seed")
	rc=$?
	echo "$out"
	fuzz_judge root "$out" "$rc" "$n"
	pps=$(req_line "$out" ENABLE_PPS)
	check_cmp "root: PTP_ENABLE_PPS reached the driver, which refused it ($pps)" \
		"$(kv EOPNOTSUPP "$pps")" -gt 0

	# The node as created is root's alone: tester cannot even open it.
	out=$(as_tester fuzz "$dev" 1 "$tester_seed")
	check_eq "tester cannot open the node as created" EACCES \
		"$(kv err "$(echo "$out" | grep '^op=fuzz')")"
	# Given read-write access (as a site's udev rule might), tester fuzzes.
	chgrp tester "$dev"
	chmod 0660 "$dev"
	out=$(as_tester fuzz "$dev" "$n" "$tester_seed")
	rc=$?
	echo "$out"
	fuzz_judge tester "$out" "$rc" "$n"
	pps=$(req_line "$out" ENABLE_PPS)
	check_eq "tester: PTP_ENABLE_PPS never reached the driver ($pps)" "" "$(kv EOPNOTSUPP "$pps")"
	check_cmp "tester: PTP_ENABLE_PPS was refused for want of CAP_SYS_TIME" \
		"$(kv EPERM "$pps")" -gt 0

	phc=$(kv ns "$(ptptest get "$dev")")
	ref=$(kv host_ns "$(guestctl backdoor 1)")
	check_cmp "afterwards the clock reads the host's time (within 1 s)" \
		"$(abs $((ref - ${phc:-0})))" -lt 1000000000
	check_eq "afterwards still exactly one clock, the same" "1 $dev" "$(ptp_count) $(ptp_vmw_dev)"
	check_eq "no read failed" 0 "$(vmw_stat failed_reads)"
	value ioctls $((2 * n))
}
