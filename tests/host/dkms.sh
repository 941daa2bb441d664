# SPDX-License-Identifier: GPL-2.0-only
# DKMS, the way a user runs it (make dkms-install / make dkms-remove), and the
# way a kernel upgrade runs it (Debian's header_postinst.d hook), for both
# Debian 12 kernel series.
#
# Everything that installs or removes our module happens in a throwaway
# copy-on-write layer (overlayfs) over the cached bookworm chroot: the chroot
# itself never carries our module, rules or packages, and the host is never
# touched. The .ko DKMS built for each kernel is left at
# $OUT/dkms/<kernel>/ptp_vmw.ko for the guest scenarios (tests/check.sh).
# Sourced by tests/check.sh, after the lib/ helpers and boot.sh (record).

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

# ---- Checks ----------------------------------------------------------------

# t_eq SERIES CHECK EXPECTED SEEN
t_eq() {
	if [ "$3" = "$4" ]; then
		record PASS "$1" "$2"
	else
		record FAIL "$1" "$2" "expected '$3', saw '$4'"
	fi
}

# t_match SERIES CHECK REGEX SEEN: SEEN matches the extended REGEX.
t_match() {
	if printf '%s\n' "$4" | grep -qE -- "$3"; then
		record PASS "$1" "$2"
	else
		record FAIL "$1" "$2" "expected a match for /$3/, saw '$(printf '%s' "$4" | tail -n 3 | tr '\n' ' ')'"
	fi
}

# t_none SERIES CHECK WHAT LIST: LIST (one item a line) must be empty.
t_none() {
	if [ -z "$4" ]; then
		record PASS "$1" "$2"
	else
		record FAIL "$1" "$2" "expected no $3, saw: $(printf '%s' "$4" | head -n 8 | tr '\n' ' ')"
	fi
}

# t_log SERIES CHECK NEEDLE LOG: the log file contains NEEDLE.
t_log() {
	if grep -qF -- "$3" "$4" 2>/dev/null; then
		record PASS "$1" "$2"
	else
		record FAIL "$1" "$2" "expected '$3' in $4, its tail: $(tail -n 3 "$4" 2>/dev/null | tr '\n' ' ')"
	fi
}

# t_step SERIES CHECK LOG CMD...: CMD succeeds (run with step's progress
# lines; its output in LOG).
t_step() {
	local series=$1 check=$2 log=$3
	shift 3
	if (step "$check" "$log" "$@"); then
		record PASS "$series" "$check"
	else
		record FAIL "$series" "$check" "expected success, it failed; log: $log"
		return 1
	fi
}

# readme_has_cmds SERIES CMD...: the README gives each CMD verbatim.
readme_has_cmds() {
	local series=$1 c missing=""
	shift
	for c in "$@"; do
		grep -qF -- "$c" "$TOP/README.md" || missing="$missing [$c]"
	done
	t_none "$series" "the README gives the install commands this test runs, verbatim" "missing commands" "$missing"
}

