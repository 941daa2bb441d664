# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: our package installed with apt (on the 6.12 series: then
# the 6.12 kernel and headers installed with apt, DKMS building for them by
# Debian's hooks: the kernel upgrade) on a VMware VM with the precision
# clock. Stage main: after the boot, with no command typed, chronyd waited
# for the clock, was given it and locks on it. Then, chronyd restarted with
# the package's include commented out: no step, no claim, a line saying how
# to fix it; and with PTP_VMW_USE_CLOCK=no: no refclock, no step, a line
# saying it is switched off. Then, when stage purged comes
# next, "apt-get purge" inside the running system. Stage purged, the next
# boot: chronyd runs with its own sources only, and nothing of ours is left.
SYS_IMAGE=pkg
SYS_ENV=present
SYS_STAGES="main purged"
# host() compares with the baseline's boot of the same run.
SYS_AFTER=system-baseline

guest_main() {
	local out rc
	check_clock_used "present" /lib/systemd/system/chrony.service.d/ptp-vmware.conf \
		/etc/chrony/conf.d/ptp_vmw.conf
	# Claims only what chronyd confirms; the administrator's off switch.
	check_claims_only_true "present" /etc/chrony/conf.d/ptp_vmw.conf \
		's|^include /run/ptp_vmw-chrony|# &|' 'confdir /etc/chrony/conf.d'
	check_switched_off "present"
	[ "$NEXT_STAGE" = purged ] || return 0
	out=$(apt-get purge -y ptp-vmw-dkms 2>&1)
	rc=$?
	echo "$out"
	check_eq "purge: apt-get purge -y ptp-vmw-dkms inside the running system exits 0" 0 "$rc"
	[ "$rc" -eq 0 ] || echo "$out" | tail -n 30 | sed 's/^/DIAG /' >&3
	check_ok "purge: the running clock stays (no maintainer script unloads the module)" our_module_loaded
	check_eq "purge: chronyd keeps running" active "$(systemctl is-active chrony.service)"
	check_eq "purge: right after it, nothing of ours is left on disk or under /run" "" \
		"$(ours_present | tr '\n' ' ')"
}

guest_purged() {
	report_times
	check_no_failed_units "purged: systemctl --failed is empty"
	check_eq "purged: dpkg no longer knows ptp-vmw-dkms" "" \
		"$(dpkg-query -W -f='${Status}' ptp-vmw-dkms 2>/dev/null | grep -v '^unknown\|not-installed')"
	check_eq "purged: nothing of ours is left (files, DKMS state, generator drop-ins)" "" \
		"$(ours_present | tr '\n' ' ')"
	check_ok "purged: our module is not loaded (the kernel's own ptp_vmw may be)" not our_module_loaded
	value intree_loaded "$([ -d /sys/module/ptp_vmw ] && echo yes || echo no)"
	check_chrony_own_sources_only "purged"
	check_no_wait_on_clock "purged"
	check_eq "purged: no log line from us" "" "$(our_log_lines)"
}

host() {
	local want
	want=$(system_baseline_value chrony_config_sha)
	if [ -f "$RUN_DIR/purged/results.txt" ] && [ -z "$want" ]; then
		skip "purged: chronyd's configuration is byte for byte the one of the system that never had the package" \
			"no system-baseline boot in this run to compare with (make check TESTS=\"system-*\" boots it)"
	elif [ -f "$RUN_DIR/purged/results.txt" ]; then
		check_eq "purged: chronyd's configuration is byte for byte the one of the system that never had the package" \
			"$want" "$(system_stage_value purged chrony_config_sha)"
	fi
	check_eq "present: the system ran the kernel the boot loader would take ($(cat "$SYSTEM_VARIANT/release"))" \
		"$(cat "$SYSTEM_VARIANT/release")" "$(system_stage_value main kernel_release)"
}
