# SPDX-License-Identifier: GPL-2.0-only
# A real Debian system for the system-* scenarios (Debian 12, and Debian 13
# through image_suite, with the same code): debootstrap, systemd as
# PID 1, Debian's kernel installed with apt and booted with its own
# initramfs-tools initrd, Debian's chrony with its stock chrony.conf, DKMS,
# and our package installed with apt the way an administrator installs it.
# Sourced after the harness (common.sh, results.sh, chroot.sh, kernel.sh,
# boot.sh) and dkms.sh (ovl_*).
#
# Everything is built on the host, in chroots, and cached under
# $CACHE/image/ (never in the host's /boot, /lib/modules, /usr/src or /etc):
#
#   base-KEY/root    the root file system: bookworm, the 6.1 kernel and its
#                    headers, chrony, dkms, the harness's agent unit. KEY
#                    hashes the recipe (this file's base functions, the agent
#                    unit) and the kernel chosen (kernel_prepare 6.1).
#   KIND-KEY/        a bootable variant: disk.img (ext4, made with
#                    mkfs.ext4 -d from the layers), vmlinuz and initrd.img
#                    (what the system's /vmlinuz and /initrd.img point to, as
#                    a boot loader would take them), release, and for the
#                    variants others build on, upper/ (an overlayfs layer).
#       nopkg        the base as it is: the system without our package
#       deb          + apt-get install ./ptp-vmw-dkms_*.deb (DKMS builds for 6.1)
#       up           deb + the 6.12 image and headers with apt (Debian's hooks
#                    make DKMS build for 6.12; /vmlinuz now points to 6.12)
#       nopkg-up     nopkg + the same 6.12 kernel: the 6.12 system without us
#       rpm          + the .rpm's payload with rpm -i --nodeps (its %post runs
#                    DKMS), and chrony.conf told about /etc/chrony.d
#       tsd          Debian's default time daemon: chrony purged,
#                    systemd-timesyncd with a site server, then our .deb
#                    installed with apt's defaults
#       old          + the previous release's .deb with apt, as deb: what
#                    system-upgrade upgrades (image_prev_release)
#   trixie-base-KEY/, trixie-KIND-KEY/  the same for Debian 13 (its own 6.12
#                    kernel, kernel_prepare trixie): nopkg, deb, rpm, tsd
#   The key of a variant adds what goes into it (the package sources, the
#   6.12 kernel). A variant is rebuilt when its key changes; every part of the
#   cache carries a checksum (a manifest of the tree, cksum of a disk) that
#   is checked before use, and a part that fails it is rebuilt, never used.
#
# Each boot gets its own qcow2 overlay on the variant's disk (qemu-img,
# Debian's qemu-utils), so the cached disk is never written; a scenario that
# reboots keeps its overlay from one boot to the next.

IMAGE_CACHE=$CACHE/image
# What the system has besides debootstrap's minimal base: systemd and udev,
# the kernel (added per KVER), its initrd builder, chrony, DKMS and what DKMS
# uses to build and sign (the compiler comes with the kernel headers). The
# same on every suite: tzdata-legacy (right/UTC on Debian 13) is not in it,
# our .deb's Recommends bring it.
IMAGE_PKGS="systemd-sysv udev kmod initramfs-tools zstd procps chrony tzdata dkms openssl"

# image_suite SUITE: the suite the images that follow (image_base,
# image_variant) are built of, one code path for all:
#   bookworm  Debian 12: the 6.1 kernel; up and nopkg-up add 6.12. Its cache
#             names (base-KEY, deb-KEY, ...) and keys are the ones from
#             before other suites came, so that their caches stay valid.
#   trixie    Debian 13: its own 6.12 kernel (series trixie), systemd 257,
#             chrony 4.6; cached as trixie-base-KEY, trixie-deb-KEY, ...
#             (its own lock and pruning, beside bookworm's). No up variants.
image_suite() {
	case $1 in
	bookworm) IMAGE_SUITE=bookworm IMAGE_SERIES=6.1 IMAGE_UP_SERIES=6.12 IMAGE_PREFIX='' ;;
	trixie) IMAGE_SUITE=trixie IMAGE_SERIES=trixie IMAGE_UP_SERIES='' IMAGE_PREFIX=trixie- ;;
	*) die "image_suite: no system image of suite '$1' (bookworm, trixie)" ;;
	esac
	unset IMAGE_UP_KVER IMAGE_UP_KPKG
	export IMAGE_SUITE IMAGE_SERIES IMAGE_UP_SERIES IMAGE_PREFIX
}
image_suite bookworm

