# SPDX-License-Identifier: GPL-2.0-only
# Boots the emulated VMware guest for one scenario and judges what it said.
# Sourced after common.sh (and the kernel/initramfs helpers).
#
# A scenario file (tests/scenarios/NAME.sh) is sourced twice: by bash here, for
# its BOOT_* settings and its optional host() checks, and by busybox sh in the
# guest, which runs its guest() function. Settings, with their defaults:
#   BOOT_VMWARE=yes    look like VMware (vmport, DMI serial, no CPUID
#                      hypervisor bit); "no" gives a plain QEMU guest
#   BOOT_SSDT=yes      announce the VMW0005 device in ACPI
#   BOOT_QEMU=         extra QEMU arguments (e.g. -global vmport.pclk=false)
#   BOOT_KARGS=        extra kernel arguments (e.g. acpi=off)
#   BOOT_SMP=1         vCPUs
#   BOOT_TIMEOUT=180   seconds before the boot is killed and failed
#   BOOT_SERIES=       kernel series this scenario is limited to (default all)
#   BOOT_MEM=768       guest memory in MiB
#
# STRESS_SCALE (environment, default 1) reaches the guest as $SCALE: scenarios
# that repeat something multiply their counts by it. make check runs with 1,
# make stress with 10.

RESULTS=$OUT/results.txt

# record STATUS SERIES CHECK [DETAIL]: one line in the run's results.
record() {
	local status=$1 series=$2 check=$3 detail=${4:-}
	# One line per check in the results file; the full detail on stderr.
	printf '%s [%s] %s%s\n' "$status" "$series" "$check" \
		"$(echo "${detail:+: $detail}" | head -n 1)" >>"$RESULTS"
	case $status in
	PASS) printf '  ok    [%s] %s\n' "$series" "$check" >&2 ;;
	NOTRUN) printf '  NOT RUN [%s] %s\n' "$series" "$check" >&2 ;;
	NOTE) printf '  note  [%s] %s\n' "$series" "$check" >&2 ;;
	*) printf '  FAIL  [%s] %s\n        %s\n' "$series" "$check" "$detail" >&2 ;;
	esac
}

# guest_setup: what every boot needs, once per run: the patched QEMU, the
# SSDT, and the host's TSC rate (the guest is told it rather than measuring).
guest_setup() {
	need_pkgs acpica-tools seabios qemu-system-data
	if [ -z "${QEMU:-}" ]; then
		QEMU=$(bash "$TOP/tests/emulator/build-qemu.sh") ||
			die "building the device model (QEMU) failed; see the logs named above"
	fi
	[ -x "$QEMU" ] || die "QEMU binary $QEMU is missing"
	SSDT=$OUT/vmw0005.aml
	iasl -p "$OUT/vmw0005" "$TOP/tests/emulator/vmw0005.asl" >"$OUT/iasl.log" 2>&1 ||
		die "iasl could not compile tests/emulator/vmw0005.asl; see $OUT/iasl.log"
	TSC_HZ=$("$OUT/guest-project/opt/ptpvmw/tools/tschz") ||
		die "cannot measure the host's TSC rate (tests/tools/tschz)"
	export QEMU SSDT TSC_HZ
}

# guest_prepare SERIES: everything one boot needs, for make demo and make
# shell: the guest's userland and tools, QEMU, the series' newest kernel, our
# module built for it and the initrd holding it (GUEST_INITRD).
guest_prepare() {
	guest_userland
	guest_project
	guest_setup
	kernel_prepare "$1"
	module_build
	guest_initrd "$KVER" "$MODULE_KO" || die "building the guest's initrd failed"
}

# boot_defaults: the BOOT_* settings a scenario starts from.
boot_defaults() {
	BOOT_VMWARE=yes BOOT_SSDT=yes BOOT_QEMU= BOOT_KARGS= BOOT_SMP=1 BOOT_TIMEOUT=180
	BOOT_SERIES= BOOT_MEM=768
	unset -f guest host
}

# _qemu_args NAME DIR: the QEMU command line for a scenario (BOOT_* set).
_qemu_args() {
	local name=$1 dir=$2 kargs
	kargs="console=ttyS0 panic=-1 quiet ptpvmw.scenario=$name"
	kargs="$kargs ptpvmw.scale=${STRESS_SCALE:-1} $BOOT_KARGS"
	QARGS=("$QEMU" -L /usr/share/seabios -L /usr/share/qemu
		-m "$BOOT_MEM" -smp "$BOOT_SMP" -nodefaults -display none -no-reboot -monitor none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
		-kernel "$KDIR_IMAGE/vmlinux" -initrd "$GUEST_INITRD")
	if [ "$BOOT_VMWARE" = yes ]; then
		QARGS+=(-machine pc,vmport=on
			-cpu "qemu64,-hypervisor,tsc-frequency=$TSC_HZ"
			-smbios "type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform,serial=VMware-56 4d 70 74 70 5f 76 6d-77 5f 74 65 73 74 00 01"
			-global vmport.gethz-tcg=on -global "vmport.pclk-stats=$dir/model-stats")
	else
		# No VMware GETHZ here: tell the kernel the TSC rate directly.
		QARGS+=(-machine pc,vmport=off -cpu qemu64)
		kargs="$kargs tsc_early_khz=$((TSC_HZ / 1000))"
	fi
	[ "$BOOT_SSDT" = yes ] && QARGS+=(-acpitable "file=$SSDT")
	# shellcheck disable=SC2206 # BOOT_QEMU is a list of words by design
	QARGS+=($BOOT_QEMU -append "$kargs")
}

