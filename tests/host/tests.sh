# SPDX-License-Identifier: GPL-2.0-only
# Tests that run on the host (in chroots, never touching the host's system):
# the device model's own self-test, build warnings, kernel style.
# Sourced by tests/host/check.sh.

# The device model, proven without Linux: tests/emulator/selftest.
host_test_emulator() {
	local log=$OUT/emulator-selftest.log
	say "device model self-test (tests/emulator/selftest)"
	QEMU=$QEMU bash "$TOP/tests/emulator/selftest/run.sh" "$QEMU" >"$log" 2>&1
	local rc=$?
	record_lines emulator "$log"
	grep -qE '^(PASS|FAIL) ' "$log" ||
		record FAIL emulator "device model self-test reported checks" "exit $rc, no PASS/FAIL lines; see $log"
}

# host_test_build_warnings SERIES LOG: W=1 and sparse (C=2) said nothing.
host_test_build_warnings() {
	local series=$1 log=$2 w
	w=$(grep -E 'warning:|error:|sparse: ' "$log" | grep -v '^make' | head -n 5)
	if [ -z "$w" ]; then
		record PASS "$series" "module build has zero W=1 and sparse warnings"
	else
		record FAIL "$series" "module build has zero W=1 and sparse warnings" "$w (log: $log)"
	fi
}

# scripts/checkpatch.pl --strict from Debian's linux-source package, run in
# the bookworm chroot on a copy of the driver's sources.
host_test_lint() {
	local root dir log out
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
	files=$(cd "$dir/src" && ls *.c *.h compat/*.h compat/probes/*.c | wc -l)
	clean=$(grep -c '^total: 0 errors, 0 warnings, 0 checks' "$log")
	out=$(grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -n 5)
	if [ "$clean" -eq "$files" ] && [ -z "$out" ]; then
		record PASS style "checkpatch --strict: all $files driver and compat sources clean"
	else
		record FAIL style "checkpatch --strict: all $files driver and compat sources clean" \
			"$clean clean; ${out:-see log} (log: $log)"
	fi
}
