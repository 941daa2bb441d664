#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: the driver at work, on a machine that is not a VMware guest.
# Builds the device model and the module, boots Debian's kernel in an
# emulated VMware guest, and shows — live — the module binding, the PHC next
# to the system clock, and chrony locking onto it. Powers off by itself.
#
#   KSERIES=6.1 make demo     another kernel series (default 6.12)

. "$(dirname "$0")/harness.sh"

series=${KSERIES:-6.12}
series=${series%% *}
require_root

say "ptp_vmw demo: setting up (first run: a few minutes; later runs: seconds)"
guest_prepare "$series"
boot_defaults
dir=$OUT/demo
rm -rf "$dir"
mkdir -p "$dir"
touch "$dir/results.log"
_qemu_args demo "$dir"

echo
say "Booting Debian's $KVER in an emulated VMware guest (QEMU, software emulation) ..."
echo
timeout --kill-after=10 300 "${QARGS[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
qemu=$!
tail -n +1 -F --pid="$qemu" "$dir/results.log" 2>/dev/null | tr -d '\r' |
	sed -un 's/^SHOW /  /p'
wait "$qemu"
rc=$?
echo
if grep -q '^DEMO-OK' "$dir/results.log"; then
	say "Demo finished: chrony selected the VMware precision clock. Guest logs: $dir"
	exit 0
fi
say "Demo did not complete (QEMU exit $rc): $(tr -d '\r' <"$dir/results.log" | sed -n 's/^DEMO-FAILED //p')"
say "Guest console: $dir/console.log; QEMU: $dir/qemu.log"
exit 1
