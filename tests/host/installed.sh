# SPDX-License-Identifier: GPL-2.0-only
# What an installation of our package or module left in a layer over the
# chroot (tests/host/chroot.sh's ovl_*), as the DKMS, package and Debian
# suite tests ask it: DKMS's state, where modprobe would load the module
# from, the driver's file list, the README's install commands; and which
# kernels those tests build for. A library: sourced after chroot.sh and
# kernel.sh, before the test files.

# Tool packages the DKMS and package tests need in the chroot (openssl: DKMS
# makes its module signing key with it, as on an installed system).
# shellcheck disable=SC2034 # read by the DKMS and package tests
DKMS_TOOL_PKGS="dkms openssl xz-utils kmod"
MODNAME=ptp_vmw

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
