# SPDX-License-Identifier: GPL-2.0-only
# Tests that run on the host (in chroots, never touching the host's system):
# the device model's own self-test, kernel style, shell style, the test
# library's layers, the results file read by the kernel's own KTAP parser,
# and make bench in smoke mode.
# Sourced by tests/host/check.sh.

# The device model, proven without Linux: tests/emulator/selftest.
host_test_emulator() {
	local log=$OUT/emulator-selftest.log rc
	result_context host emulator
	say "device model self-test (tests/emulator/selftest)"
	# shellcheck disable=SC2097,SC2098 # QEMU, unchanged, in its environment too
	QEMU=$QEMU bash "$TOP/tests/emulator/selftest/run.sh" "$QEMU" >"$log" 2>&1
	rc=$?
	record_lines "$log"
	grep -qE '^(PASS|FAIL) ' "$log" ||
		fail "device model self-test reported checks" "exit $rc, no PASS/FAIL lines; see $log"
}

# scripts/checkpatch.pl --strict from Debian's linux-source package, run in
# the bookworm chroot on a copy of the driver's sources.
# host_test_lint_prepare: the chroot's tools for host_test_lint, installed
# before the host tests run side by side (as host_test_dkms_prepare).
host_test_lint_prepare() { chroot_ensure bookworm perl linux-source-6.12 shellcheck; }

host_test_lint() {
	local root dir log out
	result_context host lint
	say "checkpatch --strict on the driver"
	chroot_ensure bookworm perl linux-source-6.12
	root=$(chroot_root bookworm)
	dir=$root/build/checkpatch
	if [ ! -f "$dir/.unpacked" ] || [ "$root/usr/src/linux-source-6.12.tar.xz" -nt "$dir/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		step "unpacking checkpatch from linux-source-6.12" "$OUT/checkpatch-unpack.log" \
			tar -xJf "$root/usr/src/linux-source-6.12.tar.xz" -C "$dir" --strip-components=1 \
			--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
		touch "$dir/.unpacked"
	fi
	copy_driver_sources "$dir/src"
	log=$OUT/checkpatch.log
	chroot_run bookworm sh -c 'cd /build/checkpatch/src &&
		../scripts/checkpatch.pl --strict --no-tree --show-types -f \
		*.c *.h compat/*.h compat/probes/*.c' >"$log" 2>&1
	local files clean
	# shellcheck disable=SC2012,SC2035 # counts the driver's sources: plain names
	files=$(cd "$dir/src" && ls *.c *.h compat/*.h compat/probes/*.c | wc -l)
	clean=$(grep -c '^total: 0 errors, 0 warnings, 0 checks' "$log")
	out=$(grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -n 5)
	if [ "$clean" -eq "$files" ] && [ -z "$out" ]; then
		pass "checkpatch --strict: all $files driver and compat sources clean"
	else
		fail "checkpatch --strict: all $files driver and compat sources clean" \
			"$clean clean; ${out:-see log} (log: $log)"
	fi
	host_test_shellcheck
	host_test_layers
}

# host_test_layers: the host side's libraries and test files use only what
# the libraries below them define (tests/host/layers.py; the layers are
# drawn in tests/README.md).
host_test_layers() {
	local out
	if out=$(/usr/bin/python3 "$TOP/tests/host/layers.py" "$TOP" 2>&1); then
		pass "the test library is layered: ${out##*$'\n'}"
	else
		fail "the test library is layered: no file uses a function of a test file or of a library sourced after it" \
			"$(echo "$out" | head -n 8)"
	fi
}

# shell_scripts: every shell script of the project, one a line, as
# "SHELL PATH": the files named *.sh and every file whose first line is a
# sh, dash or bash shebang, whatever its name (the helper in dist/, the
# maintainer scripts, the guest's init, .ci/run). SHELL comes from the
# shebang; a file without one is a sourced library: what the guest runs
# (tests/guest, tests/scenarios, tests/lib) and compat/ are sh, the rest
# bash.
shell_scripts() {
	local f first
	(cd "$TOP" && { git ls-files 2>/dev/null || find . -type f -not -path './.git/*' -not -path './test-output/*' |
		sed 's|^\./||'; } | sort -u | while read -r f; do
		[ -f "$f" ] || continue
		first=$(head -n 1 "$f" 2>/dev/null)
		case $first in
		'#!'*bash*) echo "bash $f" ;;
		'#!'*/sh | '#!'*/sh\ * | '#!'*dash*) echo "sh $f" ;;
		*)
			case $f in
			tests/guest/*.sh | tests/scenarios/*.sh | tests/lib/*.sh | compat/*.sh) echo "sh $f" ;;
			*.sh) echo "bash $f" ;;
			esac
			;;
		esac
	done)
}

# host_test_shellcheck: every shell script of the project (shell_scripts),
# clean by Debian's shellcheck (in the bookworm chroot). What the
# guest runs is busybox sh, checked as sh with busybox's "local" allowed;
# the scenarios are also sourced by the host's bash, which accepts whatever
# sh does. A new script is checked by being one: no list to add it to.
host_test_shellcheck() {
	local root dir log files list sh_files bash_files n bad
	chroot_ensure bookworm shellcheck
	root=$(chroot_root bookworm)
	dir=$root/build/shellcheck-$(echo "$OUT" | sha256sum | cut -c1-8)
	rm -rf "$dir"
	mkdir -p "$dir"
	list=$(shell_scripts)
	files=$(echo "$list" | cut -d' ' -f2-)
	# shellcheck disable=SC2086 # a list of file names
	(cd "$TOP" && tar -cf - $files) | tar -xf - -C "$dir"
	sh_files=$(echo "$list" | sed -n 's/^sh //p')
	bash_files=$(echo "$list" | sed -n 's/^bash //p')
	log=$OUT/shellcheck.log
	n=$(echo "$files" | grep -c .)
	# shellcheck disable=SC2016,SC2086 # expanded by the sh it runs; a list of file names
	chroot_run bookworm sh -c 'cd "$1" && shift && shellcheck -s sh -e SC3043 -f gcc "$@"' sh \
		"/build/${dir##*/}" $sh_files >"$log" 2>&1
	# shellcheck disable=SC2016,SC2086 # expanded by the sh it runs; a list of file names
	chroot_run bookworm sh -c 'cd "$1" && shift && shellcheck -s bash -x -f gcc "$@"' sh \
		"/build/${dir##*/}" $bash_files >>"$log" 2>&1
	bad=$(grep -E '^[^:]+:[0-9]+:[0-9]+: ' "$log" | cut -d: -f1 | sort | uniq -c | awk '{ print $2 " (" $1 ")" }')
	check_none "shellcheck: all $n shell scripts clean" "findings (log: $log)" "$bad"
	rm -rf "$dir"
}

