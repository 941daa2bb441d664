# SPDX-License-Identifier: GPL-2.0-only
# Cached debootstrap chroots, one per Debian suite, under $CACHE/chroot/.
# Guest kernels, their headers and compilers, DKMS and package tests all live
# in these chroots: nothing of the kind is installed on the host.
# Sourced after common.sh.

CHROOTS=$CACHE/chroot

# Host packages these helpers use.
chroot_host_tools() { need_pkgs debootstrap debian-archive-keyring; }

# The Debian mirror and security mirror the host uses (URIs only; the host's
# apt configuration is read, never changed).
_host_mirror() {
	local want=$1 uri
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -oE 'https?://[^ ]+' | grep -E "/$want/?\$" | head -n 1)
	echo "${uri:-http://deb.debian.org/$want}"
}

chroot_root() { echo "$CHROOTS/$1"; }

# The suite debootstrap installs (backports live on top of their base suite).
_chroot_base_suite() { echo "${1%-backports}"; }

_chroot_sources() {
	local suite=$1 base mirror sec
	base=$(_chroot_base_suite "$suite")
	mirror=$(_host_mirror debian)
	sec=$(_host_mirror debian-security)
	echo "deb $mirror $base main"
	echo "deb $mirror $base-updates main"
	echo "deb $sec $base-security main"
	[ "$suite" != "$base" ] && echo "deb $mirror $suite main"
	return 0
}

# ---- The one way into a tree ---------------------------------------------

# tree_with LOWERS LAYER CMD...: CMD on the host, in a private mount
# namespace (what it mounts vanishes with it; several runs may share the
# trees), with ROOT in its environment naming the tree: LOWERS itself when
# LAYER is empty, else LOWERS (one directory, or a colon-separated list of
# layers, top first) under the overlayfs layer LAYER, whose upper/ gets
# what CMD changes.
tree_with() {
	local lowers=$1 layer=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	unshare --mount --propagation private -- sh -c '
		lowers=$1 layer=$2
		shift 2
		ROOT=$lowers
		if [ -n "$layer" ]; then
			ROOT=$layer/merged
			mkdir -p "$ROOT" "$layer/upper" "$layer/work"
			mount -t overlay overlay \
				-o "lowerdir=$lowers,upperdir=$layer/upper,workdir=$layer/work" "$ROOT" || exit 1
		fi
		export ROOT
		exec "$@"' sh "$lowers" "$layer" "$@"
}

# tree_chroot LOWERS LAYER CMD...: CMD as root chrooted into that tree,
# /proc mounted, a clean environment (apt never asks).
tree_chroot() {
	local lowers=$1 layer=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	tree_with "$lowers" "$layer" sh -c '
		mount -t proc proc "$ROOT/proc" || exit 1
		exec chroot "$ROOT" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"' sh "$@"
}

# chroot_run SUITE CMD...: run CMD inside the suite's chroot.
chroot_run() {
	local root
	root=$(chroot_root "$1")
	shift
	tree_chroot "$root" "" "$@"
}

# ---- Throwaway layers over a suite's chroot -------------------------------
# Everything that installs or removes our module or packages (DKMS, the
# packages' tests, the Debian suites' installs) happens in a copy-on-write
# layer over a cached chroot: the chroot itself never carries them.

OVL_BASE=$OUT/overlay
# The suite whose chroot builds our packages and runs the DKMS and package
# tests (the layers' default).
DKMS_SUITE=bookworm

# ovl_new NAME [SUITE]: a fresh, empty layer over SUITE's chroot (default
# DKMS_SUITE). Files written below $(ovl_upper NAME) before a run appear in it
# (the chroot's /lib is a symlink to usr/lib: write under build/ and copy
# from there inside the layer).
ovl_new() {
	rm -rf "${OVL_BASE:?}/$1"
	mkdir -p "$OVL_BASE/$1/upper" "$OVL_BASE/$1/work" "$OVL_BASE/$1/merged"
	echo "${2:-$DKMS_SUITE}" >"$OVL_BASE/$1/suite"
}

ovl_upper() { echo "$OVL_BASE/$1/upper"; }

