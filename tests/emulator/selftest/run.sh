#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Self-test of the patched vmport device model, no Linux guest needed: boots
# a tiny multiboot kernel (kmain.c) that makes VMware backdoor calls and
# prints what it got back, once per property to prove, and checks the answers
# against the host clock and the pclk-stats file.
#
# Usage: tests/emulator/selftest/run.sh [QEMU_BINARY]
#   Without an argument (or $QEMU), builds or reuses one with build-qemu.sh.
# Prints "PASS name" / "FAIL name: expected X, saw Y" per check and
# "N passed, N failed"; exits 1 if any check failed. Each boot takes about
# 0.1 s; files of every boot stay in $OUT/emulator-selftest/.

# QEMU's option values contain commas:
# shellcheck disable=SC2054
# shellcheck source-path=SCRIPTDIR source=../../lib/common.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

QEMU=${1:-${QEMU:-}}
if [ -z "$QEMU" ]; then
	QEMU=$("$HERE/../build-qemu.sh") || die "build-qemu.sh failed"
fi
[ -x "$QEMU" ] || die "not an executable: $QEMU"
need_pkgs gcc binutils seabios qemu-system-data

# --- The test kernel, built outside the checkout and cached by content ---
CFLAGS=(-m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
	-fno-asynchronous-unwind-tables -nostdlib -static -O2 -Wall -Wextra)
LDFLAGS=(-no-pie -T "$HERE/link.ld" -Wl,--build-id=none
	-Wl,--no-warn-rwx-segments)
KHASH=$(sha_of "$HERE/boot.S" "$HERE/kmain.c" "$HERE/link.ld" \
	<(printf '%s\n' "${CFLAGS[@]}" "${LDFLAGS[@]}"))
KERNEL=$CACHE/selftest/kernel-$KHASH.elf
if [ ! -s "$KERNEL" ]; then
	mkdir -p "$CACHE/selftest"
	KTMP=$(mktemp -d) || die "mktemp failed"
	trap 'rm -rf "$KTMP"' EXIT
	build_kernel() {
		gcc "${CFLAGS[@]}" -c "$HERE/boot.S" -o "$KTMP/boot.o" &&
			gcc "${CFLAGS[@]}" -c "$HERE/kmain.c" -o "$KTMP/kmain.o" &&
			gcc "${CFLAGS[@]}" "${LDFLAGS[@]}" -o "$KTMP/kernel.elf" \
				"$KTMP/boot.o" "$KTMP/kmain.o"
	}
	step "building the self-test kernel" "$OUT/emulator-selftest-kernel.log" \
		build_kernel
	if ! mv "$KTMP/kernel.elf" "$KERNEL.tmp.$$" ||
		! mv "$KERNEL.tmp.$$" "$KERNEL"; then
		die "cannot store $KERNEL"
	fi
	rm -f "$CACHE"/selftest/kernel-*.elf.tmp.*
fi

W=$OUT/emulator-selftest
rm -rf "$W"
mkdir -p "$W" || die "cannot create $W"

QEMU_BASE=(
	-L /usr/share/seabios -L /usr/share/qemu
	-machine pc,vmport=on -cpu qemu64,-hypervisor -m 32
	-nodefaults -display none -no-reboot -nic none
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
)
EXIT_OK=65	# the kernel writes 0x20 to isa-debug-exit: (0x20 << 1) | 1
NS=1000000000
TOL=$((2 * NS))	# answers must lie within 2 s of the host clock
HOUR=$((3600 * NS))

PASSED=0
FAILED=0
pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: expected $2, saw $3"; FAILED=$((FAILED + 1)); }
# check NAME EXPECTED SAW
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "$2" "$3"; fi; }

# qemu_cmd NAME APPEND [QEMU ARGS...]: sets CMD to the QEMU command line of
# one boot and CON, LOG, STATS to its files.
qemu_cmd() {
	local name=$1 append=$2
	shift 2
	CON=$W/$name.con
	LOG=$W/$name.log
	STATS=$W/$name.stats
	CMD=(timeout 30 "$QEMU" "${QEMU_BASE[@]}"
		-chardev "file,id=con,path=${CON//,/,,}"
		-device isa-debugcon,iobase=0xe9,chardev=con
		-global "vmport.pclk-stats=${STATS//,/,,}"
		-kernel "$KERNEL" -append "$append" "$@")
	printf '%q ' "${CMD[@]}" >"$W/$name.cmd"
}

