# SPDX-License-Identifier: GPL-2.0-only
# The package on every kind of machine, without booting anything:
#   host_test_generator    ptp-vmware-chrony (generator and ExecStartPre) on
#                          made-up /sys, /dev and /lib/modules trees
#   host_test_deb_suites   the one .deb installed with apt on Debian 11, 12
#                          and 13, DKMS building for each one's kernel, in a
#                          throwaway layer over each suite's cached chroot
# Sourced by tests/host/check.sh after image.sh (image_packages).

FLEET_HELPER=$TOP/dist/systemd/ptp-vmware-chrony

# _fleet_tree DIR KIND...: a made-up root for the helper: KIND is vmware
# (DMI says VMware), acpi (ACPI is on), device (VMW0005:00), alias (a module
# for it in modules.alias), builtin (built into the kernel), link
# (/dev/ptp0 and the /dev/ptp_vmware link), tz (right/UTC installed),
# chrony (chronyd is installed).
_fleet_tree() {
	local r=$1 k
	shift
	rm -rf "$r"
	mkdir -p "$r/sys/class/dmi/id" "$r/dev" "$r/lib/modules/6.1.0-99-amd64" "$r/run" "$r/gen" "$r/proc"
	echo "QEMU" >"$r/sys/class/dmi/id/sys_vendor"
	for k in "$@"; do
		case $k in
		vmware) echo "VMware, Inc." >"$r/sys/class/dmi/id/sys_vendor" ;;
		acpi) mkdir -p "$r/sys/bus/acpi/devices" ;;
		device) mkdir -p "$r/sys/bus/acpi/devices/VMW0005:00" ;;
		alias) echo 'alias acpi*:VMW0005:* ptp_vmw' >"$r/lib/modules/6.1.0-99-amd64/modules.alias" ;;
		builtin) echo 'kernel/drivers/ptp/ptp_vmw.ko' >"$r/lib/modules/6.1.0-99-amd64/modules.builtin" ;;
		link) mknod "$r/dev/ptp0" c 248 0 && ln -s ptp0 "$r/dev/ptp_vmware" ;;
		tz) mkdir -p "$r/usr/share/zoneinfo/right" && : >"$r/usr/share/zoneinfo/right/UTC" ;;
		chrony) mkdir -p "$r/usr/sbin" && printf '#!/bin/sh\n' >"$r/usr/sbin/chronyd" && chmod +x "$r/usr/sbin/chronyd" ;;
		esac
	done
}

