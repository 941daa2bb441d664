# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: our package installed on a VMware VM without the
# precision clock device (no VMW0005 in ACPI): the boot does not wait for
# the clock, chronyd runs with chrony.conf's sources only, nothing of ours
# is loaded, and one log line says why the host clock is not used.
SYS_IMAGE=pkg
SYS_ENV=absent
SYS_STAGES=main
# host() compares with the baseline's boot of the same run.
SYS_AFTER=system-baseline

guest_main() {
	check_clock_not_used "absent" \
		"this VMware VM has no precision clock device (ACPI VMW0005; add one with the VM powered off, VM hardware version 17 or later)"
}

host() { system_compare_with_baseline; }
