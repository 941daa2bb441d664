# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: our package on a VMware VM with the precision clock whose
# administrator blacklisted ptp_vmw (modprobe.blacklist=ptp_vmw on the
# kernel command line): the module is not loaded, chronyd does not wait for
# a clock that will not come, and our one line says why.
SYS_IMAGE=pkg
SYS_ENV=present
SYS_STAGES=main
SYS_KARGS="modprobe.blacklist=ptp_vmw"

guest_main() {
	check_clock_not_used "blacklisted" \
		"the ptp_vmw module is blacklisted (modprobe.blacklist= on the kernel command line)"
}
