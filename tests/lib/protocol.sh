# SPDX-License-Identifier: GPL-2.0-only
# The result protocol, one set for everything that reports results to the
# host: the guest's scenarios (tests/guest/lib.sh), the real Debian
# system's agent (tests/guest/system/) and the device model's self-test
# (tests/emulator/selftest/run.sh). One line per result on fd 3, which the
# host reads (tests/host/results.sh, record_lines) and files under the
# scenario or test it ran:
#   PASS name
#   FAIL name<TAB>expected ..., saw ...
#   SKIP name<TAB>why it cannot apply here
#   VALUE key=value          a measured figure (the host may check it)
#   NOTE text                something worth knowing, not a check
#   DATA kind payload        data for a reader (bench, demo), not a result
# A tab separates a check's name (which may contain ": ") from the detail.
# PROTO_PASSED and PROTO_FAILED count this shell's results.
# POSIX sh.

PROTO_PASSED=0
PROTO_FAILED=0
pass() {
	PROTO_PASSED=$((PROTO_PASSED + 1))
	echo "PASS $1" >&3
}
fail() {
	PROTO_FAILED=$((PROTO_FAILED + 1))
	printf 'FAIL %s\t%s\n' "$1" "$2" >&3
}
skip() { printf 'SKIP %s\t%s\n' "$1" "$2" >&3; }
value() { echo "VALUE $1=$2" >&3; }
note() { echo "NOTE $*" >&3; }
data() { echo "DATA $*" >&3; }
