# SPDX-License-Identifier: GPL-2.0-only
# The kernel series the project is proven on, and where each comes from.
# Sourced after common.sh. The newest kernel of each series is resolved at run
# time from the suite's package lists, never hard-coded here.
#
# Debian's ABI names: 5.10 and 6.1 count ABI bumps (5.10.0-N-amd64); since
# 6.12 the name is the upstream version plus the suite (6.12.118+deb13-amd64,
# sometimes with a rebuild suffix: +deb13.1). trixie-backports uses the same
# +deb13 names as trixie (7.3.4+deb13-amd64, not +bpo), so its series is told
# apart by the archive the package comes from (chroot_newest_kernel checks
# that), not by its name.
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
KSERIES_DEFAULT="6.1 6.12"
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
