# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: the system without our package on a machine that is not
# a VMware guest (plain QEMU identity): what system-notvmware is compared
# with. (That identity boots slower by itself under TCG, seconds more than
# the VMware one: a like-for-like comparison needs its own baseline.)
SYS_IMAGE=nopkg
SYS_ENV=notvmware
SYS_STAGES=main

guest_main() {
	report_times
	check_no_failed_units "not a VMware guest, without the package: systemctl --failed is empty"
	check_chrony_own_sources_only "not a VMware guest, without the package"
	check_eq "not a VMware guest, without the package: nothing of ours on the system" "" "$(ours_present | tr '\n' ' ')"
}
