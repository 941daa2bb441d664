#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make shell: an interactive shell in the same emulated VMware guest the tests
# use, for exploration. The module is not loaded: `insmod $MODULE` (or
# `modprobe ptp_vmw`), then phc_ctl, ptptest, chronyd ... as in the scenarios
# (tests/guest/lib.sh is already sourced). `poweroff -f` leaves.
#
#   KSERIES=6.1 make shell                   another kernel series (default 6.12)
#   SHELL_QEMU="-global vmport.pclk=false"   extra QEMU arguments (device model knobs)
#   SHELL_KARGS="acpi=off"                   extra kernel arguments

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "$0")/harness.sh"

series=${KSERIES:-$KSERIES_ONE}
series=${series%% *}
require_root
[ -t 0 ] || die "make shell is interactive: run it from a terminal"

guest_prepare "$series"
boot_defaults
BOOT_QEMU=${SHELL_QEMU:-}
BOOT_KARGS="ptpvmw.shell=1 ${SHELL_KARGS:-}"
dir=$OUT/shell
rm -rf "$dir"
mkdir -p "$dir"
_qemu_args shell "$dir"
# The console on this terminal instead of a file (Ctrl-A X also quits QEMU).
for i in "${!QARGS[@]}"; do
	[ "${QARGS[$i]}" = "file:$dir/console.log" ] && QARGS[i]=mon:stdio
done
say "Booting $KVER; the shell appears in a few seconds. 'poweroff -f' or Ctrl-A X leaves."
exec "${QARGS[@]}"
