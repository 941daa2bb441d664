# SPDX-License-Identifier: GPL-2.0-only
# The one boot runner: every guest boot of make check, stress, bench and
# demo goes through run_scenario (make shell through _qemu_args): the QEMU
# command line, the boot's time limit, progress while it runs, one more
# boot after an untainted kernel crash, the guest's results, the DONE
# sentinel and the scan of the kernel log.
# Sourced after common.sh, results.sh and the kernel/initramfs helpers.
#
# A scenario file (tests/scenarios/NAME.sh) is sourced twice: by bash here,
# for its TAGS and BOOT_* settings and its optional host() checks, and by
# busybox sh in the guest, which runs its guest() function. Settings, with
# their defaults:
#   TAGS=              the sets it belongs to: quick, stress,
#                      wrong-environment, time-policy (make check runs
#                      these four; make stress stress and
#                      wrong-environment), bench, demo
#   BOOT_VMWARE=yes    look like VMware (vmport, DMI serial, no CPUID
#                      hypervisor bit); "no" gives a plain QEMU guest
#   BOOT_SSDT=yes      announce the VMW0005 device in ACPI
#   BOOT_QEMU=         extra QEMU arguments (e.g. -global vmport.pclk=false)
#   BOOT_KARGS=        extra kernel arguments (e.g. acpi=off)
#   BOOT_SMP=1         vCPUs
#   BOOT_TIMEOUT=180   seconds before the boot is killed and failed
#   BOOT_SERIES=       kernel series this scenario is limited to (default all)
#   BOOT_MEM=768       guest memory in MiB
#   BOOT_ICOUNT=       empty: guest time is the host's. N: deterministic time
#                      (make bench): -icount shift=N,sleep=off, so guest time
#                      advances 2^N ns per instruction executed and an idle
#                      guest skips ahead to its next timer; the RTC and the
#                      device model's host clock (pclk-timebase=virtual) start
#                      at DET_EPOCH (common.sh; the guest reads it from its
#                      command line, ptpvmw.epoch) on that same time base;
#                      the guest's TSC runs at 1 GHz of it. Rules out MTTCG:
#                      one vCPU thread.
#   BOOT_NET=no        yes: an e1000 NIC on QEMU's user network (the guest
#                      is 10.0.2.15, the host's loopback 10.0.2.2); the
#                      guest gets the driver from the initrd layer that
#                      tests/bench/run.sh's guest_net_layer adds
#   BOOT_QMP=no        yes: a QMP socket in the boot's directory and
#                      tests/host/pausehook.py on it: a guest line
#                      "PAUSE MS" on its results port stops the guest (its
#                      vCPUs and clocks) for MS ms, as vMotion's stun does;
#                      each pause is logged in the boot's pauses.log
#
# STRESS_SCALE (environment, default 1) reaches the guest as $SCALE: scenarios
# that repeat something multiply their counts by it. make check runs with 1,
# make stress with 10.

# The sets make check and make stress run, by tag.
# shellcheck disable=SC2034 # read by tests/host/check.sh
CHECK_TAGS="quick stress wrong-environment time-policy"
# shellcheck disable=SC2034 # documents make stress's set; the Makefile spells it out
STRESS_TAGS="stress wrong-environment"

