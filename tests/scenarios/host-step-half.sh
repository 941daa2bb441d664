# The host's clock steps by +0.5 s and later by -0.5 s (a VM moved to a
# host whose clock differs a little) under the policy the package ships:
# the guest follows (within 10 ms of the host for good) within 20 s and has
# settled within 1 ms by the end of a 25 s watch; the scenario says what
# chrony did (stepped or slewed) and how long the guest was more than 10 ms
# and 1 ms off.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-step-at=20000 -global vmport.pclk-step-ns=500000000
	-global vmport.pclk-step2-at=60000 -global vmport.pclk-step2-ns=-500000000"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	tp_step_follow plus_half_s 500000000 25 20
	tp_step_follow minus_half_s -500000000 25 20
	cat /var/log/chrony/chronyd.log
}