# host_test_ktap: the results so far as KTAP, read by the kernel's own
# parser (tools/testing/kunit/kunit.py from Debian's linux-source-6.12):
# it must count exactly what we count. Sets KUNIT_PY, so that
# results_finish reads the final file the same way.
host_test_ktap() {
	local root dir ours theirs
	say "KTAP: the results read back by the kernel's kunit.py parse"
	chroot_ensure bookworm linux-source-6.12
	root=$(chroot_root bookworm)
	dir=$CACHE/kunit
	if [ ! -f "$dir/.unpacked" ] || [ "$root/usr/src/linux-source-6.12.tar.xz" -nt "$dir/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		# kunit.py finds the kernel tree from its own path: keep the path.
		step "unpacking kunit.py from linux-source-6.12" "$OUT/kunit-unpack.log" \
			tar -xJf "$root/usr/src/linux-source-6.12.tar.xz" -C "$dir" --strip-components=1 \
			--wildcards '*/tools/testing/kunit/*'
		touch "$dir/.unpacked"
	fi
	# shellcheck disable=SC2034 # read by results_finish (tests/host/results.sh)
	KUNIT_PY=$dir/tools/testing/kunit/kunit.py
	/usr/bin/python3 "$TOP/tests/host/results.py" ktap "$RESULTS" >"$OUT/results-before-ktap-check.ktap"
	ours=$(/usr/bin/python3 "$TOP/tests/host/results.py" counts "$RESULTS")
	theirs=$(ktap_parse_counts "$OUT/results-before-ktap-check.ktap" "$OUT/kunit-parse-before.log")
	check_eq "kunit.py parse reads results.ktap with our counts" "$ours" "$theirs"
}

# ---- make bench, in smoke mode -------------------------------------------
# make check's view of make bench: the bench in smoke mode (tiny counts, one
# kernel series, nine short boots) proves that every metric is still
# produced (deterministic, wall-clock, and the comparison with NTP: three
# boots, NTP, the precision clock and both, with their pauses), that the
# deterministic boot still repeats exactly (two boots, every data line
# identical) and that the tables and plots are still written, into the
# check's own output directory (never bench/results/). No timing is
# asserted. It also runs the history step that keeps bench/results/ to the
# newest runs on a copy of bench/results/ (report.py --selftest-history).

# host_test_bench_smoke SERIES: run tests/bench/run.sh smoke for SERIES and
# take its results (the same results.tsv form) into this run's.
host_test_bench_smoke() {
	local series=$1 out=$OUT/bench-smoke log=$OUT/bench-smoke.log rc
	result_context "$series" bench-smoke
	say "[$series] bench smoke test (tests/bench/run.sh smoke; log $log)"
	PTP_VMW_OUT=$out BENCH_SMOKE_SERIES=$series QEMU=${QEMU:-} \
		bash "$TOP/tests/bench/run.sh" smoke >"$log" 2>&1
	rc=$?
	if ! grep -qE '^(pass|fail)'$'\t' "$out/results.tsv" 2>/dev/null; then
		fail "bench smoke reported checks" "exit $rc, no results; see $log"
		return 0
	fi
	cat "$out/results.tsv" >>"$RESULTS"
	say "[$series] bench smoke: $(tail -n 1 "$log"); table and plots in $out/bench/results"
	[ "$rc" -eq 0 ] || grep -q '^fail'$'\t' "$out/results.tsv" ||
		fail "bench smoke: run.sh exits 0" "exit $rc; see $log"
}

# bench_smoke_series "SERIES...": the one series the smoke test runs on:
# KSERIES_ONE when the run proves it, else the last one.
bench_smoke_series() {
	case " $1 " in
	*" $KSERIES_ONE "*) echo "$KSERIES_ONE" ;;
	*) echo "${1##* }" ;;
	esac
}
