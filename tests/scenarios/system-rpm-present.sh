# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: the .rpm's payload (its paths: /usr/lib/udev, /etc/chrony.d,
# chronyd.service.d, /usr/lib/systemd/system-generators) installed with rpm on
# the Debian system, whose chrony.conf is told to read /etc/chrony.d as the
# README tells RHEL-like systems' owners. Paths only: RHEL itself cannot be
# booted here. With the clock: as system-present's first stage; then chronyd
# restarted without that confdir line: no step, no claim, a line naming it.
SYS_IMAGE=rpm
SYS_ENV=present
SYS_STAGES=main

guest_main() {
	check_clock_used "rpm layout, present" /usr/lib/systemd/system/chronyd.service.d/ptp-vmware.conf \
		/etc/chrony.d/ptp_vmw.conf
	# RHEL's chrony.conf without "confdir /etc/chrony.d": no claim, no step.
	check_claims_only_true "rpm layout, present" /etc/chrony/chrony.conf \
		'\|^confdir /etc/chrony.d$|d' 'confdir /etc/chrony.d'
}
