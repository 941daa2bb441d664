# SPDX-License-Identifier: GPL-2.0-only
# DKMS, the way a user runs it (make dkms-install / make dkms-remove), and the
# way a kernel upgrade runs it (Debian's header_postinst.d hook), for both
# Debian 12 kernel series.
#
# Everything that installs or removes our module happens in a throwaway
# copy-on-write layer (overlayfs) over the cached bookworm chroot: the chroot
# itself never carries our module, rules or packages, and the host is never
# touched. The .ko DKMS built for each kernel is left at
# $OUT/dkms/<kernel>/ptp_vmw.ko for the guest scenarios (tests/host/check.sh).
# Sourced by tests/host/check.sh, after the lib/ helpers and boot.sh (record).

# ---- The test --------------------------------------------------------------

# dkms_layer NAME KVER...: a fresh layer holding the sources (as a checkout
# has them) under /build/src and the distribution's ptp_vmw for each KVER.
dkms_layer() {
	local name=$1
	shift
	ovl_new "$name"
	ovl_fast_dpkg "$name"
	mkdir -p "$(ovl_upper "$name")/build/src"
	# shellcheck disable=SC2046 # a list of paths without blanks
	(cd "$TOP" && cp --parents $(project_sources) "$(ovl_upper "$name")/build/src/" &&
		cp -r packaging "$(ovl_upper "$name")/build/src/")
	stage_intree "$name" "$@"
}

# dkms_copy_out KVER PATH: the module DKMS installed for KVER at PATH (in the
# layer), uncompressed, as $OUT/dkms/KVER/ptp_vmw.ko: the guest scenarios
# boot this very file (tests/host/check.sh series_build).
dkms_copy_out() {
	local kver=$1 p=$2 d=$OUT/dkms/$1
	mkdir -p "$d"
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	if ovl_run dkms sh -c 'case $1 in *.xz) xz -dc "$1" ;; *.zst) zstd -dc "$1" ;; *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac' \
		sh "$p" >"$d/$MODNAME.ko.tmp" && [ -s "$d/$MODNAME.ko.tmp" ]; then
		mv "$d/$MODNAME.ko.tmp" "$d/$MODNAME.ko"
		echo "$p" >"$d/installed-as"
	else
		rm -rf "$d"
		fail "the DKMS-built module for $kver copied out for the guest" "could not read $p"
	fi
}

# dkms_test_install VERSION KVER...: make dkms-install adds, builds, signs
# and installs for every kernel with headers, shadowing the in-tree module.
dkms_test_install() {
	local version=$1 kver p
	shift
	readme_has_cmds "sudo make dkms-install" "sudo make dkms-remove" \
		"sudo mokutil --import /var/lib/dkms/mok.pub"
	check_step "make dkms-install succeeds (dkms add, build, install)" "$OUT/dkms-install.log" \
		ovl_run dkms sh -c 'cd /build/src && make dkms-install'
	for kver; do
		check_eq "dkms status: $MODNAME/$version installed for $kver" installed "$(dkms_state dkms "$kver")"
		p=$(modinfo_path dkms "$kver")
		check_match "modinfo -k $kver -n $MODNAME resolves to the DKMS copy in updates/dkms, not the in-tree one" \
			"^/lib/modules/$(ere_quote "$kver")/updates/dkms/$MODNAME\.ko(\.xz|\.zst|\.gz)?$" "$p"
		check_eq "modinfo version of the DKMS module for $kver is dkms.conf's PACKAGE_VERSION" \
			"$version" "$(ovl_run dkms modinfo -k "$kver" -F version "$MODNAME" 2>&1)"
		check_eq "DKMS signed the module for $kver with its MOK key (modinfo signer)" \
			"DKMS module signing key" "$(ovl_run dkms modinfo -k "$kver" -F signer "$MODNAME" 2>&1)"
		dkms_copy_out "$kver" "$p"
	done
	check_match "DKMS's certificate, the one the README enrolls with mokutil, is /var/lib/dkms/mok.pub" \
		"DKMS module signing key" \
		"$(ovl_run dkms openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject 2>&1)"
	check_eq "make dkms-install: /usr/src/$MODNAME-$version holds exactly the driver's files (make print-sources)" \
		"$(driver_file_list)" \
		"$(ovl_run dkms sh -c "cd /usr/src/$MODNAME-$version && find . -type f | sed 's|^\./||'" | LC_ALL=C sort | tr '\n' ' ')"
	check_eq "AUTOINSTALL is on in the installed dkms.conf (kernel upgrades rebuild it)" yes \
		"$(ovl_run dkms bash -c ". /usr/src/$MODNAME-$version/dkms.conf; echo \$AUTOINSTALL")"
}

