# SPDX-License-Identifier: GPL-2.0-only
# The kernel resolution rule (kernel_choose in tests/host/kseries.sh), proven
# on hand-written package lists in the states Debian's archive passes
# through, so that no test has to wait for the archive to misbehave.
# Sourced by tests/host/check.sh.

# _kc_case NAME SUITE EXPECTED-STDOUT EXPECTED-REASON-REGEX FACTS: run the
# rule on FACTS and check its choice and the reason it gives.
_kc_case() {
	local name=$1 suite=$2 want=$3 reason=$4 facts=$5 got why rc
	got=$(kernel_choose "$suite" <<<"$facts" 2>"$OUT/kernel-choice-test.err")
	rc=$?
	why=$(cat "$OUT/kernel-choice-test.err")
	if [ -n "$want" ]; then
		check_eq "$name: chooses '$want'" "$want" "$got"
	else
		check_eq "$name: chooses nothing and fails" "'' 1" "'$got' $rc"
	fi
	check_match "$name: says why" "$reason" "$why"
}

# madison-style lines: _kc_line PKG VERSION SUITE
_kc_line() {
	local uri=http://deb.debian.org/debian
	case $3 in *-security) uri=http://deb.debian.org/debian-security ;; esac
	printf '%s | %s | %s %s/main amd64 Packages\n' "$1" "$2" "$uri" "$3"
}

host_test_kernel_choice() {
	local f
	say "kernel choice: the resolution rule on package lists in every state the archive passes through"

	f=$(printf 'headers linux-headers-6.1.0-56-amd64\nheaders linux-headers-6.1.0-57-amd64\n'
		_kc_line linux-headers-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-image-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-headers-6.1.0-57-amd64 6.1.192-3 bookworm-security
		_kc_line linux-image-6.1.0-57-amd64 6.1.192-3 bookworm-security
		_kc_line linux-image-6.1.0-57-amd64-unsigned 6.1.192-3 bookworm-security)
	_kc_case "settled archive (signed and unsigned published)" bookworm \
		"6.1.0-57-amd64 linux-image-6.1.0-57-amd64" '^chose 6\.1\.0-57-amd64: .*signed image' "$f"

	# The state of 2026-11-28: headers and the unsigned image of a new ABI,
	# the signed image not yet (the name is known from linux-image-amd64's
	# dependency, so apt has the package, without any version).
	f=$(printf 'headers linux-headers-6.1.0-56-amd64\nheaders linux-headers-6.1.0-57-amd64\n'
		_kc_line linux-headers-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-image-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-headers-6.1.0-57-amd64 6.1.192-3 bookworm-security
		_kc_line linux-image-6.1.0-57-amd64-unsigned 6.1.192-3 bookworm-security)
	_kc_case "headers and unsigned image only" bookworm \
		"6.1.0-57-amd64 linux-image-6.1.0-57-amd64-unsigned" \
		'^chose 6\.1\.0-57-amd64: .*unsigned image \(the signed linux-image-6\.1\.0-57-amd64 is not downloadable yet' "$f"

	f=$(printf 'headers linux-headers-6.1.0-56-amd64\nheaders linux-headers-6.1.0-57-amd64\n'
		_kc_line linux-headers-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-image-6.1.0-56-amd64 6.1.192-2 bookworm-security
		_kc_line linux-headers-6.1.0-57-amd64 6.1.192-3 bookworm-security)
	_kc_case "headers only, no image of either kind" bookworm \
		"6.1.0-56-amd64 linux-image-6.1.0-56-amd64" \
		'skipped 6\.1\.0-57-amd64: linux-headers-6\.1\.0-57-amd64 is downloadable \(bookworm-security\) but neither' "$f"

	f=$(printf 'headers linux-headers-6.1.0-56-amd64\nheaders linux-headers-6.1.0-58-amd64\n'
		_kc_line linux-headers-6.1.0-56-amd64 6.1.192-2 bookworm
		_kc_line linux-image-6.1.0-56-amd64 6.1.192-2 bookworm)
	_kc_case "headers name known, no version downloadable" bookworm \
		"6.1.0-56-amd64 linux-image-6.1.0-56-amd64" \
		'skipped 6\.1\.0-58-amd64: no downloadable linux-headers-6\.1\.0-58-amd64 in bookworm' "$f"

	# sort -V, not sort: ABI 10 is newer than ABI 9.
	f=$(printf 'headers linux-headers-5.10.0-9-amd64\nheaders linux-headers-5.10.0-10-amd64\n'
		_kc_line linux-headers-5.10.0-9-amd64 5.10.70-1 bullseye
		_kc_line linux-image-5.10.0-9-amd64 5.10.70-1 bullseye
		_kc_line linux-headers-5.10.0-10-amd64 5.10.84-1 bullseye-updates
		_kc_line linux-image-5.10.0-10-amd64 5.10.84-1 bullseye-updates)
	_kc_case "ABI numbers compared as versions; -updates counts" bullseye \
		"5.10.0-10-amd64 linux-image-5.10.0-10-amd64" '^chose 5\.10\.0-10-amd64: headers from bullseye-updates' "$f"

	# A backports chroot sees the base suite too: its kernels are not the
	# backports series, even when their names match.
	f=$(printf 'headers linux-headers-7.3.4+deb13-amd64\nheaders linux-headers-7.4.1+deb13-amd64\n'
		_kc_line linux-headers-7.3.4+deb13-amd64 7.3.4-1~bpo13+1 trixie-backports
		_kc_line linux-image-7.3.4+deb13-amd64 7.3.4-1~bpo13+1 trixie-backports
		_kc_line linux-headers-7.4.1+deb13-amd64 7.4.1-1 trixie
		_kc_line linux-image-7.4.1+deb13-amd64 7.4.1-1 trixie)
	_kc_case "backports: the base suite's kernels do not count" trixie-backports \
		"7.3.4+deb13-amd64 linux-image-7.3.4+deb13-amd64" \
		'skipped 7\.4\.1\+deb13-amd64: no downloadable linux-headers-7\.4\.1\+deb13-amd64 in trixie-backports' "$f"

	f=$(printf 'headers linux-headers-6.12.117+deb12-amd64\n'
		_kc_line linux-headers-6.12.117+deb12-amd64 6.12.117-1 sid
		_kc_line linux-image-6.12.117+deb12-amd64 6.12.117-1 sid)
	_kc_case "another suite's packages do not count" bookworm "" \
		'no kernel of this series in bookworm has both downloadable headers and an image' "$f"

	_kc_case "empty package lists" bookworm "" \
		'no kernel of this series in bookworm has both downloadable headers and an image' ""
}
