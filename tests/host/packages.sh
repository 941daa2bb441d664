# SPDX-License-Identifier: GPL-2.0-only
# The packages: the .deb (debian/) and the .rpm
# (packaging/rpm/ptp-vmw-dkms.spec) are built with the commands the README
# gives, their version strings and payloads are compared, and both are
# installed and removed again the way an administrator does it, inside a
# throwaway copy-on-write layer over the cached bookworm chroot (ovl_* in
# dkms.sh): with both Debian 12 kernel series' headers, with a kernel built
# without PTP support, and with no kernel headers at all.
# Sourced by tests/host/check.sh after dkms.sh.

PKG_TOOL_PKGS="debhelper build-essential rpm cpio systemd chrony"

# The build commands, as the README gives them (run from the checkout's top).
DEB_BUILD_CMD='dpkg-buildpackage -us -uc -b'
# shellcheck disable=SC2016 # expanded by the sh that runs it in the chroot
RPM_BUILD_CMD='rpmbuild -bb --define "_topdir $PWD/rpmbuild" --define "_sourcedir $PWD" packaging/rpm/ptp-vmw-dkms.spec'

# pkg_map DEB-PATH: where the .rpm puts what the .deb installs at DEB-PATH
# (the two distributions' directories for the same thing), or nothing for
# documentation, which each packs its own way.
pkg_map() {
	case $1 in
	/usr/share/doc/*) ;;
	/lib/udev/rules.d/*) echo "/usr$1" ;;
	/etc/chrony/conf.d/*) echo "/etc/chrony.d/${1##*/}" ;;
	/lib/systemd/system/chrony.service.d/*) echo "/usr/lib/systemd/system/chronyd.service.d/${1##*/}" ;;
	*) echo "$1" ;;
	esac
}

# install_dist_pairs: "dist/FILE /DEST/PATH" for each file tests/guest/lib.sh's
# install_dist copies (what the guest scenarios install).
install_dist_pairs() {
	sed -n '/^install_dist()/,/^}/p' "$TOP/tests/guest/lib.sh" |
		sed -n 's|^[[:space:]]*cp /opt/ptpvmw/\(dist/[^ ]*\) \([^ ]*\)/$|\1 \2|p' |
		while read -r f d; do echo "$f $d/${f##*/}"; done | LC_ALL=C sort
}

# deb_install_pairs: the same pairs from debian/ptp-vmw-dkms.install.
deb_install_pairs() {
	grep '^dist/' "$TOP/debian/ptp-vmw-dkms.install" |
		while read -r f d; do echo "$f /$d/${f##*/}"; done | LC_ALL=C sort
}
# The steps below share the variables host_test_packages sets (bash's
# dynamic scope): version, kvers, ka, logs, src, deb, rpmf, noptp.

# pkg_build: one version string, the packages built with the README's
# commands; sets deb and rpmf (paths inside the layer). Fails if either
# package is missing.
pkg_build() {
	check_eq "version: debian/changelog equals dkms.conf's PACKAGE_VERSION" "$version" \
		"$(ovl_run pkg sh -c 'cd /build/ptp-vmw && dpkg-parsechangelog -S Version')"
	check_eq "version: the spec's Version equals dkms.conf's PACKAGE_VERSION" "$version" \
		"$(ovl_run pkg rpmspec -q --srpm --qf '%{VERSION}' /build/ptp-vmw/packaging/rpm/ptp-vmw-dkms.spec 2>&1)"
	deb=ptp-vmw-dkms_${version}_all.deb
	rpmf=ptp-vmw-dkms-$version-1.noarch.rpm
	readme_has_cmds "$DEB_BUILD_CMD" "sudo apt-get install ../$deb" "sudo apt-get purge ptp-vmw-dkms" \
		"$RPM_BUILD_CMD" "ptp-vmw-dkms-$version-1*.noarch.rpm"
	check_step "$DEB_BUILD_CMD builds the .deb" "$logs/deb-build.log" \
		ovl_run pkg sh -c "cd /build/ptp-vmw && $DEB_BUILD_CMD"
	check_step "rpmbuild -bb builds the .rpm" "$logs/rpm-build.log" \
		ovl_run pkg sh -c "cd /build/ptp-vmw && $RPM_BUILD_CMD"
	# shellcheck disable=SC2012 # the names of the .debs we built
	check_eq "the .deb is $deb (version from dkms.conf)" "$deb" \
		"$(cd "$(ovl_upper pkg)/build" && ls -- *.deb 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
	check_eq "the .rpm is $rpmf (noarch)" "$rpmf" \
		"$(cd "$src/rpmbuild/RPMS" 2>/dev/null && find . -name '*.rpm' | sed 's|.*/||' | tr '\n' ' ' | sed 's/ $//')"
	if [ ! -f "$(ovl_upper pkg)/build/$deb" ] || [ ! -f "$src/rpmbuild/RPMS/noarch/$rpmf" ]; then
		fail "packages built: the rest of the package test" "not run: no .deb or no .rpm (logs in $logs)"
		return 1
	fi
	cp "$(ovl_upper pkg)/build/$deb" "$src/rpmbuild/RPMS/noarch/$rpmf" "$logs/"
	deb=/build/$deb
	rpmf=/build/ptp-vmw/rpmbuild/RPMS/noarch/$rpmf
}

