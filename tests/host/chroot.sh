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

# chroot_run SUITE CMD...: run CMD inside the suite's chroot, with /proc
# mounted in a private mount namespace (nothing leaks onto the host, and
# several runs may share one chroot).
chroot_run() {
	local root
	root=$(chroot_root "$1")
	shift
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	unshare --mount --propagation private -- sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" || exit 1
		exec chroot "$root" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$@"
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
# stderr when there is none.
chroot_newest_kernel() {
	local series=$1 facts choice
	facts=$OUT/kernel-facts-$series.txt
	kernel_facts "$series" >"$facts" || return 1
	choice=$(kernel_choose "$(kseries_suite "$series")" <"$facts" 2>"$OUT/kernel-choice-$series.txt")
	[ -n "$choice" ] || { cat "$OUT/kernel-choice-$series.txt" >&2; return 1; }
	echo "$choice"
}
