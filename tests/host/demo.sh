#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: the driver at work, on a machine that is not a VMware guest.
# Builds the device model and the module, boots Debian's kernel in an
# emulated VMware guest, and shows — live — the module binding, the PHC next
# to the system clock, and chrony locking onto it. Powers off by itself.
#
#   KSERIES=6.1 make demo     another kernel series (default 6.12)

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "$0")/harness.sh"

series=${KSERIES:-$KSERIES_ONE}
series=${series%% *}
require_root

say "ptp_vmw demo: setting up (first run: a few minutes; later runs: seconds)"
guest_prepare "$series"
results_reset
RUNS=$OUT/demo
HEARTBEAT=3600
echo
say "Booting Debian's $KVER in an emulated VMware guest (QEMU, software emulation) ..."
echo
run_scenario "$series" demo live 2>"$OUT/demo-results.log"
echo
dir=$RUNS/$series/demo
if [ "$(results_failures)" -eq 0 ] && grep -q '^PASS ' "$dir/results.txt"; then
	say "Demo finished: chrony selected the VMware precision clock. Guest logs: $dir"
	exit 0
fi
say "Demo did not complete: $(awk -F'\t' '$1 == "fail" { print $4 ": " $5; exit }' "$RESULTS" | cut -c1-300)"
say "Guest console: $dir/console.log; QEMU: $dir/qemu.log; results: $OUT/demo-results.log"
exit 1
