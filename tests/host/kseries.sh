# SPDX-License-Identifier: GPL-2.0-only
# The kernel series the project is proven on, and where each comes from.
# Sourced after common.sh. The newest kernel of each series is resolved at run
# time from the suite's package lists, never hard-coded here.
#
# Debian's ABI names: 5.10 and 6.1 count ABI bumps (5.10.0-N-amd64); since
# 6.12 the name is the upstream version plus the suite (6.12.118+deb13-amd64,
# sometimes with a rebuild suffix: +deb13.1). trixie-backports uses the same
# +deb13 names as trixie (7.3.4+deb13-amd64, not +bpo), so its series is told
# apart by the archive the package comes from (kernel_choose checks that),
# not by its name.
#
# id          suite             headers packages matching (extended regex)
KSERIES_TABLE='
6.1         bookworm          ^linux-headers-6\.1\.0-[0-9]+-amd64$
6.12        bookworm          ^linux-headers-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-amd64$
5.10        bullseye          ^linux-headers-5\.10\.0-[0-9]+-amd64$
trixie      trixie            ^linux-headers-6\.12\.[0-9]+\+deb13(\.[0-9]+)?-amd64$
backports   trixie-backports  ^linux-headers-[0-9]+\.[0-9]+\.[0-9]+\+(deb13|bpo)(\.[0-9]+)?-amd64$
'

# The series `make check` proves by default: the two Debian 12 ships.
# shellcheck disable=SC2034 # read by check.sh, dkms.sh and tests/bench/run.sh
KSERIES_DEFAULT="6.1 6.12"
# The one series make demo, make shell and the bench's smoke boot by
# default: the newest of those.
# shellcheck disable=SC2034 # read by demo.sh, shell.sh and tests/bench/
KSERIES_ONE=6.12
# The series `make check` boots the real Debian systems on by default
# (tests/host/system.sh): Debian 12's (6.1, and 6.12 after the kernel
# upgrade) and Debian 13's (trixie), whose image brings its own kernel,
# systemd, chrony and DKMS 3.2. KSERIES given, the system scenarios take
# that list.
# shellcheck disable=SC2034 # read by check.sh
KSERIES_SYSTEM_DEFAULT="6.1 6.12 trixie"
# Everything `make check-matrix` proves.
KSERIES_ALL="5.10 6.1 6.12 trixie backports"

kseries_field() { # ID FIELD(2=suite,3=regex)
	awk -v id="$1" -v f="$2" '$1 == id { print $f }' <<<"$KSERIES_TABLE"
}

kseries_suite() { kseries_field "$1" 2; }
kseries_regex() { kseries_field "$1" 3; }

# kseries_expand "6.1 all ...": the list of ids, "all" meaning KSERIES_ALL.
kseries_expand() {
	local id out=()
	for id in $1; do
		# shellcheck disable=SC2206 # KSERIES_ALL is a list of words
		case $id in
		all) out+=($KSERIES_ALL) ;;
		*)
			[ -n "$(kseries_suite "$id")" ] ||
				die "unknown kernel series '$id' (known: $KSERIES_ALL)"
			out+=("$id")
			;;
		esac
	done
	echo "${out[@]}"
}

# kernel_choose SUITE < FACTS: which kernel of a series to use, from what the
# archive offers (kernel_facts in chroot.sh gathers it; the resolution test
# feeds it hand-written lists). FACTS holds "headers NAME" lines and
# `apt-cache madison` lines ("PKG | VERSION | URI SUITE/COMPONENT ARCH
# Packages"). Prints "KVER IMAGE-PACKAGE" on stdout and one line per ABI it
# looked at on stderr, saying why it was taken or skipped.
#
# The rule: the newest ABI whose headers AND an image are downloadable from
# SUITE itself (or SUITE-updates, SUITE-security; a backports suite only from
# itself, since its chroot also sees the base suite's kernels). The image
# is the signed linux-image-ABI, or else its linux-image-ABI-unsigned twin:
# both ship the same vmlinuz, and after a security update Debian publishes
# the headers and the unsigned image hours or days before the signed one.
kernel_choose() {
	local suite=$1 facts have abi h img from pick why
	facts=$(cat)
	# "PKG SUITE" for every package version downloadable from our suites.
	have=$(awk -F'|' -v suite="$suite" '
		NF >= 3 {
			pkg = $1; gsub(/ /, "", pkg)
			split($3, w, " "); s = w[2]; sub(/\/.*/, "", s)
			ok = suite ~ /-backports$/ ? s == suite : \
				(s == suite || s == suite "-updates" || s == suite "-security")
			if (ok) print pkg, s
		}' <<<"$facts")
	_kc_from() { awk -v p="$1" '$1 == p { print $2; exit }' <<<"$have"; }
	# shellcheck disable=SC2013 # one ABI name a line, no spaces
	for abi in $(sed -n 's/^headers linux-headers-//p' <<<"$facts" | sort -rV); do
		h=linux-headers-$abi img=linux-image-$abi
		from=$(_kc_from "$h")
		if [ -z "$from" ]; then
			echo "skipped $abi: no downloadable $h in $suite" >&2
			continue
		fi
		if [ -n "$(_kc_from "$img")" ]; then
			pick=$img why="signed image"
		elif [ -n "$(_kc_from "$img-unsigned")" ]; then
			pick=$img-unsigned
			why="unsigned image (the signed $img is not downloadable yet; same vmlinuz)"
		else
			echo "skipped $abi: $h is downloadable ($from) but neither $img nor $img-unsigned is" >&2
			continue
		fi
		echo "chose $abi: headers from $from, $why $pick" >&2
		echo "$abi $pick"
		return 0
	done
	echo "no kernel of this series in $suite has both downloadable headers and an image" >&2
	return 1
}