# dkms_test_upgrade VERSION KB KVER...: installed for all but KB, then KB's
# headers arrive the way a kernel upgrade brings them, and Debian's hook
# makes DKMS build for KB by itself.
dkms_test_upgrade() {
	local version=$1 kb=$2 kver log
	shift 2
	ovl_run dkms dkms remove "$MODNAME/$version" -k "$kb" >"$OUT/dkms-upgrade-remove.log" 2>&1
	check_eq "upgrade path: after dkms remove -k $kb, DKMS has nothing for $kb" "" "$(dkms_state dkms "$kb")"
	check_none "upgrade path: after dkms remove -k $kb, no module of ours in /lib/modules/$kb" "files" \
		"$(ovl_run dkms find "/lib/modules/$kb/updates" -name "$MODNAME.ko*" 2>/dev/null)"
	log=$OUT/dkms-upgrade-headers.log
	check_step "upgrade path: apt-get install --reinstall linux-headers-$kb succeeds" "$log" \
		ovl_run dkms apt-get install -y --reinstall --no-install-recommends -o DPkg::Lock::Timeout=60 "linux-headers-$kb"
	check_log "upgrade path: the headers' postinst ran DKMS's hook (/etc/kernel/header_postinst.d/dkms) for $kb" \
		"dkms: running auto installation service for kernel $kb" "$log"
	check_eq "upgrade path: DKMS built and installed $MODNAME for $kb by itself" installed "$(dkms_state dkms "$kb")"
	check_match "upgrade path: modinfo -k $kb -n $MODNAME resolves to updates/dkms again" \
		"^/lib/modules/$(ere_quote "$kb")/updates/dkms/$MODNAME\.ko" "$(modinfo_path dkms "$kb")"
	for kver; do
		[ "$kver" = "$kb" ] && continue
		check_eq "upgrade path: $kver kept its module throughout" installed "$(dkms_state dkms "$kver")"
	done
}

# dkms_test_remove KVER...: make dkms-remove leaves nothing of ours and the
# in-tree module in charge again.
dkms_test_remove() {
	local kver
	check_step "make dkms-remove succeeds" "$OUT/dkms-remove.log" ovl_run dkms sh -c 'cd /build/src && make dkms-remove'
	check_eq "after make dkms-remove, dkms status knows no $MODNAME" "" "$(dkms_all dkms)"
	ovl_snapshot dkms "$OUT/dkms-paths-after.txt"
	check_none "after make dkms-remove (dkms remove --all), no file of ours is left behind" "new paths" \
		"$(ovl_leftovers "$OUT/dkms-paths-before.txt" "$OUT/dkms-paths-after.txt")"
	check_none "after make dkms-remove, no modules.dep mentions updates/dkms/$MODNAME" "mentions" \
		"$(ovl_run dkms sh -c "grep -l 'updates/dkms/$MODNAME' /lib/modules/*/modules.dep" 2>/dev/null)"
	for kver; do
		check_match "after make dkms-remove, modinfo -k $kver -n $MODNAME is the in-tree driver again" \
			"^/lib/modules/$(ere_quote "$kver")/kernel/drivers/ptp/$MODNAME\.ko" "$(modinfo_path dkms "$kver")"
	done
}

# host_test_dkms_prepare: what host_test_dkms shares with the other host
# tests (the chroot, its packages, the kernels' headers), made ready before
# they run side by side; a failure here is the test's own to report.
host_test_dkms_prepare() {
	# shellcheck disable=SC2086 # a list of package names
	dkms_kernels >/dev/null && chroot_ensure "$DKMS_SUITE" $DKMS_TOOL_PKGS
}

# host_test_dkms: make dkms-install, a kernel upgrade, make dkms-remove, in
# a throwaway layer over the bookworm chroot with both series' headers.
host_test_dkms() {
	local version lines series kver kvers=() fails0
	result_context host dkms
	say "DKMS: make dkms-install, kernel upgrade, make dkms-remove (in a throwaway layer over the $DKMS_SUITE chroot)"
	rm -rf "$OUT/dkms"
	fails0=$(results_failures)
	version=$(project_version)
	lines=$(dkms_kernels) || {
		fail "DKMS test: kernel headers of the $DKMS_SUITE series installed in the chroot" "kernel_prepare failed; see above"
		return 0
	}
	# shellcheck disable=SC2034 # series: the field skipped
	while read -r series kver; do kvers+=("$kver"); done <<<"$lines"
	# shellcheck disable=SC2086 # a list of package names
	chroot_ensure "$DKMS_SUITE" $DKMS_TOOL_PKGS
	dkms_layer dkms "${kvers[@]}"
	for kver in "${kvers[@]}"; do
		check_match "before: modinfo -k $kver -n $MODNAME is the in-tree driver (kernel/drivers/ptp)" \
			"^/lib/modules/$(ere_quote "$kver")/kernel/drivers/ptp/$MODNAME\.ko" "$(modinfo_path dkms "$kver")"
	done
	ovl_snapshot dkms "$OUT/dkms-paths-before.txt"

	dkms_test_install "$version" "${kvers[@]}"
	dkms_test_upgrade "$version" "${kvers[${#kvers[@]}-1]}" "${kvers[@]}"
	dkms_test_remove "${kvers[@]}"

	if [ "$(results_failures)" -eq "$fails0" ]; then
		ovl_drop dkms
	else
		say "DKMS test: layer kept for a look in $OVL_BASE/dkms (upper/ holds what changed)"
	fi
}