# ovl_run NAME CMD...: CMD as root inside the layer NAME over its suite's
# chroot (what CMD changed stays in the layer for the next ovl_run NAME).
ovl_run() {
	local name=$1
	shift
	tree_chroot "$(chroot_root "$(cat "$OVL_BASE/$name/suite")")" "$OVL_BASE/$name" "$@"
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

_chroot_build() {
	local suite=$1 root base tmp
	root=$(chroot_root "$suite")
	base=$(_chroot_base_suite "$suite")
	tmp=$root.new
	rm -rf "$tmp" "$root"
	mkdir -p "$CHROOTS"
	step "debootstrap $base chroot (for $suite)" "$OUT/chroot-$suite-debootstrap.log" \
		debootstrap --variant=minbase "$base" "$tmp" "$(_host_mirror debian)"
	_chroot_sources "$suite" >"$tmp/etc/apt/sources.list"
	# Packages installed here must never start services.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	# No initramfs for kernels installed in the chroot: nobody boots them.
	mkdir -p "$tmp/etc/initramfs-tools"
	echo 'INITRD=No' >"$tmp/etc/kernel-img.conf"
	echo "suite=$suite" >"$tmp/.ptp_vmw-chroot"
	mv "$tmp" "$root"
}

# chroot_ensure SUITE [PKG...]: the suite's chroot, built if missing or
# broken, package lists refreshed when older than an hour, PKGs installed.
chroot_ensure() {
	local suite=$1 rc
	shift
	chroot_host_tools
	# Several runs (and engineers) share the cache: one builder per suite.
	mkdir -p "$CHROOTS"
	exec {_chroot_lock}>"$CHROOTS/.lock-$suite"
	flock -n "$_chroot_lock" || {
		say "waiting for another run to finish with the $suite chroot ..."
		flock "$_chroot_lock"
	}
	_chroot_ensure_locked "$suite" "$@"
	rc=$?
	exec {_chroot_lock}>&-
	return $rc
}

_chroot_ensure_locked() {
	local suite=$1 root stamp missing=() p
	shift
	root=$(chroot_root "$suite")
	if [ ! -f "$root/.ptp_vmw-chroot" ] || ! chroot_run "$suite" true 2>/dev/null; then
		_chroot_build "$suite"
	fi
	stamp=$root/.ptp_vmw-apt-updated
	if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
		step "refreshing $suite package lists" "$OUT/chroot-$suite-update.log" \
			chroot_run "$suite" apt-get -o DPkg::Lock::Timeout=600 update
		touch "$stamp"
	fi
	# The archive moves on (security updates, point releases): what the
	# chroot has installed follows it once a week, so that the compilers,
	# chrony and the rest the tests use are the suite's current ones, not
	# those of the day the cache was made.
	stamp=$root/.ptp_vmw-apt-upgraded
	if [ -z "$(find "$stamp" -mtime -7 2>/dev/null)" ]; then
		step "upgrading the $suite chroot's packages (weekly)" "$OUT/chroot-$suite-upgrade.log" \
			chroot_run "$suite" env INITRD=No apt-get -y -o DPkg::Lock::Timeout=600 upgrade
		touch "$stamp"
	fi
	for p in "$@"; do
		# shellcheck disable=SC2016 # dpkg-query's format, not an expansion
		chroot_run "$suite" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local target=()
	[ "$suite" != "$(_chroot_base_suite "$suite")" ] && target=(-t "$suite")
	step "installing into the $suite chroot: ${missing[*]}" "$OUT/chroot-$suite-install.log" \
		chroot_run "$suite" env INITRD=No apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
		"${target[@]}" "${missing[@]}"
}

# kernel_facts SERIES: what the suite's archive offers for the series, as
# kernel_choose reads it: one "headers NAME" line for every headers package
# name the package lists know (matching the series), then `apt-cache
# madison` lines (every downloadable version, with the suite it is in) for
# each ABI's headers, signed image and unsigned image.
kernel_facts() {
	local series=$1 suite regex names pkgs="" n k
	suite=$(kseries_suite "$series")
	regex=$(kseries_regex "$series")
	names=$(chroot_run "$suite" apt-cache pkgnames linux-headers- | grep -E "$regex" | LC_ALL=C sort)
	for n in $names; do
		echo "headers $n"
		k=${n#linux-headers-}
		pkgs="$pkgs $n linux-image-$k linux-image-$k-unsigned"
	done
	# shellcheck disable=SC2086 # a list of package names
	[ -z "$pkgs" ] || chroot_run "$suite" apt-cache madison $pkgs 2>/dev/null
}

# chroot_newest_kernel SERIES: "KVER IMAGE-PACKAGE" for the newest kernel of
# the series that the archive lets us install (kernel_choose's rule), with
# its reasons in $OUT/kernel-choice-SERIES.txt; fails with the reasons on
# stderr when there is none. Several steps of one run ask at once (a host
# test and the image builder in the background): each writes files of its
# own and renames them into place, so no reader sees another's half-written.
chroot_newest_kernel() {
	local series=$1 facts why choice rc=0
	facts=$(mktemp "$OUT/kernel-facts-$series.XXXXXX") || return 1
	why=$(mktemp "$OUT/kernel-choice-$series.XXXXXX") || { rm -f "$facts"; return 1; }
	if kernel_facts "$series" >"$facts"; then
		choice=$(kernel_choose "$(kseries_suite "$series")" <"$facts" 2>"$why")
	else
		echo "the package lists of $(kseries_suite "$series") could not be read" >"$why"
	fi
	mv -f "$facts" "$OUT/kernel-facts-$series.txt"
	mv -f "$why" "$OUT/kernel-choice-$series.txt"
	[ -n "${choice:-}" ] || { cat "$OUT/kernel-choice-$series.txt" >&2; rc=1; }
	[ "$rc" -ne 0 ] || echo "$choice"
	return "$rc"
}