# pkg_check_versions: the built packages carry dkms.conf's version.
pkg_check_versions() {
	check_eq "version: the .deb's control Version equals dkms.conf's PACKAGE_VERSION" "$version" \
		"$(ovl_run pkg dpkg-deb -f "$deb" Version)"
	check_eq "version: the .rpm's VERSION equals dkms.conf's PACKAGE_VERSION" "$version" \
		"$(ovl_run pkg rpm -qp --qf '%{VERSION}' "$rpmf" 2>&1)"
	check_eq "version: both packages ship /usr/src/ptp_vmw-$version (what DKMS registers)" \
		"/usr/src/ptp_vmw-$version/dkms.conf /usr/src/ptp_vmw-$version/dkms.conf" \
		"$(ovl_run pkg sh -c "dpkg-deb -c $deb | awk '{print \$6}' | sed 's|^\\.||' | grep '^/usr/src/.*/dkms.conf\$';
			rpm -qlp $rpmf | grep '^/usr/src/.*/dkms.conf\$'" | tr '\n' ' ' | sed 's/ $//')"
}

# pkg_check_payloads: what the packages are and carry; the .rpm's payload is
# the .deb's, file for file and byte for byte.
pkg_check_payloads() {
local f m missing exp
	check_eq ".deb: Architecture all" all "$(ovl_run pkg dpkg-deb -f "$deb" Architecture)"
	check_eq ".deb: depends on dkms (>= 2.8.4), which Debian 11 has too, and nothing else" \
		"dkms (>= 2.8.4)" "$(ovl_run pkg dpkg-deb -f "$deb" Depends)"
	check_eq ".rpm: noarch, requires dkms" "noarch dkms >= 3.0" \
		"$(ovl_run pkg sh -c "rpm -qp --qf '%{ARCH} ' $rpmf; rpm -qpR $rpmf | grep '^dkms'" 2>&1)"
	# A package's dependencies change every machine it is installed on:
	# neither may pull in or push out a time daemon (chrony Conflicts:
	# time-daemon, so a Recommends of it removes systemd-timesyncd).
	check_eq ".deb: recommends only tzdata-legacy (right/UTC on Debian 13): no time daemon" \
		"tzdata-legacy" "$(ovl_run pkg dpkg-deb -f "$deb" Recommends)"
	check_none ".deb and .rpm: no relation at all to chrony or time-daemon" "fields naming one" \
		"$(ovl_run pkg sh -c "dpkg-deb -f $deb Depends Recommends Suggests Conflicts Breaks Provides;
			rpm -qp --requires --recommends --suggests --conflicts $rpmf" 2>&1 | grep -Ei 'chrony|time-daemon')"
	check_eq ".deb: /usr/src/ptp_vmw-$version holds exactly the driver's files (make print-sources)" \
		"$(driver_file_list)" \
		"$(ovl_run pkg dpkg-deb -c "$deb" | awk '$1 ~ /^-/ {print $6}' |
			sed -n "s|^\./usr/src/ptp_vmw-$version/||p" | LC_ALL=C sort | tr '\n' ' ')"
	ovl_run pkg dpkg-deb -c "$deb" | awk '$1 ~ /^-/ {print $6}' | sed 's|^\.||' | LC_ALL=C sort >"$logs/deb-files.txt"
	ovl_run pkg rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmf" |
		awk '$1 ~ /^-/ {print $2}' | LC_ALL=C sort >"$logs/rpm-files.txt"
	while read -r f; do pkg_map "$f"; done <"$logs/deb-files.txt" | LC_ALL=C sort >"$logs/deb-files-mapped.txt"
	grep -vE '^/usr/share/(doc|licenses)/' "$logs/rpm-files.txt" >"$logs/rpm-files-nodoc.txt"
	check_none "the .rpm's file list matches the .deb's payload (distribution paths mapped, documentation aside)" \
		"differences (< only in the .deb, > only in the .rpm)" \
		"$(diff "$logs/deb-files-mapped.txt" "$logs/rpm-files-nodoc.txt" | grep '^[<>]')"
	# Same bytes too: both payloads unpacked, every mapped pair compared.
	ovl_run pkg sh -c "rm -rf /build/x-deb /build/x-rpm && mkdir -p /build/x-deb /build/x-rpm &&
		dpkg-deb -x $deb /build/x-deb && cd /build/x-rpm && rpm2cpio $rpmf | cpio -idm --quiet"
	missing=""
	while read -r f; do
		m=$(pkg_map "$f")
		[ -n "$m" ] || continue
		cmp -s "$(ovl_upper pkg)/build/x-deb$f" "$(ovl_upper pkg)/build/x-rpm$m" || missing="$missing $f"
	done <"$logs/deb-files.txt"
	check_none "every file of the .rpm has the same bytes as its .deb counterpart" "differing files" "$missing"
	missing=""
	while read -r f d; do
		cmp -s "$TOP/$f" "$(ovl_upper pkg)/build/x-deb$d" || missing="$missing $f"
	done < <(deb_install_pairs)
	check_none "the .deb installs dist/'s files unchanged" "differing files" "$missing"
	exp=$(deb_install_pairs)
	check_eq "the guest scenarios' install_dist puts each dist/ file where the .deb does" \
		"$(echo "$exp" | tr '\n' ';')" "$(install_dist_pairs | tr '\n' ';')"
	check_none "no maintainer script of either package unloads the module (a running clock stays)" "scripts that do" \
		"$(ovl_run pkg sh -c "rm -rf /build/ctl && dpkg-deb -e $deb /build/ctl && rpm -qp --scripts $rpmf >/build/ctl/rpm-scripts &&
			grep -lE 'rmmod|modprobe +(-r|--remove)' /build/ctl/*" 2>/dev/null)"
}

# pkg_test_dpkg: dpkg -i and dpkg --purge, with a PTP-less kernel among the
# kernels; sets noptp.
pkg_test_dpkg() {
local kver seen log
	# A kernel without PTP support: a copy of the first series' headers with
	# CONFIG_PTP_1588_CLOCK taken out of its configuration (.config, which
	# DKMS reads, and auto.conf and autoconf.h, which a build would see).
	noptp=${ka%-*}+noptp-${ka##*-}
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	ovl_run pkg sh -c '
		k=$1 n=$2 h=/usr/src/linux-headers-$2
		cp -a /usr/src/linux-headers-$k "$h" &&
		sed -i "s/^CONFIG_PTP_1588_CLOCK=.*/# CONFIG_PTP_1588_CLOCK is not set/" "$h/.config" &&
		sed -i "/^CONFIG_PTP_1588_CLOCK=/d" "$h/include/config/auto.conf" &&
		sed -i "/^#define CONFIG_PTP_1588_CLOCK\(_MODULE\)\? 1\$/d" "$h/include/generated/autoconf.h" &&
		mkdir -p /lib/modules/$n && ln -s "$h" /lib/modules/$n/build' sh "$ka" "$noptp"
	# As on an installed system: the distribution's ptp_vmw and a depmod index
	# for each kernel, and the directories that systemd and (on RHEL-like
	# systems) the filesystem package own, which the minimal chroot lacks.
	stage_intree pkg "${kvers[@]}"
	ovl_run pkg mkdir -p /usr/share/licenses
	ovl_snapshot pkg "$logs/paths-before.txt"
	log=$logs/dpkg-install.log
	check_step "dpkg -i $(basename "$deb") succeeds (a kernel without PTP support among the kernels)" "$log" \
		ovl_run pkg sh -c "cd /build/ptp-vmw && dpkg -i ../$(basename "$deb")"
	for kver in "${kvers[@]}"; do
		check_eq "dpkg -i: DKMS built and installed $MODNAME for $kver" installed "$(dkms_state pkg "$kver")"
		check_match "dpkg -i: modinfo -k $kver -n $MODNAME resolves to updates/dkms" \
			"^/lib/modules/$(ere_quote "$kver")/updates/dkms/$MODNAME\.ko" "$(modinfo_path pkg "$kver")"
	done
	check_eq "dpkg -i: nothing built for the PTP-less kernel" "" \
		"$(ovl_run pkg sh -c "ls /lib/modules/$noptp/updates/dkms 2>/dev/null; dkms status -m $MODNAME -k $noptp | grep -E 'built|installed'")"
	check_log "dpkg -i: DKMS says why the PTP-less kernel gets no module (BUILD_EXCLUSIVE)" \
		"includes a BUILD_EXCLUSIVE directive which does not match this kernel" "$log"
	# shellcheck disable=SC2016 # dpkg-query's format, not an expansion
	check_eq "dpkg -i: dpkg records the package as installed" "install ok installed" \
		"$(ovl_run pkg dpkg-query -W -f='${Status}' ptp-vmw-dkms 2>&1)"
	# shellcheck disable=SC2016,SC2046 # expanded by the sh it runs; a list of file names
	check_none "dpkg -i: the udev rule, chrony file, systemd drop-in, helper and sources are in place" \
		"missing files" "$(ovl_run pkg sh -c 'for f; do [ -f "$f" ] || echo "$f"; done' sh $(cat "$logs/deb-files.txt"))"
	# systemd's own reading of chrony.service with the drop-in installed:
	# the helper runs before chronyd, and nothing makes chronyd wait for the
	# clock here (only ptp-vmware-generator does that, at boot, on machines
	# with the device; the chroot has none).
	seen=$(ovl_run pkg env SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --man=no chrony.service 2>&1)
	echo "$seen" >"$logs/systemd-analyze-chrony.log"
	check_match "dpkg -i: systemd-analyze: chrony.service has the drop-in" \
		"DropIn Path: .*/systemd/system/chrony\.service\.d/ptp-vmware\.conf" "$seen"
	check_match "dpkg -i: systemd-analyze: its ExecStartPre runs ptp-vmware-chrony prepare" \
		"Command Line: /usr/libexec/ptp_vmw/ptp-vmware-chrony prepare" "$seen"
	check_none "dpkg -i: systemd-analyze: no unconditional dependency of chrony.service on dev-ptp_vmware.device" \
		"lines" "$(echo "$seen" | grep -E '(Wants|Requires|After|BindsTo): dev-ptp_vmware')"
	check_eq "dpkg -i: ptp-vmware-generator is the helper, linked into systemd's generator directory" \
		"/usr/libexec/ptp_vmw/ptp-vmware-chrony" \
		"$(ovl_run pkg readlink -f /lib/systemd/system-generators/ptp-vmware-generator 2>&1)"
	log=$logs/dpkg-purge.log
	check_step "dpkg --purge ptp-vmw-dkms succeeds" "$log" ovl_run pkg dpkg --purge ptp-vmw-dkms
	check_eq "dpkg --purge: dkms status knows no $MODNAME" "" "$(dkms_all pkg)"
	ovl_snapshot pkg "$logs/paths-after-purge.txt"
	check_none "dpkg --purge: no file of the package or of DKMS's build is left behind" "new paths" \
		"$(ovl_leftovers "$logs/paths-before.txt" "$logs/paths-after-purge.txt")"
	check_none "dpkg --purge: no modules.dep mentions updates/dkms/$MODNAME" "mentions" \
		"$(ovl_run pkg sh -c "grep -l 'updates/dkms/$MODNAME' /lib/modules/*/modules.dep" 2>/dev/null)"
}

# pkg_test_rpm: rpm -i and rpm -e, the spec's scriptlets for real.
pkg_test_rpm() {
local kver log
	# Debian's rpm installs it (--nodeps: dkms is a Debian package here, not
	# in rpm's database); DKMS then behaves as on Debian (updates/dkms).
	log=$logs/rpm-install.log
	check_step "rpm -i $(basename "$rpmf") succeeds (its %post runs DKMS)" "$log" \
		ovl_run pkg rpm -i --nodeps "$rpmf"
	for kver in "${kvers[@]}"; do
		check_eq "rpm -i: the %post built and installed $MODNAME for $kver" installed "$(dkms_state pkg "$kver")"
	done
	check_log "rpm -i: the %post (DKMS's common.postinst) says why the PTP-less kernel gets no module" \
		"includes a BUILD_EXCLUSIVE directive which does not match this kernel" "$log"
	check_eq "rpm -i: ptp-vmware-generator is the helper, linked into systemd's generator directory" \
		"/usr/libexec/ptp_vmw/ptp-vmware-chrony" \
		"$(ovl_run pkg readlink -f /usr/lib/systemd/system-generators/ptp-vmware-generator 2>&1)"
	# shellcheck disable=SC2016,SC2046 # expanded by the sh it runs; a list of file names
	check_none "rpm -i: every file of the .rpm is in place" "missing files" \
		"$(ovl_run pkg sh -c 'for f; do [ -f "$f" ] || echo "$f"; done' sh $(cat "$logs/rpm-files.txt"))"
	log=$logs/rpm-erase.log
	check_step "rpm -e ptp-vmw-dkms succeeds (its %preun runs dkms remove)" "$log" \
		ovl_run pkg rpm -e --nodeps ptp-vmw-dkms
	check_eq "rpm -e: dkms status knows no $MODNAME" "" "$(dkms_all pkg)"
	ovl_snapshot pkg "$logs/paths-after-erase.txt"
	check_none "rpm -e: no file of the package or of DKMS's build is left behind" "new paths" \
		"$(ovl_leftovers "$logs/paths-before.txt" "$logs/paths-after-erase.txt")"
}

# pkg_test_noheaders: with no kernel headers at all the .deb still installs,
# DKMS says why nothing was built, and the purge leaves nothing.
pkg_test_noheaders() {
local log
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	ovl_run pkg sh -c 'n=$1; shift
		rm -rf /lib/modules/$n /usr/src/linux-headers-$n
		for k; do dpkg --purge linux-headers-$k || exit 1; done' sh "$noptp" "${kvers[@]}" \
		>"$logs/headers-purge.log" 2>&1 ||
		fail "no headers: the kernel headers purged from the layer" "see $logs/headers-purge.log"
	log=$logs/dpkg-install-noheaders.log
	check_step "no headers: dpkg -i $(basename "$deb") still succeeds" "$log" ovl_run pkg dpkg -i "$deb"
	check_log "no headers: DKMS says the module was not built because the headers are missing" \
		"kernel headers for this kernel do not seem to be installed" "$log"
	check_match "no headers: DKMS has the sources registered, built for no kernel" \
		"^$MODNAME/$(ere_quote "$version"): added\$" "$(dkms_all pkg)"
	log=$logs/dpkg-purge-noheaders.log
	check_step "no headers: dpkg --purge ptp-vmw-dkms succeeds" "$log" ovl_run pkg dpkg --purge ptp-vmw-dkms
	check_none "no headers: after the purge neither DKMS nor /usr/src knows $MODNAME" "traces" \
		"$(ovl_run pkg sh -c "dkms status -m $MODNAME; ls -d /var/lib/dkms/$MODNAME /usr/src/$MODNAME-* 2>/dev/null")"
}

# host_test_packages_prepare: what host_test_packages shares with the other
# host tests, made ready before they run side by side (as
# host_test_dkms_prepare).
host_test_packages_prepare() {
	# shellcheck disable=SC2086 # a list of package names
	dkms_kernels >/dev/null && chroot_ensure "$DKMS_SUITE" $DKMS_TOOL_PKGS $PKG_TOOL_PKGS
}

# host_test_packages: the .deb and the .rpm built, inspected, installed and
# removed, in a throwaway layer over the bookworm chroot.
host_test_packages() {
	local version lines series kver kvers=() ka noptp deb rpmf logs src fails0
	result_context host packages
	say "packages: .deb and .rpm built, installed and removed (in a throwaway layer over the $DKMS_SUITE chroot)"
	fails0=$(results_failures)
	logs=$OUT/packages
	rm -rf "$logs"
	mkdir -p "$logs"
	version=$(project_version)
	lines=$(dkms_kernels) || {
		fail "package test: kernel headers of the $DKMS_SUITE series installed in the chroot" "kernel_prepare failed; see above"
		return 0
	}
	# shellcheck disable=SC2034 # series: the field skipped
	while read -r series kver; do kvers+=("$kver"); done <<<"$lines"
	ka=${kvers[0]}
	# shellcheck disable=SC2086 # lists of package names
	chroot_ensure "$DKMS_SUITE" $DKMS_TOOL_PKGS $PKG_TOOL_PKGS

	ovl_new pkg
	ovl_fast_dpkg pkg
	src=$(ovl_upper pkg)/build/ptp-vmw
	mkdir -p "$src"
	# shellcheck disable=SC2046 # a list of paths without blanks
	(cd "$TOP" && cp --parents $(project_sources) "$src/" && cp -r debian dist packaging README.md "$src/")

	if pkg_build; then
		pkg_check_versions
		pkg_check_payloads
		pkg_test_dpkg
		pkg_test_rpm
		pkg_test_noheaders
	fi

	if [ "$(results_failures)" -eq "$fails0" ]; then
		ovl_drop pkg
	else
		say "package test: layer kept for a look in $OVL_BASE/pkg (upper/ holds what changed)"
	fi
}
