#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Register ptp_vmw with DKMS from a source checkout, or take it out again.
# Run by "make dkms-install" and "make dkms-remove", as root, on the machine
# that is to use the driver:
#
#   sh packaging/dkms-install.sh install VERSION
#   sh packaging/dkms-install.sh remove VERSION
#
# install copies the driver's sources to /usr/src/ptp_vmw-VERSION, then
# "dkms add" and "dkms install" for every installed kernel whose headers are
# present (the running one among them, if its headers are). From then on
# DKMS builds the module for each new kernel by itself (AUTOINSTALL).
# remove undoes all of it. A module that is loaded stays loaded.

set -eu

NAME=ptp_vmw

usage() {
	echo "usage: $0 install|remove VERSION" >&2
	exit 2
}

msg() { echo "ptp_vmw: $*"; }
err() { echo "ptp_vmw: $*" >&2; }

[ $# -eq 2 ] || usage
action=$1
version=$2
[ -n "$version" ] || usage
top=$(cd "$(dirname "$0")/.." && pwd)
src=/usr/src/$NAME-$version
# The files DKMS needs, as the Makefile lists them (make -s print-sources):
# the driver and its build glue, nothing generated.
FILES=$(make -s --no-print-directory -C "$top" print-sources) || {
	err "cannot read the list of sources from $top/Makefile (make -s print-sources)"
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	err "this changes /usr/src, /var/lib/dkms and /lib/modules: run it as root (sudo make dkms-$action)"
	exit 1
fi
if ! command -v dkms >/dev/null 2>&1; then
	err "dkms is not installed: apt-get install dkms (RHEL-like: dnf install dkms, from EPEL)"
	exit 1
fi

# owned_by_package PATH: the package that installed PATH, if any. A source
# tree that belongs to ptp-vmw-dkms is the package manager's to change.
owned_by_package() {
	if command -v dpkg-query >/dev/null 2>&1 &&
		dpkg-query -S "$1" >/dev/null 2>&1; then
		dpkg-query -S "$1" 2>/dev/null | head -n 1 | cut -d: -f1
	elif command -v rpm >/dev/null 2>&1 && rpm -qf "$1" >/dev/null 2>&1; then
		rpm -qf "$1" 2>/dev/null | head -n 1
	fi
}

# registered: the versions of ptp_vmw DKMS knows about, one a line.
registered() {
	dkms status -m "$NAME" 2>/dev/null | sed -n "s|^${NAME}[/,] *\([^,:]*\).*|\1|p" | sort -u
}

# kernels_with_headers: the installed kernels DKMS can build for.
kernels_with_headers() {
	for d in /lib/modules/*/; do
		k=$(basename "$d")
		[ -e "/lib/modules/$k/build/include" ] && echo "$k"
	done
	return 0
}

do_install() {
	for v in $(registered) "$version"; do
		owner=$(owned_by_package "/usr/src/$NAME-$v")
		if [ -n "$owner" ]; then
			err "/usr/src/$NAME-$v belongs to the package $owner: remove that package first (or keep using it instead of make dkms-install)"
			exit 1
		fi
	done
	for f in $FILES; do
		[ -e "$top/$f" ] || { err "missing $top/$f: run this from a complete checkout"; exit 1; }
	done

	# One version at a time, as the packages do: an older registration
	# (an earlier make dkms-install) would fight this one over the module.
	for v in $(registered); do
		msg "removing the registered $NAME/$v first"
		dkms remove "$NAME/$v" --all >/dev/null
		rm -rf "/usr/src/$NAME-$v"
	done

	rm -rf "$src"
	mkdir -p "$src"
	# shellcheck disable=SC2086 # FILES is a list of paths without blanks
	(cd "$top" && cp --parents $FILES "$src/")
	msg "sources copied to $src"
	dkms add "$NAME/$version"

	kernels=$(kernels_with_headers)
	running=$(uname -r)
	case " $(echo "$kernels" | tr "\n" " ") " in
	*" $running "*) ;;
	*)
		err "no headers for the running kernel $running: it gets no module now."
		err "  Install them (apt-get install linux-headers-$running; RHEL-like: dnf install kernel-devel-$running)"
		err "  and DKMS builds the module for it (dkms autoinstall -k $running, or at the next kernel update)."
		;;
	esac

	installed=0 failed=0
	for k in $kernels; do
		msg "building and installing for $k"
		rc=0
		dkms install "$NAME/$version" -k "$k" || rc=$?
		case $rc in
		0) installed=$((installed + 1)) ;;
		77)
			msg "not built for $k: dkms.conf's BUILD_EXCLUSIVE rules exclude it"
			msg "  (it needs an x86_64 kernel with CONFIG_PTP_1588_CLOCK, CONFIG_ACPI and CONFIG_HYPERVISOR_GUEST)"
			;;
		*)
			err "building for $k failed; the compiler's output is in /var/lib/dkms/$NAME/$version/build/make.log"
			failed=$((failed + 1))
			;;
		esac
	done

	dkms status -m "$NAME"
	if [ "$failed" -gt 0 ]; then
		exit 1
	fi
	if [ "$installed" -eq 0 ]; then
		err "registered with DKMS, but installed for no kernel (see above)"
		exit 1
	fi
	msg "installed for $installed kernel(s); load it now with: modprobe $NAME"
}

do_remove() {
	owner=$(owned_by_package "$src")
	if [ -n "$owner" ]; then
		err "$src belongs to the package $owner: remove that package instead"
		exit 1
	fi
	found=0
	for v in $(registered); do
		[ "$v" = "$version" ] || continue
		found=1
		dkms remove "$NAME/$v" --all
	done
	if [ -d "$src" ]; then
		rm -rf "$src"
		found=1
	fi
	if [ "$found" -eq 0 ]; then
		msg "$NAME/$version is not registered with DKMS; nothing to remove"
		return 0
	fi
	msg "removed $NAME/$version from DKMS and $src"
	if [ -d /sys/module/$NAME ]; then
		msg "the loaded module keeps running until \"modprobe -r $NAME\" or the next boot"
	fi
}

case $action in
install) do_install ;;
remove) do_remove ;;
*) usage ;;
esac
