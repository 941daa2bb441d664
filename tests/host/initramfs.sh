# SPDX-License-Identifier: GPL-2.0-only
# Builds the emulated guest's initramfs: busybox, linuxptp, chrony, kmod and
# udev from Debian's bookworm packages (taken from the cached chroot, never
# from the host), the project's static test tools, scenario scripts, the
# project's own system-integration files (dist/), and the module under test.
#
# Three concatenated cpio archives (the kernel unpacks them in order):
#   userland  cached under $CACHE/guest/, rebuilt when the packages change
#   project   tools, scenarios, /init, dist/ files: rebuilt every run
#   kernel    the modules for one kernel release
# Sourced after common.sh, kseries.sh, chroot.sh and kernel.sh.

GUEST_SUITE=bookworm
GUEST_PKGS="busybox-static chrony linuxptp kmod udev tzdata systemd"
GUEST_BINS="/usr/sbin/chronyd /usr/bin/chronyc /usr/sbin/phc_ctl /usr/sbin/phc2sys
	/bin/kmod /bin/udevadm /lib/systemd/systemd-udevd"

# _stage_bin ROOT STAGE FILE...: copy dynamic executables and every library
# they load (as resolved by ldd inside the chroot) into STAGE.
_stage_bin() {
	local root=$1 stage=$2 f lib
	shift 2
	for f in "$@"; do
		_stage_file "$root" "$stage" "$f" || return 1
		for lib in $(chroot "$root" ldd "$f" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
			[ -e "$stage$lib" ] || _stage_file "$root" "$stage" "$lib" || return 1
		done
	done
}

# _stage_file ROOT STAGE PATH: copy PATH, its symlinks resolved inside the
# chroot (an absolute link must not lead to the host's file).
_stage_file() {
	local real
	real=$(chroot "$1" readlink -f "$3") || return 1
	mkdir -p "$2$(dirname "$3")"
	cp "$1$real" "$2$3"
}

# _cpio_of DIR OUT: DIR as a newc archive, reproducibly: the same files give
# the same bytes (one time stamp, renumbered inodes, no device numbers), so
# that a deterministic boot (BOOT_ICOUNT) repeats to the instruction from
# one run to the next.
_cpio_of() {
	find "$1" -exec touch -h -d "@$DET_EPOCH" {} + &&
		(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$2"
}

_build_userland() {
	local root=$1 out=$2 stage a
	stage=$(mktemp -d "$OUT/guest-userland.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,var/lib/chrony,var/log/chrony}
	cp "$root/bin/busybox" "$stage/bin/busybox"
	for a in $(chroot "$root" /bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	# shellcheck disable=SC2086 # a list of program names
	_stage_bin "$root" "$stage" $GUEST_BINS || return 1
	# kmod's own tools take precedence over busybox's applets.
	for a in insmod rmmod modprobe lsmod modinfo depmod; do
		ln -sf /bin/kmod "$stage/sbin/$a"
	done
	# udev's rules and helpers, the zoneinfo chrony's leapsectz reads.
	mkdir -p "$stage/lib/udev" "$stage/usr/share/zoneinfo/right" "$stage/etc/udev"
	cp -a "$root/lib/udev/rules.d" "$stage/lib/udev/"
	# (right/UTC is a link to Etc/UTC: copy what it points to.)
	_stage_file "$root" "$stage" /usr/share/zoneinfo/right/UTC || return 1
	# Debian's own chrony configuration: the drop-in under test goes into
	# its conf.d, exactly as on an installed system.
	cp -a "$root/etc/chrony" "$stage/etc/chrony"
	mkdir -p "$stage/etc/chrony/conf.d" "$stage/etc/udev/rules.d"
	cat >"$stage/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		tester:x:1000:1000:unprivileged tester:/tmp:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$stage/etc/group" <<-'EOF'
		root:x:0:
		tester:x:1000:
		nogroup:x:65534:
	EOF
	_cpio_of "$stage" "$out.tmp" && mv "$out.tmp" "$out"
	rm -rf "$stage"
}

# guest_userland: the cached userland cpio; sets GUEST_USERLAND.
guest_userland() {
	local root key
	need_pkgs cpio
	# shellcheck disable=SC2086 # a list of package names
	chroot_ensure "$GUEST_SUITE" $GUEST_PKGS
	root=$(chroot_root "$GUEST_SUITE")
	key=$(cat "$root/var/lib/dpkg/status" "$TOP/tests/host/initramfs.sh" | sha256sum | cut -c1-12)
	GUEST_USERLAND=$CACHE/guest/userland-$key.cpio
	if [ ! -s "$GUEST_USERLAND" ]; then
		mkdir -p "$CACHE/guest"
		rm -f "$CACHE"/guest/userland-*.cpio
		step "building the guest userland (busybox, chrony, linuxptp, kmod, udev)" \
			"$OUT/guest-userland.log" _build_userland "$root" "$GUEST_USERLAND"
	fi
	# This run's own link to it: a concurrent run with another key may
	# delete the cached one while this run still has kernels to boot.
	ln -f "$GUEST_USERLAND" "$OUT/guest-userland.cpio" 2>/dev/null ||
		cp "$GUEST_USERLAND" "$OUT/guest-userland.cpio"
	GUEST_USERLAND=$OUT/guest-userland.cpio
}

# _build_tools: the static C programs under tests/tools, compiled in the chroot
# from a copy laid out as the checkout is (tools.h includes ../../ptp_vmw.h,
# the driver's protocol header).
_build_tools() {
	local root=$1 dest=$2 c top dir
	# One directory per output directory: concurrent runs never share it.
	top=/build/run-$(echo "$OUT" | sha256sum | cut -c1-8)/tools
	dir=$top/tests/tools
	rm -rf "$root$top"
	mkdir -p "$root$dir" "$dest"
	cp "$TOP"/ptp_vmw.h "$root$top/"
	cp "$TOP"/tests/tools/*.c "$TOP"/tests/tools/*.h "$root$dir/"
	for c in "$root$dir"/*.c; do
		c=$(basename "$c" .c)
		chroot_run "$GUEST_SUITE" gcc -static -O2 -Wall -Wextra -Werror -pthread \
			-o "$dir/$c" "$dir/$c.c" || return 1
		cp "$root$dir/$c" "$dest/"
	done
}

# guest_project: tools, scenarios, /init and dist/ into a cpio; sets GUEST_PROJECT.
guest_project() {
	local root stage
	# The tools are static C, compiled in the chroot (a cold cache has no
	# compiler there until something installs one).
	chroot_ensure "$GUEST_SUITE" gcc libc6-dev
	root=$(chroot_root "$GUEST_SUITE")
	stage=$OUT/guest-project
	rm -rf "$stage"
	mkdir -p "$stage/opt/ptpvmw"
	step "compiling the guest's test tools" "$OUT/guest-tools.log" \
		_build_tools "$root" "$stage/opt/ptpvmw/tools"
	cp "$TOP/tests/guest/init" "$stage/init"
	chmod 755 "$stage/init"
	cp "$TOP/tests/guest/lib.sh" "$TOP/tests/guest/bench.sh" "$TOP/tests/guest/bench-calls.sh" \
		"$TOP/tests/guest/timepolicy.sh" "$TOP/tests/lib/checks.sh" "$TOP/tests/lib/protocol.sh" "$stage/opt/ptpvmw/"
	cp -r "$TOP/tests/scenarios" "$stage/opt/ptpvmw/scenarios"
	[ -d "$TOP/dist" ] && cp -r "$TOP/dist" "$stage/opt/ptpvmw/dist"
	GUEST_PROJECT=$OUT/guest-project.cpio
	_cpio_of "$stage" "$GUEST_PROJECT"
}

# _modinfo_depends KO: the modules KO needs loaded first (the "depends="
# field of its .modinfo section, read with binutils; .ko.xz/.ko.zst too).
_modinfo_depends() {
	local tmp
	tmp=$(mktemp "$OUT/modinfo.XXXXXX")
	case $1 in
	*.xz) xz -dc "$1" >"$tmp" ;;
	*.zst) zstd -qdc "$1" >"$tmp" ;;
	*) cp "$1" "$tmp" ;;
	esac
	objcopy -O binary --only-section=.modinfo "$tmp" "$tmp.mi" &&
		tr '\0' '\n' <"$tmp.mi" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$tmp" "$tmp.mi"
}

# _stage_module_deps KVER KO STAGE: the kernel's own modules that KO needs
# loaded first, and theirs, copied from the unpacked image into STAGE.
# Debian's 5.10 builds the PTP core as ptp.ko (needing pps_core.ko); later
# kernels have both built in, and there is nothing to copy.
_stage_module_deps() {
	local kver=$1 ko=$2 stage=$3 moddir todo seen=" " name path rel
	moddir=$KERNELS/$kver/root/lib/modules/$kver
	todo=$(_modinfo_depends "$ko")
	while [ -n "${todo// /}" ]; do
		read -r name todo <<<"$todo"
		case $seen in *" $name "*) continue ;; esac
		seen="$seen$name "
		path=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n 1)
		[ -n "$path" ] || { echo "module $name, needed by $ko, is not in $moddir" >&2; return 1; }
		rel=${path#"$moddir"/}
		mkdir -p "$stage/lib/modules/$kver/$(dirname "$rel")"
		cp "$path" "$stage/lib/modules/$kver/$rel"
		todo="$todo $(_modinfo_depends "$path")"
	done
}

# guest_initrd KVER MODULE_KO: the full initrd for one kernel; sets GUEST_INITRD.
# Our module goes where DKMS puts it (updates/dkms) with a depmod index, so
# modprobe and udev's autoload find it; the distribution's in-tree module is
# kept aside under /opt/ptpvmw/intree as the reference.
guest_initrd() {
	local kver=$1 ko=$2 stage root dm
	root=$(chroot_root "$GUEST_SUITE")
	stage=$OUT/guest-kernel-$kver
	rm -rf "$stage"
	mkdir -p "$stage/lib/modules/$kver/updates/dkms" "$stage/opt/ptpvmw/intree"
	cp "$ko" "$stage/lib/modules/$kver/updates/dkms/ptp_vmw.ko"
	[ -f "$KERNELS/$kver/ptp_vmw-intree.ko" ] &&
		cp "$KERNELS/$kver/ptp_vmw-intree.ko" "$stage/opt/ptpvmw/intree/ptp_vmw.ko"
	echo "$kver" >"$stage/opt/ptpvmw/kernel-release"
	# What the kernel has built in, so modprobe knows (PTP is built in).
	cp "$KERNELS/$kver/root/lib/modules/$kver"/modules.builtin* \
		"$KERNELS/$kver/root/lib/modules/$kver/modules.order" "$stage/lib/modules/$kver/"
	# What the kernel has as modules but our module needs (5.10: ptp.ko).
	_stage_module_deps "$kver" "$ko" "$stage" || return 1
	# depmod from the chroot's kmod, run on a copy of the tree (one per run).
	mkdir -p "$root/build"
	dm=$(mktemp -d "$root/build/depmod.XXXXXX") || return 1
	cp -r "$stage/lib" "$dm/"
	chroot "$root" depmod -b "/build/${dm##*/}" "$kver" || return 1
	cp "$dm/lib/modules/$kver"/modules.* "$stage/lib/modules/$kver/"
	rm -rf "$dm"
	_cpio_of "$stage" "$stage.cpio"
	GUEST_INITRD=$OUT/initrd-$kver.cpio
	cat "$GUEST_USERLAND" "$GUEST_PROJECT" "$stage.cpio" >"$GUEST_INITRD"
}