# parse: reads the kernel's lines from $CON into N (number of calls) and the
# arrays IN_EBX IN_ECX EAX EBX ECX (hex strings 0x%08x, index 1..N) and T
# (EBX:ECX as a number); DONE is the kernel's own count, empty if it never
# finished (it counts the call lines it printed).
parse() {
	local tag call in_ebx in_ecx eax ebx ecx
	N=0
	IN_EBX=() IN_ECX=() EAX=() EBX=() ECX=() T=()
	while read -r tag call in_ebx in_ecx eax ebx ecx; do
		if [ "$tag" != PCLKTEST ] || [ "${call%%=*}" != call ]; then
			continue
		fi
		N=$((N + 1))
		IN_EBX[N]=${in_ebx#in_ebx=}
		IN_ECX[N]=${in_ecx#in_ecx=}
		EAX[N]=${eax#eax=}
		EBX[N]=${ebx#ebx=}
		ECX[N]=${ecx#ecx=}
		T[N]=$(((EBX[N] << 32) | ECX[N]))
	done < <(tr -d '\r' <"$CON" 2>/dev/null)
	DONE=$(sed -n 's/^PCLKTEST done calls=\([0-9]*\).*/\1/p' "$CON" 2>/dev/null)
}

# boot NAME APPEND [QEMU ARGS...]: one QEMU run that should end through
# isa-debug-exit. Sets RC, T0/T1 (host ns around the run) and what parse()
# sets. Returns 1 (after a FAIL line NAME) if the boot itself went wrong.
boot() {
	local name=$1 ms
	qemu_cmd "$@"
	rm -f "$CON" "$STATS"
	T0=$(date +%s%N)
	"${CMD[@]}" </dev/null >"$LOG" 2>&1
	RC=$?
	T1=$(date +%s%N)
	ms=$(((T1 - T0) / 1000000))
	say "boot $name: $ms ms, exit $RC"
	parse
	if [ "$RC" -ne "$EXIT_OK" ] || [ "$DONE" != "$N" ]; then
		fail "$name" "QEMU exit $EXIT_OK and a finished run" \
			"exit $RC, $N calls, done='$DONE' (see $LOG, $CON)"
		return 1
	fi
	return 0
}

# failed_calls: the call numbers whose EAX was not 0, space separated.
failed_calls() {
	local i out=
	for ((i = 1; i <= N; i++)); do
		[ "${EAX[i]}" = 0x00000000 ] || out+="$i "
	done
	echo "${out% }"
}

# check_times NAME SHIFT FIRST LAST: answers FIRST..LAST are EAX=0 and
# within TOL of the host clock plus SHIFT ns.
check_times() {
	local name=$1 shift=$2 i lo hi
	lo=$((T0 + shift - TOL))
	hi=$((T1 + shift + TOL))
	for ((i = $3; i <= $4; i++)); do
		if [ "${EAX[i]}" != 0x00000000 ]; then
			fail "$name" "call $i answered (EAX=0)" "EAX=${EAX[i]}"
			return
		fi
		if [ "${T[i]}" -lt "$lo" ] || [ "${T[i]}" -gt "$hi" ]; then
			fail "$name" "call $i within 2 s of host time + $shift ns ($T0..$T1)" \
				"${T[i]} (off by $(((T[i] - shift - T0) / 1000000)) ms)"
			return
		fi
	done
	pass "$name"
}

# check_unchanged NAME FIRST LAST: calls failed like an unimplemented
# command: EAX=0xffffffff, EBX and ECX as they went in.
check_unchanged() {
	local name=$1 i
	for ((i = $2; i <= $3; i++)); do
		if [ "${EAX[i]} ${EBX[i]} ${ECX[i]}" != "0xffffffff ${IN_EBX[i]} ${IN_ECX[i]}" ]; then
			fail "$name" "call $i: EAX=0xffffffff EBX=${IN_EBX[i]} ECX=${IN_ECX[i]}" \
				"EAX=${EAX[i]} EBX=${EBX[i]} ECX=${ECX[i]}"
			return
		fi
	done
	pass "$name"
}

# stats KEY: a value from the last boot's stats file.
stats() { sed -n "s/^$1=//p" "$STATS" 2>/dev/null; }

# stats_line: the counters of the last boot on one line.
stats_line() {
	local k out=
	for k in calls gettime answered failed failed_disabled failed_injected \
		failed_bad_subcommand; do
		out+="$k=$(stats $k) "
	done
	echo "${out% }"
}

say "QEMU: $QEMU"
say "kernel: $KERNEL"

# A binary without the patch knows none of the properties used below.
props=$("$QEMU" -device vmport,help 2>&1 | grep -o 'pclk-stats\|gethz-tcg' | sort | tr '\n' ' ')
check vmport_has_pclk_properties "gethz-tcg pclk-stats " "$props"
if [ "$FAILED" -ne 0 ]; then
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi

# --- GETTIME against the host clock ---
if boot gettime "gettime=5"; then
	check gettime_calls 5 "$N"
	check_times gettime_host_time 0 1 "$N"
	inc=yes
	for ((i = 2; i <= N; i++)); do
		[ "${T[i]}" -gt "${T[i - 1]}" ] || inc="no: call $i ${T[i]} <= ${T[i - 1]}"
	done
	check gettime_increasing yes "$inc"
	# Nanoseconds, not QEMU_CLOCK_HOST microseconds: not all multiples of 1000.
	sub_us=no
	for ((i = 1; i <= N; i++)); do
		[ "${EAX[i]}" = 0x00000000 ] || { sub_us="no: call $i failed"; break; }
		[ $((T[i] % 1000)) -ne 0 ] && sub_us=yes
	done
	check gettime_nanosecond_resolution yes "$sub_us"
fi

# --- Other subcommands fail, EBX/ECX untouched ---
if boot bad_subcommand "ebx=0x5a5a5a5a ecx=0x10061 ecx=0xffff0061 ecx=0x20061"; then
	check_unchanged bad_subcommand_fails 1 3
	check bad_subcommand_stats "calls=3 gettime=0 answered=0 failed=3 failed_disabled=0 failed_injected=0 failed_bad_subcommand=3" "$(stats_line)"
fi

# --- pclk=false: present but dead ---
if boot pclk_off "ebx=0x5a5a5a5a gettime=3 ecx=0x10061" -global vmport.pclk=false; then
	check_unchanged pclk_off_fails_every_call 1 4
	check pclk_off_stats "calls=4 gettime=0 answered=0 failed=4 failed_disabled=4 failed_injected=0 failed_bad_subcommand=0" "$(stats_line)"
fi

# --- Fault injection ---
if boot fail_every "ebx=0x5a5a5a5a gettime=10" -global vmport.pclk-fail-every=3; then
	check fail_every_3 "3 6 9" "$(failed_calls)"
	check_unchanged fail_every_leaves_regs 3 3
fi
if boot fail_burst "gettime=9" -global vmport.pclk-fail-from=4 \
	-global vmport.pclk-fail-to=6; then
	check fail_burst_4_to_6 "4 5 6" "$(failed_calls)"
fi
if boot fail_after "gettime=8" -global vmport.pclk-fail-after=5; then
	check fail_after_5 "6 7 8" "$(failed_calls)"
fi
if boot fail_combined "gettime=10" -global vmport.pclk-fail-every=4 \
	-global vmport.pclk-fail-from=2 -global vmport.pclk-fail-to=3 \
	-global vmport.pclk-fail-after=9; then
	check fail_combined "2 3 4 8 10" "$(failed_calls)"
	check fail_combined_stats "calls=10 gettime=10 answered=5 failed=5 failed_disabled=0 failed_injected=5 failed_bad_subcommand=0" "$(stats_line)"
fi
# Only GETTIME calls are numbered: a bad subcommand does not count.
if boot numbering "gettime=1 ecx=0x10061 gettime=2" \
	-global vmport.pclk-fail-every=2; then
	check numbering_gettime_only "2 3" "$(failed_calls)"
fi

# --- Offsets and steps ---
if boot offset_plus "gettime=3" -global vmport.pclk-offset-ns=$HOUR; then
	check_times offset_plus_1h "$HOUR" 1 3
fi
if boot offset_minus "gettime=3" -global vmport.pclk-offset-ns=-$((24 * HOUR)); then
	check_times offset_minus_1d "-$((24 * HOUR))" 1 3
fi
if boot step "gettime=8" -global vmport.pclk-step-at=3 \
	-global vmport.pclk-step-ns=$HOUR -global vmport.pclk-step2-at=6 \
	-global vmport.pclk-step2-ns=-$HOUR; then
	check_times step_before 0 1 2
	check_times step_at_3_plus_1h "$HOUR" 3 5
	check_times step2_at_6_minus_1h 0 6 8
fi
if boot step_cumulative "gettime=4" -global vmport.pclk-offset-ns=-$((10 * NS)) \
	-global vmport.pclk-step-at=2 -global vmport.pclk-step-ns=$HOUR \
	-global vmport.pclk-step2-at=3 -global vmport.pclk-step2-ns=$((2 * HOUR)); then
	check_times step_cumulative_offset "-$((10 * NS))" 1 1
	check_times step_cumulative_step1 "$((HOUR - 10 * NS))" 2 2
	check_times step_cumulative_step2 "$((3 * HOUR - 10 * NS))" 3 4
fi

# --- Stats: counters equal what the guest saw ---
if boot stats "gettime=6 ecx=0x10061 ecx=10 ecx=45" \
	-global vmport.pclk-fail-every=2; then
	calls=0 answered=0
	for ((i = 1; i <= N; i++)); do
		[ $((IN_ECX[i] & 0xff)) -eq 97 ] || continue
		calls=$((calls + 1))
		[ "${EAX[i]}" = 0x00000000 ] && answered=$((answered + 1))
	done
	check stats_match_guest "calls=$calls answered=$answered failed=$((calls - answered))" \
		"calls=$(stats calls) answered=$(stats answered) failed=$(stats failed)"
	check stats_by_cause "calls=7 gettime=6 answered=3 failed=4 failed_disabled=0 failed_injected=3 failed_bad_subcommand=1" "$(stats_line)"
	check stats_no_temp_file "" "$(ls "$STATS".tmp.* 2>/dev/null)"
fi

# --- Stats written however QEMU ends ---
# exit_path NAME HOW EXPECTED_RC: the guest ends with end=HOW.
exit_path() {
	local name=$1
	qemu_cmd "$name" "gettime=2 end=$2"
	"${CMD[@]}" </dev/null >"$LOG" 2>&1
	RC=$?
	parse
	check "$name" "exit $3, calls=2 answered=2" \
		"exit $RC, calls=$(stats calls) answered=$(stats answered)"
}
exit_path stats_at_poweroff poweroff 0
exit_path stats_at_reset_no_reboot reset 0

qemu_cmd stats_at_sigterm "gettime=2 end=hang"
rm -f "$CON" "$STATS"
"${CMD[@]}" </dev/null >"$LOG" 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do
	grep -q '^PCLKTEST done' "$CON" 2>/dev/null && break
	sleep 0.1
done
kill -TERM "$pid" 2>/dev/null	# timeout passes SIGTERM on to QEMU
wait "$pid"
RC=$?
check stats_at_sigterm "exit 0, calls=2 answered=2" \
	"exit $RC, calls=$(stats calls) answered=$(stats answered)"

# --- Stock commands unchanged ---
if boot stock "ecx=10 ecx=45 ecx=99"; then
	check stock_getversion "EAX=0x00000006 EBX=0x564d5868 ECX=0x00000002" \
		"EAX=${EAX[1]} EBX=${EBX[1]} ECX=${ECX[1]}"
	check stock_gethz_without_tsc_frequency "EBX=0xffffffff" "EBX=${EBX[2]}"
	check_unchanged stock_unknown_command 3 3
fi
if boot stock_gethz "ecx=45" -cpu qemu64,-hypervisor,tsc-frequency=2345678000; then
	check stock_gethz_tcg_fails "EBX=0xffffffff" "EBX=${EBX[1]}"
fi
if boot gethz_tcg "ecx=45" -cpu qemu64,-hypervisor,tsc-frequency=2345678000 \
	-global vmport.gethz-tcg=on; then
	check gethz_tcg_answers \
		"EAX=$(printf 0x%08x $((2345678000 & 0xffffffff))) EBX=0x00000000 ECX=$(printf 0x%08x $NS)" \
		"EAX=${EAX[1]} EBX=${EBX[1]} ECX=${ECX[1]}"
fi
# Machine types <= 5.0 leave EAX alone on unanswered commands; so does pclk.
if boot old_machine "ecx=99 gettime=1" -machine pc-i440fx-5.0,vmport=on \
	-global vmport.pclk=false; then
	check old_machine_fails_like_stock "EAX=0x564d5868 EAX=0x564d5868" \
		"EAX=${EAX[1]} EAX=${EAX[2]}"
fi

# --- Bad property combinations are refused at start-up ---
qemu_cmd bad_burst "gettime=1" -global vmport.pclk-fail-from=5
"${CMD[@]}" </dev/null >"$LOG" 2>&1
RC=$?
check bad_burst_refused "exit 1 and a message" \
	"exit $RC and $(grep -q 'pclk-fail-from and pclk-fail-to' "$LOG" && echo a message || echo no message)"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
