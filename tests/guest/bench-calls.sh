# SPDX-License-Identifier: GPL-2.0-only
# make bench, hypercalls per reading: the device model counts precision-clock
# calls for the whole boot and says so only when QEMU exits, so each of these
# boots makes no reads but the measured ones (no udev, no chrony):
#   bench-calls-ours            ours: clock_gettime, PTP_SYS_OFFSET and
#                               PTP_SYS_OFFSET_EXTENDED (25 samples each);
#                               the driver's successful_reads counter splits
#                               the model's total by phase, and the model's
#                               total must equal the counter's
#   bench-calls-intree-gettime  in-tree: clock_gettime only
#   bench-calls-intree-sysoff   in-tree: PTP_SYS_OFFSET only
# The three scenario files (tests/scenarios/bench-calls-*.sh) call
# bench_calls with their own name; this file is in the guest as
# /opt/ptpvmw/bench-calls.sh.

: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC1091 # in the guest only, written by tests/bench/run.sh
[ -f /opt/ptpvmw/bench.conf ] && . /opt/ptpvmw/bench.conf

# calls_run NAME CMD...: run a measured phase, a check of its own.
calls_run() {
	local name="$1" out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
		return 0
	fi
	fail "$name" "expected success, saw: $(echo "$out" | tail -n 1)"
	return 1
}

# bench_calls SCENARIO: the measured phase of one of the three boots.
bench_calls() {
	local scenario="$1" dev s0 s1 s2 s3 n="$BENCH_CALLS_N" k="$BENCH_CALLS_SYSOFF"
	case $scenario in
	bench-calls-ours)
		load_ours || { fail "our module loads" "insmod failed"; return; }
		dev=$(ptp_vmw_dev)
		s0=$(vmw_stat successful_reads)
		calls_run "$n clock_gettime" ptpbench gettime "$dev" "$n" || return
		s1=$(vmw_stat successful_reads)
		calls_run "$k x PTP_SYS_OFFSET(25)" ptpbench sysoff "$dev" "$k" 25 || return
		s2=$(vmw_stat successful_reads)
		calls_run "$k x PTP_SYS_OFFSET_EXTENDED(25)" ptpbench sysoffx "$dev" "$k" 25 || return
		s3=$(vmw_stat successful_reads)
		data bench op=calls driver=ours load_calls="$s0" gettime_reads="$n" gettime_calls=$((s1 - s0)) sysoff_samples=$((k * 25)) sysoff_calls=$((s2 - s1)) sysoffx_samples=$((k * 25)) sysoffx_calls=$((s3 - s2)) counter_total="$s3" failed="$(vmw_stat failed_reads)"
		;;
	bench-calls-intree-gettime)
		# shellcheck disable=SC2015 # either step failing is the failure
		insmod "$INTREE_MODULE" && dev=$(wait_until 5 ptp_vmw_dev && ptp_vmw_dev) ||
			{ fail "the in-tree module loads" "insmod failed"; return; }
		calls_run "$n clock_gettime" ptpbench gettime "$dev" "$n" || return
		data bench op=calls driver=intree gettime_reads="$n"
		;;
	bench-calls-intree-sysoff)
		# shellcheck disable=SC2015 # either step failing is the failure
		insmod "$INTREE_MODULE" && dev=$(wait_until 5 ptp_vmw_dev && ptp_vmw_dev) ||
			{ fail "the in-tree module loads" "insmod failed"; return; }
		calls_run "$k x PTP_SYS_OFFSET(25)" ptpbench sysoff "$dev" "$k" 25 || return
		data bench op=calls driver=intree sysoff_samples=$((k * 25))
		;;
	*)
		fail "known calls boot" "expected bench-calls-ours, -intree-gettime or -intree-sysoff"
		;;
	esac
}
