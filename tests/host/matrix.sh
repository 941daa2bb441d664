# SPDX-License-Identifier: GPL-2.0-only
# The kernel matrix (make check-matrix, KSERIES=all): per series, the run
# records whether it was reached at all, DKMS builds the module inside the
# suite's own chroot with the suite's own dkms, and the last full matrix run
# leaves the README's "Kernel support" table and a stamp CI reads.
# Sourced by tests/check.sh after the other helpers.

# Where the last complete matrix run's duration is kept (read by .ci/run).
MATRIX_STAMP=$CACHE/matrix-last-run

# matrix_series_file SERIES: the per-run record of a series, one line:
#   ran SUITE KVER         the series was reached (whatever happened next)
#   notrun SUITE REASON    its suite or packages could not be had
matrix_series_file() { echo "$OUT/series-$1.txt"; }

# matrix_notrun_reason LOG: why a series could not be set up, from the last
# failed step or error message it printed (timestamps stripped).
matrix_notrun_reason() {
	local line log errline
	line=$(grep -E '\] (ERROR: |FAILED step: )' "$1" | tail -n 1 | sed 's/^\[[0-9:]*\] //')
	case $line in
	"FAILED step: "*)
		line=${line#FAILED step: }
		log=${line##*Log: }
		# apt and debootstrap say what they missed on an E: or W: line.
		errline=$(grep -E '^(E|W): ' "$log" 2>/dev/null | tail -n 1 | cut -c1-160)
		echo "${line% (exit*} failed${errline:+ ($errline)}; log: $log"
		;;
	"ERROR: "*) echo "${line#ERROR: }" ;;
	*) echo "setting it up failed without a message; see the output above" ;;
	esac
}