# split_fail "FAIL name<TAB>detail": sets FAIL_CHECK and FAIL_DETAIL. Lines
# without a tab (tools that print "FAIL name: detail") split at the first ": ".
split_fail() {
	local line=${1#FAIL }
	case $line in
	*$'\t'*) FAIL_CHECK=${line%%$'\t'*} FAIL_DETAIL=${line#*$'\t'} ;;
	*) FAIL_CHECK=${line%%: *} FAIL_DETAIL=${line#*: } ;;
	esac
}

# record_lines SERIES FILE [SUFFIX]: the "PASS name" / "FAIL name<TAB>detail"
# lines a sub-test printed, as results; SUFFIX is appended to failure details.
record_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) record PASS "$1" "${line#PASS }" ;;
		"FAIL "*) split_fail "$line"; record FAIL "$1" "$FAIL_CHECK" "$FAIL_DETAIL${3:-}" ;;
		esac
	done <"$2"
}

# Host-side helpers for a scenario's host() function.
pass() { record PASS "$SERIES" "$1"; }
fail() { record FAIL "$SERIES" "$1" "$2"; }
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', saw '$3'"; fi
}
check_cmp() {
	if [ -n "$2" ] && [ -n "$4" ] && [ "$2" "$3" "$4" ] 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected '$2' $3 '$4'"
	fi
}
# guest_value KEY: the last VALUE KEY=... the guest reported.
guest_value() { sed -n "s/^VALUE $1=//p" "$RUN_DIR/results.txt" | tail -n 1; }
# model_stat KEY: a counter the device model wrote when QEMU exited.
model_stat() { sed -n "s/^$1=//p" "$RUN_DIR/model-stats" 2>/dev/null | tail -n 1; }

KERNEL_COMPLAINTS='Oops|WARNING:|BUG:|Call Trace|Kernel panic|general protection fault|possible recursive locking|circular locking|INFO: task .* blocked|UBSAN:|KASAN:'

# _boot_untainted_crash DIR NAME: the guest's kernel crashed, in a boot that
# did not finish, while still untainted, so before any out-of-tree module
# (ours) was loaded: prints the first crash line, else fails.
_boot_untainted_crash() {
	local log oops
	grep -qx "DONE $2" "$1/results.txt" && return 1
	log=$(tr -d '\r' <"$1/console.log")
	oops=$(echo "$log" | grep -m1 -E '^\[ *[0-9.]+\] (Oops|BUG:|general protection fault)') || return 1
	echo "$log" | grep -m1 -E '^\[ *[0-9.]+\] CPU: [0-9]+ .*Comm: ' | grep -q ' Not tainted ' || return 1
	echo "${oops#*] }"
}

# run_scenario SERIES NAME: boot, then record every check the guest reported,
# whether it finished, whether the kernel complained, and the host() checks.
run_scenario() {
	local series=$1 name=$2 file rc start dmesg_tail complaints
	file=$TOP/tests/scenarios/$name.sh
	SERIES=$series
	RUN_DIR=$OUT/runs/$series/$name
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"

	boot_defaults
	# shellcheck disable=SC1090
	. "$file"
	if [ -n "$BOOT_SERIES" ] && ! [[ " $BOOT_SERIES " == *" $series "* ]]; then
		return 0
	fi
	_qemu_args "$name" "$RUN_DIR"
	printf '%q ' "${QARGS[@]}" >"$RUN_DIR/qemu-command"
	say "[$series] scenario $name (boot limit ${BOOT_TIMEOUT}s)"
	local attempt=1 crash f
	while :; do
		start=$(date +%s)
		timeout --kill-after=10 "$BOOT_TIMEOUT" "${QARGS[@]}" </dev/null >"$RUN_DIR/qemu.log" 2>&1
		rc=$?
		touch "$RUN_DIR/results.log" "$RUN_DIR/console.log"
		tr -d '\r' <"$RUN_DIR/results.log" >"$RUN_DIR/results.txt"
		echo "$(($(date +%s) - start))" >"$RUN_DIR/seconds"
		crash=$(_boot_untainted_crash "$RUN_DIR" "$name") && [ "$attempt" -eq 1 ] || break
		# The guest kernel died before any module of ours was ever loaded
		# (it says "Not tainted"): that boot says nothing about the driver.
		# Seen under TCG on 7.x (an int3 from boot-time code patching on a
		# second vCPU). Keep the evidence, say so, boot once more.
		mkdir -p "$RUN_DIR/crashed-boot"
		for f in console.log results.log results.txt qemu.log model-stats seconds; do
			[ -e "$RUN_DIR/$f" ] && mv "$RUN_DIR/$f" "$RUN_DIR/crashed-boot/"
		done
		record NOTE "$series" "$name: the guest kernel crashed before ptp_vmw was ever loaded ('$crash', kernel not tainted; evidence in $RUN_DIR/crashed-boot); booted again"
		attempt=2
	done

	sed -n '/^DMESG-BEGIN$/,/^DMESG-END$/p' "$RUN_DIR/results.txt" | sed '1d;$d' >"$RUN_DIR/dmesg.txt"
	dmesg_tail=$(tail -n 12 "$RUN_DIR/dmesg.txt" | sed 's/^/          | /')
	[ -s "$RUN_DIR/dmesg.txt" ] || dmesg_tail=$(tr -d '\r' <"$RUN_DIR/console.log" | tail -n 12 | sed 's/^/          | /')

	local line status check detail
	while IFS= read -r line; do
		case $line in
		"PASS "*) record PASS "$series" "${line#PASS }" ;;
		"NOTE "*) record NOTE "$series" "$name: ${line#NOTE }" ;;
		"FAIL "*)
			split_fail "$line"
			record FAIL "$series" "$FAIL_CHECK" "$FAIL_DETAIL
          guest dmesg (tail; all in $RUN_DIR):
