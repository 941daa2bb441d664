# Proves the boot-time integration with the project's real files, put where
# the .deb puts them (install_dist), run by Debian's own programs:
# systemd-udevd autoloads ptp_vmw for the ACPI device VMW0005 (the package
# has no modules-load.d entry: the module's alias is enough) and applies
# 61-ptp-vmware.rules: /dev/ptp_vmware, tagged for systemd
# (dev-ptp_vmware.device), follows the clock through unbind/bind.
# Also reports which module file the guest has, so the host can tell that it
# is the one check.sh chose (the .ko DKMS built, after the DKMS test).
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"

guest() {
	local dev props out
	install_dist
	value module_sha256 "$(sha256sum "$MODULE" | cut -d' ' -f1)"
	value module_signer "$(modinfo -F signer "$MODULE")"

	check_ok "ptp_vmw is not loaded before udev runs" test ! -d /sys/module/ptp_vmw
	check_ok "no /dev/ptp_vmware before udev has run (the link is udev's work)" \
		test ! -e /dev/ptp_vmware

	start_udev
	check_ok "systemd-udevd autoloaded ptp_vmw for VMW0005 (its ACPI alias)" test -d /sys/module/ptp_vmw
	check_eq "the module loaded is ours (updates/dkms), by its version" \
		"$(modinfo -F version "$MODULE")" "$(cat /sys/module/ptp_vmw/version 2>/dev/null)"
	dev=$(ptp_vmw_dev)
	check_ok "systemd-udevd made /dev/ptp_vmware" test -c /dev/ptp_vmware
	check_eq "/dev/ptp_vmware links to the clock named ptp_vmw" "$dev" "$(readlink -f /dev/ptp_vmware)"
	udevadm info --name=/dev/ptp_vmware
	props=$(udevadm info --query=property --name=/dev/ptp_vmware 2>&1)
	check_has "udevadm info: DEVLINKS lists /dev/ptp_vmware" "/dev/ptp_vmware" \
		"$(echo "$props" | grep '^DEVLINKS=')"
	check_has "udevadm info: tagged for systemd (TAGS has :systemd:, hence dev-ptp_vmware.device)" \
		":systemd:" "$(echo "$props" | grep '^TAGS=')"
	out=$(udevadm test --action=add "/sys/class/ptp/${dev#/dev/}" 2>&1)
	check_has "udevadm test: the link comes from /lib/udev/rules.d/61-ptp-vmware.rules" \
		"61-ptp-vmware.rules" "$(echo "$out" | grep -i 'ptp_vmware')"
	# The README's command: Debian 12's phc_ctl (linuxptp 3.1) takes the
	# clock's number from the name it is given, so it is given the link's
	# target.
	out=$(phc_ctl "$(readlink -f /dev/ptp_vmware)" get 2>&1)
	check_has "phc_ctl \$(readlink -f /dev/ptp_vmware) get reads the clock" "clock time is" "$out"

	# The link belongs to the device: gone with it, back with it.
	echo VMW0005:00 >/sys/bus/platform/drivers/ptp_vmw/unbind
	udevadm settle --timeout=30
	check_ok "unbinding the clock removes /dev/ptp_vmware" test ! -e /dev/ptp_vmware
	echo VMW0005:00 >/sys/bus/platform/drivers/ptp_vmw/bind
	udevadm settle --timeout=30
	check_eq "binding it again brings /dev/ptp_vmware back, on the new clock" \
		"$(ptp_vmw_dev)" "$(readlink -f /dev/ptp_vmware)"
	udevadm control --exit
}

host() {
	check_eq "the guest's module file is the one check.sh chose ($MODULE_KO)" \
		"$(sha256sum "$MODULE_KO" | cut -d' ' -f1)" "$(guest_value module_sha256)"
	case $MODULE_KO in
	"$OUT"/dkms/*)
		check_eq "the guest's module carries the signature DKMS gave it" \
			"DKMS module signing key" "$(guest_value module_signer)"
		;;
	esac
}
