# SPDX-License-Identifier: GPL-2.0-only
# The kernel series the project is proven on, and where each comes from.
# Sourced after common.sh. The newest kernel of each series is resolved at run
# time from the suite's package lists, never hard-coded here.
#
# id          suite             headers packages matching (extended regex)
KSERIES_TABLE='
6.1         bookworm          ^linux-headers-6\.1\.0-[0-9]+-amd64$
6.12        bookworm          ^linux-headers-6\.12\.[0-9]+\+deb12-amd64$
5.10        bullseye          ^linux-headers-5\.10\.0-[0-9]+-amd64$
trixie      trixie            ^linux-headers-6\.12\.[0-9]+\+deb13-amd64$
backports   trixie-backports  ^linux-headers-[0-9]+\.[0-9]+\.[0-9]+\+bpo-amd64$
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
