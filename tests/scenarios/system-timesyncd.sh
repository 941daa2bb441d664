# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: Debian's default time daemon. The system keeps time with
# systemd-timesyncd (no chrony), its administrator set a site NTP server in
# timesyncd.conf, and our .deb was installed with apt's defaults
# (Recommends on). Booted on a VMware VM with the precision clock: the
# package changed no time daemon (timesyncd active, its configuration
# byte for byte the administrator's, chrony not installed), nothing failed
# or waited, and one kernel-log line says that chrony is what would use the
# clock; the driver is there all the same (/dev/ptp_vmware).
SYS_IMAGE=tsd
SYS_ENV=present
SYS_STAGES=main

guest_main() {
	local n=timesyncd want
	report_times
	check_no_failed_units "$n: systemctl --failed is empty"
	check_no_time_daemon_change "$n"
	check_ok "$n: our ptp_vmw is loaded (udev autoloaded it for VMW0005)" our_module_loaded
	check_eq "$n: /dev/ptp_vmware is the clock named ptp_vmw" "$(ptp_vmw_dev)" "$(readlink -f /dev/ptp_vmware)"
	want="ptp_vmw: this machine has the VMware precision clock, but chrony is not installed: only chrony can keep the system clock on it (systemd-timesyncd and other NTP clients cannot read a PTP clock); install chrony to use it (apt-get install chrony, dnf install chrony)"
	check_eq "$n: one line in the boot's kernel log says chrony is needed to use the clock" \
		"$want" "$(kernel_lines 'ptp_vmw: this machine has the VMware precision clock')"
	check_eq "$n: ptp-vmware-chrony status says the same" "$want" "$("$HELPER" status)"
	check_eq "$n: the journal never mentions dev-ptp_vmware.device (nothing waited for it)" "" \
		"$(journalctl -b --no-pager -o cat | grep -m 3 'dev-ptp_vmware')"
	check_eq "$n: no line from chronyd's helper (there is no chronyd)" "" "$(our_log_lines)"
}

host() {
	local after
	# apt's output for our .deb, from the image's build log.
	after=$(sed -n '/^== ptpvmw: apt-get install/,$p' "$SYSTEM_VARIANT/build.log")
	check_has "apt-get install ./ptp-vmw-dkms_*.deb with apt's defaults (Recommends on) set the package up" \
		"Setting up ptp-vmw-dkms" "$after"
	check_none "... and installed or removed no time daemon (no chrony; timesyncd kept)" "such actions of apt" \
		"$(echo "$after" | grep -E '^(Setting up|Unpacking|Removing) (chrony|systemd-timesyncd|ntp|ntpsec|openntpd)[ :]')"
}