# guest_qemu_background: start the device model's build (the patched QEMU,
# tests/emulator/build-qemu.sh: 3-10 minutes of compiling when the cache has
# none, an instant when it has) in the background at low priority, so that
# the steps before guest_setup (chroots, the host tests) go on beside it;
# guest_setup's own call then waits for it (the build's lock). Its output
# goes to $OUT/qemu-build-background.log.
guest_qemu_background() {
	[ -z "${QEMU:-}" ] || return 0
	nice -n 10 bash "$TOP/tests/emulator/build-qemu.sh" >"$OUT/qemu-build-background.log" 2>&1 &
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

# boot_defaults: the settings a scenario starts from.
boot_defaults() {
	TAGS='' BOOT_VMWARE=yes BOOT_SSDT=yes BOOT_QEMU='' BOOT_KARGS='' BOOT_SMP=1 BOOT_TIMEOUT=180
	BOOT_SERIES='' BOOT_MEM=768 BOOT_ICOUNT='' BOOT_NET=no BOOT_QMP=no
	unset -f guest host
}

# scenario_load NAME: the scenario's settings and functions, in this shell.
scenario_load() {
	boot_defaults
	# shellcheck disable=SC1090
	. "$TOP/tests/scenarios/$1.sh"
}

# scenarios_tagged "TAG...": the scenarios that carry any of the tags, by
# name, in file order.
scenarios_tagged() {
	local f n t
	for f in "$TOP"/tests/scenarios/*.sh; do
		n=$(basename "$f" .sh)
		for t in $(scenario_load "$n" && echo "$TAGS"); do
			case " $1 " in *" $t "*) echo "$n" && break ;; esac
		done
	done
}

# _qemu_args NAME DIR: the QEMU command line for a scenario (BOOT_* set).
_qemu_args() {
	local name=$1 dir=$2 kargs tsc_hz=$TSC_HZ
	kargs="console=ttyS0 panic=-1 quiet ptpvmw.scenario=$name"
	kargs="$kargs ptpvmw.scale=${STRESS_SCALE:-1} $BOOT_KARGS"
	QARGS=("$QEMU" -L /usr/share/seabios -L /usr/share/qemu
		-m "$BOOT_MEM" -smp "$BOOT_SMP" -nodefaults -display none -no-reboot -monitor none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
		-device "isa-debug-exit,iobase=0xf4,iosize=0x04"
		-kernel "$KDIR_IMAGE/vmlinux" -initrd "$GUEST_INITRD")
	if [ -n "$BOOT_ICOUNT" ]; then
		# Under icount the TSC reads QEMU_CLOCK_VIRTUAL, in ns.
		tsc_hz=1000000000
		QARGS+=(-icount "shift=$BOOT_ICOUNT,sleep=off"
			-rtc "base=$(date -u -d "@$DET_EPOCH" +%Y-%m-%dT%H:%M:%S),clock=vm")
		[ "$BOOT_VMWARE" = yes ] && QARGS+=(-global vmport.pclk-timebase=virtual
			-global "vmport.pclk-start-utc=@$DET_EPOCH")
		kargs="$kargs ptpvmw.epoch=$DET_EPOCH"
	fi
	if [ "$BOOT_VMWARE" = yes ]; then
		QARGS+=(-machine "pc,vmport=on"
			-cpu "qemu64,-hypervisor,tsc-frequency=$tsc_hz"
			-smbios "type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform,serial=VMware-56 4d 70 74 70 5f 76 6d-77 5f 74 65 73 74 00 01"
			-global vmport.gethz-tcg=on -global "vmport.pclk-stats=$dir/model-stats")
	else
		# No VMware GETHZ here: tell the kernel the TSC rate directly.
		QARGS+=(-machine "pc,vmport=off" -cpu qemu64)
		kargs="$kargs tsc_early_khz=$((tsc_hz / 1000))"
	fi
	[ "$BOOT_SSDT" = yes ] && QARGS+=(-acpitable "file=$SSDT")
	[ "$BOOT_NET" = yes ] && QARGS+=(-netdev "user,id=net0" -device "e1000,netdev=net0,romfile=")
	[ "$BOOT_QMP" = yes ] && QARGS+=(-qmp "unix:$dir/qmp.sock,server=on,wait=off")
	# shellcheck disable=SC2206 # BOOT_QEMU is a list of words by design
	QARGS+=($BOOT_QEMU -append "$kargs")
}

KERNEL_COMPLAINTS='Oops|WARNING:|BUG:|Call Trace|Kernel panic|general protection fault|possible recursive locking|circular locking|INFO: task .* blocked|UBSAN:|KASAN:'

# _boot_untainted_crash DIR NAME: the guest's kernel crashed, in a boot that
# did not finish (no BOOT_DONE line, default "DONE NAME"), while still
# untainted, so before any out-of-tree module (ours) was loaded: prints the
# first crash line, else fails.
_boot_untainted_crash() {
	local log oops
	grep -qx "${BOOT_DONE:-DONE $2}" "$1/results.txt" && return 1
	log=$(tr -d '\r' <"$1/console.log")
	oops=$(echo "$log" | grep -m1 -E '^\[ *[0-9.]+\] (Oops|BUG:|general protection fault)') || return 1
	echo "$log" | grep -m1 -E '^\[ *[0-9.]+\] CPU: [0-9]+ .*Comm: ' | grep -q ' Not tainted ' || return 1
	echo "${oops#*] }"
}

# _boot_once NAME DIR LIVE: one QEMU run, killed after BOOT_TIMEOUT. While it
# runs: with LIVE, the guest's "DATA show" lines as they come (make demo);
# otherwise a progress line every HEARTBEAT seconds.
_boot_once() {
	local name=$1 dir=$2 live=$3 pid start hook=''
	start=$(date +%s)
	: >"$dir/results.log"
	rm -f "$dir/qmp.sock" "$dir/pauses.log"
	timeout --kill-after=10 "$BOOT_TIMEOUT" "${QARGS[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
	pid=$!
	if [ "$BOOT_QMP" = yes ]; then
		/usr/bin/python3 "$TOP/tests/host/pausehook.py" "$dir/qmp.sock" "$dir/results.log" \
			"$dir/pauses.log" "$pid" 2>"$dir/pausehook.log" &
		hook=$!
	fi
	if [ -n "$live" ]; then
		tail -n +1 -F --pid="$pid" "$dir/results.log" 2>/dev/null | tr -d '\r' |
			sed -un 's/^DATA show /  /p'
	else
		while ! _wait_for "$pid" "$HEARTBEAT"; do
			say "  ... $name: $(($(date +%s) - start)) s of at most $BOOT_TIMEOUT; the guest reported $(grep -cE '^(PASS|FAIL|SKIP|DATA) ' "$dir/results.log") lines, last: $(tail -n 1 "$dir/results.log" | tr -d '\r' | cut -c1-70)"
		done
	fi
	wait "$pid"
	BOOT_RC=$?
	if [ -n "$hook" ]; then
		# It ends when QEMU has gone; this is for a hook stuck on its socket.
		_wait_for "$hook" 5 || kill "$hook" 2>/dev/null
		wait "$hook" 2>/dev/null
	fi
	touch "$dir/console.log"
	tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
	echo "$(($(date +%s) - start))" >"$dir/seconds"
}

# boot_guest NAME DIR [live]: boot the loaded scenario; a boot whose kernel
# crashed before any module of ours was loaded ("Not tainted": seen under
# TCG on 7.x, an int3 from boot-time code patching) says nothing about the
# driver: its evidence is kept and the guest boots once more, with a note.
boot_guest() {
	local name=$1 dir=$2 live=${3:-} crash f
	_qemu_args "$name" "$dir"
	printf '%q ' "${QARGS[@]}" >"$dir/qemu-command"
	_boot_once "$name" "$dir" "$live"
	if crash=$(_boot_untainted_crash "$dir" "$name"); then
		mkdir -p "$dir/crashed-boot"
		for f in console.log results.log results.txt qemu.log model-stats seconds; do
			[ -e "$dir/$f" ] && mv "$dir/$f" "$dir/crashed-boot/"
		done
		diag "the guest kernel crashed before ptp_vmw was ever loaded ('$crash', kernel not tainted; evidence in $dir/crashed-boot); booted again"
		_boot_once "$name" "$dir" "$live"
	fi
	sed -n '/^DMESG-BEGIN$/,/^DMESG-END$/p' "$dir/results.txt" | sed '1d;$d' >"$dir/dmesg.txt"
}

# _tail_of FILE N: the last N lines, indented, for a failure's detail.
_tail_of() { tr -d '\r' <"$1" 2>/dev/null | tail -n "$2" | sed 's/^/          | /'; }

# boot_check_done NAME DIR [WHAT]: the guest wrote its BOOT_DONE line
# (default "DONE NAME"): it ran WHAT (default: the scenario) to the end.
boot_check_done() {
	local name=$1 dir=$2 what=${3:-guest ran the scenario to the end} done=${BOOT_DONE:-DONE $1}
	if grep -qx "$done" "$dir/results.txt"; then
		pass "$what"
		return 0
	fi
	fail "$what" \
		"expected '$done', saw QEMU exit $BOOT_RC$([ "$BOOT_RC" -eq 124 ] && echo " (killed after ${BOOT_TIMEOUT}s)"); QEMU said:
$(_tail_of "$dir/qemu.log" 5)
        console tail:
$(_tail_of "$dir/console.log" 15)"
	return 1
}

# boot_check_kernel DIR [PREFIX]: the guest kernel's own lines (dmesg the
# guest sent, and the console) hold no Oops, WARNING, BUG or Call Trace;
# the boot's figures as values.
boot_check_kernel() {
	local dir=$1 prefix=${2:-} complaints n
	# The kernel's own lines only: scenario output on the console may quote
	# anything.
	complaints=$( (cat "$dir/dmesg.txt"; tr -d '\r' <"$dir/console.log") |
		grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -E "$KERNEL_COMPLAINTS" | sort -u)
	n=$(echo "$complaints" | grep -c .)
	check_none "${prefix}kernel log free of Oops/WARNING/BUG/Call Trace" "kernel complaints" \
		"$(echo "$complaints" | head -n 5)"
	value "${prefix:+${prefix%%:*}_}complaints" "$n"
	value "${prefix:+${prefix%%:*}_}wall_s" "$(cat "$dir/seconds")"
	[ -f "$dir/model-stats" ] && value "${prefix:+${prefix%%:*}_}model_failed" "$(model_stat failed "$dir")"
	return 0
}

# boot_judge NAME DIR: the guest's results; that it reached the end; that the
# kernel did not complain; the boot's figures as values.
boot_judge() {
	local name=$1 dir=$2 dmesg_tail
	dmesg_tail=$(_tail_of "$dir/dmesg.txt" 12)
	[ -s "$dir/dmesg.txt" ] || dmesg_tail=$(_tail_of "$dir/console.log" 12)
	record_lines <(sed '/^DMESG-BEGIN$/,/^DMESG-END$/d' "$dir/results.txt") "
          guest dmesg (tail; all in $dir):
$dmesg_tail"
	# A guest() that died before its first check (a shell error, say)
	# proves nothing, however cleanly the boot ended.
	check_cmp "the guest reported checks of its own" \
		"$(sed '/^DMESG-BEGIN$/,/^DMESG-END$/d' "$dir/results.txt" | grep -cE '^(PASS|FAIL|SKIP) ')" -gt 0
	boot_check_done "$name" "$dir"
	boot_check_kernel "$dir"
}

# run_scenario SERIES NAME [live]: boot the scenario on the prepared kernel
# (KDIR_IMAGE, GUEST_INITRD) and record everything it proved under
# SERIES/NAME. RUNS (default $OUT/runs) is where each boot's files go;
# RUN_LABEL, if set, replaces NAME in both (the same boot again, filed
# apart: make bench's repeat of its deterministic boot).
run_scenario() {
	local series=$1 name=$2 live=${3:-}
	result_context "$series" "${RUN_LABEL:-$name}"
	RUN_DIR=${RUNS:-$OUT/runs}/$series/${RUN_LABEL:-$name}
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"
	scenario_load "$name"
	if [ -n "$BOOT_SERIES" ] && ! [[ " $BOOT_SERIES " == *" $series "* ]]; then
		skip "scenario applies to this kernel series" "limited to series $BOOT_SERIES"
		return 0
	fi
	say "[$series] scenario $name (boot limit ${BOOT_TIMEOUT}s)"
	boot_guest "$name" "$RUN_DIR" "$live"
	boot_judge "$name" "$RUN_DIR"
	if declare -F host >/dev/null; then
		host
	fi
	return 0
}

# Helpers for a scenario's host() function.
# guest_value KEY: the last VALUE KEY=... the guest reported.
guest_value() { sed -n "s/^VALUE $1=//p" "$RUN_DIR/results.txt" | tail -n 1; }
# model_stat KEY [DIR]: a counter the device model wrote when QEMU exited.
model_stat() { sed -n "s/^$1=//p" "${2:-$RUN_DIR}/model-stats" 2>/dev/null | tail -n 1; }
