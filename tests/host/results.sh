# SPDX-License-Identifier: GPL-2.0-only
# The run's results: the one place a check's outcome is recorded on the host.
#
# Every result is one line of $RESULTS (tab-separated):
#   STATUS  GROUP  SCENARIO  NAME  DETAIL
# STATUS is pass, fail, skip (cannot apply here; DETAIL says why) or diag (a
# measured value or a note, not a check). GROUP is a kernel series ("6.1")
# or "host"; SCENARIO the scenario or host test the check belongs to. The
# human-readable line goes to stderr at once; tests/host/results.py turns the
# file into KTAP (results.ktap: run -> group -> scenario -> check), the
# summary and matrix tables, and the final "N passed, N failed" line.
#
# Callers set GROUP and SCENARIO (result_context) and use pass/fail/skip/
# diag or the check_* helpers of tests/lib/checks.sh, which never name the
# scenario themselves.

RESULTS=$OUT/results.tsv
PHASES=$OUT/phases.tsv

results_reset() { : >"$RESULTS" && : >"$PHASES"; }

# phase NAME: the run's time from now on counts for NAME (until the next
# phase); results_finish prints the table.
phase() {
	printf '%s\t%s\n' "$(date +%s)" "$1" >>"$PHASES"
	say "phase: $1"
}

# phases_table: where the run's time went, per phase (also in
# $OUT/phases.txt).
phases_table() {
	awk -F'\t' -v now="$(date +%s)" '
		{ t[NR] = $1; n[NR] = $2 }
		END {
			if (NR == 0) exit
			printf "%-56s %8s %6s\n", "phase", "seconds", "min"
			for (i = 1; i <= NR; i++) {
				d = (i < NR ? t[i + 1] : now) - t[i]
				printf "%-56s %8d %6.1f\n", n[i], d, d / 60
			}
			printf "%-56s %8d %6.1f\n", "all", now - t[1], (now - t[1]) / 60
		}' "$PHASES" | tee "$OUT/phases.txt"
}

# result_context GROUP SCENARIO: where the next results belong.
result_context() { GROUP=$1 SCENARIO=$2; }

# selected NAME: whether the run's TESTS (names or globs; empty: everything)
# selects scenario or host test NAME.
selected() {
	local pat
	[ -z "${TESTS:-}" ] && return 0
	set -f # the patterns are globs to match names, not files to expand
	for pat in $TESTS; do
		# shellcheck disable=SC2053 # glob match on purpose
		[[ $1 == $pat ]] && { set +f; return 0; }
	done
	set +f
	return 1
}

# result STATUS NAME [DETAIL]: one result in the current context.
result() {
	local status=$1 name=$2 detail=${3:-} first
	# One line per result in the file (tabs and newlines folded); the whole
	# detail on stderr.
	first=$(printf '%s' "$detail" | tr '\t\n' '  ' | cut -c1-2000)
	printf '%s\t%s\t%s\t%s\t%s\n' "$status" "${GROUP:-host}" "${SCENARIO:-run}" \
		"$(printf '%s' "$name" | tr '\t\n' '  ')" "$first" >>"$RESULTS"
	case $status in
	pass) printf '  ok    [%s] %s: %s\n' "${GROUP:-host}" "${SCENARIO:-run}" "$name" >&2 ;;
	skip) printf '  SKIP  [%s] %s: %s (%s)\n' "${GROUP:-host}" "${SCENARIO:-run}" "$name" "$detail" >&2 ;;
	diag) case $name in value\ *) ;; *) printf '  note  [%s] %s: %s\n' "${GROUP:-host}" "${SCENARIO:-run}" "$name" >&2 ;; esac ;;
	*) printf '  FAIL  [%s] %s: %s\n        %s\n' "${GROUP:-host}" "${SCENARIO:-run}" "$name" "$detail" >&2 ;;
	esac
}

pass() { result pass "$1"; }
fail() { result fail "$1" "${2:-}"; }
skip() { result skip "$1" "$2"; }
# diag TEXT: a note; value KEY VALUE: a measured figure ("value KEY=VALUE").
diag() { result diag "$1"; }
value() { result diag "value $1=$2"; }

# check_log NAME NEEDLE LOG: the file LOG contains NEEDLE.
check_log() {
	if grep -qF -- "$2" "$3" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected '$2' in $3, its tail: $(tail -n 3 "$3" 2>/dev/null | tr '\n' ' ')"
	fi
}

