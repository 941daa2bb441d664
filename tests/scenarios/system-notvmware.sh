# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: our package installed on a machine that is not a VMware
# guest (plain QEMU identity, no device): as system-absent, with its own
# reason in the one log line. Compared with the system without the package
# booted the same way (system-baseline-notvmware): this identity boots
# slower by itself under TCG; where that one is not booted (Debian 13 in
# make check), with system-baseline.
SYS_IMAGE=pkg
SYS_ENV=notvmware
SYS_STAGES=main
# host() compares with a baseline's boot of the same run.
SYS_AFTER="system-baseline-notvmware system-baseline"

guest_main() {
	check_clock_not_used "not-vmware" "not a VMware guest (no precision clock device, ACPI VMW0005)"
}

host() { system_compare_with_baseline system-baseline-notvmware system-baseline; }
