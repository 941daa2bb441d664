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
# This one file is installed in the guest under the three names; $scenario
# (set by /init) says which boot this is.

[ -f /opt/ptpvmw/bench.conf ] && . /opt/ptpvmw/bench.conf

BOOT_TIMEOUT=180

# calls_run NAME CMD...: run a measured phase; its failure is a failed check.
calls_run() {
	local name=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	fail "bench: $scenario: $name" "expected success, saw: $(echo "$out" | tail -n 1)"
	return 1
}

guest() {
	local dev s0 s1 s2 s3 n=$BENCH_CALLS_N k=$BENCH_CALLS_SYSOFF
	command -v load_module_deps >/dev/null && load_module_deps
	case $scenario in
	bench-calls-ours)
		load_ours || { fail "bench: $scenario: our module loads" "insmod failed"; return; }
		dev=$(ptp_vmw_dev)
		s0=$(vmw_stat successful_reads)
		calls_run "$n clock_gettime" ptpbench gettime "$dev" "$n" || return
		s1=$(vmw_stat successful_reads)
		calls_run "$k x PTP_SYS_OFFSET(25)" ptpbench sysoff "$dev" "$k" 25 || return
		s2=$(vmw_stat successful_reads)
		calls_run "$k x PTP_SYS_OFFSET_EXTENDED(25)" ptpbench sysoffx "$dev" "$k" 25 || return
		s3=$(vmw_stat successful_reads)
		echo "BENCH op=calls driver=ours load_calls=$s0 gettime_reads=$n gettime_calls=$((s1 - s0)) sysoff_samples=$((k * 25)) sysoff_calls=$((s2 - s1)) sysoffx_samples=$((k * 25)) sysoffx_calls=$((s3 - s2)) counter_total=$s3 failed=$(vmw_stat failed_reads)" >&3
		;;
	bench-calls-intree-gettime)
		insmod "$INTREE_MODULE" && dev=$(wait_until 5 ptp_vmw_dev && ptp_vmw_dev) ||
			{ fail "bench: $scenario: the in-tree module loads" "insmod failed"; return; }
		calls_run "$n clock_gettime" ptpbench gettime "$dev" "$n" || return
		echo "BENCH op=calls driver=intree gettime_reads=$n" >&3
		;;
	bench-calls-intree-sysoff)
		insmod "$INTREE_MODULE" && dev=$(wait_until 5 ptp_vmw_dev && ptp_vmw_dev) ||
			{ fail "bench: $scenario: the in-tree module loads" "insmod failed"; return; }
		calls_run "$k x PTP_SYS_OFFSET(25)" ptpbench sysoff "$dev" "$k" 25 || return
		echo "BENCH op=calls driver=intree sysoff_samples=$((k * 25))" >&3
		;;
	*)
		fail "bench: $scenario: known calls boot" "expected bench-calls-ours, -intree-gettime or -intree-sysoff"
		;;
	esac
}
