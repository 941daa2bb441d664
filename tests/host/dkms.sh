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

DKMS_SUITE=bookworm
# Tool packages the DKMS and package tests need in the chroot (openssl: DKMS
# makes its module signing key with it, as on an installed system).
DKMS_TOOL_PKGS="dkms openssl xz-utils kmod"
OVL_BASE=$OUT/overlay
MODNAME=ptp_vmw

# ---- Copy-on-write layers over the chroot ----------------------------------

# ovl_new NAME: a fresh, empty layer. Files written below $(ovl_upper NAME)
# before a run appear in it (the chroot's /lib is a symlink to usr/lib: write
# under build/ and copy from there inside the layer).
ovl_new() {
	rm -rf "${OVL_BASE:?}/$1"
	mkdir -p "$OVL_BASE/$1/upper" "$OVL_BASE/$1/work" "$OVL_BASE/$1/merged"
}

ovl_upper() { echo "$OVL_BASE/$1/upper"; }

# ovl_run NAME CMD...: CMD as root inside the layer NAME over the chroot, in a
# private mount namespace (the overlay and /proc mounts vanish with it; what
# CMD changed stays in the layer for the next ovl_run NAME).
ovl_run() {
	local name=$1 lower d
	shift
	lower=$(chroot_root "$DKMS_SUITE")
	d=$OVL_BASE/$name
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	unshare --mount --propagation private -- sh -c '
		lower=$1 d=$2
		shift 2
		mount -t overlay overlay \
			-o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" || exit 1
		mount -t proc proc "$d/merged/proc" || exit 1
		exec chroot "$d/merged" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"' sh "$lower" "$d" "$@"
}

# ovl_fast_dpkg NAME: dpkg in the layer skips its fsync calls (what Debian's
# build chroots do too); the layer is thrown away, so nothing needs to
# survive a power cut, and installs over overlayfs get much faster.
ovl_fast_dpkg() {
	mkdir -p "$(ovl_upper "$1")/etc/dpkg/dpkg.cfg.d"
	echo force-unsafe-io >"$(ovl_upper "$1")/etc/dpkg/dpkg.cfg.d/ptp-vmw-test-unsafe-io"
}

# ovl_drop NAME: remove the layer (kept when the test failed, for a look).
ovl_drop() { rm -rf "${OVL_BASE:?}/$1"; }

# ovl_snapshot NAME FILE: every path in the layer's file system, sorted,
# leaving out what changes by itself (caches, logs, apt and dpkg state, the
# test's own /build, rpm's database in /root/.rpmdb).
ovl_snapshot() {
	ovl_run "$1" sh -c 'find / -xdev \( -path /proc -o -path /tmp -o -path /build \
		-o -path /var/cache -o -path /var/log -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /root/.rpmdb -o -path /run \) -prune -o -print' |
		LC_ALL=C sort >"$2"
}

# ovl_leftovers BEFORE AFTER: paths present after and not before, minus DKMS's
# own signing key and certificate (created at the first build and kept, so
# that a key enrolled with mokutil stays valid).
ovl_leftovers() {
	LC_ALL=C comm -13 "$1" "$2" | grep -vxE '/var/lib/dkms/mok\.(key|pub)'
}

# ere_quote TEXT: TEXT quoted for an extended regular expression (the "+" in
# 6.12.117+deb12-amd64).
ere_quote() { printf '%s' "$1" | sed 's/[][\\.^$*+?(){}|]/\\&/g'; }

# ---- Checks (tests/host/results.sh has the assertion helpers) ------------

# readme_has_cmds CMD...: the README gives each CMD verbatim.
readme_has_cmds() {
	local c missing=""
	for c in "$@"; do
		grep -qF -- "$c" "$TOP/README.md" || missing="$missing [$c]"
	done
	check_none "the README gives the install commands this test runs, verbatim" "missing commands" "$missing"
}

# driver_file_list: every file of the driver's sources (make print-sources),
# relative, sorted, on one line: what /usr/src/ptp_vmw-VERSION must hold.
driver_file_list() {
	# shellcheck disable=SC2046 # a list of file names
	(cd "$TOP" && find $(project_sources) -type f ! -name 'probed.h*' | LC_ALL=C sort | tr '\n' ' ')
}

# dkms_state NAME KVER: DKMS's word for our module on KVER ("installed",
# "built", "added" or "" when DKMS has nothing for that kernel).
dkms_state() {
	ovl_run "$1" dkms status -m "$MODNAME" -k "$2" 2>/dev/null |
		sed -n "s/^${MODNAME}[/,].*$2.*: \([a-z]*\).*/\1/p" | head -n 1
}

# dkms_all NAME: everything DKMS says about our module.
dkms_all() { ovl_run "$1" dkms status -m "$MODNAME" 2>/dev/null; }

# modinfo_path NAME KVER: where modprobe would load ptp_vmw from for KVER.
modinfo_path() { ovl_run "$1" modinfo -k "$2" -n "$MODNAME" 2>&1; }

# dkms_series: the bookworm kernel series make check proves (both Debian 12
# ships), whatever KSERIES says: the chroot is bookworm.
dkms_series() {
	local s
	for s in $KSERIES_DEFAULT; do
		[ "$(kseries_suite "$s")" = "$DKMS_SUITE" ] && echo "$s"
	done
}

# dkms_kernels: "SERIES KVER" lines, the headers of each installed in the
# chroot (kernel_prepare).
dkms_kernels() {
	local s k
	for s in $(dkms_series); do
		# shellcheck disable=SC2153 # KVER: set by kernel_prepare (tests/host/kernel.sh)
		k=$(kernel_prepare "$s" >&2 && echo "$KVER") || return 1
		echo "$s $k"
	done
}

# stage_intree NAME KVER...: the distribution's own ptp_vmw in the layer's
# /lib/modules/KVER/kernel, taken from the kernel image kernel_prepare
# unpacked, for a kernel whose image is not installed in the chroot, so that
# there is an in-tree module for ours to shadow.
stage_intree() {
	local name=$1 k f rel
	shift
	for k in "$@"; do
		f=$(cd "$KERNELS/$k/root" 2>/dev/null && find "lib/modules/$k/kernel/drivers/ptp" -name "$MODNAME.ko*" | head -n 1)
		[ -n "$f" ] || continue
		rel=${f#lib/modules/"$k"/}
		mkdir -p "$(ovl_upper "$name")/build/intree/$k/$(dirname "$rel")"
		cp "$KERNELS/$k/root/$f" "$(ovl_upper "$name")/build/intree/$k/$rel"
		cp "$KERNELS/$k/root/lib/modules/$k"/modules.builtin* "$KERNELS/$k/root/lib/modules/$k/modules.order" \
			"$(ovl_upper "$name")/build/intree/$k/" 2>/dev/null
	done
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	ovl_run "$name" sh -c '
		for k; do
			[ -d /build/intree/$k ] || continue
			if [ -n "$(find /lib/modules/$k/kernel -name "ptp_vmw.ko*" 2>/dev/null)" ]; then
				continue
			fi
			cp -a /build/intree/$k/. /lib/modules/$k/
		done
		for k; do depmod -a "$k"; done' sh "$@"
}

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
