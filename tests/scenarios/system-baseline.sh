# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario (tests/host/system.sh; a real Debian 12 system, not the
# busybox guest): the same system without our package, booted without the
# clock device. Its chronyd start time and chrony configuration are what
# system-absent, system-notvmware and system-present's purged stage are
# compared with.
SYS_IMAGE=nopkg
SYS_ENV=absent
SYS_STAGES=main

guest_main() {
	report_times
	check_no_failed_units "systemctl --failed is empty"
	check_chrony_own_sources_only "without the package"
	check_ok "without the package: ptp_vmw is not loaded" test ! -d /sys/module/ptp_vmw
	check_eq "without the package: nothing of ours on the system" "" "$(ours_present | tr '\n' ' ')"
}