# dkms_state NAME KVER: DKMS's word for our module on KVER ("installed",
# "built", "added" or "" when DKMS has nothing for that kernel).
dkms_state() {
	ovl_run "$1" dkms status -m "$MODNAME" -k "$2" 2>/dev/null |
		sed -n "s/^$MODNAME[/,].*$2.*: \([a-z]*\).*/\1/p" | head -n 1
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
		rel=${f#lib/modules/$k/}
		mkdir -p "$(ovl_upper "$name")/build/intree/$k/$(dirname "$rel")"
		cp "$KERNELS/$k/root/$f" "$(ovl_upper "$name")/build/intree/$k/$rel"
		cp "$KERNELS/$k/root/lib/modules/$k"/modules.builtin* "$KERNELS/$k/root/lib/modules/$k/modules.order" \
			"$(ovl_upper "$name")/build/intree/$k/" 2>/dev/null
	done
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

host_test_dkms() {
	local S=dkms version lines series kver kvers=() kb log before after left p state fails0
	say "DKMS: make dkms-install, kernel upgrade, make dkms-remove (in a throwaway layer over the $DKMS_SUITE chroot)"
	rm -rf "$OUT/dkms"
	fails0=$(grep -c '^FAIL' "$RESULTS")
	version=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$TOP/dkms.conf")

	lines=$(dkms_kernels) || {
		record FAIL "$S" "DKMS test: kernel headers of the $DKMS_SUITE series installed in the chroot" "kernel_prepare failed; see above"
		return 0
	}
	while read -r series kver; do kvers+=("$kver"); done <<<"$lines"
	chroot_ensure "$DKMS_SUITE" $DKMS_TOOL_PKGS

	ovl_new dkms
	ovl_fast_dpkg dkms
	mkdir -p "$(ovl_upper dkms)/build/src"
	# shellcheck disable=SC2086 # DRIVER_FILES: a list of paths
	(cd "$TOP" && cp --parents $DRIVER_FILES "$(ovl_upper dkms)/build/src/" &&
		cp -r packaging "$(ovl_upper dkms)/build/src/")
	stage_intree dkms "${kvers[@]}"

	for kver in "${kvers[@]}"; do
		t_match "$S" "before: modinfo -k $kver -n $MODNAME is the in-tree driver (kernel/drivers/ptp)" \
			"^/lib/modules/$(ere_quote "$kver")/kernel/drivers/ptp/$MODNAME\.ko" "$(modinfo_path dkms "$kver")"
	done
	ovl_snapshot dkms "$OUT/dkms-paths-before.txt"

	# 1. make dkms-install: add, build and install for every kernel with headers.
	readme_has_cmds "$S" "sudo make dkms-install" "sudo make dkms-remove" \
		"sudo mokutil --import /var/lib/dkms/mok.pub"
	log=$OUT/dkms-install.log
	t_step "$S" "make dkms-install succeeds (dkms add, build, install)" "$log" \
		ovl_run dkms sh -c 'cd /build/src && make dkms-install'
	for kver in "${kvers[@]}"; do
		t_eq "$S" "dkms status: $MODNAME/$version installed for $kver" installed "$(dkms_state dkms "$kver")"
		p=$(modinfo_path dkms "$kver")
		t_match "$S" "modinfo -k $kver -n $MODNAME resolves to the DKMS copy in updates/dkms, not the in-tree one" \
			"^/lib/modules/$(ere_quote "$kver")/updates/dkms/$MODNAME\.ko(\.xz|\.zst|\.gz)?$" "$p"
		t_eq "$S" "modinfo version of the DKMS module for $kver is dkms.conf's PACKAGE_VERSION" \
			"$version" "$(ovl_run dkms modinfo -k "$kver" -F version "$MODNAME" 2>&1)"
		t_eq "$S" "DKMS signed the module for $kver with its MOK key (modinfo signer)" \
			"DKMS module signing key" "$(ovl_run dkms modinfo -k "$kver" -F signer "$MODNAME" 2>&1)"
		# The guest scenarios boot this very file (tests/check.sh run_series).
		mkdir -p "$OUT/dkms/$kver"
		if ovl_run dkms sh -c 'case $1 in *.xz) xz -dc "$1" ;; *.zst) zstd -dc "$1" ;; *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac' \
			sh "$p" >"$OUT/dkms/$kver/$MODNAME.ko.tmp" && [ -s "$OUT/dkms/$kver/$MODNAME.ko.tmp" ]; then
			mv "$OUT/dkms/$kver/$MODNAME.ko.tmp" "$OUT/dkms/$kver/$MODNAME.ko"
			echo "$p" >"$OUT/dkms/$kver/installed-as"
		else
			rm -rf "$OUT/dkms/$kver"
			record FAIL "$S" "the DKMS-built module for $kver copied out for the guest" "could not read $p"
		fi
	done
	t_match "$S" "DKMS's certificate, the one the README enrolls with mokutil, is /var/lib/dkms/mok.pub" \
		"DKMS module signing key" \
		"$(ovl_run dkms openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject 2>&1)"
	t_eq "$S" "make dkms-install: /usr/src/$MODNAME-$version holds exactly the driver's files (DRIVER_FILES)" \
		"$(cd "$TOP" && find $DRIVER_FILES -type f ! -name 'probed.h*' | LC_ALL=C sort | tr '\n' ' ')" \
		"$(ovl_run dkms sh -c "cd /usr/src/$MODNAME-$version && find . -type f | sed 's|^\./||'" | LC_ALL=C sort | tr '\n' ' ')"
	t_eq "$S" "AUTOINSTALL is on in the installed dkms.conf (kernel upgrades rebuild it)" yes \
		"$(ovl_run dkms bash -c ". /usr/src/$MODNAME-$version/dkms.conf; echo \$AUTOINSTALL")"

	# 2. The upgrade path: installed for one series only, then the other
	# series' headers arrive the way a kernel upgrade brings them.
	kb=${kvers[${#kvers[@]}-1]}
	ovl_run dkms dkms remove "$MODNAME/$version" -k "$kb" >"$OUT/dkms-upgrade-remove.log" 2>&1
	t_eq "$S" "upgrade path: after dkms remove -k $kb, DKMS has nothing for $kb" "" "$(dkms_state dkms "$kb")"
	t_none "$S" "upgrade path: after dkms remove -k $kb, no module of ours in /lib/modules/$kb" "files" \
		"$(ovl_run dkms find "/lib/modules/$kb/updates" -name "$MODNAME.ko*" 2>/dev/null)"
	log=$OUT/dkms-upgrade-headers.log
	t_step "$S" "upgrade path: apt-get install --reinstall linux-headers-$kb succeeds" "$log" \
		ovl_run dkms apt-get install -y --reinstall --no-install-recommends -o DPkg::Lock::Timeout=60 "linux-headers-$kb"
	t_log "$S" "upgrade path: the headers' postinst ran DKMS's hook (/etc/kernel/header_postinst.d/dkms) for $kb" \
		"dkms: running auto installation service for kernel $kb" "$log"
	t_eq "$S" "upgrade path: DKMS built and installed $MODNAME for $kb by itself" installed "$(dkms_state dkms "$kb")"
	t_match "$S" "upgrade path: modinfo -k $kb -n $MODNAME resolves to updates/dkms again" \
		"^/lib/modules/$(ere_quote "$kb")/updates/dkms/$MODNAME\.ko" "$(modinfo_path dkms "$kb")"
	for kver in "${kvers[@]}"; do
		[ "$kver" = "$kb" ] && continue
		t_eq "$S" "upgrade path: $kver kept its module throughout" installed "$(dkms_state dkms "$kver")"
	done

	# 3. make dkms-remove: dkms remove --all, and nothing of ours left.
	log=$OUT/dkms-remove.log
	t_step "$S" "make dkms-remove succeeds" "$log" ovl_run dkms sh -c 'cd /build/src && make dkms-remove'
	t_eq "$S" "after make dkms-remove, dkms status knows no $MODNAME" "" "$(dkms_all dkms)"
	ovl_snapshot dkms "$OUT/dkms-paths-after.txt"
	left=$(ovl_leftovers "$OUT/dkms-paths-before.txt" "$OUT/dkms-paths-after.txt")
	t_none "$S" "after make dkms-remove (dkms remove --all), no file of ours is left behind" "new paths" "$left"
	t_none "$S" "after make dkms-remove, no modules.dep mentions updates/dkms/$MODNAME" "mentions" \
		"$(ovl_run dkms sh -c "grep -l 'updates/dkms/$MODNAME' /lib/modules/*/modules.dep" 2>/dev/null)"
	for kver in "${kvers[@]}"; do
		t_match "$S" "after make dkms-remove, modinfo -k $kver -n $MODNAME is the in-tree driver again" \
			"^/lib/modules/$(ere_quote "$kver")/kernel/drivers/ptp/$MODNAME\.ko" "$(modinfo_path dkms "$kver")"
	done

	if [ "$(grep -c '^FAIL' "$RESULTS")" -eq "$fails0" ]; then
		ovl_drop dkms
	else
		say "DKMS test: layer kept for a look in $OVL_BASE/dkms (upper/ holds what changed)"
	fi
}
