# The host's clock steps by +1 h and later by -1 h (a VM moved to a host
# whose clock is wrong, or an administrator stepping ESXi) under the policy
# the package ships: the guest follows the host, because the host's clock is
# by definition the guest's reference. Each step is followed (the guest
# within 10 ms of the host for good) within 20 s, and the guest has settled
# within 1 ms by the end of a 40 s watch; the scenario says what chrony did
# (stepped or slewed) and how long the guest was more than 10 ms and 1 ms
# off.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# The steps come at the model's GETTIME calls 20,000 and 60,000, which the
# guest reaches by making calls of its own (tp_step_follow).
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-step-at=20000 -global vmport.pclk-step-ns=3600000000000
	-global vmport.pclk-step2-at=60000 -global vmport.pclk-step2-ns=-3600000000000"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	tp_step_follow plus_1h 3600000000000 40 20
	tp_step_follow minus_1h -3600000000000 40 20
	cat /var/log/chrony/chronyd.log
}
