# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=dash
# The harness's agent inside the Debian system (run by ptpvmw-agent.service
# from /run/ptpvmw, unpacked from the agent disk). It waits for the boot to
# finish (its own deadline, ptpvmw.boot_wait), runs the stage of the scenario
# named on the kernel command line (ptpvmw.scenario, ptpvmw.stage), reports
# on the second serial port like the busybox guest's scenarios do
# (tests/guest/lib.sh: PASS, FAIL, VALUE, NOTE; DIAG for evidence), and
# powers the machine off. A boot that does not finish in time is reported
# with systemd's job list and the journal's tail, then powered off too.

HERE=/run/ptpvmw
# /run is mounted noexec: the static tools (guestctl) run from a tmpfs of
# their own, which leaves the system's disk untouched.
mkdir -p /run/ptpvmw-tools && mount -t tmpfs -o mode=0755 ptpvmw-tools /run/ptpvmw-tools &&
	cp "$HERE"/tools/* /run/ptpvmw-tools/
export PATH=/run/ptpvmw-tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

exec 3>/dev/ttyS1
export PTPVMW_LIB="$HERE"
# shellcheck source=/dev/null # tests/guest/lib.sh, checked on its own
. "$HERE/lib.sh"
# shellcheck source=tests/guest/system/system-lib.sh
. "$HERE/system-lib.sh"

scenario='' stage=main boot_wait=240 next=none
# shellcheck disable=SC2013 # the command line is words
for arg in $(cat /proc/cmdline); do
	case $arg in
	ptpvmw.scenario=*) scenario=${arg#ptpvmw.scenario=} ;;
	ptpvmw.stage=*) stage=${arg#ptpvmw.stage=} ;;
	ptpvmw.boot_wait=*) boot_wait=${arg#ptpvmw.boot_wait=} ;;
	ptpvmw.next=*) next=${arg#ptpvmw.next=} ;;
	esac
done
export SCENARIO="$scenario" STAGE="$stage" NEXT_STAGE="${next:-none}"

echo "START $scenario $stage $(uname -r)" >&3
value agent_start_us "$(uptime_us)"

state=$(timeout "$boot_wait" systemctl is-system-running --wait 2>/dev/null)
value boot_state "$state"
value boot_done_us "$(uptime_us)"
case $state in
running | degraded)
	if [ -f "$HERE/scenarios/$scenario.sh" ]; then
		# shellcheck disable=SC1090 # the scenario named on the command line
		. "$HERE/scenarios/$scenario.sh"
		if command -v "guest_$stage" >/dev/null 2>&1; then
			"guest_$stage" 2>&1 | sed 's/^/[guest] /'
		else
			fail "agent: scenario $scenario has a stage $stage" "expected a function guest_$stage in $scenario.sh"
		fi
	else
		fail "agent: scenario file present" "expected $HERE/scenarios/$scenario.sh"
	fi
	;;
*)
	fail "the boot finishes within ${boot_wait} s (systemctl is-system-running --wait)" \
		"expected running or degraded, saw '${state:-no answer}' after ${boot_wait} s"
	diag_boot
	;;
esac

# The kernel's log, for the host's scan, and "DONE SCENARIO STAGE".
scenario_end "$scenario $stage"
# Services are not stopped one by one (seconds under TCG, and nothing here
# needs it); processes are killed and file systems unmounted, so that what
# a stage changed is on the disk for the next one.
sync
systemctl poweroff -f
