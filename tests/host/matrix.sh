# SPDX-License-Identifier: GPL-2.0-only
# The kernel matrix (make check-matrix, KSERIES=all): per series, what the
# compat probes found, the build's warnings, DKMS building the module inside
# the suite's own chroot with the suite's own dkms; and, after a complete
# matrix run, docs/kernels.md's table (drawn by tests/host/results.py) and
# the stamp .ci/run reads. Results go under SERIES/build.
# Sourced by tests/host/check.sh after the other helpers.

# Where the last complete matrix run's duration is kept (read by .ci/run).
MATRIX_STAMP=$CACHE/matrix-last-run

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

# matrix_dkms_build: with $KSUITE and $KVER prepared, the suite's own
# dkms package adds and builds the module from a copy of the sources, in
# private source and DKMS trees (concurrent runs never meet), and the module
# it leaves is for $KVER.
matrix_dkms_build() {
	local root base ver dkmsver log rc ko vermagic check
	ver=$(project_version)
	check="dkms build: the suite's own dkms builds ptp_vmw $ver for $KVER"
	if ! (chroot_ensure "$KSUITE" dkms); then
		fail "$check" "could not install dkms into the $KSUITE chroot; see $OUT/chroot-$KSUITE-install.log"
		return 0
	fi
	root=$(chroot_root "$KSUITE")
	base=$(dirname "$(module_build_dir)")/dkms
	rm -rf "${root:?}$base"
	mkdir -p "$root$base/tree"
	copy_driver_sources "$root$base/src/ptp_vmw-$ver"
	# shellcheck disable=SC2016 # dpkg-query's format, not an expansion
	dkmsver=$(chroot_run "$KSUITE" dpkg-query -W -f='${Version}' dkms)
	check="dkms build: $KSUITE's dkms $dkmsver builds ptp_vmw $ver for $KVER"
	value dkms "$dkmsver"
	log=$OUT/dkms-$KVER.log
	say "[$GROUP] dkms $dkmsver: add and build ptp_vmw $ver for $KVER"
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
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
		fail "$check" "expected exit 0 and a built ptp_vmw.ko, saw exit $rc and '${ko:-no module}'; $(grep -iE 'error|bad|not' "$log" | tail -n 2 | tr '\n' ' ') (log: $log)"
		return 0
	fi
	vermagic=$(chroot_run "$KSUITE" modinfo -F vermagic "$base/tree/$ko")
	check_eq "$check (vermagic)" "$KVER" "${vermagic%% *}"
	rm -rf "${root:?}$base"
}

# matrix_build_warnings LOG: the W=1 and sparse verdict of a module build.
# Where kbuild switched sparse off (7.x headers: Debian's package lacks
# scripts/checker-valid.sh, and trixie's sparse 0.6.4 cannot parse the
# __typeof_unqual__ they use), the check claims W=1 only and the sparse
# check is skipped with the reason: never counted as a sparse pass.
matrix_build_warnings() {
	local log=$1 w ver
	if grep -qE '^ *CHECK ' "$log"; then
		host_test_build_warnings "$log"
		return 0
	fi
	w=$(grep -E 'warning:|error:' "$log" | grep -v '^make\|C=2 specified' | head -n 5)
	check_none "module build has zero W=1 warnings" "warnings (log: $log)" "$w"
	# shellcheck disable=SC2016 # dpkg-query's format, not an expansion
	ver=$(chroot_run "$KSUITE" dpkg-query -W -f='${Version}' sparse 2>/dev/null)
	if grep -q 'C=2 specified, but .* not available or not up to date' "$log"; then
		skip "module build is sparse clean" "kbuild switched sparse off ($KSUITE's sparse ${ver:-?} is 'not available or not up to date' for these headers)"
	else
		skip "module build is sparse clean" "sparse did not run: no CHECK line in the build log"
	fi
}

# matrix_probes [PROBED_H]: the compat probes that held for $KVER, as built
# (from the probed.h compat/probe.sh wrote; by default the wrapper build's),
# comma-separated.
matrix_probes() {
	sed -n 's/^#define HAVE_\([A-Z0-9_]*\) 1$/\1/p' \
		"${1:-$(chroot_root "$KSUITE")$(module_build_dir)/compat/probed.h}" 2>/dev/null | paste -sd, -
}

