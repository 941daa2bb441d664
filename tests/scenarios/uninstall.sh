# Proves that uninstalling while the module is loaded leaves the running
# system working. The system is set up as the package sets it up (install_dist,
# systemd-udevd autoloading the module, chronyd locked on /dev/ptp_vmware);
# then everything dpkg --purge takes away goes, the way it goes: the module
# file (dkms remove) and depmod's index of it, the udev rule, the chrony
# file, the systemd drop-in and helper, what the helper wrote under /run. Neither DKMS nor the
# packages' scripts unload the module (tests/host/packages.sh checks that), so
# the clock must go on working, for chronyd too, until reboot.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev i locked='' before after
	install_dist
	start_udev
	dev=$(ptp_vmw_dev)
	start_chronyd
	for i in $(seq 1 240); do
		chronyc -n sources 2>/dev/null | grep -q '^#\* VMW' && { locked=$i; break; }
		sleep 0.25
	done
	check_ok "before: chronyd selected the PHC through /dev/ptp_vmware" test -n "$locked"

	# What dpkg --purge ptp-vmw-dkms removes.
	rm -f "$MODULE" /lib/udev/rules.d/61-ptp-vmware.rules /usr/libexec/ptp_vmw/ptp-vmware-chrony \
		/etc/chrony/conf.d/ptp_vmw.conf /lib/systemd/system/chrony.service.d/ptp-vmware.conf
	rm -f /run/ptp_vmw-chrony.conf
	depmod -a
	# A later udev run (any package's udevadm trigger) without our rule.
	udevadm control --reload
	udevadm trigger --action=change --subsystem-match=ptp
	udevadm settle --timeout=30

	check_ok "the module stays loaded" test -d /sys/module/ptp_vmw
	check_eq "the clock is still there, same device" "$dev" "$(ptp_vmw_dev)"
	check_has "phc_ctl get still reads the clock" "clock time is" "$(phc_ctl "$dev" get 2>&1)"
	check_ok "without the rule, udev dropped the /dev/ptp_vmware link" test ! -e /dev/ptp_vmware
	before=$(vmw_stat successful_reads)
	sleep 3
	after=$(vmw_stat successful_reads)
	check_cmp "chronyd keeps reading the clock through its open descriptor ($before then $after reads)" \
		"$after" -ge $((before + 8))
	check_ok "chronyc sources: the PHC is still the selected source" \
		sh -c "chronyc -n sources | grep -q '^#\* VMW'"
	check_eq "no failed reads" 0 "$(vmw_stat failed_reads)"
	chronyc -n sources
	check_eq "depmod's index no longer lists ptp_vmw (the next boot loads nothing of ours)" 0 \
		"$(grep -c ptp_vmw "/lib/modules/$KREL/modules.dep")"
	killall chronyd
	udevadm control --exit
}