# check_step NAME LOG CMD...: CMD succeeds (run by step, with its progress
# lines; its output in LOG).
check_step() {
	local name=$1 log=$2
	shift 2
	if (step "$name" "$log" "$@"); then
		pass "$name"
	else
		fail "$name" "expected success, it failed; log: $log"
		return 1
	fi
}

# results_failures: how many failed so far in this run.
results_failures() { awk -F'\t' '$1 == "fail"' "$RESULTS" | grep -c .; }

# results_value GROUP SCENARIO KEY: the last "value KEY=..." recorded there.
results_value() {
	awk -F'\t' -v g="$1" -v s="$2" -v k="value $3=" \
		'$1 == "diag" && $2 == g && $3 == s && index($4, k) == 1 { v = substr($4, length(k) + 1) }
		END { if (v != "") print v }' "$RESULTS"
}

# record_lines FILE [SUFFIX]: a sub-test's own lines, in the protocol the
# guest speaks (tests/guest/lib.sh): PASS name, FAIL name<TAB>detail,
# SKIP name<TAB>reason, VALUE key=value, NOTE text (a FAIL or SKIP line
# without a tab splits at its first ": "). Other lines are data for their
# readers and are left alone. SUFFIX goes after failure details.
record_lines() {
	local line name rest
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "${line#PASS }" ;;
		"FAIL "* | "SKIP "*)
			rest=${line#* }
			case $rest in
			*$'\t'*) name=${rest%%$'\t'*} rest=${rest#*$'\t'} ;;
			*': '*) name=${rest%%: *} rest=${rest#*: } ;;
			*) name=$rest rest= ;;
			esac
			if [ "${line%% *}" = FAIL ]; then fail "$name" "$rest${2:-}"; else skip "$name" "$rest"; fi
			;;
		"VALUE "*=*) rest=${line#VALUE } && value "${rest%%=*}" "${rest#*=}" ;;
		"NOTE "*) diag "${line#NOTE }" ;;
		esac
	done <"$1"
}

# results_summary: the per-scenario figures of this run (make stress reads
# them), also in $OUT/summary.txt.
results_summary() {
	/usr/bin/python3 "$TOP/tests/host/results.py" summary "$RESULTS" | tee "$OUT/summary.txt"
}

# results_finish SECONDS: results.ktap, the failures and skips for people,
# which kernel series ran, and the last line: "N passed, N failed, N
# skipped (...)". Exits 0 when nothing failed, something passed and at
# least one kernel series was reached; and, when the kernel's KTAP parser
# is at hand (KUNIT_PY, host_test_ktap), only if it reads the final file
# with the same counts.
results_finish() {
	local secs=$1 counts ran kunit rc=0
	/usr/bin/python3 "$TOP/tests/host/results.py" ktap "$RESULTS" >"$OUT/results.ktap" ||
		die "could not write $OUT/results.ktap (tests/host/results.py)"
	/usr/bin/python3 "$TOP/tests/host/results.py" failures "$RESULTS" >&2
	counts=$(/usr/bin/python3 "$TOP/tests/host/results.py" counts "$RESULTS")
	ran=$(awk -F'\t' '$3 == "build" && index($4, "value kernel=") == 1 { printf " %s (%s),", $2, substr($4, 14) }' "$RESULTS")
	echo "Kernel series run:${ran%,}" >&2
	phases_table >&2
	if [ -n "${KUNIT_PY:-}" ]; then
		kunit=$(ktap_parse_counts "$OUT/results.ktap" "$OUT/kunit-parse.log")
		if [ "$kunit" != "$counts" ]; then
			echo "ERROR: the kernel's KTAP parser reads $OUT/results.ktap as '$kunit', not '$counts' (see $OUT/kunit-parse.log)" >&2
			rc=1
		fi
	fi
	echo "$counts ($secs s; results in $OUT/results.ktap)"
	case $counts in
	*" 0 failed"*) ;;
	*) rc=1 ;;
	esac
	case $counts in 0\ passed*) rc=1 ;; esac
	[ -n "$ran" ] || { echo "ERROR: no kernel series was reached" >&2; rc=1; }
	return $rc
}

# ktap_parse_counts KTAP LOG: "N passed, N failed, N skipped" as the
# kernel's kunit.py parse reads the file (its output in LOG).
ktap_parse_counts() {
	/usr/bin/python3 "$KUNIT_PY" parse "$1" >"$2" 2>&1
	/usr/bin/python3 "$TOP/tests/host/results.py" kunit-counts "$2" | head -n 1
}
