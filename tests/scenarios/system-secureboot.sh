# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: Secure Boot's module rule before DKMS's key is enrolled.
# Debian's kernel (its own modules signed) booted with module.sig_enforce=1
# (the rule UEFI Secure Boot's lockdown applies) refuses the module DKMS
# built and signed with its own key. Stage main: the kernel's own signed
# ptp_vmw is loaded instead (ptp-vmware-generator's modprobe install
# command), chronyd locks on the clock as soon as without enforcement, and
# one line names the cause and the enrollment command. Stage nointree: the
# same system with the kernel's own ptp_vmw removed: chronyd starts without
# waiting, and the line says why. Where the image's kernel signs its own modules
# (SYS_SIGNED: tests/host/system.sh looks at its ptp_vmw.ko): Debian's
# 6.1, 6.12 and Debian 13's 6.12 do.
SYS_IMAGE=pkg
SYS_ENV=present
SYS_STAGES="main nointree"
# host() compares the lock with system-present's boot of the same run.
SYS_AFTER=system-present
SYS_SIGNED=yes
SYS_KARGS="module.sig_enforce=1"

enroll="enroll DKMS's key once: mokutil --import /var/lib/dkms/mok.pub, then reboot and confirm it in the MOK manager"

guest_main() {
	local n=secureboot cause
	report_times
	check_no_failed_units "$n: systemctl --failed is empty"
	check_eq "$n: the kernel enforces module signatures" Y "$(cat /sys/module/module/parameters/sig_enforce)"
	# What it falls back to: in the kernel's tree, or where Debian 13's DKMS
	# 3.2 moves a module of the same name at install (Debian 12's 3.0 does
	# not, on Debian).
	check_ok "$n: the kernel's own ptp_vmw is there to fall back to (kernel/drivers/ptp, or DKMS's original_module/)" \
		sh -c "ls /lib/modules/$(uname -r)/kernel/drivers/ptp/ptp_vmw.ko* \
			/var/lib/dkms/ptp_vmw/original_module/$(uname -r)/*/ptp_vmw.ko* 2>/dev/null | grep -q ."
	diag sh -c "ls -R /var/lib/dkms/ptp_vmw/original_module 2>&1 | head -n 12"
	check_ok "$n: a ptp_vmw is loaded ..." test -d /sys/module/ptp_vmw
	check_ok "$n: ... the kernel's own (no version: not ours)" not our_module_loaded
	check_eq "$n: the DKMS module is still the one modprobe finds first (updates/dkms)" \
		"/lib/modules/$(uname -r)/updates/dkms" "$(dirname "$(modinfo -n ptp_vmw)")"
	check_match "$n: ptp-vmware-generator put the install command in /run/modprobe.d" \
		"^install ptp_vmw /usr/libexec/ptp_vmw/ptp-vmware-chrony load" \
		"$(grep -v '^#' /run/modprobe.d/ptp_vmw-signature.conf 2>&1)"
	cause=$(cat /run/ptp_vmw-refused 2>/dev/null)
	check_eq "$n: the kernel's log has one line from us naming the cause and the enrollment command" \
		"ptp_vmw: the kernel refused the ptp_vmw DKMS built ($cause: it enforces module signatures and does not have DKMS's key); loaded the kernel's own ptp_vmw instead; $enroll" \
		"$(kernel_lines 'ptp_vmw: the kernel refused')"
	check_match "$n: the cause is the kernel's signature refusal" "Key was rejected|Required key|not permitted" "$cause"
	check_eq "$n: /dev/ptp_vmware is the clock named ptp_vmw" "$(ptp_vmw_dev)" "$(readlink -f /dev/ptp_vmware)"
	check_eq "$n: chronyd was given the refclock by ptp-vmware-chrony at its start" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 maxdispersion 0.01 refid VMW" "$(chrony_refclocks)"
	check_eq "$n: one log line from ptp-vmware-chrony: the clock is used, through the kernel's own driver, and why" \
		"ptp_vmw: chrony uses the VMware host clock /dev/ptp_vmware ($(readlink -f /dev/ptp_vmware), refid VMW); leap seconds inserted by the kernel (right/UTC); steps of the host's clock followed; through the kernel's own ptp_vmw: the kernel refused the one DKMS built ($cause: module signatures enforced); $enroll" \
		"$(our_log_lines)"
	value device_wait_ms "$(prepare_wait_ms)"
	check_chrony_locks "$n"
	diag sh -c "journalctl -b -o short-monotonic --no-pager | grep -E 'ptp_vmw|ptp_vmware|Lockdown|Loading of|Starting chrony' | head -n 20"
	[ "$NEXT_STAGE" = nointree ] || return 0
	# (DKMS 3.2, Debian 13's, keeps it aside in original_module/.)
	rm -f /lib/modules/"$(uname -r)"/kernel/drivers/ptp/ptp_vmw.ko* \
		/var/lib/dkms/ptp_vmw/original_module/"$(uname -r)"/*/ptp_vmw.ko*
	depmod -a
	check_eq "nointree: the kernel's own ptp_vmw removed for the next boot" "" \
		"$(ls /lib/modules/"$(uname -r)"/kernel/drivers/ptp/ptp_vmw.ko* \
			/var/lib/dkms/ptp_vmw/original_module/"$(uname -r)"/*/ptp_vmw.ko* 2>/dev/null)"
}

guest_nointree() {
	check_clock_not_used "nointree" \
		"the kernel enforces module signatures (Secure Boot or module.sig_enforce=1) and refuses the ptp_vmw DKMS built, whose key it does not have, and kernel $(uname -r) has no ptp_vmw of its own; $enroll"
	check_eq "nointree: no modprobe install command (there is nothing to load instead)" "" \
		"$(ls /run/modprobe.d/ptp_vmw-signature.conf 2>/dev/null)"
}

host() {
	local ours base
	ours=$(system_stage_value main lock_us)
	case $ours in
	'' | *[!0-9]*)
		fail "main: chronyd locks on the clock within 15 s of the same boot without enforcement" "it never locked"
		return 0
		;;
	esac
	base=$(sed -n 's/^VALUE lock_us=//p' "$OUT/system/$SERIES/system-present/main/results.txt" 2>/dev/null | tail -n 1)
	case $base in
	'' | -)
		skip "main: chronyd locks on the clock within 15 s of the same boot without enforcement" \
			"no system-present boot on $SERIES in this run to compare with"
		;;
	*)
		diag "locked $(_us_s "$ours") s after boot with module.sig_enforce=1, $(_us_s "$base") s without (system-present)"
		check_cmp "main: chronyd locks on the clock within 15 s of the same boot without enforcement" \
			"$(((ours - base) / 1000000))" -le 15
		;;
	esac
}
