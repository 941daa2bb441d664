#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check, make stress, make check-matrix, make lint: the test suite.
#
#   KSERIES="6.1 6.12"   kernel series to prove (default: the two Debian 12
#                        ships; "all" for the whole matrix, see kseries.sh);
#                        the system scenarios boot these (by default
#                        KSERIES_SYSTEM_DEFAULT; trixie: Debian 13's image)
#   TAGS="..."           the scenario sets to run (default: quick stress
#                        wrong-environment; make stress: stress
#                        wrong-environment); see tests/host/boot.sh
#   TESTS="sync load*"   only these scenarios / host tests (names or globs;
#                        system-* are the real Debian system's scenarios)
#
# Installs the host packages it needs (as root), builds the device model
# once, then per kernel series: builds the module, boots one emulated guest
# per scenario and judges the results. Progress goes to stderr; the results
# to $OUT/results.ktap (KTAP, checked with the kernel's own parser) and the
# last line says "N passed, N failed, N skipped".

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "$0")/harness.sh"
# The test files: each defines host tests (and what only it uses) on the
# libraries harness.sh sourced, never on another test file.
. "$TOP/tests/host/tests.sh"
. "$TOP/tests/host/dkms.sh"
. "$TOP/tests/host/packages.sh"
. "$TOP/tests/host/matrix.sh"
. "$TOP/tests/host/kernel-choice.sh"
. "$TOP/tests/host/system.sh"
. "$TOP/tests/host/fleet.sh"

require_root
RUN_START=$(date +%s)
SERIES_LIST=$(kseries_expand "${KSERIES:-$KSERIES_DEFAULT}")
# The system scenarios' series: KSERIES when given, else Debian 13's too.
SYSTEM_SERIES_LIST=$(kseries_expand "${KSERIES:-$KSERIES_SYSTEM_DEFAULT}")
results_reset
phase "set-up: the guest's userland and tools, kernel choice"

SCENARIOS=()
for n in $(scenarios_tagged "${TAGS:-$CHECK_TAGS}"); do
	selected "$n" && SCENARIOS+=("$n")
done

say "ptp_vmw check: kernel series [$SERIES_LIST] (system scenarios: [$SYSTEM_SERIES_LIST]), ${#SCENARIOS[@]} scenario(s) (tags: ${TAGS:-$CHECK_TAGS}); logs in $OUT"

