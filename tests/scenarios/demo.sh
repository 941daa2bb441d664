# make demo, the guest side (not part of make check): what the user sees,
# live, are the "DATA show" lines (tests/host/demo.sh prints them as they
# come).
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="demo"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=300

show() { data show "$*"; }

# phc_and_sys: the PHC and the system time of one PTP_SYS_OFFSET_EXTENDED
# sample (the narrowest bracket of 5), and their difference.
phc_and_sys() {
	local r phc sys
	r=$(ptptest sysoffx /dev/ptp_vmware 5)
	phc=$(kv phc_ns "$r")
	sys=$(kv sys_ns "$r")
	printf 'PHC %d.%09d   system %d.%09d   PHC - system = %s ms' \
		$((phc / 1000000000)) $((phc % 1000000000)) $((sys / 1000000000)) $((sys % 1000000000)) \
		"$(awk -v d="$(kv phc_minus_sys_ns "$r")" 'BEGIN { printf "%+.6f", d / 1e6 }')"
}

guest() {
	local i out sys
	show "Guest kernel $(uname -r); $(dmesg | grep -o 'Hypervisor detected: VMware' | head -n 1)"
	# shellcheck disable=SC2011 # ACPI device names (VMW0005:NN) are plain
	show "ACPI device: $(ls -d /sys/bus/acpi/devices/VMW0005:* 2>/dev/null | xargs -n1 basename) (the VMware precision clock)"
	install_dist
	clock_behind_host 250000000
	show "Set the guest's system clock 250 ms wrong, then start udev (autoloads ptp_vmw) ..."
	start_udev
	show "$(dmesg | grep 'ptp_vmw.*registered as' | sed 's/^\[[^]]*\] //')"
	show "/dev/ptp_vmware -> $(readlink /dev/ptp_vmware)   (udev rule dist/udev/61-ptp-vmware.rules)"
	# linuxptp 3.1 (Debian 12) cannot parse a PHC index from a symlink's name.
	show "phc_ctl \$(readlink -f /dev/ptp_vmware) get: $(phc_ctl "$(readlink -f /dev/ptp_vmware)" get 2>&1 | sed -n 's/.*\(clock time is [0-9.]*\).*/\1/p')"
	show "Before chrony:  $(phc_and_sys)"
	show "Starting chronyd: Debian's chrony.conf + dist/chrony/ptp_vmw.conf (refclock PHC /dev/ptp_vmware poll 0 dpoll -2)"
	start_chronyd
	for i in $(seq 1 30); do
		sleep 1
		out=$(chronyc -n tracking 2>/dev/null)
		sys=$(echo "$out" | sed -n 's/^System time *: //p')
		show "  t=${i}s  chronyc tracking: System time ${sys:-?}"
		echo "$out" | grep -q '^Reference ID.*(VMW)' &&
			awk -v s="${sys%% *}" 'BEGIN { exit !(s < 0.00005) }' && break
	done
	show "chronyc sources:"
	chronyc -n sources | while IFS= read -r l; do show "  $l"; done
	show "chronyc tracking:"
	chronyc -n tracking | while IFS= read -r l; do show "  $l"; done
	show "After chrony:   $(phc_and_sys)"
	show "Driver counters: successful_reads=$(vmw_stat successful_reads) failed_reads=$(vmw_stat failed_reads)"
	check_ok "chrony selected the VMware precision clock (#* VMW in chronyc sources)" \
		sh -c "chronyc -n sources | grep -q '^#\* VMW'"
	killall chronyd
	show "Powering off."
}