# _fleet_gen ROOT: run the helper as systemd runs the generator (through a
# link named ptp-vmware-generator, three output directories); prints the
# files it wrote, relative to the first directory.
_fleet_gen() {
	local r=$1
	rm -rf "$r/gen" && mkdir -p "$r/gen"
	ln -sf "$FLEET_HELPER" "$r/ptp-vmware-generator"
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 "$r/ptp-vmware-generator" "$r/gen" "$r/gen-early" "$r/gen-late" ||
		echo "exit status $?"
	(cd "$r/gen" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
}

# _fleet_prepare ROOT: run the helper as chronyd's ExecStartPre; prints its
# output and exit status. udevadm is ROOT/udevadm when there is one.
_fleet_prepare() {
	PTP_VMW_ROOT=$1 PTP_VMW_KREL=6.1.0-99-amd64 PTP_VMW_UDEVADM=$1/udevadm sh "$FLEET_HELPER" prepare
	echo "exit=$?"
}

# _fleet_udevadm ROOT STATUS [link]: a stand-in udevadm in ROOT that
# records its arguments (ROOT/udevadm-args), exits STATUS, and with "link"
# makes the clock appear, as udev does once it has loaded the driver.
_fleet_udevadm() {
	{
		echo '#!/bin/sh'
		printf 'echo "$*" >"%s/udevadm-args"\n' "$1"
		[ "${3:-}" = link ] && printf 'mknod "%s/dev/ptp0" c 248 0 && ln -s ptp0 "%s/dev/ptp_vmware"\n' "$1" "$1"
		echo "exit $2"
	} >"$1/udevadm"
	chmod +x "$1/udevadm"
}

host_test_generator() {
	local r=$OUT/generator-tree out want start ms
	result_context host generator
	say "ptp-vmware-chrony on made-up machines (generator and chronyd's ExecStartPre)"
	check_none "shellcheck: dist/systemd/ptp-vmware-chrony is clean (POSIX sh)" "findings" \
		"$(shellcheck -s sh "$FLEET_HELPER" 2>&1)"

	_fleet_tree "$r" acpi
	check_eq "not a VMware guest: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_eq "not a VMware guest: ExecStartPre says why, once, and succeeds" \
		"ptp_vmw: chrony does not use the VMware host clock: not a VMware guest (no precision clock device, ACPI VMW0005) exit=0" \
		"$(_fleet_prepare "$r" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "not a VMware guest: no refclock for chronyd" "" "$(ls "$r/run" 2>/dev/null)"

	_fleet_tree "$r" vmware acpi
	check_eq "VMware VM without the device: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "VMware VM without the device: ExecStartPre says so" \
		"^ptp_vmw: chrony does not use the VMware host clock: this VMware VM has no precision clock device" "$(_fleet_prepare "$r")"

	_fleet_tree "$r" vmware
	check_match "acpi=off: ExecStartPre says the module must be loaded by hand" \
		"ACPI is off \(acpi=off\).*modprobe ptp_vmw" "$(_fleet_prepare "$r")"

	_fleet_tree "$r" vmware acpi device chrony
	check_eq "device but no driver for the running kernel: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "device but no driver for the running kernel: ExecStartPre names the kernel and dkms status" \
		"no ptp_vmw driver for kernel 6\.1\.0-99-amd64; see: dkms status ptp_vmw" "$(_fleet_prepare "$r")"

	want="chrony.service.d/ptp-vmware-wait.conf chronyd.service.d/ptp-vmware-wait.conf"
	_fleet_tree "$r" vmware acpi device alias chrony
	ln -sf "$FLEET_HELPER" "$r/ptp-vmware-generator"
	start=$(date +%s%N)
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 "$r/ptp-vmware-generator" "$r/gen-timed" "$r/gen-early" "$r/gen-late"
	ms=$((($(date +%s%N) - start) / 1000000))
	out=$(_fleet_gen "$r")
	check_eq "device and a module for it (modules.alias): drop-ins for chrony.service and chronyd.service" "$want" "$out"
	check_eq "device and a module: chronyd starts after udev's coldplug and its ExecStartPre waits for udev, at most 30 s" \
		"After=systemd-udev-trigger.service Environment=PTP_VMW_DEVICE_WAIT=30" \
		"$(grep -hE '^(Wants|After|Environment)=' "$r/gen/chrony.service.d/ptp-vmware-wait.conf" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "device and a module: no device job (its timeout would count from the boot's first transaction)" "" \
		"$(grep -rh 'dev-ptp_vmware.device' "$r/gen")"
	_fleet_udevadm "$r" 0 link
	check_eq "the wait: ExecStartPre asks udev whether it is done; the clock it brings is used" \
		"settle --timeout=0|refclock PHC /dev/ptp_vmware" \
		"$(PTP_VMW_DEVICE_WAIT=30 _fleet_prepare "$r" >/dev/null; cat "$r/udevadm-args")|$(grep -o '^refclock PHC /dev/ptp_vmware' "$r/run/ptp_vmw-chrony.conf" 2>&1)"
	_fleet_tree "$r" vmware acpi device alias chrony
	_fleet_udevadm "$r" 0
	check_match "the wait: udev done and no clock (the driver refused it): no refclock, the line points at dmesg" \
		"^ptp_vmw: chrony does not use the VMware host clock: the VMware precision clock \(ACPI VMW0005\) did not appear as /dev/ptp_vmware; see: dmesg \| grep ptp_vmw exit=0 \|$" \
		"$(PTP_VMW_DEVICE_WAIT=30 _fleet_prepare "$r" | tr '\n' ' ')|$(ls "$r"/run/ptp_vmw-chrony* 2>/dev/null)"
	_fleet_udevadm "$r" 1
	start=$(date +%s%N)
	out=$(PTP_VMW_DEVICE_WAIT=2 _fleet_prepare "$r")
	ms=$((($(date +%s%N) - start) / 1000000))
	check_match "the wait: udev still busy after the bound: the line says so" \
		"did not appear as /dev/ptp_vmware; see: dmesg \| grep ptp_vmw \(udev had not finished after 2 s\)" "$out"
	check_cmp "the wait: ... it lasted the bound (PTP_VMW_DEVICE_WAIT=2: $ms ms)" "$ms" -ge 1000
	rm -f "$r/udevadm-args"
	_fleet_prepare "$r" >/dev/null
	check_eq "no wait asked for (no PTP_VMW_DEVICE_WAIT: the generator wrote no drop-in): udev is not asked" \
		"" "$(cat "$r/udevadm-args" 2>/dev/null)"
	_fleet_tree "$r" vmware acpi device alias chrony link
	_fleet_udevadm "$r" 0
	PTP_VMW_DEVICE_WAIT=30 _fleet_prepare "$r" >/dev/null
	check_eq "the clock already there (a restart of chronyd): no wait, udev is not asked" \
		"" "$(cat "$r/udevadm-args" 2>/dev/null)"
	_fleet_tree "$r" vmware acpi device alias chrony
	_fleet_gen "$r" >/dev/null
	# A few file tests and two greps: its time, a figure (a busy host
	# stretches it; no bound is asserted).
	value generator_ms "$ms"
	check_match "device and a module, clock not there (yet, or refused): ExecStartPre points at dmesg" \
		"did not appear as /dev/ptp_vmware; see: dmesg \| grep ptp_vmw" "$(_fleet_prepare "$r")"
	check_eq "device and a module, chrony installed: the generator logs nothing" "" "$(cat "$r/dev/kmsg" 2>/dev/null)"

	_fleet_tree "$r" vmware acpi device builtin chrony
	check_eq "device and a built-in driver (modules.builtin): the same drop-ins" "$want" "$(_fleet_gen "$r")"

	# Debian's default time daemon (systemd-timesyncd), no chrony: nothing
	# waits, nothing is installed, one line says chrony is needed.
	_fleet_tree "$r" vmware acpi device alias
	check_eq "device and a module, no chrony: the generator writes no drop-in" "" "$(_fleet_gen "$r")"
	want="ptp_vmw: this machine has the VMware precision clock, but chrony is not installed: only chrony can keep the system clock on it (systemd-timesyncd and other NTP clients cannot read a PTP clock); install chrony to use it (apt-get install chrony, dnf install chrony)"
	check_eq "no chrony: the generator says once, in the kernel's log, that chrony is needed" \
		"<5>$want" "$(cat "$r/dev/kmsg" 2>&1)"
	_fleet_gen "$r" >/dev/null
	check_eq "no chrony: ... once a boot (a daemon-reload runs the generator again: no second line)" \
		1 "$(grep -c . "$r/dev/kmsg")"
	check_eq "no chrony: 'status' says the same" "$want" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" status)"
	check_eq "no chrony: 'advise' (the package's postinst) says the same" "$want" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" advise)"
	_fleet_tree "$r" vmware acpi alias
	check_eq "no chrony, no device: 'advise' says nothing" "" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" advise)"

	# A container on a VMware VM sees VMW0005 in /sys but has no udev.
	_fleet_tree "$r" vmware acpi device alias chrony
	echo lxc >"$r/run/systemd-container" && mkdir -p "$r/run/systemd" && mv "$r/run/systemd-container" "$r/run/systemd/container"
	check_eq "in a container (/run/systemd/container): the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "in a container: ExecStartPre says so" "chrony does not use the VMware host clock: this is a container" \
		"$(_fleet_prepare "$r")"
	rm -rf "$r/run/systemd"
	check_eq "in a container (\$container set by the container manager): the generator writes nothing" "" \
		"$(container=lxc _fleet_gen "$r")"

	# A module the administrator blacklisted will not load: no wait.
	echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 modprobe.blacklist=floppy,ptp_vmw quiet" >"$r/proc/cmdline"
	check_eq "modprobe.blacklist=...,ptp_vmw on the kernel command line: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "modprobe.blacklist=: ExecStartPre says where it is blacklisted" \
		"the ptp_vmw module is blacklisted \(modprobe.blacklist= on the kernel command line\)" "$(_fleet_prepare "$r")"
	echo "root=/dev/sda1 module_blacklist=ptp_vmw" >"$r/proc/cmdline"
	check_eq "module_blacklist=ptp_vmw: the generator writes nothing" "" "$(_fleet_gen "$r")"
	echo "root=/dev/sda1 modprobe.blacklist=ptp_vmware module_blacklist=xptp_vmw" >"$r/proc/cmdline"
	check_eq "a blacklist of other modules (ptp_vmware, xptp_vmw): the drop-ins as usual" \
		"chrony.service.d/ptp-vmware-wait.conf chronyd.service.d/ptp-vmware-wait.conf" \
		"$(_fleet_gen "$r")"
	mkdir -p "$r/etc/modprobe.d"
	printf '# mine\nblacklist ptp_vmw\n' >"$r/etc/modprobe.d/local.conf"
	check_eq "'blacklist ptp_vmw' in /etc/modprobe.d: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "'blacklist ptp_vmw': ExecStartPre names the file" \
		"blacklisted \(/etc/modprobe.d/local.conf\)" "$(_fleet_prepare "$r")"
	printf 'install ptp_vmw /bin/false\n' >"$r/etc/modprobe.d/local.conf"
	check_eq "'install ptp_vmw /bin/false' in /etc/modprobe.d: the generator writes nothing" "" "$(_fleet_gen "$r")"
	rm -rf "$r/etc/modprobe.d" "$r/proc/cmdline"

	host_test_generator_signatures "$r"
	host_test_generator_settings "$r"
	host_test_generator_started "$r"
	# (root writes through any mode bits: a file where the directory goes.)
	_fleet_tree "$r" vmware acpi device alias link tz chrony
	rm -rf "$r/run" && : >"$r/run"
	check_match "a /run it cannot write: ExecStartPre says so and still exits 0" \
		"cannot write /run/ptp_vmw-chrony.conf exit=0" "$(_fleet_prepare "$r" 2>&1 | tr '\n' ' ')"
	rm -rf "$r"
}

# host_test_generator_signatures ROOT: a kernel that enforces module
# signatures (Secure Boot's lockdown, module.sig_enforce=1) and a DKMS key
# it does not have: the kernel's own ptp_vmw is loaded instead where there
# is one; where there is none, nothing waits, and the line says why.
_fleet_sig_tree() {
	local r=$1 k=$1/lib/modules/6.1.0-99-amd64
	shift
	_fleet_tree "$r" vmware acpi device alias chrony "$@"
	mkdir -p "$k/updates/dkms" "$r/sys/module/module/parameters" "$r/sys/kernel/security" "$r/var/lib/dkms"
	: >"$k/updates/dkms/ptp_vmw.ko.xz"
	echo 'updates/dkms/ptp_vmw.ko.xz: kernel/drivers/ptp/ptp.ko.xz' >"$k/modules.dep"
	echo N >"$r/sys/module/module/parameters/sig_enforce"
	echo '[none] integrity confidentiality' >"$r/sys/kernel/security/lockdown"
	: >"$r/var/lib/dkms/mok.pub"
	printf '1f0e7e2a I------     1 perm 1f010000     0     0 asymmetri Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1 X509.rsa 4b2ab4ba []\n' >"$r/proc/keys"
	# modinfo stand-in: the DKMS module is signed by DKMS's key, the
	# kernel's own by Debian's; the kernel's own depends on ptp.
	cat >"$r/modinfo" <<-'EOS'
		#!/bin/sh
		case "$2:$3" in
		signer:*/updates/*) echo "DKMS module signing key" ;;
		signer:*) echo "Debian Secure Boot CA" ;;
		depends:*) echo "ptp,pps_core" ;;
		esac
	EOS
	printf '#!/bin/sh\necho "modprobe $*" >>"%s/calls"\ncase "$*" in --ignore-install*) echo "modprobe: ERROR: could not insert '"'"'ptp_vmw'"'"': Key was rejected by service" >&2; exit 1 ;; esac\n' "$r" >"$r/modprobe"
	printf '#!/bin/sh\necho "insmod $*" >>"%s/calls"\n' "$r" >"$r/insmod"
	chmod +x "$r/modinfo" "$r/modprobe" "$r/insmod"
}
host_test_generator_signatures() {
	local r=$1 k=$1/lib/modules/6.1.0-99-amd64 want conf
	want="chrony.service.d/ptp-vmware-wait.conf chronyd.service.d/ptp-vmware-wait.conf"
	_fleet_sig_tree "$r"
	export PTP_VMW_MODINFO=$r/modinfo PTP_VMW_MODPROBE=$r/modprobe PTP_VMW_INSMOD=$r/insmod
	check_eq "signatures not enforced: the drop-ins, no modprobe install command" \
		"$want|" "$(_fleet_gen "$r")|$(ls "$r/run/modprobe.d" 2>/dev/null)"
	echo Y >"$r/sys/module/module/parameters/sig_enforce"
	check_eq "module.sig_enforce=1, DKMS's key not enrolled, no ptp_vmw of the kernel's own: the generator writes nothing" \
		"" "$(_fleet_gen "$r")"
	check_match "... and ExecStartPre says why, with the enrollment command" \
		"enforces module signatures .* kernel 6\.1\.0-99-amd64 has no ptp_vmw of its own; enroll DKMS's key once: mokutil --import /var/lib/dkms/mok.pub" \
		"$(_fleet_prepare "$r")"
	mkdir -p "$k/kernel/drivers/ptp"
	: >"$k/kernel/drivers/ptp/ptp_vmw.ko.xz"
	_fleet_gen "$r" >/dev/null
	conf=$r/run/modprobe.d/ptp_vmw-signature.conf
	check_eq "module.sig_enforce=1 and the kernel has its own ptp_vmw: the drop-ins (the clock will come)" \
		"$want" "$(_fleet_gen "$r")"
	check_eq "... and ptp_vmw's modprobe install command goes through 'load'" \
		"install ptp_vmw /usr/libexec/ptp_vmw/ptp-vmware-chrony load \$CMDLINE_OPTS" "$(grep -v '^#' "$conf" 2>&1)"
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" load
	check_eq "load: ours first; refused, the kernel's own after its dependencies" \
		"modprobe --ignore-install ptp_vmw;modprobe ptp;modprobe pps_core;insmod $k/kernel/drivers/ptp/ptp_vmw.ko.xz;" \
		"$(tr '\n' ';' <"$r/calls")"
	check_match "load: one line in the kernel's log: the cause and the enrollment command" \
		"^<5>ptp_vmw: the kernel refused the ptp_vmw DKMS built \(Key was rejected by service: .*loaded the kernel's own ptp_vmw instead; enroll DKMS's key once: mokutil --import /var/lib/dkms/mok.pub" \
		"$(cat "$r/dev/kmsg")"
	mkdir -p "$r/sys/module/ptp_vmw"
	rm -f "$r/calls"
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" load
	check_eq "load asked again (udev's second event), the kernel's own loaded by the first: no second insmod" \
		"modprobe --ignore-install ptp_vmw;modprobe ptp;modprobe pps_core;" "$(tr '\n' ';' <"$r/calls")"
	check_eq "... and still one line in the kernel's log this boot" 1 "$(grep -c . "$r/dev/kmsg")"
	rmdir "$r/sys/module/ptp_vmw"
	# DKMS 3.2 (Debian 13) moves the kernel's own ptp_vmw aside.
	mkdir -p "$r/var/lib/dkms/ptp_vmw/original_module/6.1.0-99-amd64/x86_64"
	mv "$k/kernel/drivers/ptp/ptp_vmw.ko.xz" "$r/var/lib/dkms/ptp_vmw/original_module/6.1.0-99-amd64/x86_64/"
	rm -f "$r/calls"
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" load
	check_eq "the kernel's own ptp_vmw moved aside by DKMS 3.2 (original_module/): load finds it there" \
		"modprobe --ignore-install ptp_vmw;modprobe ptp;modprobe pps_core;insmod $r/var/lib/dkms/ptp_vmw/original_module/6.1.0-99-amd64/x86_64/ptp_vmw.ko.xz;" \
		"$(tr '\n' ';' <"$r/calls")"
	echo N >"$r/sys/module/module/parameters/sig_enforce"
	echo 'none [integrity] confidentiality' >"$r/sys/kernel/security/lockdown"
	rm -rf "$r/run/modprobe.d"
	check_eq "lockdown (UEFI Secure Boot) instead of sig_enforce: the same install command" \
		"install ptp_vmw /usr/libexec/ptp_vmw/ptp-vmware-chrony load \$CMDLINE_OPTS" \
		"$(_fleet_gen "$r" >/dev/null; grep -v '^#' "$conf" 2>&1)"
	printf '2a0e7e2a I------     1 perm 1f010000     0     0 asymmetri DKMS module signing key: 0123456789abcdef0123456789abcdef01234567 X509.rsa 4b2ab4ba []\n' >>"$r/proc/keys"
	rm -rf "$r/run/modprobe.d"
	check_eq "lockdown, DKMS's key enrolled (in the kernel's keys): the drop-ins, no install command" \
		"$want|" "$(_fleet_gen "$r")|$(ls "$r/run/modprobe.d" 2>/dev/null)"
	unset PTP_VMW_MODINFO PTP_VMW_MODPROBE PTP_VMW_INSMOD
}

# host_test_generator_settings ROOT: /etc/default/ptp-vmware (Debian) or
# /etc/sysconfig/ptp-vmware (RHEL-like), read as sh reads it.
host_test_generator_settings() {
	local r=$1 f line
	_fleet_tree "$r" vmware acpi device alias link tz chrony
	mkdir -p "$r/etc/default" "$r/etc/sysconfig"
	f=$r/etc/default/ptp-vmware
	# Each line as a shell reads it, against what the helper reads.
	for line in 'PTP_VMW_HOST_LEAP=smear' 'export PTP_VMW_HOST_LEAP=smear' '  export   PTP_VMW_HOST_LEAP="smear"' \
		"PTP_VMW_HOST_LEAP='smear' # the host smears" 'PTP_VMW_HOST_LEAP=smear	# tab, then a comment' \
		'# PTP_VMW_HOST_LEAP=smear' 'PTP_VMW_HOST_LEAP=' 'PTP_VMW_HOST_LEAP="step"'; do
		printf 'PTP_VMW_HOST_LEAP=smear\n%s\n' "$line" >"$f"
		check_eq "settings file line '$line': read as sh reads it" \
			"$(sh -c ". '$f'; echo \"\$PTP_VMW_HOST_LEAP\"")" \
			"$(PTP_VMW_ROOT=$r PTP_VMW_NO_MAIN=1 sh -c ". '$FLEET_HELPER'; setting_value PTP_VMW_HOST_LEAP")"
	done
	echo 'PTP_VMW_HOST_LEAP=smear' >"$f"
	check_eq "PTP_VMW_HOST_LEAP=smear: chronyd applies no leap second of its own (leapsecmode ignore)" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 maxdispersion 0.01 refid VMW;leapsecmode ignore;" \
		"$(_fleet_prepare "$r" >/dev/null; grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	rm -f "$f"
	echo 'export PTP_VMW_HOST_LEAP="smear"' >"$r/etc/sysconfig/ptp-vmware"
	_fleet_prepare "$r" >/dev/null
	check_match "export PTP_VMW_HOST_LEAP=\"smear\" in /etc/sysconfig/ptp-vmware (RHEL-like) is read too" \
		"leapsecmode ignore" "$(cat "$r/run/ptp_vmw-chrony.conf" 2>&1)"
	echo 'PTP_VMW_HOST_LEAP=sometimes' >"$r/etc/sysconfig/ptp-vmware"
	_fleet_prepare "$r" >/dev/null
	check_match "an unknown value: leapsectz right/UTC, as by default" \
		"^leapsectz right/UTC" "$(cat "$r/run/ptp_vmw-chrony.conf" 2>&1)"
	rm -f "$r/etc/sysconfig/ptp-vmware"
	# The off switch: no refclock, no wait, no step.
	printf '# This VM has the clock; chrony is not to use it.\nexport PTP_VMW_USE_CLOCK="no" # see README\n' >"$f"
	check_eq "PTP_VMW_USE_CLOCK=no: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_eq "PTP_VMW_USE_CLOCK=no: ExecStartPre writes no refclock, says it is switched off, exits 0" \
		"ptp_vmw: chrony does not use the VMware host clock: switched off (PTP_VMW_USE_CLOCK=no in /etc/default/ptp-vmware) exit=0|" \
		"$(_fleet_prepare "$r" | tr '\n' ' ' | sed 's/ $//')|$(ls "$r"/run/ptp_vmw-chrony* 2>/dev/null)"
	echo 'PTP_VMW_USE_CLOCK=maybe' >"$f"
	check_eq "PTP_VMW_USE_CLOCK=maybe (not yes or no): the clock is used, as by default" \
		"chrony.service.d/ptp-vmware-wait.conf chronyd.service.d/ptp-vmware-wait.conf" \
		"$(_fleet_gen "$r")"
	rm -f "$f"
}

# host_test_generator_started ROOT: ExecStartPost asks chronyd (a stand-in
# chronyc that records what it was asked and answers "sources") before it
# claims anything or steps.
host_test_generator_started() {
	local r=$1 out
	_fleet_tree "$r" vmware acpi device alias link tz chrony
	check_eq "clock there: ExecStartPre writes the refclock and logs nothing (ExecStartPost will)" "exit=0" \
		"$(_fleet_prepare "$r" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "clock there: chronyd gets the refclock and leapsectz right/UTC" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 maxdispersion 0.01 refid VMW;leapsectz right/UTC;" \
		"$(grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	# shellcheck disable=SC2016 # for the stand-in
	printf '#!/bin/sh\necho "$*" >>"%s/chronyc.args"\ncase "$*" in *sources*) cat "%s/sources" ;; esac\n' "$r" "$r" >"$r/chronyc"
	chmod +x "$r/chronyc"
	printf '#,?,VMW,0,-2,0,0.000000000,0.000000000,0.000000000\n^,?,192.0.2.1,2,6,0,0,0,0\n' >"$r/sources"
	out=$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started)
	check_eq "chronyd has VMW: ExecStartPost asked chronyd, then told it to follow the host's steps" \
		"-n -c sources;-n makestep 1 -1;" "$(tr '\n' ';' <"$r/chronyc.args")"
	check_eq "chronyd has VMW: the one line says the clock is used, and how (the defaults)" \
		"ptp_vmw: chrony uses the VMware host clock /dev/ptp_vmware (/dev/ptp0, refid VMW); leap seconds inserted by the kernel (right/UTC); steps of the host's clock followed" \
		"$out"
	check_eq "chronyd has VMW: 'status' says the same" "$out" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" status)"
	rm -f "$r/chronyc.args"
	printf '^,?,192.0.2.1,2,6,0,0,0,0\n' >"$r/sources"
	out=$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started)
	check_eq "chronyd did not read the refclock (the include commented out): no step" \
		"-n -c sources;" "$(tr '\n' ';' <"$r/chronyc.args")"
	check_match "... and the line says chronyd did not read it, and how to fix it (Debian)" \
		"^ptp_vmw: chrony does not use the VMware host clock: chronyd did not read /run/ptp_vmw-chrony.conf: .*confdir /etc/chrony/conf.d" "$out"
	mkdir -p "$r/etc/chrony.d" && : >"$r/etc/chrony.d/ptp_vmw.conf"
	check_match "... on a RHEL-like layout, it names confdir /etc/chrony.d" \
		"does not include /etc/chrony.d \(add the line \"confdir /etc/chrony.d\"\)" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" status)"
	printf '#,?,VMW,0,-2,0,0,0,0\n' >"$r/sources"
	mkdir -p "$r/etc/default"
	echo 'PTP_VMW_FOLLOW_HOST_STEPS=no' >"$r/etc/default/ptp-vmware"
	rm -f "$r/chronyc.args"
	check_match "PTP_VMW_FOLLOW_HOST_STEPS=no: the line says steps are slewed" \
		"steps of the host's clock slewed \\(PTP_VMW_FOLLOW_HOST_STEPS=no\\)" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started)"
	check_eq "PTP_VMW_FOLLOW_HOST_STEPS=no: chrony.conf's makestep rules, chronyc is asked no step" \
		"-n -c sources;" "$(tr '\n' ';' <"$r/chronyc.args")"
	rm -f "$r/etc/default/ptp-vmware" "$r/run/ptp_vmw-chrony.conf" "$r/chronyc.args"
	PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started >/dev/null
	check_eq "no clock given to chronyd: ExecStartPost asks chronyc nothing" \
		"" "$(cat "$r/chronyc.args" 2>/dev/null)"
	_fleet_tree "$r" vmware acpi device alias link chrony
	_fleet_prepare "$r" >/dev/null
	check_eq "clock there but no right/UTC (tzdata-legacy missing): the refclock without leapsectz" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 maxdispersion 0.01 refid VMW;" \
		"$(grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	# shellcheck disable=SC2016 # for the stand-in
	printf '#!/bin/sh\ncase "$*" in *sources*) echo "#,?,VMW,0,-2,0,0,0,0" ;; esac\n' >"$r/chronyc"
	chmod +x "$r/chronyc"
	check_match "clock there but no right/UTC: the line says how to get leap seconds" \
		"no leap-second data: .*apt-get install tzdata-legacy" \
		"$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started)"
	rm -f "$r/dev/ptp_vmware"
	_fleet_prepare "$r" >/dev/null
	check_eq "clock gone at chronyd's next start: the refclock file goes too" "" "$(ls "$r/run" 2>&1)"
}

# host_test_deb_suites: apt-get install ../ptp-vmw-dkms_*.deb on each Debian
# suite, as an administrator runs it, with that suite's kernel headers.
# "SUITE:SERIES" (kseries.sh names the series). What the package depends on
# and recommends (dkms, chrony, the right/ zones) is installed from each
# suite's archive into its cached chroot once, so that a run installs only
# our package and DKMS builds: apt still checks the Depends (dkms >= 2.8.4)
# against the suite's own dkms.
# Debian 12 (bookworm) is proven apart: the packages test installs the .deb
# in its chroot for both its kernel series, and the system image installs it
# with apt and boots it (FLEET_SUITES="... bookworm:6.1" to add it here).
FLEET_SUITES=${FLEET_SUITES:-"bullseye:5.10 trixie:trixie"}
FLEET_SUITE_PKGS="dkms chrony tzdata"

# host_test_deb_suites_prepare: the packages, and each suite's kernel and
# chroot, made ready before the host tests run side by side (as
# host_test_dkms_prepare).
host_test_deb_suites_prepare() {
	local pair
	(image_packages) || return 1
	for pair in $FLEET_SUITES; do
		(kernel_prepare "${pair#*:}") >&2 || return 1
		# shellcheck disable=SC2086 # a list of package names
		chroot_ensure "${pair%%:*}" $FLEET_SUITE_PKGS || return 1
	done
}

host_test_deb_suites() {
	local pair suite series line kver deb log fails0 version out
	image_packages
	deb=${IMAGE_DEB##*/}
	version=$(project_version)
	result_context host deb-suites
	readme_has_cmds "sudo apt-get install ../$deb"
	for pair in $FLEET_SUITES; do
		suite=${pair%%:*} series=${pair#*:}
		result_context host "deb-$suite"
		say "the .deb on $suite: apt-get install ../$deb, DKMS builds for its kernel (throwaway layer over the $suite chroot)"
		fails0=$(results_failures)
		# shellcheck disable=SC2153 # KVER: kernel_prepare's, in the subshell
		line=$(kernel_prepare "$series" >&2 && echo "$KVER")
		if [ -z "$line" ]; then
			skip "DKMS build for the series" "no kernel of series $series to build for (see above)"
			continue
		fi
		kver=$line
		# shellcheck disable=SC2086 # lists
		chroot_ensure "$suite" $FLEET_SUITE_PKGS || {
			fail "$suite: dkms, chrony and tzdata install from $suite's archive" "see the step named above"
			continue
		}
		(
			ovl_new "suite-$suite" "$suite"
			ovl_fast_dpkg "suite-$suite"
			mkdir -p "$(ovl_upper "suite-$suite")/build/checkout"
			cp "$IMAGE_DEB" "$(ovl_upper "suite-$suite")/build/"
			# Debian 13 keeps right/UTC in tzdata-legacy: the package must
			# bring it (an earlier run of the cached chroot may have it).
			ovl_run "suite-$suite" sh -c 'dpkg --purge tzdata-legacy' >/dev/null 2>&1
			log=$OUT/deb-$suite-install.log
			# The README's command, from where dpkg-buildpackage leaves the .deb.
			check_step "$suite: apt-get install ../$deb succeeds (dkms $suite's own)" "$log" \
				ovl_run "suite-$suite" sh -c "cd /build/checkout && apt-get install -y -o DPkg::Lock::Timeout=60 ../$deb"
			# shellcheck disable=SC2016 # dpkg-query's own ${...} fields
			check_eq "$suite: dpkg has ptp-vmw-dkms $version installed" "install ok installed $version" \
				"$(ovl_run "suite-$suite" dpkg-query -W -f='${Status} ${Version}' ptp-vmw-dkms 2>&1)"
			# shellcheck disable=SC2016 # dpkg-query's own ${...} fields
			diag "$suite: dkms $(ovl_run "suite-$suite" dpkg-query -W -f='${Version}' dkms 2>&1), kernel headers $kver"
			check_eq "$suite: DKMS built and installed $MODNAME for $kver" installed "$(dkms_state "suite-$suite" "$kver")"
			check_match "$suite: modinfo -k $kver -n $MODNAME is the DKMS module (updates/dkms)" \
				"^/lib/modules/$(ere_quote "$kver")/updates/dkms/$MODNAME\.ko" "$(modinfo_path "suite-$suite" "$kver")"
			check_eq "$suite: the module's version is $version" "$version" \
				"$(ovl_run "suite-$suite" modinfo -k "$kver" -F version "$MODNAME" 2>&1)"
			check_eq "$suite: the generator is in systemd's generator directory" "/usr/libexec/ptp_vmw/ptp-vmware-chrony" \
				"$(ovl_run "suite-$suite" readlink -f /lib/systemd/system-generators/ptp-vmware-generator 2>&1)"
			# Where chrony looks for leap seconds: the package's own line, as
			# its helper writes it for a clock that is there, read by this
			# suite's chronyd (-Q: nothing is set), which says what it found.
			# shellcheck disable=SC2016 # expanded by the sh it runs
			out=$(ovl_run "suite-$suite" sh -c 'mknod /dev/ptp_vmware c 1 3 &&
				/usr/libexec/ptp_vmw/ptp-vmware-chrony prepare &&
				grep "^leapsectz" /run/ptp_vmw-chrony.conf >/tmp/leap.conf &&
				cat /tmp/leap.conf && timeout 20 chronyd -Q -L 0 -f /tmp/leap.conf' 2>&1)
			echo "$out" >"$OUT/deb-$suite-leapsectz.log"
			check_has "$suite: chronyd finds the leap seconds the package's leapsectz names" \
				"Using right/UTC timezone to obtain leap second data" "$out"
			log=$OUT/deb-$suite-purge.log
			check_step "$suite: apt-get purge ptp-vmw-dkms succeeds" "$log" \
				ovl_run "suite-$suite" apt-get purge -y -o DPkg::Lock::Timeout=60 ptp-vmw-dkms
			check_none "$suite: after the purge neither DKMS nor /usr/src nor /lib/modules knows $MODNAME" "traces" \
				"$(ovl_run "suite-$suite" sh -c "dkms status -m $MODNAME; ls -d /var/lib/dkms/$MODNAME /usr/src/$MODNAME-* /lib/modules/*/updates/dkms/$MODNAME.ko* 2>/dev/null")"
			if [ "$(results_failures)" -eq "$fails0" ]; then
				ovl_drop "suite-$suite"
			else
				say "the $suite layer is kept for a look: $OVL_BASE/suite-$suite"
			fi
		)
	done
}
