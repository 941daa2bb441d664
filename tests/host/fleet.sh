# SPDX-License-Identifier: GPL-2.0-only
# The package on every kind of machine, without booting anything:
#   host_test_generator    ptp-vmware-chrony (generator and ExecStartPre) on
#                          made-up /sys, /dev and /lib/modules trees
#   host_test_deb_suites   the one .deb installed with apt on Debian 11, 12
#                          and 13, DKMS building for each one's kernel, in a
#                          throwaway layer over each suite's cached chroot
# Sourced by tests/host/check.sh after dkms.sh (ovl_*) and image.sh
# (image_packages).

FLEET_HELPER=$TOP/dist/systemd/ptp-vmware-chrony

# _fleet_tree DIR KIND...: a made-up root for the helper: KIND is vmware
# (DMI says VMware), acpi (ACPI is on), device (VMW0005:00), alias (a module
# for it in modules.alias), builtin (built into the kernel), link
# (/dev/ptp0 and the /dev/ptp_vmware link), tz (right/UTC installed).
_fleet_tree() {
	local r=$1 k
	shift
	rm -rf "$r"
	mkdir -p "$r/sys/class/dmi/id" "$r/dev" "$r/lib/modules/6.1.0-99-amd64" "$r/run" "$r/gen"
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
		esac
	done
}