$dmesg_tail"
			;;
		esac
	done < <(sed '/^DMESG-BEGIN$/,/^DMESG-END$/d' "$RUN_DIR/results.txt")

	if grep -qx "DONE $name" "$RUN_DIR/results.txt"; then
		pass "$name: guest ran the scenario to the end"
	else
		fail "$name: guest ran the scenario to the end" \
			"expected 'DONE $name', saw QEMU exit $rc$([ $rc -eq 124 ] && echo " (killed after ${BOOT_TIMEOUT}s)"); QEMU said:
$(tail -n 5 "$RUN_DIR/qemu.log" | sed 's/^/          | /')
        console tail:
$(tr -d '\r' <"$RUN_DIR/console.log" | tail -n 15 | sed 's/^/          | /')"
	fi
	# The kernel's own lines only: scenario output on the console may quote
	# anything.
	complaints=$( (cat "$RUN_DIR/dmesg.txt"; tr -d '\r' <"$RUN_DIR/console.log") |
		grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -E "$KERNEL_COMPLAINTS" | sort -u)
	echo "$complaints" | grep -c . >"$RUN_DIR/complaints"
	complaints=$(echo "$complaints" | head -n 5)
	if [ -z "$complaints" ]; then
		pass "$name: kernel log free of Oops/WARNING/BUG/Call Trace"
	else
		fail "$name: kernel log free of Oops/WARNING/BUG/Call Trace" "saw:
$(echo "$complaints" | sed 's/^/          | /')"
	fi
	if declare -F host >/dev/null; then
		host
	fi
	return 0
}

# summary_table "SERIES..." SCENARIO...: the run's figures, one line per
# scenario booted in this run (since RUN_START), from the guest's VALUE lines
# (cycles, failures_seen, ioctls, reads_ok/_eio/_enodev/_other), the device
# model's count of refused calls, the kernel complaints found and the boot's
# wall time; "-" where a figure does not apply. Also in $OUT/summary.txt.
summary_table() {
	local series_list=$1 s n dir inj seen reads v
	shift
	_summary_value() { sed -n "s/^VALUE $2=//p" "$1/results.txt" 2>/dev/null | tail -n 1; }
	{
		echo "Summary (figures per scenario; complaints must be 0):"
		printf '  %-9s %-28s %7s %17s %9s %28s %10s %6s\n' series scenario cycles \
			"faults inj/seen" ioctls "reads ok/EIO/ENODEV/other" complaints "wall s"
		for s in $series_list; do
			for n in "$@"; do
				dir=$OUT/runs/$s/$n
				[ -f "$dir/seconds" ] && [ "$(stat -c %Y "$dir/seconds")" -ge "${RUN_START:-0}" ] ||
					continue
				inj=$(sed -n 's/^failed=//p' "$dir/model-stats" 2>/dev/null)
				seen=$(_summary_value "$dir" failures_seen)
				if [ -n "$seen" ] || [ "${inj:-0}" != 0 ]; then
					v="${inj:--}/${seen:--}"
				else
					v=-
				fi
				reads=-
				if [ -n "$(_summary_value "$dir" reads_ok)" ]; then
					reads="$(_summary_value "$dir" reads_ok)/$(_summary_value "$dir" reads_eio)/$(_summary_value "$dir" reads_enodev)/$(_summary_value "$dir" reads_other)"
				fi
				printf '  %-9s %-28s %7s %17s %9s %28s %10s %6s\n' "$s" "$n" \
					"$(_summary_value "$dir" cycles | grep . || echo -)" "$v" \
					"$(_summary_value "$dir" ioctls | grep . || echo -)" "$reads" \
					"$(cat "$dir/complaints" 2>/dev/null || echo '?')" "$(cat "$dir/seconds")"
			done
		done
	} | tee "$OUT/summary.txt" >&2
}
