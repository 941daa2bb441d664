# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario, the harness's own test (run only when TESTS names it):
# a boot that hangs on a job is cut off and leaves its evidence. The system
# without our package is made to want a device that never comes (held for
# systemd's 90 s default), and the agent's deadline is 30 s: the agent must
# report that the boot did not finish, show systemd's job list (with the
# waiting device) and the journal's tail, and power the machine off itself.
SYS_IMAGE=nopkg
SYS_ENV=absent
SYS_STAGES=main
SYS_KARGS="systemd.wants=dev-ptpvmw\\x2dnever.device ptpvmw.boot_wait=30"
SYS_EXPECT_STUCK=yes
SYS_SERIES=6.1

guest_main() {
	fail "stuck: the agent's deadline passes before the boot finishes" \
		"expected the boot to hang on dev-ptpvmw-never.device for 90 s, but it finished"
}

host() {
	local f="$RUN_DIR/main/results.txt"
	check_eq "the agent reported the unfinished boot itself (its 30 s deadline, not the host's timeout)" \
		"FAIL the boot finishes within 30 s (systemctl is-system-running --wait)" \
		"$(grep -m1 '^FAIL the boot finishes' "$f" | cut -f1)"
	check_cmp "systemctl list-jobs shows the job waiting for the device" \
		"$(grep -c '^DIAG .*dev-ptpvmw.x2dnever.device.*start' "$f")" -ge 1
	check_cmp "the journal's tail is shown" "$(sed -n '/^DIAG \$ journalctl -b/,$p' "$f" | grep -c '^DIAG ')" -ge 10
	check_cmp "the agent powered the machine off (QEMU exited by itself, not cut off: 124)" \
		"$BOOT_RC" -ne 124
}