# _fleet_gen ROOT: run the helper as systemd runs the generator (through a
# link named ptp-vmware-generator, three output directories); prints the
# files it wrote, relative to the first directory.
_fleet_gen() {
	local r=$1
	ln -sf "$FLEET_HELPER" "$r/ptp-vmware-generator"
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 "$r/ptp-vmware-generator" "$r/gen" "$r/gen-early" "$r/gen-late" ||
		echo "exit status $?"
	(cd "$r/gen" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
}

# _fleet_prepare ROOT: run the helper as chronyd's ExecStartPre; prints its
# output and exit status.
_fleet_prepare() {
	PTP_VMW_ROOT=$1 PTP_VMW_KREL=6.1.0-99-amd64 sh "$FLEET_HELPER" prepare
	echo "exit=$?"
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

	_fleet_tree "$r" vmware acpi device
	check_eq "device but no driver for the running kernel: the generator writes nothing" "" "$(_fleet_gen "$r")"
	check_match "device but no driver for the running kernel: ExecStartPre names the kernel and dkms status" \
		"no ptp_vmw driver for kernel 6\.1\.0-99-amd64; see: dkms status ptp_vmw" "$(_fleet_prepare "$r")"

	want="chrony.service.d/ptp-vmware-wait.conf chronyd.service.d/ptp-vmware-wait.conf dev-ptp_vmware.device.d/ptp-vmware-wait.conf"
	_fleet_tree "$r" vmware acpi device alias
	ln -sf "$FLEET_HELPER" "$r/ptp-vmware-generator"
	start=$(date +%s%N)
	PTP_VMW_ROOT=$r PTP_VMW_KREL=6.1.0-99-amd64 "$r/ptp-vmware-generator" "$r/gen-timed" "$r/gen-early" "$r/gen-late"
	ms=$((($(date +%s%N) - start) / 1000000))
	out=$(_fleet_gen "$r")
	check_eq "device and a module for it (modules.alias): drop-ins for chrony.service, chronyd.service and the device" "$want" "$out"
	check_eq "device and a module: chronyd wants and is ordered after dev-ptp_vmware.device" \
		"Wants=dev-ptp_vmware.device After=dev-ptp_vmware.device" \
		"$(grep -hE '^(Wants|After)=' "$r/gen/chrony.service.d/ptp-vmware-wait.conf" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "device and a module: the wait for the device is bounded (JobRunningTimeoutSec=30s)" \
		"JobRunningTimeoutSec=30s" "$(grep -h '^JobRunningTimeoutSec=' "$r/gen/dev-ptp_vmware.device.d/ptp-vmware-wait.conf")"
	# A few file tests and two greps; the bound leaves room for a busy host.
	check_match "the generator is fast (ran in $ms ms, under 1000, on this shared host)" "^[0-9]{1,3}$" "$ms"
	check_match "device and a module, clock not there (yet, or refused): ExecStartPre points at dmesg" \
		"did not appear as /dev/ptp_vmware; see: dmesg \| grep ptp_vmw" "$(_fleet_prepare "$r")"

	_fleet_tree "$r" vmware acpi device builtin
	check_eq "device and a built-in driver (modules.builtin): the same drop-ins" "$want" "$(_fleet_gen "$r")"

	_fleet_tree "$r" vmware acpi device alias link tz
	check_eq "clock there: ExecStartPre says it is used, and how (the defaults), and succeeds" \
		"ptp_vmw: chrony uses the VMware host clock /dev/ptp_vmware (/dev/ptp0, refid VMW); leap seconds inserted by the kernel (right/UTC); steps of the host's clock followed exit=0" \
		"$(_fleet_prepare "$r" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "clock there: chronyd gets the refclock and leapsectz right/UTC" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 refid VMW;leapsectz right/UTC;" \
		"$(grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	rm -f "$r/dev/ptp_vmware"
	_fleet_prepare "$r" >/dev/null
	check_eq "clock gone at chronyd's next start: the refclock file goes too" "" "$(ls "$r/run" 2>&1)"
	_fleet_tree "$r" vmware acpi device alias link
	_fleet_prepare "$r" >/dev/null
	check_eq "clock there but no right/UTC (tzdata-legacy missing): the refclock without leapsectz" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 refid VMW;" \
		"$(grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	check_match "clock there but no right/UTC: the log line says how to get leap seconds" \
		"no leap-second data: .*apt-get install tzdata-legacy" "$(_fleet_prepare "$r")"

	# The administrator's switch: /etc/default/ptp-vmware (Debian) or
	# /etc/sysconfig/ptp-vmware (RHEL-like).
	_fleet_tree "$r" vmware acpi device alias link tz
	mkdir -p "$r/etc/default" "$r/etc/sysconfig"
	echo 'PTP_VMW_HOST_LEAP=smear' >"$r/etc/default/ptp-vmware"
	check_match "PTP_VMW_HOST_LEAP=smear: the log line says so" \
		"; leap seconds smeared by the host \\(PTP_VMW_HOST_LEAP=smear\\);" "$(_fleet_prepare "$r")"
	check_eq "PTP_VMW_HOST_LEAP=smear: chronyd applies no leap second of its own (leapsecmode ignore)" \
		"refclock PHC /dev/ptp_vmware poll 0 dpoll -2 precision 1e-7 refid VMW;leapsecmode ignore;" \
		"$(grep -v '^#' "$r/run/ptp_vmw-chrony.conf" 2>&1 | tr '\n' ';')"
	rm -f "$r/etc/default/ptp-vmware"
	echo 'PTP_VMW_HOST_LEAP="smear"' >"$r/etc/sysconfig/ptp-vmware"
	_fleet_prepare "$r" >/dev/null
	check_match "PTP_VMW_HOST_LEAP=\"smear\" in /etc/sysconfig/ptp-vmware (RHEL-like) is read too" \
		"leapsecmode ignore" "$(cat "$r/run/ptp_vmw-chrony.conf" 2>&1)"
	echo 'PTP_VMW_HOST_LEAP=sometimes' >"$r/etc/sysconfig/ptp-vmware"
	check_match "an unknown value: the default (step), and the log line says so" \
		"PTP_VMW_HOST_LEAP=sometimes is not one of: step smear, using step exit=0" \
		"$(_fleet_prepare "$r" | tr '\n' ' ')"
	check_match "an unknown value: leapsectz right/UTC, as by default" \
		"^leapsectz right/UTC" "$(cat "$r/run/ptp_vmw-chrony.conf" 2>&1)"
	rm -f "$r/etc/sysconfig/ptp-vmware"
	# ExecStartPost: chronyc makestep 1 -1 when chronyd got the clock (a
	# stand-in chronyc records what it was asked), nothing otherwise.
	printf '#!/bin/sh\necho "$*" >>"%s/chronyc.args"\n' "$r" >"$r/chronyc"
	chmod +x "$r/chronyc"
	out=$(PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started)
	check_eq "clock given to chronyd: ExecStartPost tells it to follow the host's steps" \
		"-n makestep 1 -1" "$(cat "$r/chronyc.args" 2>&1)"
	check_eq "... and logs nothing (prepare's line said it)" "" "$out"
	rm -f "$r/chronyc.args"
	echo 'PTP_VMW_FOLLOW_HOST_STEPS=no' >"$r/etc/default/ptp-vmware"
	check_match "PTP_VMW_FOLLOW_HOST_STEPS=no: the log line says steps are slewed" \
		"steps of the host's clock slewed \\(PTP_VMW_FOLLOW_HOST_STEPS=no\\)" "$(_fleet_prepare "$r")"
	PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started >/dev/null
	check_eq "PTP_VMW_FOLLOW_HOST_STEPS=no: chrony.conf's makestep rules, chronyc is not asked" \
		"" "$(cat "$r/chronyc.args" 2>/dev/null)"
	rm -f "$r/etc/default/ptp-vmware" "$r/run/ptp_vmw-chrony.conf"
	PTP_VMW_ROOT=$r PTP_VMW_CHRONYC=$r/chronyc sh "$FLEET_HELPER" started >/dev/null
	check_eq "no clock given to chronyd: ExecStartPost asks chronyc nothing" \
		"" "$(cat "$r/chronyc.args" 2>/dev/null)"
	# (root writes through any mode bits: a file where the directory goes.)
	rm -rf "$r/run" && : >"$r/run"
	check_match "a /run it cannot write: ExecStartPre says so and still exits 0" \
		"cannot write /run/ptp_vmw-chrony.conf exit=0" "$(_fleet_prepare "$r" 2>&1 | tr '\n' ' ')"
	rm -rf "$r"
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
			# ovl_run's lower layer is $DKMS_SUITE's chroot.
			# shellcheck disable=SC2034 # read by ovl_run (dkms.sh)
			DKMS_SUITE=$suite
			ovl_new "suite-$suite"
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
