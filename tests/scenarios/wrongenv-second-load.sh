# Proves a second load is refused without harm. With our module loaded and
# its clock bound, a second insmod fails with "File exists" (EEXIST) and the
# clock, its counters and the kernel log are untouched; modprobe of a loaded
# module is a silent no-op. With the distribution's in-tree ptp_vmw already
# loaded and bound, loading ours fails the same way and the in-tree clock
# keeps working; modprobe then succeeds without loading ours (a system that
# autoloaded the in-tree driver keeps it until it is unloaded); once it is,
# ours loads and binds.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

guest() {
	local dev out reads
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)
	ptptest get "$dev" >/dev/null
	reads=$(vmw_stat successful_reads)
	mark_dmesg second
	out=$(insmod "$MODULE" 2>&1)
	echo "$out"
	check_has "a second insmod fails with 'File exists' (EEXIST)" "File exists" "$out"
	check_ok "modprobe of the loaded module is a silent no-op" modprobe ptp_vmw
	check_eq "still exactly the same one clock" "1 $dev" "$(ptp_count) $(ptp_vmw_dev)"
	check_eq "its counters are untouched" "$reads" "$(vmw_stat successful_reads)"
	check_eq "it still reads" 1 "$(kv ok "$(ptptest get "$dev")")"
	check_eq "the attempts made no driver log line" "" "$(driver_log_since second)"
	rmmod ptp_vmw

	if [ ! -f "$INTREE_MODULE" ]; then
		skip "over the in-tree module, insmod of ours fails with 'File exists'" \
			"kernel $KREL has no in-tree ptp_vmw"
		return
	fi
	insmod "$INTREE_MODULE"
	dev=$(ptp_vmw_dev)
	check_ok "the in-tree driver registers its clock" test -c "$dev"
	mark_dmesg overintree
	out=$(insmod "$MODULE" 2>&1)
	echo "$out"
	check_has "over the in-tree module, insmod of ours fails with 'File exists'" \
		"File exists" "$out"
	check_ok "modprobe ptp_vmw succeeds (a module of that name is loaded)" modprobe ptp_vmw
	check_ok "...without loading ours (no statistics directory: the in-tree driver's clock)" \
		test ! -d "/sys/class/ptp/${dev#/dev/}/device/statistics"
	check_eq "the in-tree clock is still the only clock and reads" "1 1" \
		"$(ptp_count) $(kv ok "$(ptptest get "$dev")")"
	check_eq "the attempts made no ptp_vmw log line" "" "$(driver_log_since overintree)"
	check_ok "the in-tree module unloads" rmmod ptp_vmw
	check_ok "then ours loads and binds" load_ours
	check_ok "...and it is ours (statistics directory present)" \
		test -d "/sys/class/ptp/$(basename "$(ptp_vmw_dev)")/device/statistics"
}
