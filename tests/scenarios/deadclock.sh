# Proves the dead-clock case: VMW0005 is present but the device model does not
# answer the precision clock command (vmport.pclk=false).
# The distribution's in-tree driver binds anyway and every read fails with EIO
# (the harness reproduces the real-world failure); ours refuses to register a
# clock that cannot be read, and says why in one log line.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="wrong-environment"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk=false"

guest() {
	local dev out
	if [ -f "$INTREE_MODULE" ]; then
		insmod "$INTREE_MODULE"
		dev=$(ptp_vmw_dev)
		check_ok "the in-tree driver registers a clock anyway" test -c "$dev"
		out=$(ptptest get "$dev")
		check_eq "in-tree: a read fails with EIO" EIO "$(kv err "$out")"
		out=$(ptptest readloop "$dev" 100)
		check_eq "in-tree: 100 reads, 100 EIO" 100 "$(kv eio "$out")"
		rmmod ptp_vmw
		check_eq "in-tree driver unloads" 0 "$(ptp_count)"
	else
		skip "in-tree: a read fails with EIO" "this kernel has no in-tree ptp_vmw"
	fi

	mark_dmesg dead
	insmod "$MODULE"
	check_eq "ours: module loads (the driver is fine, the clock is not)" 0 $?
	check_eq "ours: no PTP clock registered" 0 "$(ptp_count)"
	check_ok "ours: VMW0005:00 stays unbound" \
		test ! -e /sys/bus/platform/devices/VMW0005:00/driver
	out=$(driver_log_since dead)
	echo "$out"
	check_eq "ours: exactly one log line" 1 "$(echo "$out" | grep -c .)"
	check_has "ours: it says the device is present but the clock does not answer" \
		"precision clock device present, but the clock does not answer (host status 0xffffffff)" "$out"
}

host() {
	check_eq "device model refused every call, answered none" 0 "$(model_stat answered)"
}
