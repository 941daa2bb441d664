#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: the whole test suite.
#
#   KSERIES="6.1 6.12"   kernel series to prove (default: the two Debian 12
#                        ships; "all" for the whole matrix, see kseries.sh)
#   TESTS="sync load*"   only these scenarios / host tests (names or globs)
#
# Installs the host packages it needs (as root), builds the device model
# once, then per kernel series: builds the module, boots one emulated guest
# per scenario and judges the results. Ends with "N passed, N failed".

. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/lib/kseries.sh"
. "$TOP/tests/lib/chroot.sh"
. "$TOP/tests/lib/kernel.sh"
. "$TOP/tests/guest/initramfs.sh"
. "$TOP/tests/guest/boot.sh"
. "$TOP/tests/host/tests.sh"

require_root
RUN_START=$(date +%s)
SERIES_LIST=$(kseries_expand "${KSERIES:-$KSERIES_DEFAULT}")
rm -f "$RESULTS"
: >"$RESULTS"

# selected NAME: whether TESTS (empty = everything) selects NAME.
selected() {
	local pat
	[ -z "${TESTS:-}" ] && return 0
	set -f # the patterns are globs to match names, not files to expand
	for pat in $TESTS; do
		# shellcheck disable=SC2053 # glob match on purpose
		[[ $1 == $pat ]] && { set +f; return 0; }
	done
	set +f
	return 1
}

SCENARIOS=()
for f in "$TOP"/tests/scenarios/*.sh; do
	n=$(basename "$f" .sh)
	selected "$n" && SCENARIOS+=("$n")
done

say "ptp_vmw check: kernel series [$SERIES_LIST], ${#SCENARIOS[@]} scenario(s); logs in $OUT"

# The guest's userland and tools first: guest_setup runs one of the tools.
guest_userland
guest_project
if [ ${#SCENARIOS[@]} -gt 0 ] || selected emulator; then
	guest_setup
fi
selected emulator && host_test_emulator

# run_series SERIES: build and prove the module on the series' newest kernel.
run_series() {
	local series=$1 n i=0
	kernel_prepare "$series"
	say "[$series] kernel $KVER"
	if (module_build); then
		record PASS "$series" "module builds for $KVER"
	else
		record FAIL "$series" "module builds for $KVER" "see $OUT/build-$KVER.log"
		return 0
	fi
	MODULE_KO=$(chroot_root "$KSUITE")/build/$KVER/src/ptp_vmw.ko
	host_test_build_warnings "$series" "$OUT/build-$KVER.log"
	[ ${#SCENARIOS[@]} -gt 0 ] || return 0
	guest_initrd "$KVER" "$MODULE_KO" || die "[$series] building the initrd failed"
	for n in "${SCENARIOS[@]}"; do
		i=$((i + 1))
		say "[$series] $i/${#SCENARIOS[@]}"
		run_scenario "$series" "$n"
	done
}

for series in $SERIES_LIST; do
	( run_series "$series" ) ||
		record FAIL "$series" "kernel series $series set up" "a step failed; see the messages above"
done

selected lint && host_test_lint

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo >&2
if [ "$failed" -gt 0 ]; then
	echo "Failed checks:" >&2
	grep '^FAIL' "$RESULTS" | sed 's/^/  /' >&2
fi
echo "$passed passed, $failed failed ($(($(date +%s) - RUN_START)) s; results in $RESULTS)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
