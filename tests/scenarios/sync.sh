# Proves the point of it all, the way an installed system runs it: udev
# autoloads the module for VMW0005 and links /dev/ptp_vmware (the project's
# rule); chronyd, with Debian's chrony.conf and the project's drop-in, brings a
# system clock that starts 300 ms off to within 1 ms of the host.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local off out sys i locked=
	install_dist
	clock_behind_host 300000000
	start_udev
	check_ok "udev autoloaded ptp_vmw for VMW0005 (modalias acpi:VMW0005:)" \
		test -d /sys/module/ptp_vmw
	check_ok "the project's udev rule links /dev/ptp_vmware" test -c /dev/ptp_vmware
	check_eq "/dev/ptp_vmware is our clock" "$(ptp_vmw_dev)" "$(readlink -f /dev/ptp_vmware)"

	off=$(host_minus_sys_ns)
	value initial_offset_ns "$off"
	check_cmp "before chronyd the system clock is >= 100 ms off the host (saw $off ns)" \
		"$(abs "$off")" -ge 100000000

	start_chronyd -l /var/log/chrony/chronyd.log
	check_ok "chronyd starts" pidof chronyd
	for i in $(seq 1 240); do
		out=$(chronyc -n tracking 2>/dev/null)
		sys=$(echo "$out" | sed -n 's/^System time *: \([0-9.]*\) seconds.*/\1/p')
		if echo "$out" | grep -q '^Reference ID *: [0-9A-F]* (VMW)' &&
			[ -n "$sys" ] && awk -v s="$sys" 'BEGIN { exit !(s < 0.001) }'; then
			locked=$i
			break
		fi
		sleep 0.25
	done
	echo "$out"
	chronyc -n sources
	check_ok "chronyc tracking: reference VMW, |system time| < 1 ms within 60 s" test -n "$locked"
	value lock_seconds "$(( ${locked:-240} / 4 ))"
	check_ok "chronyc sources: the PHC is the selected source" \
		sh -c "chronyc -n sources | grep -q '^#\* VMW'"
	off=$(host_minus_sys_ns)
	value final_offset_ns "$off"
	check_cmp "independently of chrony, the guest is within 1 ms of the host (saw $off ns)" \
		"$(abs "$off")" -lt 1000000
	check_eq "no failed reads" 0 "$(vmw_stat failed_reads)"
	cat /var/log/chrony/chronyd.log
	check_has "chronyd takes leap seconds from right/UTC, as the drop-in asks" \
		"Using right/UTC timezone to obtain leap second data" "$(cat /var/log/chrony/chronyd.log)"
	killall chronyd
}
