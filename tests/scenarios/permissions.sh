# Proves who may do what with the clock. Its node, as the kernel creates it
# and as udev leaves it with the project's rule, is root's alone (mode and
# group recorded). An unprivileged user (tester) cannot open it; given
# read-write access to the node (as a site's own rule might grant), tester
# can read the clock but change nothing: setting, stepping, frequency and
# phase adjustments, PPS, external timestamps, periodic outputs and pin
# functions are all refused, as they are for root (the host owns the clock).
# The sysfs counters are read-only for everyone, root included; tester can
# neither unbind the device, nor touch the PTP core's settings, nor unload
# the module. Afterwards the clock is unchanged and reads the host's time.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

# perm_mode FILE: "MODE OWNER:GROUP" of a node.
perm_mode() { stat -L -c '%a %U:%G' "$1"; }

# perm_nothing_for_others MODE: the mode gives others (not owner or group)
# no access at all.
perm_nothing_for_others() { [ $(( 0$1 & 7 )) -eq 0 ]; }

guest() {
	local dev out m f before drv=/sys/bus/platform/drivers/ptp_vmw stats ref phc vclocks

	# As the kernel creates it (devtmpfs, no udev).
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)
	m=$(perm_mode "$dev")
	value node_mode_devtmpfs "$(echo "$m" | tr ' ' '_')"
	check_ok "as created, $dev ($m) gives others no access" perm_nothing_for_others "${m%% *}"
	check_eq "as created, $dev belongs to root:root" root:root "${m#* }"
	rmmod ptp_vmw

	# As udev leaves it with the project's rule (autoloaded, as installed).
	install_dist
	start_udev
	dev=$(ptp_vmw_dev) || { fail "udev loads the module" "no clock"; return; }
	m=$(perm_mode /dev/ptp_vmware)
	value node_mode_udev "$(echo "$m" | tr ' ' '_')"
	check_ok "with udev and the project's rule, /dev/ptp_vmware ($m) gives others no access" \
		perm_nothing_for_others "${m%% *}"
	check_eq "with udev and the project's rule, the node belongs to root:root" root:root "${m#* }"

	out=$(as_tester tamper "$dev")
	echo "tester, node as created: $out"
	check_eq "tester cannot open the node as created (EACCES)" EACCES "$(kv open "$out")"
	out=$(as_tester ptptest get "$dev")
	check_eq "tester cannot read it either (EACCES)" EACCES "$(kv err "$out")"

	# A site grants tester read-write access to the node.
	chgrp tester "$dev"
	chmod 0660 "$dev"
	out=$(as_tester ptptest get "$dev")
	check_eq "with group read-write access, tester can read the clock" 1 "$(kv ok "$out")"
	out=$(as_tester tamper "$dev")
	echo "tester, node 0660 root:tester: $out"
	check_eq "tester opened it read-write" rw "$(kv open "$out")"
	check_eq "tester changed nothing (settime, step, freq, offset, PPS, EXTTS, PEROUT, pin)" \
		0 "$(kv changed "$out")"
	check_eq "tester: clock_settime reaches the driver and is refused (EOPNOTSUPP)" \
		EOPNOTSUPP "$(kv settime "$out")"
	check_eq "tester: PTP_ENABLE_PPS needs CAP_SYS_TIME (EPERM)" EPERM "$(kv pps "$out")"
	value tamper_tester "$(echo "$out" | tr ' ' ',')"
	out=$(tamper "$dev")
	echo "root: $out"
	check_eq "root changed nothing either" 0 "$(kv changed "$out")"
	check_eq "root: PTP_ENABLE_PPS reaches the driver and is refused (EOPNOTSUPP)" \
		EOPNOTSUPP "$(kv pps "$out")"
	value tamper_root "$(echo "$out" | tr ' ' ',')"

	# sysfs: the counters are read-only for everyone.
	stats=/sys/class/ptp/${dev#/dev/}/device/statistics
	for f in successful_reads failed_reads successful_writes failed_writes denied_writes last_error; do
		check_eq "$f is mode 444" 444 "$(stat -c %a "$stats/$f")"
		before=$(cat "$stats/$f")
		check_fails_with "root cannot write $f" "Permission denied" \
			sh -c "echo 0 > $stats/$f"
		check_fails_with "tester cannot write $f" "Permission denied" \
			as_tester sh -c "echo 0 > $stats/$f"
		check_eq "$f unchanged by the attempts" "$before" "$(cat "$stats/$f")"
	done
	check_fails_with "tester cannot unbind the device" "Permission denied" \
		as_tester sh -c "echo VMW0005:00 > $drv/unbind"
	# PTP virtual clocks (n_vclocks, max_vclocks) came in Linux 5.14; where
	# the files do not exist, writing them fails for any user and proves
	# nothing.
	vclocks=/sys/class/ptp/${dev#/dev/}/n_vclocks
	if [ -f "$vclocks" ]; then
		for f in n_vclocks max_vclocks; do
			check_fails_with "tester cannot write the PTP core's $f" "Permission denied" \
				as_tester sh -c "echo 1 > /sys/class/ptp/${dev#/dev/}/$f"
		done
	else
		skip "tester cannot write the PTP core's n_vclocks and max_vclocks" \
			"kernel $KREL has no PTP virtual clocks (n_vclocks came in 5.14)"
	fi
	check_fails_with "tester cannot unload the module" "Operation not permitted" \
		as_tester /sbin/rmmod ptp_vmw
	check_fails_with "tester cannot load a module" "Operation not permitted" \
		as_tester /sbin/insmod "$MODULE"

	check_eq "afterwards the same single clock" "1 $dev" "$(ptp_count) $(ptp_vmw_dev)"
	if [ -f "$vclocks" ]; then
		check_eq "afterwards no virtual clocks" 0 "$(cat "$vclocks")"
	else
		skip "afterwards no virtual clocks" "kernel $KREL has no PTP virtual clocks"
	fi
	phc=$(kv ns "$(ptptest get "$dev")")
	ref=$(kv host_ns "$(guestctl backdoor 1)")
	check_cmp "afterwards the clock reads the host's time (within 1 s)" \
		"$(abs $((ref - ${phc:-0})))" -lt 1000000000
}