# matrix_plain_kbuild: with $KSUITE and $KVER prepared and the wrapper's
# build done (module_build), the command kernel developers and packagers
# type, make -C KDIR M=DIR, with no wrapper and no variables, builds from a
# fresh copy of the sources a module that carries dkms.conf's version, with
# the compat probes the wrapper's build found (its W=1 and C=2 must not
# reach the probes) and probe.sh run on its own finds (kbuild's own
# environment must not either); modules_install installs it; clean removes
# the generated probed.h.
matrix_plain_kbuild() {
	local root base src kdir log ver probes ko
	root=$(chroot_root "$KSUITE")
	base=$(dirname "$(module_build_dir)")/kbuild
	src=$base/src
	kdir=/usr/src/linux-headers-$KVER
	ver=$(project_version)
	log=$OUT/kbuild-$KVER.log
	rm -rf "${root:?}$base"
	# shellcheck disable=SC2016 # the README's command, verbatim
	readme_has_cmds 'make -C /lib/modules/$(uname -r)/build M=$PWD' \
		'make -C /lib/modules/$(uname -r)/build M=$PWD modules_install'
	copy_driver_sources "$root$src"
	say "[$GROUP] plain kbuild: make -C $kdir M=$src"
	if ! chroot_run "$KSUITE" make -C "$kdir" M="$src" >"$log" 2>&1 || [ ! -f "$root$src/ptp_vmw.ko" ]; then
		fail "plain kbuild: make -C KDIR M=DIR builds ptp_vmw.ko for $KVER" \
			"expected exit 0 and ptp_vmw.ko; $(grep -E 'error|probe.sh' "$log" | tail -n 2 | tr '\n' ' ')(log: $log)"
		return 0
	fi
	pass "plain kbuild: make -C KDIR M=DIR builds ptp_vmw.ko for $KVER"
	check_eq "plain kbuild: modinfo version is dkms.conf's PACKAGE_VERSION" "$ver" \
		"$(chroot_run "$KSUITE" modinfo -F version "$src/ptp_vmw.ko" 2>&1)"
	probes=$(matrix_probes "$root$src/compat/probed.h")
	check_eq "plain kbuild: the compat probes are the wrapper build's (make KDIR=... W=1 C=2)" \
		"$(matrix_probes)" "$probes"
	chroot_run "$KSUITE" sh "$src/compat/probe.sh" "$kdir" "$base/alone.h" >>"$log" 2>&1
	check_eq "plain kbuild: the compat probes are those of compat/probe.sh run on its own" \
		"$(matrix_probes "$root$base/alone.h")" "$probes"

	chroot_run "$KSUITE" make -C "$kdir" M="$src" INSTALL_MOD_PATH="$base/inst" \
		modules_install >>"$log" 2>&1
	ko=$(cd "$root$base/inst" 2>/dev/null && find . -name 'ptp_vmw.ko*' | head -n 1)
	check_eq "plain kbuild: modules_install installs a module carrying that version" "$ver" \
		"$( [ -n "$ko" ] && chroot_run "$KSUITE" modinfo -F version "$base/inst/${ko#./}" 2>&1)"
	chroot_run "$KSUITE" make -C "$kdir" M="$src" clean >>"$log" 2>&1
	check_none "plain kbuild: make -C KDIR M=DIR clean removes the module and compat/probed.h" "files left" \
		"$(cd "$root$src" && find . -name '*.ko' -o -name '*.o' -o -name 'probed.h*')"
	rm -rf "${root:?}$base"
}

# matrix_write FILE: the kernel support table of this run, dated, as FILE
# (the marked section of docs/kernels.md; commit it).
matrix_write() {
	local file=$1 rev begin='<!-- make check-matrix writes from here -->' end='<!-- to here -->'
	rev=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
	if ! grep -qxF -- "$begin" "$file" || ! grep -qxF -- "$end" "$file"; then
		fail "the kernel support table written to $file" "its markers ('$begin', '$end') are missing"
		return 0
	fi
	{
		echo "Written by \`make check-matrix\` (tests/host/matrix.sh, tests/host/results.py);"
		echo "do not edit by hand. Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), source $rev," \
			"$(($(date +%s) - RUN_START)) s."
		echo
		# shellcheck disable=SC2086 # a list of series ids
		/usr/bin/python3 "$TOP/tests/host/results.py" matrix "$RESULTS" $KSERIES_ALL
	} >"$file.table" &&
		awk -v b="$begin" -v e="$end" -v t="$file.table" '
			$0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
	rm -f "$file.table"
	say "kernel support table written to $file (from this run; commit it)"
}

# matrix_complete: every series of the matrix was reached in this run.
matrix_complete() {
	local s
	for s in $KSERIES_ALL; do
		[ -n "$(results_value "$s" build kernel)" ] || return 1
	done
}

# matrix_stamp SECONDS: the duration of a complete matrix run in which every
# series was reached, and how many checks failed, for .ci/run to judge
# whether the next one fits (and is worth CI's time).
matrix_stamp() {
	{
		echo "seconds=$1"
		echo "failed=$(results_failures)"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "series=$KSERIES_ALL"
	} >"$MATRIX_STAMP.tmp" && mv "$MATRIX_STAMP.tmp" "$MATRIX_STAMP"
}

# host_test_build_warnings LOG: W=1 and sparse (C=2) said nothing.
host_test_build_warnings() {
	local w
	w=$(grep -E 'warning:|error:|sparse: ' "$1" | grep -v '^make' | head -n 5)
	check_none "module build has zero W=1 and sparse warnings" "warnings (log: $1)" "$w"
}