# ---- Running commands in the image's trees --------------------------------

# _img_chroot LOWERS LAYER CMD...: CMD as root in a chroot of the tree
# (tree_chroot, tests/host/chroot.sh): LOWERS is one directory (LAYER
# empty: the tree itself is changed) or a colon-separated list of layers,
# top first, under the overlayfs layer LAYER (its upper/ gets the changes).
_img_chroot() { tree_chroot "$@"; }

# _img_mkfs LOWERS LAYER DISK: an ext4 disk image of the tree (layers as in
# _img_chroot), sized to its contents plus room for a boot's changes.
_img_mkfs() {
	rm -f "$3"
	# shellcheck disable=SC2016 # expanded by the inner sh
	tree_with "$1" "$2" sh -c '
		mb=$(du -smx "$ROOT" | cut -f1)
		mkfs.ext4 -q -F -L ptpvmw-root -d "$ROOT" "$1" "$((mb + mb / 4 + 768))M"' sh "$3"
}

# _img_manifest DIR: one line per path (type, size, mode, link target): a
# tree that lost or truncated a file no longer matches its recorded manifest.
_img_manifest() {
	(cd "$1" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
		\( -type f -printf '%y %s %m %p\n' \) -o -printf '%y %m %p %l\n' | LC_ALL=C sort | sha256sum | cut -c1-64)
}

# ---- The base system --------------------------------------------------------

# _image_base_config ROOT: the system's own settings, written before apt runs.
_image_base_config() {
	local root=$1
	_chroot_sources "$IMAGE_SUITE" >"$root/etc/apt/sources.list"
	# Nothing starts services while the image is built (removed at the end).
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	echo ptpvmw-guest >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tptpvmw-guest\n' >"$root/etc/hosts"
	# The root file system is the whole virtio disk (no partition table).
	printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t0\n' >"$root/etc/fstab"
	# initramfs-tools' own initrd, with the modules this VM needs to find its
	# root (virtio disk, ext4), as a VM image would have it: the default
	# (MODULES=most) takes minutes to build here for each kernel and seconds
	# more to unpack at every boot under TCG.
	mkdir -p "$root/etc/initramfs-tools/conf.d"
	echo 'MODULES=list' >"$root/etc/initramfs-tools/conf.d/ptpvmw-image.conf"
	printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
}

# _image_base_finish ROOT: what a built system gets before it is first booted.
_image_base_finish() {
	local root=$1
	rm -f "$root/usr/sbin/policy-rc.d"
	# A fixed machine id: every boot of an overlay is then the same machine,
	# not a "first boot" (which would run systemd's presets).
	_img_chroot "$root" "" systemd-machine-id-setup || return 1
	# A root login on the console, without password, for a look by hand.
	_img_chroot "$root" "" passwd -d root || return 1
	install -m 0755 "$TOP/tests/guest/system/ptpvmw-agent" "$root/usr/local/sbin/ptpvmw-agent"
	install -m 0644 "$TOP/tests/guest/system/ptpvmw-agent.service" \
		"$root/etc/systemd/system/ptpvmw-agent.service"
	mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
	ln -sf ../ptpvmw-agent.service "$root/etc/systemd/system/sysinit.target.wants/ptpvmw-agent.service"
	_img_chroot "$root" "" apt-get clean
}

