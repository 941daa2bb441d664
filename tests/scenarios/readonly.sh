# Proves the clock is read-only: the host owns it. phc_ctl set, adj and freq
# are refused with "Operation not supported" (a non-zero frequency is refused
# earlier, by the PTP core, since max_adj is 0), and the clock still shows the
# host's time afterwards.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev ref phc out
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)

	# phc_ctl reports a refused operation but exits 0 all the same: judge
	# its words.
	check_has "phc_ctl set is refused with 'Operation not supported'" \
		"failed to set clock time: Operation not supported" "$(phc_ctl "$dev" set 2>&1)"
	check_has "phc_ctl adj 10 is refused with 'Operation not supported'" \
		"failed to step clock: Operation not supported" "$(phc_ctl "$dev" adj 10 2>&1)"
	check_has "phc_ctl freq 0 reaches the driver and is refused with 'Operation not supported'" \
		"failed to adjust the clock: Operation not supported" "$(phc_ctl "$dev" freq 0 2>&1)"
	check_has "phc_ctl freq 100 is refused by the PTP core (max_adj 0)" \
		"failed to adjust the clock: Numerical result out of range" "$(phc_ctl "$dev" freq 100 2>&1)"
	out=$(ptptest settime "$dev")
	check_eq "clock_settime on the PHC fails with EOPNOTSUPP" EOPNOTSUPP "$(kv err "$out")"
	out=$(ptptest adjtime "$dev")
	check_eq "clock_adjtime(ADJ_SETOFFSET) fails with EOPNOTSUPP" EOPNOTSUPP "$(kv err "$out")"
	out=$(ptptest adjfreq "$dev" 0)
	check_eq "clock_adjtime(ADJ_FREQUENCY, 0) fails with EOPNOTSUPP" EOPNOTSUPP "$(kv err "$out")"

	phc=$(kv ns "$(ptptest get "$dev")")
	ref=$(kv host_ns "$(guestctl backdoor 1)")
	check_cmp "afterwards the PHC still reads the host's time (within 1 s)" \
		"$(abs $((ref - phc)))" -lt 1000000000
}
