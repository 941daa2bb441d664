# SPDX-License-Identifier: GPL-2.0-only
# The assertion helpers, one set for both sides: sourced by the host's
# results library (tests/host/results.sh, bash) and by the guest's
# (tests/guest/lib.sh, busybox sh). Each side defines pass NAME and
# fail NAME DETAIL, and what they do with a result; these only decide.
# POSIX sh: no arrays, no [[ ]].

# check_eq NAME EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', saw '$3'"; fi
}

# _cmp A OP B: the integer comparison OP (-lt -le -eq -ge -gt -ne).
_cmp() {
	case $2 in
	-lt) [ "$1" -lt "$3" ] ;;
	-le) [ "$1" -le "$3" ] ;;
	-eq) [ "$1" -eq "$3" ] ;;
	-ge) [ "$1" -ge "$3" ] ;;
	-gt) [ "$1" -gt "$3" ] ;;
	-ne) [ "$1" -ne "$3" ] ;;
	*) return 2 ;;
	esac
}

# check_cmp NAME A OP B: integers; OP one of -lt -le -eq -ge -gt -ne.
check_cmp() {
	if [ -n "$2" ] && [ -n "$4" ] && _cmp "$2" "$3" "$4" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected '$2' $3 '$4'"
	fi
}

# check_ok NAME CMD...: CMD must succeed.
check_ok() {
	_c_name=$1
	shift
	_c_out=$("$@" 2>&1)
	_c_rc=$?
	if [ $_c_rc -eq 0 ]; then
		pass "$_c_name"
	else
		fail "$_c_name" "expected '$*' to succeed, saw exit $_c_rc: $(echo "$_c_out" | tail -n 3 | tr '\n' ' ')"
	fi
	return $_c_rc
}

# check_fails_with NAME TEXT CMD...: CMD must fail and print TEXT.
check_fails_with() {
	_c_name=$1 _c_text=$2
	shift 2
	_c_out=$("$@" 2>&1)
	_c_rc=$?
	if [ $_c_rc -ne 0 ] && echo "$_c_out" | grep -qF -- "$_c_text"; then
		pass "$_c_name"
	else
		fail "$_c_name" "expected '$*' to fail with '$_c_text', saw exit $_c_rc: $(echo "$_c_out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# check_has NAME NEEDLE TEXT: TEXT contains the fixed string NEEDLE.
check_has() {
	if printf '%s\n' "$3" | grep -qF -- "$2"; then
		pass "$1"
	else
		fail "$1" "expected to find '$2', saw '$(printf '%s\n' "$3" | tail -n 3 | tr '\n' ' ')'"
	fi
}

# check_match NAME REGEX TEXT: TEXT matches the extended REGEX.
check_match() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then
		pass "$1"
	else
		fail "$1" "expected a match for /$2/, saw '$(printf '%s\n' "$3" | tail -n 3 | tr '\n' ' ')'"
	fi
}

# check_none NAME WHAT LIST: LIST (one item a line) must be empty.
check_none() {
	if [ -z "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected no $2, saw: $(printf '%s\n' "$3" | head -n 8 | tr '\n' ' ')"
	fi
}
