# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: the .rpm's payload as in system-rpm-present, on a VMware
# VM without the device: as system-absent.
SYS_IMAGE=rpm
SYS_ENV=absent
SYS_STAGES=main

guest_main() {
	check_clock_not_used "rpm layout, absent" \
		"this VMware VM has no precision clock device (ACPI VMW0005; add one with the VM powered off, VM hardware version 17 or later)"
}