# _image_base_build DIR KVER IMAGE-PKG: debootstrap, then apt, in DIR/root.
_image_base_build() {
	local dir=$1 kver=$2 kpkg=$3 new=$1/root.new
	rm -rf "$new" "$dir/root"
	mkdir -p "$dir"
	step "system image: debootstrap $IMAGE_SUITE" "$OUT/image/base-debootstrap.log" \
		debootstrap --variant=minbase "$IMAGE_SUITE" "$new" "$(_host_mirror debian)"
	_image_base_config "$new"
	step "system image: apt-get update" "$OUT/image/base-apt-update.log" \
		_img_chroot "$new" "" apt-get update
	# shellcheck disable=SC2086 # IMAGE_PKGS: a list
	step "system image: apt-get install the kernel $kver ($kpkg), headers, systemd, chrony, dkms" \
		"$OUT/image/base-apt-install.log" \
		_img_chroot "$new" "" apt-get install -y --no-install-recommends \
		$IMAGE_PKGS "$kpkg" "linux-headers-$kver"
	step "system image: final settings and the harness's agent unit" "$OUT/image/base-finish.log" \
		_image_base_finish "$new"
	# shellcheck disable=SC2015 # both tests, or the message
	[ -e "$new/vmlinuz" ] && [ -e "$new/initrd.img" ] || {
		echo "the kernel's packages left no /vmlinuz and /initrd.img in the image" >&2
		return 1
	}
	mv "$new" "$dir/root"
}

# image_base_key: the base image's cache key (sets KVER and friends for the
# image's kernel series through kernel_prepare).
_image_base_key() {
	# shellcheck disable=SC2153 # KVER and KIMAGE_PKG: kernel_prepare's
	{
		declare -f _image_base_config _image_base_finish _image_base_build
		echo "$IMAGE_SUITE $IMAGE_PKGS $KVER $KIMAGE_PKG $(_host_mirror debian)"
		cat "$TOP/tests/guest/system/ptpvmw-agent" "$TOP/tests/guest/system/ptpvmw-agent.service"
	} | sha256sum | cut -c1-12
}

# _image_lock NAME: one builder of NAME (base, a variant kind, pkgs) at a
# time, however many runs share the cache.
_image_lock() {
	mkdir -p "$IMAGE_CACHE"
	exec {_image_lock_fd}>"$IMAGE_CACHE/.lock-$1"
	flock -n "$_image_lock_fd" || {
		say "waiting for another run to finish with the system images ..."
		flock "$_image_lock_fd"
	}
}
_image_unlock() { exec {_image_lock_fd}>&-; }

# _img_sum FILE: its CRC and size (cksum): a disk image that was truncated
# or damaged no longer matches; fast enough to check at every run.
_img_sum() { cksum <"$1" | cut -d' ' -f1-2 | tr ' ' :; }