# The device model builds beside the steps up to the host tests' end
# (guest_qemu_background; guest_setup, after them, waits for it).
if [ ${#SCENARIOS[@]} -gt 0 ] || selected emulator; then
	guest_qemu_background
fi

result_context host kernel-choice
selected kernel-choice && host_test_kernel_choice

# The guest's userland and tools first: guest_setup runs one of the tools.
guest_userland
guest_project
# The system images' bases, too, build beside what follows.
system_images_background "$SYSTEM_SERIES_LIST"

# series_build SERIES: the series' kernel, our module built for it (W=1,
# sparse) and the initrd the scenarios boot (run_series queues the other
# builds beside the boots). Results go under SERIES/build.
series_build() {
	local series=$1
	result_context "$series" build
	value suite "$(kseries_suite "$series")"
	kernel_prepare "$series"
	value kernel "$KVER"
	say "[$series] kernel $KVER"
	if (module_build); then
		pass "module builds for $KVER"
	else
		fail "module builds for $KVER" "see $OUT/build-$KVER.log"
		return 1
	fi
	MODULE_KO=$(chroot_root "$KSUITE")$(module_build_dir)/ptp_vmw.ko
	matrix_build_warnings "$OUT/build-$KVER.log"
	value probes "$(matrix_probes)"
	[ ${#SCENARIOS[@]} -gt 0 ] || return 0
	# The guest loads the .ko DKMS built for this kernel when the DKMS test
	# (below) left one, else the plain build.
	if [ -f "$OUT/dkms/$KVER/ptp_vmw.ko" ]; then
		MODULE_KO=$OUT/dkms/$KVER/ptp_vmw.ko
		diag "guest module: the .ko DKMS built for $KVER ($(cat "$OUT/dkms/$KVER/installed-as"))"
	else
		diag "guest module: the plain build for $KVER (no DKMS-built one: the DKMS test did not run or failed)"
	fi
	guest_initrd "$KVER" "$MODULE_KO" || die "[$series] building the initrd failed"
}

# Two sets are booted on one series of plain make check (no TAGS, no TESTS,
# not the whole matrix), each on its own, so that the series share the work:
# the time-policy scenarios (leap seconds, host clock steps, a vMotion-like
# pause: chrony's policy, which the kernel series hardly touches; 8 boots,
# about 7 minutes a series) on TIME_POLICY_SERIES (default: the last of the
# list, the newest kernel), the stress scenarios (the driver's error paths
# under the device model's faults, the ioctl fuzzers, load; about 2 minutes
# a series) on STRESS_SERIES (default: the first, Debian 12's own kernel).
# make stress, make check-matrix, TAGS=... and TESTS=... boot them on every
# series they are asked for.
if [ -z "${TAGS:-}" ] && [ -z "${TESTS:-}" ] && [ "$SERIES_LIST" != "$(kseries_expand all)" ]; then
	TIME_POLICY_SERIES=${TIME_POLICY_SERIES:-${SERIES_LIST##* }}
	STRESS_SERIES=${STRESS_SERIES:-${SERIES_LIST%% *}}
fi

# not_on_series SERIES NAME: why scenario NAME is not booted on SERIES in
# this run (nothing when it is).
not_on_series() {
	local tags tag one
	tags=" $(scenario_load "$2" && echo "$TAGS") "
	for tag in time-policy stress; do
		case $tag in
		time-policy) one=${TIME_POLICY_SERIES:-} ;;
		stress) one=${STRESS_SERIES:-} ;;
		esac
		[ -n "$one" ] || continue
		[[ $tags == *" $tag "* && $tags != *" quick "* ]] || continue
		[[ " $one " == *" $1 "* ]] && return 0
		echo "make check boots the $tag scenarios on series $one only; make stress, make check-matrix or TAGS=$tag boot them on every series"
		return 0
	done
}

# run_series SERIES: build and prove the module on the series' kernel; the
# other builds (plain kbuild, the suite's own DKMS), the device model's
# self-test when EMULATOR_HERE is set, and the scenarios' boots, CHECK_JOBS
# at a time (tests/host/pool.sh).
run_series() {
	local series=$1 n i=0 why
	local -A later=()
	series_build "$series" || return 0
	pool_begin "series-$series"
	[ -z "${EMULATOR_HERE:-}" ] || pool_run "host emulator" host_test_emulator
	selected kbuild && pool_run "$series kbuild" matrix_plain_kbuild
	selected dkms-build && pool_run "$series dkms-build" matrix_dkms_build
	for n in "${SCENARIOS[@]}"; do
		i=$((i + 1))
		why=$(not_on_series "$series" "$n")
		if [ -n "$why" ]; then
			later[$why]="${later[$why]:-} $n"
			continue
		fi
		say "[$series] $i/${#SCENARIOS[@]}: $n"
		pool_run "$series $n" run_scenario "$series" "$n"
	done
	pool_end
	# Not a skip (they can apply here, and are booted on another series of
	# this run): a note per set that says where they are booted.
	result_context "$series" build
	# (none when every set boots on every series: KSERIES=all, TAGS, TESTS)
	[ ${#later[@]} -gt 0 ] || return 0
	while IFS= read -r why; do
		diag "not booted on this series in this run:${later[$why]}: $why"
	done < <(printf '%s\n' "${!later[@]}" | sort)
}

# The host tests: DKMS, the packages and the Debian suites each in a
# throwaway layer over a cached chroot, the generator on made-up trees, the
# lint. What they share (the chroots and their tools, the kernels' headers,
# our packages) is made ready first, one step at a time; then they run
# CHECK_JOBS at a time (tests/host/pool.sh): a module build is mostly one
# compiler on one core. The .ko the DKMS test leaves in $OUT/dkms/<kernel>/
# is what the series below boot in the guest.
phase "host tests: DKMS, packages, generator, Debian suites, lint"
rm -rf "$OUT/dkms"
selected dkms && (host_test_dkms_prepare)
selected packages && (host_test_packages_prepare)
selected deb-suites && (host_test_deb_suites_prepare)
selected lint && (host_test_lint_prepare)
pool_begin host
selected packages && pool_run "host packages" host_test_packages
selected dkms && pool_run "host dkms" host_test_dkms
selected deb-suites && pool_run "host deb-suites" host_test_deb_suites
selected lint && pool_run "host lint" host_test_lint
selected generator && pool_run "host generator" host_test_generator
pool_end

phase "device model: its build (cold cache)"
if [ ${#SCENARIOS[@]} -gt 0 ] || selected emulator; then
	guest_setup
fi

# A series is reached once its suite gave us a kernel (chroot, headers,
# image package). What fails before that is skipped with its reason, never
# a pass; what fails after it fails the run.
# The device model's self-test boots beside the first series' scenarios.
rm -f "$OUT/emulator-selftest.log"
for series in $SERIES_LIST; do
	phase "series $series: kernel, build, scenario boots"
	export KERNEL_REACHED=$OUT/series-$series.reached
	rm -f "$KERNEL_REACHED"
	EMULATOR_HERE=''
	if selected emulator && [ ${#SCENARIOS[@]} -gt 0 ] && [ ! -e "$OUT/emulator-selftest.log" ]; then
		EMULATOR_HERE=yes
	fi
	{ ( run_series "$series" ) 2>&1 1>&3 3>&- | tee "$OUT/series-$series.log" >&2; } 3>&1
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] && continue
	result_context "$series" build
	if [ -f "$KERNEL_REACHED" ]; then
		fail "every step of kernel series $series ran" "a step failed; see $OUT/series-$series.log"
	else
		skip "kernel series $series set up (suite, headers, kernel image)" \
			"not run: $(matrix_notrun_reason "$OUT/series-$series.log")"
	fi
done
unset KERNEL_REACHED
# (no series got as far as its boots: the self-test on its own)
if selected emulator && [ ! -e "$OUT/emulator-selftest.log" ]; then
	[ -n "${QEMU:-}" ] || guest_setup
	host_test_emulator
fi

# The package on a real Debian system, per series (tests/host/system.sh),
# and the bench smoke in its first series' pool (a guest at a time of its
# own, in a slot beside the longest boot, the upgrade).
phase "system scenarios and bench smoke: real Debian boots"
bench_job=()
rm -f "$OUT/bench-smoke.log"
selected bench && bench_job=("host bench-smoke" host_test_bench_smoke "$(bench_smoke_series "$SERIES_LIST")")
(host_test_system "$SYSTEM_SERIES_LIST" "${bench_job[@]}") ||
	{ result_context host system && fail "the system scenarios ran to the end" "see the step named above"; }
# (a system step that died before it queued the bench smoke)
if selected bench && [ ! -e "$OUT/bench-smoke.log" ]; then
	host_test_bench_smoke "$(bench_smoke_series "$SERIES_LIST")"
fi

if [ -z "${TESTS:-}" ] && [ -z "${TAGS:-}" ] && [ "$SERIES_LIST" = "$(kseries_expand all)" ]; then
	matrix_write "$TOP/docs/kernels.md"
	matrix_complete && matrix_stamp "$(($(date +%s) - RUN_START))"
fi
echo >&2
[ ${#SCENARIOS[@]} -gt 0 ] && results_summary >&2 && echo >&2

# The results as KTAP, read back by the kernel's own parser (kunit.py): its
# counts must be ours.
phase "KTAP read back by kunit.py"
result_context host ktap
selected ktap && host_test_ktap
results_finish "$(($(date +%s) - RUN_START))"
