# SPDX-License-Identifier: GPL-2.0-only
# Guest kernels: Debian's own images, unpacked (never installed) under
# $CACHE/kernels/<release>/, and our module built for them inside the suite's
# chroot against the matching headers.
# Sourced after common.sh, kseries.sh and chroot.sh.

KERNELS=$CACHE/kernels

# Packages every chroot needs to build the module and the guest's tools.
CHROOT_BUILD_PKGS="make gcc libc6-dev kmod sparse"

# copy_driver_sources DEST: a clean copy of the driver's sources (no build
# products, no generated files), so that nothing is written into the checkout.
copy_driver_sources() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	# shellcheck disable=SC2046 # a list of paths without blanks
	(cd "$TOP" && cp --parents $(project_sources) "$dest/")
}

# _extract_vmlinux BZIMAGE OUT: the uncompressed kernel, which QEMU boots
# directly through its PVH entry (much faster than unpacking under TCG).
_extract_vmlinux() {
	local img=$1 out=$2 off
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$img" | xz -dc >"$out" 2>/dev/null
	else
		off=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$img" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || { echo "no xz or zstd payload in $img" >&2; return 1; }
		tail -c +$((off + 1)) "$img" | zstd -dc >"$out" 2>/dev/null
	fi
	# Trailing data after the compressed stream makes the tools complain;
	# what counts is a complete ELF image with a PVH entry note.
	readelf -n "$out" 2>/dev/null | grep -q 'Xen.*0x00000012\|PHYS32_ENTRY' || {
		echo "$out: not an ELF kernel with a PVH entry point" >&2
		return 1
	}
}

# _unpack_kernel SUITE KVER PKG DIR: download and unpack the image package
# PKG (linux-image-KVER or its -unsigned twin, as kernel_choose decided).
# Touches $KERNEL_REACHED (if set) once the package is downloaded: from then
# on a failure is ours, not the archive's.
_unpack_kernel() {
	local suite=$1 kver=$2 pkg=$3 dir=$4 root pkgs deb ko dl img
	root=$(chroot_root "$suite")
	rm -rf "$dir"
	mkdir -p "$dir" "$root/var/tmp"
	dl=$(mktemp -d "$root/var/tmp/ptp_vmw-dl.XXXXXX") || return 1
	# Since 7.x linux-image-* is an empty package: the kernel is in
	# linux-binary-*, the modules in linux-modules-*, the config in
	# linux-base-*, all named with the release. Take whatever of those the
	# image depends on.
	# shellcheck disable=SC2020 # both ',' and '|' become newlines
	pkgs="$pkg $(chroot_run "$suite" apt-cache show --no-all-versions "$pkg" |
		sed -n 's/^Depends: //p' | tr ',|' '\n\n' | awk -v k="-$kver" '
			{ p = $1; n = length(p) - length(k) }
			p ~ /^linux-/ && n > 0 && substr(p, n + 1) == k { print p }' |
		sort -u | tr '\n' ' ')"
	echo "kernel packages: $pkgs"
	chroot_run "$suite" sh -c "cd /var/tmp/${dl##*/} && apt-get download $pkgs" || return 1
	ls "$dl"/*.deb >/dev/null || return 1
	[ -z "${KERNEL_REACHED:-}" ] || : >"$KERNEL_REACHED"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || return 1
	done
	rm -rf "$dl"
	# Merged-/usr packages (trixie on) ship /usr/lib/modules: one path for all.
	[ -e "$dir/root/lib" ] || ln -s usr/lib "$dir/root/lib"
	# Up to 6.12 the image is /boot/vmlinuz-<release>; from 7.x it sits with
	# its modules, /usr/lib/modules/<release>/vmlinuz.
	img=$dir/root/boot/vmlinuz-$kver
	[ -f "$img" ] || img=$dir/root/lib/modules/$kver/vmlinuz
	_extract_vmlinux "$img" "$dir/vmlinux" || return 1
	# The distribution's own ptp_vmw, uncompressed for busybox's insmod:
	# the reference the tests and benchmarks compare ours with.
	ko=$(find "$dir/root/lib/modules/$kver" -name 'ptp_vmw.ko*' | head -n 1)
	case $ko in
	*.xz) xz -dc "$ko" >"$dir/ptp_vmw-intree.ko" ;;
	*.zst) zstd -dc "$ko" >"$dir/ptp_vmw-intree.ko" ;;
	?*) cp "$ko" "$dir/ptp_vmw-intree.ko" ;;
	esac
	echo "$kver" >"$dir/.complete"
}

# kernel_prepare SERIES: sets KVER, KSUITE, KIMAGE_PKG (the image package
# chosen: signed or unsigned) and KDIR_IMAGE (the unpacked image with
# vmlinux and ptp_vmw-intree.ko) for the series' newest installable kernel.
kernel_prepare() {
	local series=$1 choice line
	need_pkgs xz-utils zstd binutils
	KSUITE=$(kseries_suite "$series")
	# shellcheck disable=SC2086 # a list of package names
	chroot_ensure "$KSUITE" $CHROOT_BUILD_PKGS
	choice=$(chroot_newest_kernel "$series") ||
		die "kernel series $series: no linux-headers/linux-image pair can be downloaded from $KSUITE (see $OUT/kernel-choice-$series.txt)"
	read -r KVER KIMAGE_PKG <<<"$choice"
	while IFS= read -r line; do
		say "[$series] kernel: $line"
	done <"$OUT/kernel-choice-$series.txt"
	chroot_ensure "$KSUITE" "linux-headers-$KVER"
	KDIR_IMAGE=$KERNELS/$KVER
	mkdir -p "$KERNELS"
	# One unpacker per kernel, however many runs share the cache.
	exec {_kernel_lock}>"$KERNELS/.lock-$KVER"
	flock -n "$_kernel_lock" || {
		say "waiting for another run to finish unpacking $KVER ..."
		flock "$_kernel_lock"
	}
	if [ "$(cat "$KDIR_IMAGE/.complete" 2>/dev/null)" != "$KVER" ] || [ ! -s "$KDIR_IMAGE/vmlinux" ]; then
		step "unpacking kernel image $KVER ($KIMAGE_PKG)" "$OUT/kernel-$KVER.log" \
			_unpack_kernel "$KSUITE" "$KVER" "$KIMAGE_PKG" "$KDIR_IMAGE"
	fi
	exec {_kernel_lock}>&-
	[ -z "${KERNEL_REACHED:-}" ] || : >"$KERNEL_REACHED"
	export KVER KSUITE KIMAGE_PKG KDIR_IMAGE
}

# module_build_dir: where, inside the chroot, this run builds for $KVER (one
# directory per output directory: concurrent runs never share a build tree).
module_build_dir() {
	echo "/build/run-$(echo "$OUT" | sha256sum | cut -c1-8)/$KVER/src"
}

# module_build SERIES-prepared: builds our module for $KVER inside the chroot,
# with W=1 and sparse (C=2). Sets MODULE_KO and MODULE_BUILD_LOG.
module_build() {
	local root src
	root=$(chroot_root "$KSUITE")
	src=$(module_build_dir)
	copy_driver_sources "$root$src"
	MODULE_BUILD_LOG=$OUT/build-$KVER.log
	step "building ptp_vmw for $KVER (W=1, sparse)" "$MODULE_BUILD_LOG" \
		chroot_run "$KSUITE" make -C "$src" \
		KDIR="/usr/src/linux-headers-$KVER" W=1 C=2
	MODULE_KO=$root$src/ptp_vmw.ko
	export MODULE_KO MODULE_BUILD_LOG
}