# matrix_dkms_build SERIES: with $KSUITE and $KVER prepared, the suite's own
# dkms package adds and builds the module from a copy of the sources, in
# private source and DKMS trees (concurrent runs never meet), and the module
# it leaves is for $KVER.
matrix_dkms_build() {
	local series=$1 root base ver dkmsver log rc ko vermagic check
	ver=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$TOP/dkms.conf")
	check="dkms build: the suite's own dkms builds ptp_vmw $ver for $KVER"
	if ! (chroot_ensure "$KSUITE" dkms); then
		record FAIL "$series" "$check" "could not install dkms into the $KSUITE chroot; see $OUT/chroot-$KSUITE-install.log"
		return 0
	fi
	root=$(chroot_root "$KSUITE")
	base=$(dirname "$(module_build_dir)")/dkms
	rm -rf "${root:?}$base"
	mkdir -p "$root$base/tree"
	copy_driver_sources "$root$base/src/ptp_vmw-$ver"
	dkmsver=$(chroot_run "$KSUITE" dpkg-query -W -f='${Version}' dkms)
	check="dkms build: $KSUITE's dkms $dkmsver builds ptp_vmw $ver for $KVER"
	log=$OUT/dkms-$KVER.log
	say "[$series] dkms $dkmsver: add and build ptp_vmw $ver for $KVER"
	chroot_run "$KSUITE" sh -c '
		set -e
		opts="--sourcetree $1/src --dkmstree $1/tree -m ptp_vmw -v $2"
		dkms add $opts
		dkms build $opts -k "$3"
		dkms status $opts' sh "$base" "$ver" "$KVER" >"$log" 2>&1
	rc=$?
	ko=$(cd "$root$base/tree" 2>/dev/null &&
		find "ptp_vmw/$ver/$KVER" -path '*/module/ptp_vmw.ko*' 2>/dev/null | head -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$ko" ]; then
		record FAIL "$series" "$check" "expected exit 0 and a built ptp_vmw.ko, saw exit $rc and '${ko:-no module}'; $(grep -iE 'error|bad|not' "$log" | tail -n 2 | tr '\n' ' ') (log: $log)"
		return 0
	fi
	vermagic=$(chroot_run "$KSUITE" modinfo -F vermagic "$base/tree/$ko")
	if [ "${vermagic%% *}" = "$KVER" ]; then
		record PASS "$series" "$check"
	else
		record FAIL "$series" "$check" "expected a module with vermagic $KVER, saw '$vermagic' (log: $log)"
	fi
	rm -rf "${root:?}$base"
}

# matrix_build_warnings SERIES LOG: the W=1 and sparse verdict of a module
# build. Where kbuild switched sparse off (7.x headers: Debian's package lacks
# scripts/checker-valid.sh, and trixie's sparse 0.6.4 cannot parse the
# __typeof_unqual__ they use), the check claims W=1 only and a note says why
# sparse did not run: it is never counted as a sparse pass.
matrix_build_warnings() {
	local series=$1 log=$2 w ver
	if grep -qE '^ *CHECK ' "$log"; then
		host_test_build_warnings "$series" "$log"
		return 0
	fi
	w=$(grep -E 'warning:|error:' "$log" | grep -v '^make\|C=2 specified' | head -n 5)
	if [ -z "$w" ]; then
		record PASS "$series" "module build has zero W=1 warnings"
	else
		record FAIL "$series" "module build has zero W=1 warnings" "$w (log: $log)"
	fi
	ver=$(chroot_run "$KSUITE" dpkg-query -W -f='${Version}' sparse 2>/dev/null)
	if grep -q 'C=2 specified, but .* not available or not up to date' "$log"; then
		record NOTE "$series" "sparse not run: kbuild switched it off ($KSUITE's sparse ${ver:-?} is 'not available or not up to date' for these headers)"
	else
		record NOTE "$series" "sparse not run: no CHECK line in the build log"
	fi
}

# _matrix_checks SERIES PATTERN: "passed failed" over the series' result
# lines whose check name matches the extended regex PATTERN.
_matrix_checks() {
	local p f
	p=$(grep -E "^PASS \[$1\] ($2)" "$RESULTS" | grep -c .)
	f=$(grep -E "^FAIL \[$1\] ($2)" "$RESULTS" | grep -c .)
	echo "$p $f"
}

# _matrix_verdict PASSED FAILED: yes, no, or "—" when nothing was checked.
_matrix_verdict() {
	if [ "$2" -gt 0 ]; then
		echo "**no** ($2 of $(($1 + $2)) checks failed)"
	elif [ "$1" -gt 0 ]; then
		echo yes
	else
		echo "—"
	fi
}

# matrix_table: the Markdown table of this run, one row per series of
# KSERIES_ALL, from the results file and the per-series records.
matrix_table() {
	local series rec state suite kver reason pf p f row s sp sf spass stotal dkms notes other probes
	local scenarios=()
	for s in "$TOP"/tests/scenarios/*.sh; do
		case $s in */system-*) continue ;; esac # the Debian 12 system's, not per series
		scenarios+=("$(basename "$s" .sh)")
	done
	echo "| series | suite | kernel | compat probes that hold | builds warning-free (W=1, sparse) | DKMS build (suite's dkms) | loads | scenarios pass | notes |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for series in $KSERIES_ALL; do
		rec=$(cat "$(matrix_series_file "$series")" 2>/dev/null)
		state=${rec%% *}
		suite=$(kseries_suite "$series")
		if [ "$state" = notrun ]; then
			reason=${rec#notrun * }
			echo "| $series | $suite | — | | not run: $reason | | | | |"
			continue
		fi
		if [ "$state" != ran ]; then
			echo "| $series | $suite | — | | not run: not selected in this run | | | | |"
			continue
		fi
		kver=$(echo "$rec" | cut -d' ' -f3)
		# What compat/probe.sh found in this kernel's headers, as built.
		probes=$(sed -n 's/^#define HAVE_\([A-Z0-9_]*\) 1$/\1/p' \
			"$(chroot_root "$suite")$(KVER=$kver module_build_dir)/compat/probed.h" 2>/dev/null |
			awk 'NR > 1 { printf ", " } { printf "`%s`", $0 }')
		read -r p f <<<"$(_matrix_checks "$series" 'module build')"
		row="| $series | $suite | $kver | ${probes:-—} | $(_matrix_verdict "$p" "$f")"
		grep -qE "^(PASS|FAIL) \[$series\] module build has zero W=1 warnings" "$RESULTS" &&
			row="$row (W=1; sparse not run: see notes)"
		read -r p f <<<"$(_matrix_checks "$series" 'dkms build')"
		dkms=$(grep -E "^(PASS|FAIL) \[$series\] dkms build" "$RESULTS" | head -n 1 |
			sed -n "s/.*$suite's dkms \([^ ]*\) builds.*/\1/p")
		row="$row | $(_matrix_verdict "$p" "$f")${dkms:+ (dkms $dkms)}"
		read -r p f <<<"$(_matrix_checks "$series" 'load: ')"
		row="$row | $(_matrix_verdict "$p" "$f")"
		spass=0 stotal=0 pf=""
		for s in "${scenarios[@]}"; do
			read -r sp sf <<<"$(_matrix_checks "$series" "$s: ")"
			[ $((sp + sf)) -gt 0 ] || continue
			stotal=$((stotal + 1))
			if [ "$sf" -eq 0 ]; then spass=$((spass + 1)); else pf="$pf $s"; fi
		done
		read -r p f <<<"$(_matrix_checks "$series" "($(IFS='|'; echo "${scenarios[*]}")): ")"
		if [ "$stotal" -eq 0 ]; then
			row="$row | —"
		elif [ -z "$pf" ]; then
			row="$row | yes: $spass/$stotal scenarios, $p checks"
		else
			row="$row | **no**: $spass/$stotal scenarios; failed:$pf"
		fi
		# Each distinct note once, without the scenario that made it; a
		# run's random seeds (replay hints) say nothing about the kernel.
		notes=$(sed -n "s/^NOTE \[$series\] //p" "$RESULTS" | grep -v '(replay with ' |
			sed -E 's/^[a-z0-9-]+: ([a-z0-9-]+: )?//' | sort -u |
			awk 'NR > 1 { printf "; " } { printf "%s", $0 }')
		# Failures no column above counts (a step that stopped the series,
		# a bench or host check) must still show.
		other=$(grep "^FAIL \[$series\] " "$RESULTS" |
			grep -vE "^FAIL \[$series\] (module build|dkms build|load: |($(IFS='|'; echo "${scenarios[*]}")): )" |
			sed "s/^FAIL \[$series\] //; s/: .*//")
		if [ -n "$other" ]; then
			other="**also failed: $(echo "$other" | awk 'NR > 1 { printf "; " } { printf "%s", $0 }')**"
			notes="$other${notes:+; $notes}"
		fi
		echo "$row | ${notes:-—} |"
	done
}

# matrix_readme FILE: replace the table between the kernel-support markers
# of FILE with this run's, dated.
matrix_readme() {
	local file=$1 table rev
	grep -q '^<!-- kernel-support:begin -->$' "$file" || {
		say "no kernel-support markers in $file; table left in $OUT/kernel-support.md"
		return 0
	}
	rev=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
	{
		echo "Last \`make check-matrix\`: $(date -u '+%Y-%m-%d %H:%M UTC'), source $rev," \
			"$(($(date +%s) - RUN_START)) s."
		echo
		matrix_table
	} >"$OUT/kernel-support.md"
	awk -v table="$OUT/kernel-support.md" '
		/^<!-- kernel-support:end -->$/ { skip = 0 }
		!skip { print }
		/^<!-- kernel-support:begin -->$/ {
			while ((getline line < table) > 0) print line
			skip = 1
		}' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
	say "kernel support table written to $file (from this run; commit it)"
}

# matrix_stamp SECONDS: the duration of a complete matrix run in which every
# series was reached, and how many checks failed, for .ci/run to judge
# whether the next one fits (and is worth CI's time).
matrix_stamp() {
	{
		echo "seconds=$1"
		echo "failed=$(grep -c '^FAIL' "$RESULTS")"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "series=$KSERIES_ALL"
	} >"$MATRIX_STAMP.tmp" && mv "$MATRIX_STAMP.tmp" "$MATRIX_STAMP"
}
