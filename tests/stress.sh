#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make stress: the reliability scenarios at their full counts.
#
# The same runner as make check (tests/check.sh: same kernel series, KSERIES
# to choose others), with STRESS_SCALE=10, which every reliability scenario
# multiplies its counts by (make check runs them at 1, a tenth):
#   faults-every-10th         10,000 readings, chronyd 40 s on the flaky clock
#   faults-burst              1,000 consecutive refused calls
#   faults-dead-after-probe   10,000 readings, chronyd 30 s on the dead clock
#   lifecycle-under-load      200 unbind/bind + 200 rmmod/insmod, 4 readers
#   ioctl-fuzz                1,000,000 ioctls as root, 1,000,000 as tester
#   host-time-step            chronyd watched 40 s after each step, then up
#                             to 10 minutes until it selects the clock again
# and the scenarios without counts (permissions, wrong environments), and
# every system scenario on both series with all its stages (make check boots
# a quick set of them: tests/host/system.sh, SYSTEM_QUICK). Ends
# with the summary table (also in $PTP_VMW_OUT/summary.txt).
#
#   STRESS_SCALE=N   other multiple (default 10)
#   TESTS=...        other scenarios (default: the reliability ones)
#   FUZZ_SEED=N      replay a fuzzing run (the seed is in the results)

. "$(dirname "$0")/lib/common.sh"

export STRESS_SCALE=${STRESS_SCALE:-10}
export TESTS=${TESTS:-"faults-* lifecycle-under-load ioctl-fuzz host-time-step permissions wrongenv-* nonvmware novmw0005 deadclock acpioff system-*"}

say "ptp_vmw stress: STRESS_SCALE=$STRESS_SCALE; scenarios: $TESTS"
say "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(uname -sr); guests under QEMU TCG"
exec bash "$TOP/tests/check.sh"