# image_valid DIR KEY: DIR holds a complete build for KEY whose contents
# still match the checksums recorded when it was made.
image_valid() {
	local dir=$1 key=$2 f
	[ "$(sed -n 's/^key=//p' "$dir/complete" 2>/dev/null)" = "$key" ] || return 1
	if [ -d "$dir/root" ]; then
		[ "$(sed -n 's/^tree=//p' "$dir/complete")" = "$(_img_manifest "$dir/root")" ] || return 1
	fi
	if [ -d "$dir/upper" ]; then
		[ "$(sed -n 's/^upper=//p' "$dir/complete")" = "$(_img_manifest "$dir/upper")" ] || return 1
	fi
	for f in disk.img vmlinuz initrd.img; do
		[ -f "$dir/$f" ] || continue
		[ "$(sed -n "s/^$f=//p" "$dir/complete")" = "$(_img_sum "$dir/$f")" ] || return 1
	done
	return 0
}

# image_seal DIR KEY: record what image_valid checks.
image_seal() {
	local dir=$1 key=$2 f
	{
		echo "key=$key"
		if [ -d "$dir/root" ]; then echo "tree=$(_img_manifest "$dir/root")"; fi
		if [ -d "$dir/upper" ]; then echo "upper=$(_img_manifest "$dir/upper")"; fi
		for f in disk.img vmlinuz initrd.img; do
			if [ -f "$dir/$f" ]; then echo "$f=$(_img_sum "$dir/$f")"; fi
		done
	} >"$dir/complete.tmp" || return 1
	mv "$dir/complete.tmp" "$dir/complete"
}

# _image_prune KIND KEEP: remove the cached builds of KIND other than KEEP,
# the IMAGE_KEEP (default 2) used last, and any used in the last
# IMAGE_KEEP_MINUTES (default 180: longer than any run): several checkouts
# (branches beside main) share the cache, and one must not delete what
# another is about to boot. _image_used marks a build as used.
IMAGE_KEEP=${PTP_VMW_IMAGE_KEEP:-2}
IMAGE_KEEP_MINUTES=${PTP_VMW_IMAGE_KEEP_MINUTES:-180}
_image_used() { touch "$1/used" 2>/dev/null; }
_image_prune() {
	local d n=0
	# shellcheck disable=SC2045 # our own cache directories, newest first
	for d in $(ls -dt "$IMAGE_CACHE/$1"-*/used 2>/dev/null); do
		d=${d%/used}
		n=$((n + 1))
		[ "$d" = "$IMAGE_CACHE/$1-$2" ] && continue
		[ "$n" -le "$IMAGE_KEEP" ] && continue
		[ -n "$(find "$d/used" -mmin -"$IMAGE_KEEP_MINUTES" 2>/dev/null)" ] && continue
		say "system image: removing $d (not among the $IMAGE_KEEP $1 builds used last)"
		rm -rf "$d"
	done
	# Builds from before the used stamps, or never finished.
	for d in "$IMAGE_CACHE/$1"-*/; do
		d=${d%/}
		[ -d "$d" ] && [ ! -e "$d/used" ] && [ "$d" != "$IMAGE_CACHE/$1-$2" ] && rm -rf "$d"
	done
	return 0
}

# image_base: the cached base tree; sets IMAGE_BASE (its root) and
# IMAGE_BASE_KEY, IMAGE_KVER and IMAGE_KPKG (the image's 6.1 kernel).
image_base() {
	local dir start
	need_pkgs debootstrap debian-archive-keyring e2fsprogs qemu-utils
	kernel_prepare "$IMAGE_SERIES"
	IMAGE_KVER=$KVER IMAGE_KPKG=$KIMAGE_PKG
	IMAGE_BASE_KEY=$(_image_base_key)
	dir=$IMAGE_CACHE/${IMAGE_PREFIX}base-$IMAGE_BASE_KEY
	mkdir -p "$OUT/image"
	_image_lock "${IMAGE_PREFIX}base"
	if ! image_valid "$dir" "$IMAGE_BASE_KEY"; then
		[ -e "$dir" ] && say "system image: the cached base $dir is incomplete or does not match its checksums: rebuilding it"
		start=$(date +%s)
		rm -rf "$dir"
		(_image_base_build "$dir" "$IMAGE_KVER" "$IMAGE_KPKG") ||
			{ _image_unlock; die "building the system image failed (step and log named above)"; }
		image_seal "$dir" "$IMAGE_BASE_KEY"
		echo "$(($(date +%s) - start))" >"$dir/build-seconds"
		_image_used "$dir"
		_image_prune "${IMAGE_PREFIX}base" "$IMAGE_BASE_KEY"
		say "system image: $IMAGE_SUITE base built in $(cat "$dir/build-seconds") s ($dir)"
	fi
	_image_used "$dir"
	_image_unlock
	IMAGE_BASE=$dir/root
	export IMAGE_BASE IMAGE_BASE_KEY IMAGE_KVER IMAGE_KPKG
}

# ---- Our packages -------------------------------------------------------------

# _image_pkg_key: hash of everything the packages are built from.
_image_pkg_key() {
	# shellcheck disable=SC2046 # a list of paths without blanks
	(cd "$TOP" && find $(project_sources) debian dist packaging README.md -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# _image_build_packages DIR [COMMIT]: the .deb and the .rpm, built with the
# README's commands (DEB_BUILD_CMD, RPM_BUILD_CMD) in a throwaway layer over
# the bookworm chroot, copied to DIR: from this checkout, or from COMMIT's
# tree (git archive).
_image_build_packages() {
	local dir=$1 commit=${2:-} src
	ovl_new imgpkg
	ovl_fast_dpkg imgpkg
	src=$(ovl_upper imgpkg)/build/ptp-vmw
	mkdir -p "$src"
	if [ -n "$commit" ]; then
		git -C "$TOP" archive "$commit" | tar -x -C "$src" || return 1
	else
		# shellcheck disable=SC2046 # a list of paths without blanks
		(cd "$TOP" && cp --parents $(project_sources) "$src/" && cp -r debian dist packaging README.md "$src/") || return 1
	fi
	ovl_run imgpkg sh -c "cd /build/ptp-vmw && $DEB_BUILD_CMD" || return 1
	ovl_run imgpkg sh -c "cd /build/ptp-vmw && $RPM_BUILD_CMD" || return 1
	mkdir -p "$dir"
	cp "$(ovl_upper imgpkg)"/build/ptp-vmw-dkms_*_all.deb "$src"/rpmbuild/RPMS/noarch/ptp-vmw-dkms-*.noarch.rpm "$dir/" || return 1
	ovl_drop imgpkg
}

# image_packages: sets IMAGE_DEB and IMAGE_RPM (this checkout's packages,
# cached by the hash of their sources) and IMAGE_PKG_KEY.
image_packages() {
	local dir
	IMAGE_PKG_KEY=$(_image_pkg_key)
	dir=$IMAGE_CACHE/pkgs-$IMAGE_PKG_KEY
	mkdir -p "$OUT/image"
	_image_lock pkgs
	if [ "$(cat "$dir/complete" 2>/dev/null)" != "$IMAGE_PKG_KEY" ] ||
		! dpkg-deb --info "$dir"/ptp-vmw-dkms_*_all.deb >/dev/null 2>&1; then
		rm -rf "$dir"
		chroot_ensure "$DKMS_SUITE" debhelper build-essential rpm ||
			{ _image_unlock; die "installing the package build tools into the $DKMS_SUITE chroot failed"; }
		(step "building this checkout's .deb and .rpm" "$OUT/image/packages-build.log" \
			_image_build_packages "$dir") || { _image_unlock; die "building the packages failed (log named above)"; }
		echo "$IMAGE_PKG_KEY" >"$dir/complete"
		_image_used "$dir"
		_image_prune pkgs "$IMAGE_PKG_KEY"
	fi
	_image_used "$dir"
	_image_unlock
	IMAGE_DEB=$(ls "$dir"/ptp-vmw-dkms_*_all.deb)
	IMAGE_RPM=$(ls "$dir"/ptp-vmw-dkms-*.noarch.rpm)
	export IMAGE_DEB IMAGE_RPM IMAGE_PKG_KEY
}

# image_prev_release: the release before this checkout's version, from git:
# the parent of the newest commit that changed dkms.conf's PACKAGE_VERSION
# line (its version read by that commit's own Makefile). Sets
# IMAGE_PREV_COMMIT and IMAGE_PREV_VERSION, or IMAGE_PREV_WHY when there is
# none to build (not a git checkout, a shallow clone, no earlier version).
image_prev_release() {
	local bump tmp
	IMAGE_PREV_COMMIT='' IMAGE_PREV_VERSION='' IMAGE_PREV_WHY=''
	if ! git -C "$TOP" rev-parse --verify -q HEAD >/dev/null 2>&1; then
		IMAGE_PREV_WHY="$TOP is not a git checkout: the previous release is built from git history"
		return 0
	fi
	bump=$(git -C "$TOP" log -1 --format=%H -G'^PACKAGE_VERSION' -- dkms.conf)
	if [ -n "$bump" ]; then IMAGE_PREV_COMMIT=$(git -C "$TOP" rev-parse --verify -q "$bump^"); fi
	if [ -z "$IMAGE_PREV_COMMIT" ] && [ "$(git -C "$TOP" rev-parse --is-shallow-repository)" = true ]; then
		IMAGE_PREV_WHY="a shallow clone: the history before the version's last change (${bump:0:12}) is not there (git fetch --unshallow)"
	elif [ -z "$IMAGE_PREV_COMMIT" ]; then
		IMAGE_PREV_WHY="dkms.conf's PACKAGE_VERSION never changed in git history: there is no previous release"
	fi
	[ -n "$IMAGE_PREV_WHY" ] && return 0
	tmp=$(mktemp -d)
	git -C "$TOP" archive "$IMAGE_PREV_COMMIT" Makefile dkms.conf | tar -x -C "$tmp" &&
		IMAGE_PREV_VERSION=$(make -s --no-print-directory -C "$tmp" print-version)
	rm -rf "$tmp"
	if [ -z "$IMAGE_PREV_VERSION" ] || ! dpkg --compare-versions "$IMAGE_PREV_VERSION" lt "$(project_version)"; then
		IMAGE_PREV_WHY="commit ${IMAGE_PREV_COMMIT:0:12}, before the version's last change, has version ${IMAGE_PREV_VERSION:-(none)}, not one older than $(project_version)"
	fi
	export IMAGE_PREV_COMMIT IMAGE_PREV_VERSION IMAGE_PREV_WHY
}

# image_prev_packages: sets IMAGE_PREV_DEB, the previous release's .deb
# (image_prev_release) built the way this checkout's is, cached by commit.
image_prev_packages() {
	local dir
	[ -n "${IMAGE_PREV_COMMIT:-}" ] || image_prev_release
	[ -n "$IMAGE_PREV_WHY" ] && die "no previous release to build: $IMAGE_PREV_WHY"
	dir=$IMAGE_CACHE/prev-${IMAGE_PREV_COMMIT:0:12}
	_image_lock prev
	if [ "$(cat "$dir/complete" 2>/dev/null)" != "$IMAGE_PREV_COMMIT" ] ||
		! dpkg-deb --info "$dir/ptp-vmw-dkms_${IMAGE_PREV_VERSION}_all.deb" >/dev/null 2>&1; then
		rm -rf "$dir"
		chroot_ensure "$DKMS_SUITE" debhelper build-essential rpm ||
			{ _image_unlock; die "installing the package build tools into the $DKMS_SUITE chroot failed"; }
		(step "building the previous release's packages ($IMAGE_PREV_VERSION, commit ${IMAGE_PREV_COMMIT:0:12})" \
			"$OUT/image/prev-build.log" _image_build_packages "$dir" "$IMAGE_PREV_COMMIT") ||
			{ _image_unlock; die "building the previous release's packages failed (log named above)"; }
		echo "$IMAGE_PREV_COMMIT" >"$dir/complete"
		_image_used "$dir"
		_image_prune prev "${IMAGE_PREV_COMMIT:0:12}"
	fi
	_image_used "$dir"
	_image_unlock
	IMAGE_PREV_DEB=$dir/ptp-vmw-dkms_${IMAGE_PREV_VERSION}_all.deb
	export IMAGE_PREV_DEB
}

# image_apt_repo DIR: a local apt repository (flat: Packages and Release,
# made by apt-ftparchive in the bookworm chroot) holding this checkout's
# .deb, for a system to upgrade from (deb [trusted=yes] file:DIR ./).
image_apt_repo() {
	local dir=$1 repo
	chroot_ensure "$DKMS_SUITE" apt-utils || die "installing apt-utils into the $DKMS_SUITE chroot failed"
	ovl_new imgrepo
	repo=$(ovl_upper imgrepo)/build/repo
	mkdir -p "$repo" "$dir"
	cp "$IMAGE_DEB" "$repo/"
	ovl_run imgrepo sh -c 'cd /build/repo && apt-ftparchive packages . >Packages && apt-ftparchive release . >Release' ||
		die "apt-ftparchive could not index $IMAGE_DEB"
	cp "$repo"/* "$dir/"
	ovl_drop imgrepo
}

# ---- Variants: the systems the scenarios boot --------------------------------

# _img_export LOWERS LAYER DIR: what a boot loader takes from the system's
# root (the kernel and initrd that /vmlinuz and /initrd.img point to, as
# Debian's kernel hooks keep them), into DIR: vmlinuz and initrd.img as they
# are, release (the kernel's name), and vmlinux, the uncompressed kernel of
# that same vmlinuz, which QEMU boots directly (much faster under TCG).
_img_export() {
	local lowers=$1 layer=$2 dir=$3
	# shellcheck disable=SC2016 # expanded by the inner sh
	tree_with "$lowers" "$layer" sh -c '
		dir=$1
		k=$(chroot "$ROOT" readlink -f /vmlinuz) && i=$(chroot "$ROOT" readlink -f /initrd.img) || exit 1
		[ -f "$ROOT$k" ] && [ -f "$ROOT$i" ] || { echo "no kernel or initrd behind /vmlinuz ($k), /initrd.img ($i)" >&2; exit 1; }
		cp "$ROOT$k" "$dir/vmlinuz" && cp "$ROOT$i" "$dir/initrd.img" &&
			echo "${k##*/vmlinuz-}" >"$dir/release"' sh "$dir" || return 1
	_extract_vmlinux "$dir/vmlinuz" "$dir/vmlinux"
}

# _img_layer_files LAYER FILE...: FILEs into the layer's /var/tmp, where the
# setup finds them (removed again by _img_layer_tidy).
_img_layer_files() {
	local layer=$1
	shift
	mkdir -p "$layer/upper/var/tmp/ptpvmw" "$layer/upper/usr/sbin"
	cp "$@" "$layer/upper/var/tmp/ptpvmw/" || return 1
	# Packages installed here must not start services (chronyd would steer
	# the host's clock): as in the base, until the layer is done.
	printf '#!/bin/sh\nexit 101\n' >"$layer/upper/usr/sbin/policy-rc.d"
	chmod 755 "$layer/upper/usr/sbin/policy-rc.d"
}

_img_layer_tidy() {
	_img_chroot "$1" "$2" sh -c 'rm -rf /var/tmp/ptpvmw /usr/sbin/policy-rc.d && apt-get clean'
}

# The setups, each run in its variant's layer (LOWERS LAYER):
# deb: our .deb, installed with apt from a file, as an administrator does.
_variant_deb() {
	_img_layer_files "$2" "$IMAGE_DEB" || return 1
	_img_chroot "$1" "$2" sh -c "cd /var/tmp/ptpvmw && apt-get install -y ./${IMAGE_DEB##*/}" || return 1
	_img_layer_tidy "$1" "$2"
}

# tsd: Debian's default time daemon. chrony purged and systemd-timesyncd
# installed (what a default install has: systemd recommends it), its
# configuration given a site NTP server as an administrator would (its
# bytes recorded for the scenario to compare), then our .deb installed with
# apt's defaults (Recommends on). apt's output is the build log: the
# scenario's host checks read it for any time daemon coming or going.
_variant_tsd() {
	_img_layer_files "$2" "$IMAGE_DEB" || return 1
	_img_chroot "$1" "$2" sh -c "apt-get update && apt-get purge -y chrony && apt-get install -y systemd-timesyncd &&
		sed -i 's/^#\{0,1\}NTP=.*/NTP=ntp.site.example/' /etc/systemd/timesyncd.conf &&
		mkdir -p /var/lib/ptpvmw-test && sha256sum /etc/systemd/timesyncd.conf >/var/lib/ptpvmw-test/timesyncd.sha &&
		echo '== ptpvmw: apt-get install ./${IMAGE_DEB##*/} with apt defaults ==' &&
		cd /var/tmp/ptpvmw && apt-get install -y ./${IMAGE_DEB##*/}" || return 1
	_img_layer_tidy "$1" "$2"
}

# up (over deb) and nopkg-up (over the base): the 6.12 kernel and headers,
# installed with apt; Debian's hooks do the rest (initrd, /vmlinuz, DKMS).
_variant_kernel_up() {
	_img_layer_files "$2" /dev/null || return 1
	_img_chroot "$1" "$2" sh -c "apt-get update && apt-get install -y --no-install-recommends $IMAGE_UP_KPKG linux-headers-$IMAGE_UP_KVER" ||
		return 1
	_img_layer_tidy "$1" "$2"
}

# old: the previous release's .deb (image_prev_packages), installed as deb
# installs this checkout's.
_variant_old() { IMAGE_DEB=$IMAGE_PREV_DEB _variant_deb "$@"; }

# rpm: the .rpm's payload and scriptlets (Debian's rpm, --nodeps: DKMS is a
# Debian package here); its %post runs DKMS's common.postinst. chrony.conf
# then reads /etc/chrony.d as the README tells RHEL-like systems' owners.
_variant_rpm() {
	_img_layer_files "$2" "$IMAGE_RPM" || return 1
	_img_chroot "$1" "$2" sh -c "apt-get update && apt-get install -y --no-install-recommends rpm &&
		rpm -i --nodeps /var/tmp/ptpvmw/${IMAGE_RPM##*/} &&
		echo 'confdir /etc/chrony.d' >>/etc/chrony/chrony.conf" || return 1
	_img_layer_tidy "$1" "$2"
}

# _image_up_kernel: IMAGE_UP_KVER and IMAGE_UP_KPKG, the 6.12 series' kernel
# (kernel_prepare's choice, made in a subshell: KVER stays this run's).
_image_up_kernel() {
	local line
	[ -n "${IMAGE_UP_KVER:-}" ] && return 0
	line=$(kernel_prepare "$IMAGE_UP_SERIES" >&2 && echo "$KVER $KIMAGE_PKG")
	[ -n "$line" ] || die "system image: no kernel of series $IMAGE_UP_SERIES to upgrade to (see above)"
	read -r IMAGE_UP_KVER IMAGE_UP_KPKG <<<"$line"
	export IMAGE_UP_KVER IMAGE_UP_KPKG
}

# image_variant KIND: the bootable variant KIND (nopkg, deb, up, nopkg-up,
# rpm, tsd, old), built if its cached copy is missing, stale or corrupt; sets
# IMAGE_DIR (disk.img, vmlinux, vmlinuz, initrd.img, release, build.log).
# Needs image_base, and image_packages for the variants with our packages.
image_variant() {
	local kind=$1 key lowers setup='' parent='' dir start
	case $kind in
	nopkg) key=$IMAGE_BASE_KEY ;;
	deb | rpm | tsd) key=$(echo "$IMAGE_BASE_KEY $IMAGE_PKG_KEY $(declare -f "_variant_$kind")" | sha256sum | cut -c1-12)
		setup=_variant_$kind ;;
	up | nopkg-up)
		[ -n "$IMAGE_UP_SERIES" ] || die "image_variant: no $kind variant on $IMAGE_SUITE (no kernel series to upgrade to)"
		_image_up_kernel
		[ "$kind" = up ] && { image_variant deb; parent=$IMAGE_DIR; }
		key=$(echo "$IMAGE_BASE_KEY ${parent:+$(sed -n 's/^key=//p' "$parent/complete")} $IMAGE_UP_KVER $IMAGE_UP_KPKG $(declare -f _variant_kernel_up)" |
			sha256sum | cut -c1-12)
		setup=_variant_kernel_up ;;
	old)
		image_prev_packages
		key=$(echo "$IMAGE_BASE_KEY $IMAGE_PREV_COMMIT $(declare -f _variant_old _variant_deb)" | sha256sum | cut -c1-12)
		setup=_variant_old ;;
	*) die "image_variant: unknown kind '$kind'" ;;
	esac
	dir=$IMAGE_CACHE/$IMAGE_PREFIX$kind-$key
	lowers=$IMAGE_BASE
	[ -n "$parent" ] && lowers=$parent/upper:$IMAGE_BASE
	_image_lock "$IMAGE_PREFIX$kind"
	if ! image_valid "$dir" "$key"; then
		[ -e "$dir" ] && say "system image: the cached $kind variant is incomplete or does not match its checksums: rebuilding it"
		start=$(date +%s)
		rm -rf "$dir"
		mkdir -p "$dir"
		if [ -n "$setup" ]; then
			(step "system image, $IMAGE_SUITE variant $kind: $setup" "$dir/build.log" "$setup" "$lowers" "$dir") ||
				{ _image_unlock; die "system image: building the $kind variant failed (log named above)"; }
			cp "$dir/build.log" "$OUT/image/$IMAGE_PREFIX$kind-build.log"
			rm -rf "$dir/work" "$dir/merged"
			mkdir -p "$dir/work"
		fi
		if ! (step "system image, $IMAGE_SUITE variant $kind: the kernel a boot loader would take" "$OUT/image/$IMAGE_PREFIX$kind-export.log" \
			_img_export "$lowers" "${setup:+$dir}" "$dir") ||
			! (step "system image, $IMAGE_SUITE variant $kind: disk image (mkfs.ext4 -d)" "$OUT/image/$IMAGE_PREFIX$kind-mkfs.log" \
				_img_mkfs "$lowers" "${setup:+$dir}" "$dir/disk.img"); then
			_image_unlock
			die "system image: making the $kind disk failed (log named above)"
		fi
		rm -rf "$dir/work" "$dir/merged"
		image_seal "$dir" "$key"
		echo "$(($(date +%s) - start))" >"$dir/build-seconds"
		_image_used "$dir"
		_image_prune "$IMAGE_PREFIX$kind" "$key"
		say "system image: $IMAGE_SUITE variant $kind built in $(cat "$dir/build-seconds") s (kernel $(cat "$dir/release"))"
	fi
	_image_used "$dir"
	_image_unlock
	IMAGE_DIR=$dir
}
