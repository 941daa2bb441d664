#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check: the whole test suite.
#
#   KSERIES="6.1 6.12"   kernel series to prove (default: the two Debian 12
#                        ships; "all" for the whole matrix, see kseries.sh)
#   TESTS="sync load*"   only these scenarios / host tests (names or globs;
#                        system-* are the real Debian system's scenarios)
#
# Installs the host packages it needs (as root), builds the device model
# once, then per kernel series: builds the module, boots one emulated guest
# per scenario and judges the results. Ends with "N passed, N failed".

. "$(dirname "$0")/lib/harness.sh"
. "$TOP/tests/host/tests.sh"
. "$TOP/tests/host/dkms.sh"
. "$TOP/tests/host/packages.sh"
. "$TOP/tests/host/matrix.sh"
. "$TOP/tests/host/kernel-choice.sh"
. "$TOP/tests/bench/smoke.sh"
. "$TOP/tests/host/image.sh"
. "$TOP/tests/host/system.sh"
. "$TOP/tests/host/fleet.sh"

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
	# system-*: booted as a real Debian system by host_test_system, below.
	case $n in system-*) continue ;; esac
	selected "$n" && SCENARIOS+=("$n")
done

say "ptp_vmw check: kernel series [$SERIES_LIST], ${#SCENARIOS[@]} scenario(s); logs in $OUT"

selected kernel-choice && host_test_kernel_choice

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
	echo "ran $KSUITE $KVER" >"$(matrix_series_file "$series")"
	say "[$series] kernel $KVER"
	if (module_build); then
		record PASS "$series" "module builds for $KVER"
	else
		record FAIL "$series" "module builds for $KVER" "see $OUT/build-$KVER.log"
		return 0
	fi
	MODULE_KO=$(chroot_root "$KSUITE")$(module_build_dir)/ptp_vmw.ko
	matrix_build_warnings "$series" "$OUT/build-$KVER.log"
	selected dkms-build && matrix_dkms_build "$series"
	[ ${#SCENARIOS[@]} -gt 0 ] || return 0
	# The guest loads the .ko DKMS built for this kernel when the DKMS test
	# (below) left one, else the plain build.
	if [ -f "$OUT/dkms/$KVER/ptp_vmw.ko" ]; then
		MODULE_KO=$OUT/dkms/$KVER/ptp_vmw.ko
		record PASS "$series" "guest module: the .ko DKMS built for $KVER ($(cat "$OUT/dkms/$KVER/installed-as"))"
	else
		record PASS "$series" "guest module: the plain build for $KVER (no DKMS-built one: the DKMS test did not run or failed)"
	fi
	guest_initrd "$KVER" "$MODULE_KO" || die "[$series] building the initrd failed"
	for n in "${SCENARIOS[@]}"; do
		i=$((i + 1))
		say "[$series] $i/${#SCENARIOS[@]}"
		run_scenario "$series" "$n"
	done
}

# DKMS and the packages, each in a throwaway layer over the bookworm chroot.
# The DKMS test goes first: the .ko it leaves in $OUT/dkms/<kernel>/ is what
# the series below boot in the guest.
rm -rf "$OUT/dkms"
selected dkms && host_test_dkms
selected packages && host_test_packages
selected generator && host_test_generator
selected deb-suites && host_test_deb_suites

# A series is reached once its suite gave us a kernel (chroot, headers,
# image package). What fails before that is "not run: <reason>", never a
# pass; what fails after it fails the run.
for series in $SERIES_LIST; do
	export KERNEL_REACHED=$OUT/series-$series.reached
	rm -f "$KERNEL_REACHED" "$(matrix_series_file "$series")"
	{ ( run_series "$series" ) 2>&1 1>&3 3>&- | tee "$OUT/series-$series.log" >&2; } 3>&1
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] && continue
	if [ -f "$KERNEL_REACHED" ]; then
		[ -f "$(matrix_series_file "$series")" ] ||
			echo "ran $(kseries_suite "$series") ?" >"$(matrix_series_file "$series")"
		record FAIL "$series" "every step of kernel series $series ran" \
			"a step failed; see $OUT/series-$series.log"
	else
		reason=$(matrix_notrun_reason "$OUT/series-$series.log")
		echo "notrun $(kseries_suite "$series") $reason" >"$(matrix_series_file "$series")"
		record NOTRUN "$series" "not run: $reason"
	fi
done
unset KERNEL_REACHED

# The package on a real Debian 12 system, per series (tests/host/system.sh).
(host_test_system "$SERIES_LIST") || record FAIL system "the system scenarios ran to the end" "see the step named above"

selected lint && host_test_lint
selected bench && host_test_bench_smoke "$(bench_smoke_series "$SERIES_LIST")"

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
ran="" notrun=""
for series in $SERIES_LIST; do
	rec=$(cat "$(matrix_series_file "$series")" 2>/dev/null)
	case $rec in
	"ran "*) ran="$ran $series (${rec##* })," ;;
	*) notrun="$notrun $series," ;;
	esac
done
if [ -z "${TESTS:-}" ] && [ "$SERIES_LIST" = "$(kseries_expand all)" ]; then
	matrix_readme "$TOP/README.md"
	[ -z "$notrun" ] && matrix_stamp "$(($(date +%s) - RUN_START))"
fi
echo >&2
[ ${#SCENARIOS[@]} -gt 0 ] && summary_table "$SERIES_LIST" "${SCENARIOS[@]}" && echo >&2
if [ "$failed" -gt 0 ]; then
	echo "Failed checks:" >&2
	grep '^FAIL' "$RESULTS" | sed 's/^/  /' >&2
fi
if [ -n "$notrun" ]; then
	echo "Kernel series not run (not counted as passed):" >&2
	grep '^NOTRUN' "$RESULTS" | sed 's/^NOTRUN /  /' >&2
fi
echo "Kernel series run:$(echo "${ran:- none}" | sed 's/,$//'); not run:$(echo "${notrun:- none}" | sed 's/,$//')"
echo "$passed passed, $failed failed ($(($(date +%s) - RUN_START)) s; results in $RESULTS)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ -n "$ran" ]
