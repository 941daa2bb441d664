# SPDX-License-Identifier: GPL-2.0-only
# The system scenarios (tests/scenarios/system-*.sh): our package on a real
# Debian system (tests/host/image.sh), booted with systemd as PID 1 in the
# emulated VMware guest, per kernel series:
#   6.1     Debian 12 as debootstrap and apt made it, our .deb installed
#   6.12    the same system after the kernel upgrade (6.12 image and headers
#           installed with apt, DKMS building for 6.12 by Debian's hooks)
#   trixie  Debian 13 (stable): its own 6.12 kernel, systemd 257, chrony
#           4.6, our .deb installed with apt
# The image's suite is the series' suite (kseries.sh). Other series have no
# system image and are skipped.
# Sourced by tests/host/check.sh after image.sh.
#
# A scenario file sets SYS_IMAGE (pkg: with our .deb; nopkg: without it;
# rpm: with the .rpm's payload; old: with the previous release's .deb, the
# boot told ptpvmw.from=ITS-VERSION ptpvmw.to=OURS), SYS_ENV (present,
# absent, notvmware) and SYS_STAGES (the boots, in order, on one
# copy-on-write disk: a stage may change the system for the next); the
# agent runs its guest_STAGE function after each boot; its optional host()
# runs on the host after the last. Optional: SYS_KARGS and SYS_QEMU (more
# kernel and QEMU arguments), SYS_SERIES (the series it applies to) and
# SYS_SERIES_WHY (why not the others), SYS_SIGNED=yes (it applies where the
# image's kernel signs its own modules: module.sig_enforce=1 refuses every
# unsigned one), SYS_TIMEOUT (a boot's time limit in s, when
# SYSTEM_BOOT_TIMEOUT is not enough for what a stage does),
# SYS_EXPECT_STUCK=yes (the boot is meant not to finish: host() judges the
# agent's report), SYS_AFTER (the scenarios whose boots host() compares
# with: the boots run side by side, host() waits for those).

# The boots start in this order, CHECK_JOBS at a time: the longest, the
# upgrade, first; system-present and system-secureboot side by side (the
# one's lock is compared with the other's). system-stuck (the harness's
# own test of a boot that hangs) runs only when TESTS names it.
SYSTEM_SCENARIOS="system-upgrade system-present system-secureboot system-baseline
	system-baseline-notvmware system-absent system-notvmware system-rpm-present system-rpm-absent
	system-refused system-timesyncd system-timesyncd-absent system-blacklisted"
SYSTEM_EXTRA_SCENARIOS="system-stuck"
# What make check boots, as SERIES:SCENARIO[:STAGES] (a boot of the system
# takes 30-60 s under TCG, Debian 13's 50-100 s; the package upgrade's first
# stage 4-6 minutes, DKMS building inside the guest). On 6.1, Debian 12 as
# fleets run it: present and its purge, the upgrade in place, refused, the
# blacklist, the .rpm layout with the clock (without it, the generator's
# tests on made-up trees cover it; make stress boots it), timesyncd (Debian
# 12's default time daemon) and the baseline they compare with. On 6.12, what the kernel changes: the
# kernel upgrade (present, without the purge, which takes 2.5 minutes
# there: DKMS removes the module from both kernels under TCG), refused (the
# driver's refusal) and Secure Boot (6.12's image is the signed one). On
# Debian 13, one boot per scenario that its systemd, chrony, DKMS and merged
# /usr could change: baseline, present and its purge, absent, not VMware,
# timesyncd with and without the clock, Secure Boot. Where nothing but the
# package's own files and systemd decide (absent, not VMware, timesyncd
# without the clock), the newer system is the one booted; make stress and
# SYSTEM_FULL=1 boot them on 6.1 too. A scenario that does not apply to a
# series (SYS_SERIES, SYS_SIGNED, or no image of its kind there) is skipped
# with its reason.
# SYSTEM_FULL=1 (and make stress) boots every scenario on every series it
# applies to, with all its stages.
SYSTEM_QUICK="6.1:system-baseline 6.1:system-present
	6.1:system-rpm-present
	6.1:system-refused 6.1:system-timesyncd 6.1:system-blacklisted
	6.1:system-upgrade
	6.12:system-present:main 6.12:system-refused 6.12:system-secureboot
	trixie:system-baseline trixie:system-present trixie:system-absent trixie:system-notvmware
	trixie:system-timesyncd trixie:system-timesyncd-absent trixie:system-secureboot:main"
# A chronyd start later than the same system's without our package by more
# than this is a wait like systemd's 90 s device timeout. Boots under TCG on
# a shared host vary by tens of seconds on their own, so this is coarse; the
# agent's own check (chronyd's start began within 3 s of its last
# dependency) is the fine one.
SYSTEM_MAX_EXTRA_START_S=60

# ---- Booting it ---------------------------------------------------------------

# system_boot RUN_DIR VARIANT_DIR ENV NAME STAGE DISK: one boot of the system
# on DISK (a qcow2 overlay on the variant's disk.img), with the harness's
# agent disk ($SYSTEM_AGENT_TAR) running scenario NAME's stage STAGE. ENV is
# present (VMware identity and the VMW0005 device), absent (VMware identity,
# no device) or notvmware (plain QEMU). The boot goes through the one runner
# (boot_guest, tests/host/boot.sh: its QEMU command line, identity flags
# and all, with the system's kernel and initrd and two virtio disks; its
# time limit, progress and crash retry). Sets BOOT_RC and BOOT_DONE (the
# agent's last line, "DONE NAME STAGE") and writes RUN_DIR/{console.log,
# results.txt,seconds,qemu-command}.
SYSTEM_BOOT_TIMEOUT=${SYSTEM_BOOT_TIMEOUT:-420}
# shellcheck disable=SC2034 # the BOOT_* settings, KDIR_IMAGE and GUEST_INITRD are _qemu_args's input
system_boot() {
	local run_dir=$1 vdir=$2 env=$3 name=$4 stage=$5 disk=$6
	local KDIR_IMAGE=$vdir GUEST_INITRD=$vdir/initrd.img
	mkdir -p "$run_dir"
	boot_defaults
	BOOT_MEM=1024 BOOT_TIMEOUT=$SYSTEM_BOOT_TIMEOUT BOOT_SMP=${SYSTEM_SMP:-1}
	case $env in
	present) BOOT_VMWARE=yes BOOT_SSDT=yes ;;
	absent) BOOT_VMWARE=yes BOOT_SSDT=no ;;
	notvmware) BOOT_VMWARE=no BOOT_SSDT=no ;;
	*) die "system_boot: unknown environment '$env'" ;;
	esac
	# Two stock units that have nothing to do with time keeping and cost
	# seconds of the one emulated CPU at every boot are masked for the boot:
	# e2fsprogs' e2scrub_reap (LVM snapshots: there are none) and
	# getty-static (gettys on tty2-6 of a machine without a screen).
	BOOT_KARGS="root=/dev/vda rw ptpvmw.stage=$stage ptpvmw.boot_wait=${SYSTEM_BOOT_WAIT:-240}"
	BOOT_KARGS="$BOOT_KARGS systemd.mask=e2scrub_reap.service systemd.mask=getty-static.service ${SYSTEM_EXTRA_KARGS:-}"
	BOOT_QEMU="-drive file=$disk,format=qcow2,if=virtio,cache=unsafe -drive file=$SYSTEM_AGENT_TAR,format=raw,if=virtio,readonly=on ${SYSTEM_EXTRA_QEMU:-}"
	BOOT_DONE="DONE $name $stage"
	boot_guest "$name" "$run_dir"
}

# system_disk VARIANT_DIR DISK: a fresh copy-on-write overlay for one
# scenario's boots (the variant's disk.img is its read-only backing file).
system_disk() {
	rm -f "$2"
	qemu-img create -q -f qcow2 -F raw -b "$1/disk.img" "$2" >/dev/null
}

# system_variant_kind SERIES SYS_IMAGE: the image variant, or "" (not on
# this series); it is built of the series' suite (image_suite).
system_variant_kind() {
	case "$1:$2" in
	6.1:pkg) echo deb ;;
	6.1:nopkg) echo nopkg ;;
	6.1:rpm) echo rpm ;;
	6.1:tsd) echo tsd ;;
	6.1:old) echo old ;;
	6.12:pkg) echo up ;;
	6.12:nopkg) echo nopkg-up ;;
	trixie:pkg) echo deb ;;
	trixie:nopkg) echo nopkg ;;
	trixie:tsd) echo tsd ;;
	*) echo "" ;;
	esac
}

# system_agent_tar: the agent disk: agent, helpers, scenarios, guestctl.
system_agent_tar() {
	local stage=$OUT/system/agent
	rm -rf "$stage"
	mkdir -p "$stage/scenarios" "$stage/tools"
	cp "$TOP/tests/guest/system/agent.sh" "$TOP/tests/guest/system/system-lib.sh" "$stage/"
	cp "$TOP/tests/guest/lib.sh" "$TOP/tests/lib/checks.sh" "$TOP/tests/lib/protocol.sh" "$stage/"
	cp "$TOP"/tests/scenarios/system-*.sh "$stage/scenarios/"
	cp "$OUT/guest-project/opt/ptpvmw/tools/guestctl" "$stage/tools/" ||
		die "the guest tools are not built (guest_project)"
	# This checkout's .deb as an apt repository, for system-upgrade.
	if selected system-upgrade; then image_apt_repo "$stage/repo"; fi
	SYSTEM_AGENT_TAR=$OUT/system/agent.tar
	tar -C "$stage" --owner=0 --group=0 -cf "$SYSTEM_AGENT_TAR" . || die "cannot write $SYSTEM_AGENT_TAR"
	export SYSTEM_AGENT_TAR
}

# Values for a scenario's host(): the last VALUE KEY=... of a stage of this
# scenario, or of the baseline's boot in the same series.
system_stage_value() { sed -n "s/^VALUE $2=//p" "$RUN_DIR/$1/results.txt" 2>/dev/null | tail -n 1; }
system_baseline_value() {
	sed -n "s/^VALUE $1=//p" "$OUT/system/$SERIES/${2:-system-baseline}/main/results.txt" 2>/dev/null | tail -n 1
}

# system_compare_with_baseline [BASELINE...]: chronyd's start after boot,
# against the system without our package booted in this run: the first of
# BASELINE... (default system-baseline: without the device) that was.
system_compare_with_baseline() {
	local base='' ours b
	for b in "${@:-system-baseline}"; do
		base=$(system_baseline_value chrony_start_us "$b")
		[ -n "$base" ] && break
	done
	ours=$(system_stage_value main chrony_start_us)
	if [ -z "$base" ] || [ -z "$ours" ] || [ "$base" -le 0 ] 2>/dev/null; then
		skip "chronyd starts no later than without the package" "no ${*:-system-baseline} boot in this run to compare with (SYSTEM_FULL=1 boots it)"
		return 0
	fi
	diag "chronyd started $(awk -v a="$ours" 'BEGIN { printf "%.1f", a / 1e6 }') s after boot, without the package ($b) $(awk -v a="$base" 'BEGIN { printf "%.1f", a / 1e6 }') s: ratio $(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
	check_cmp "chronyd starts at most ${SYSTEM_MAX_EXTRA_START_S} s later than without the package (no 90 s device wait)" \
		"$(((ours - base) / 1000000))" -le "$SYSTEM_MAX_EXTRA_START_S"
}

# _system_record NAME STAGE DIR: the stage's lines as results (the guest's
# protocol, tests/guest/lib.sh; DIAG lines are evidence shown with a
# failure), that the agent ran the stage to the end, and the kernel's log.
_system_record() {
	local name=$1 stage=$2 dir=$3 diag
	diag=$(sed -n 's/^DIAG //p' "$dir/results.txt" | tail -n 40 | sed 's/^/          | /')
	# The harness's own test of a hung boot expects the boot not to finish
	# (its host() judges that); anywhere else it is a failure.
	if [ "${SYS_EXPECT_STUCK:-}" = yes ]; then
		grep -v '^FAIL the boot finishes' "$dir/results.txt" >"$dir/results-judged.txt"
	else
		cp "$dir/results.txt" "$dir/results-judged.txt"
	fi
	record_lines "$dir/results-judged.txt" "${diag:+
          evidence from the guest (all in $dir/results.txt):
$diag}"
	boot_check_kernel "$dir" "stage $stage: "
	boot_check_done "$name" "$dir" "stage $stage: the agent ran it to the end and powered off"
}

# _system_not_here SERIES: why the scenario whose settings (SYS_*) are in
# force does not apply to SERIES, or nothing when it does.
_system_not_here() {
	if [ -n "$SYS_SERIES" ] && [[ " $SYS_SERIES " != *" $1 "* ]]; then
		echo "it runs on series $SYS_SERIES only${SYS_SERIES_WHY:+: $SYS_SERIES_WHY}"
	elif [ -z "$(system_variant_kind "$1" "$SYS_IMAGE")" ]; then
		case $SYS_IMAGE in
		rpm) echo "its image (the .rpm's payload on Debian) is proven on series 6.1 only (paths only; a RHEL-like system cannot be booted here)" ;;
		*) echo "its image ($SYS_IMAGE) is built on series 6.1 and trixie only: the kernel plays no part in what it proves" ;;
		esac
	elif [ "$SYS_SIGNED" = yes ] && [ "${SYSTEM_KSIGNED:-}" != yes ]; then
		echo "it needs a kernel that came with a signed ptp_vmw of its own (what module.sig_enforce=1 lets load): ${SYSTEM_KSIGNED:-not looked at}"
	fi
}

# _system_applies SERIES NAME: _system_not_here for scenario NAME.
_system_applies() {
	(
		SYS_IMAGE='' SYS_SERIES='' SYS_SERIES_WHY='' SYS_SIGNED=''
		# shellcheck disable=SC1090
		. "$TOP/tests/scenarios/$2.sh"
		_system_not_here "$1"
	)
}

# system_images_background "SERIES...": the images host_test_system needs
# before a series' first boot (the series' base: the debootstrap, the
# kernel, systemd and chrony, 5-8 minutes each when the cache has none; our
# packages; the variant with our .deb, and on 6.1 the previous release's for
# the upgrade) built in the background at low priority, so that they go on
# beside the host tests and the series' boots rather than between the boots;
# host_test_system's own calls then find them built, or wait for them (the
# images' locks). A build that fails here is tried again there, where it is
# reported. Its output: $OUT/image-background.log.
system_images_background() {
	local series name any=''
	for name in $SYSTEM_SCENARIOS; do
		selected "$name" && any=yes
	done
	[ -n "$any" ] || return 0
	(
		renice -n 10 -p "$BASHPID" >/dev/null
		for series in $1; do
			[ -n "$(system_variant_kind "$series" pkg)" ] || continue
			(
				image_suite "$(kseries_suite "$series")"
				image_base
				image_packages
				if [ "$series" = 6.1 ] && selected system-upgrade; then
					_system_image_for "$series" system-upgrade
				fi
				image_variant "$(system_variant_kind "$series" pkg)"
			) || say "[$series] the system images: not all built in the background; host_test_system builds them"
		done
	) >"$OUT/image-background.log" 2>&1 </dev/null &
}

# _system_skip SERIES NAME CHECK WHY: scenario NAME is not booted on SERIES.
_system_skip() {
	result_context "$1" "$2"
	skip "$3" "$4"
}

# _system_image_for SERIES NAME: build (or find in the cache) the image
# scenario NAME boots on SERIES, before its boot is queued beside others.
_system_image_for() {
	local kind
	kind=$(system_variant_kind "$1" "$(
		SYS_IMAGE=''
		# shellcheck disable=SC1090
		. "$TOP/tests/scenarios/$2.sh"
		echo "$SYS_IMAGE"
	)")
	if [ "$kind" = old ]; then
		image_prev_release
		[ -n "$IMAGE_PREV_WHY" ] && return 0
	fi
	image_variant "$kind"
}

# _system_scenario SERIES NAME [STAGES]: the scenario's stages (all, or the
# ones named), then its host(). A stage learns on its command line which
# stage comes next (ptpvmw.next), so that it prepares it or not.
_system_scenario() {
	local series=$1 name=$2 only=${3:-} kind stage next stages why
	SERIES=$series
	result_context "$series" "$name"
	RUN_DIR=$OUT/system/$series/$name
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"
	unset -f host
	SYS_IMAGE='' SYS_ENV='' SYS_STAGES='' SYS_KARGS='' SYS_QEMU='' SYS_EXPECT_STUCK='' SYS_SERIES='' SYS_SERIES_WHY='' SYS_TIMEOUT='' SYS_SIGNED='' SYS_AFTER=''
	# shellcheck disable=SC1090
	. "$TOP/tests/scenarios/$name.sh"
	kind=$(system_variant_kind "$series" "$SYS_IMAGE")
	why=$(_system_not_here "$series")
	if [ -n "$why" ]; then
		skip "scenario applies to this kernel series" "$why"
		return 0
	fi
	if [ "$kind" = old ]; then
		image_prev_release
		if [ -n "$IMAGE_PREV_WHY" ]; then
			skip "the previous release can be built from git" "$IMAGE_PREV_WHY"
			return 0
		fi
		SYS_KARGS="$SYS_KARGS ptpvmw.from=$IMAGE_PREV_VERSION ptpvmw.to=$(project_version)"
	fi
	image_variant "$kind"
	SYSTEM_VARIANT=$IMAGE_DIR
	system_disk "$SYSTEM_VARIANT" "$RUN_DIR/disk.qcow2" ||
		{ fail "a copy-on-write disk over the $kind image" "qemu-img create failed"; return 0; }
	stages=${only:-$SYS_STAGES}
	for stage in $stages; do
		next=$(echo "$stages" | tr ' ' '\n' | grep -A1 -x "$stage" | sed -n 2p)
		say "[$series] system scenario $name, stage $stage ($IMAGE_SUITE $kind image, $SYS_ENV; limit ${SYS_TIMEOUT:-$SYSTEM_BOOT_TIMEOUT}s)"
		SYSTEM_EXTRA_KARGS="$SYS_KARGS ptpvmw.next=${next:-none}" SYSTEM_EXTRA_QEMU=$SYS_QEMU \
			SYSTEM_BOOT_TIMEOUT=${SYS_TIMEOUT:-$SYSTEM_BOOT_TIMEOUT} \
			system_boot "$RUN_DIR/$stage" "$SYSTEM_VARIANT" "$SYS_ENV" "$name" "$stage" "$RUN_DIR/disk.qcow2"
		echo "$series $name $stage $SYS_ENV $kind $(cat "$RUN_DIR/$stage/seconds")" >>"$OUT/system/boots.txt"
		_system_record "$name" "$stage" "$RUN_DIR/$stage" || break
	done
	# (system_boot's boot_defaults forgets host(): the file once more)
	unset -f host
	# shellcheck disable=SC1090
	. "$TOP/tests/scenarios/$name.sh"
	# The boots host() compares with may run beside this one: their end.
	for next in $SYS_AFTER; do pool_after "$series $next"; done
	if declare -F host >/dev/null; then
		host
	fi
	rm -f "$RUN_DIR/disk.qcow2"
}

# _system_install_checks DIR SERIES: what "apt-get install ./…deb" did in the
# system's chroot (the deb variant's build log and layer), as SERIES' results.
_system_install_checks() {
	local dir=$1 log=$1/build.log k=$IMAGE_KVER ko
	result_context "$2" system-install
	check_log "apt-get install ./$(basename "$IMAGE_DEB") in the $IMAGE_SUITE system set the package up" \
		"Setting up ptp-vmw-dkms" "$log"
	check_log "DKMS's common.postinst built the module for $k" "Building for $k" "$log"
	ko=$(cd "$dir/upper" && find usr/lib/modules/"$k"/updates/dkms lib/modules/"$k"/updates/dkms \
		-name 'ptp_vmw.ko*' 2>/dev/null | head -n 1)
	check_match "DKMS installed ptp_vmw for $k (updates/dkms)" "updates/dkms/ptp_vmw\.ko" "$ko"
	_system_check_intree_kept "$dir" "$k"
}

# _system_upgrade_checks: what the kernel upgrade did in the system's chroot
# (the up variant's build log and layer), as the 6.12 series' results.
_system_upgrade_checks() {
	local dir=$1 log=$1/build.log k=$IMAGE_UP_KVER ko
	SERIES=6.12
	result_context 6.12 system-kernel-upgrade
	check_log "apt installed the $k image and headers in the system with our package" \
		"Setting up linux-headers-$k" "$log"
	check_log "Debian's headers hook ran DKMS's autoinstall for $k" \
		"dkms: running auto installation service for kernel $k" "$log"
	ko=$(cd "$dir/upper" && find usr/lib/modules/"$k"/updates/dkms lib/modules/"$k"/updates/dkms \
		-name 'ptp_vmw.ko*' 2>/dev/null | head -n 1)
	check_match "DKMS installed ptp_vmw for $k (updates/dkms)" "updates/dkms/ptp_vmw\.ko" "$ko"
	check_eq "/vmlinuz points to $k afterwards (what the next boot runs)" "$k" "$(cat "$dir/release")"
	_system_check_intree_kept "$dir" "$k"
}

# _system_intree_gone LAYER KVER: the kernel's own ptp_vmw.ko* that LAYER
# removes (overlayfs whiteouts under modules/KVER/kernel), one a line.
_system_intree_gone() {
	find "$1/usr/lib/modules/$2/kernel" "$1/lib/modules/$2/kernel" -name 'ptp_vmw.ko*' -type c \
		2>/dev/null | sed "s|^$1||"
}

# _system_check_intree_kept DIR KVER: installing our package (or a kernel
# with it) left the kernel's own ptp_vmw where ptp-vmware-chrony's "load"
# finds it, the signed driver it falls back to where the kernel refuses the
# one DKMS built (Secure Boot; system-secureboot): in its place, or, where
# DKMS moved it aside (DKMS 3.2, Debian 13: build.log says "archiving for
# uninstallation"), under /var/lib/dkms/ptp_vmw/original_module/KVER/.
_system_check_intree_kept() {
	local gone kept
	gone=$(_system_intree_gone "$1/upper" "$2")
	kept=$(ls "$1"/upper/var/lib/dkms/ptp_vmw/original_module/"$2"/*/ptp_vmw.ko* 2>/dev/null)
	[ -n "$gone" ] && diag "DKMS moved the kernel's own ptp_vmw of $2 aside: ${kept:-nowhere to be found}"
	check_none "the kernel's own ptp_vmw of $2 stays where ptp-vmware-chrony load finds it (in place, or DKMS's original_module/)" \
		"module removed" "$(if [ -n "$gone" ] && [ -z "$kept" ]; then echo "$gone"; fi)"
}

# _system_kernel_signed VARIANT_DIR: "yes" when the kernel the variant boots
# came with a ptp_vmw of its own that carries a module signature (what
# module.sig_enforce=1 lets load), else what is missing. Looked up in the
# variant's layer (a kernel installed there) and the base: as the kernel's
# package installed it, whatever DKMS did to it afterwards (which
# _system_check_intree_kept and the scenario judge).
_system_kernel_signed() {
	local rel f d
	rel=$(cat "$1/release")
	for d in "$1/upper" "$IMAGE_BASE"; do
		f=$(find "$d/usr/lib/modules/$rel/kernel/drivers/ptp" "$d/lib/modules/$rel/kernel/drivers/ptp" \
			-name 'ptp_vmw.ko*' -type f 2>/dev/null | head -n 1)
		[ -n "$f" ] && break
	done
	if [ -z "$f" ]; then
		echo "kernel $rel has no ptp_vmw of its own"
		return 0
	fi
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -qdc "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac | tail -c 28 | grep -q '~Module signature appended~' && { echo yes; return 0; }
	echo "${f#"$d"} has no module signature"
}

# _system_table: the boots of this run, side by side.
_system_table() {
	local series name stage env kind secs f fin chr lock
	{
		echo "System boots (seconds: QEMU wall time; finish: systemd's boot end; chronyd: its start, after boot; lock: chronyc #* VMW, < 1 ms):"
		printf '  %-6s %-20s %-7s %-10s %-9s %6s %8s %8s %8s\n' series scenario stage env image wall finish chronyd lock
		while read -r series name stage env kind secs; do
			f=$OUT/system/$series/$name/$stage/results.txt
			fin=$(sed -n 's/^VALUE finish_us=//p' "$f" | tail -n 1)
			chr=$(sed -n 's/^VALUE chrony_start_us=//p' "$f" | tail -n 1)
			lock=$(sed -n 's/^VALUE lock_us=//p' "$f" | tail -n 1)
			printf '  %-6s %-20s %-7s %-10s %-9s %6s %8s %8s %8s\n' "$series" "$name" "$stage" "$env" "$kind" "$secs" \
				"$(_us_s "$fin")" "$(_us_s "$chr")" "$(_us_s "$lock")"
		done <"$OUT/system/boots.txt"
		for f in "$IMAGE_CACHE"/*/build-seconds; do
			[ -f "$f" ] && echo "  image build (when last built): $(basename "$(dirname "$f")") $(cat "$f") s"
		done
	} | tee "$OUT/system/summary.txt" >&2
}
_us_s() { case $1 in '' | - | *[!0-9]*) echo - ;; *) awk -v u="$1" 'BEGIN { printf "%.1f", u / 1e6 }' ;; esac; }

# host_test_image_cache: the image cache's own checks (image_seal,
# image_valid), on a made-up entry: what it trusts and what it rebuilds.
host_test_image_cache() {
	local d=$OUT/image-cache-test
	result_context host system-image-cache
	_iv() { if image_valid "$d" "$1"; then echo trusted; else echo rebuilt; fi; }
	rm -rf "$d"
	mkdir -p "$d/root/etc"
	echo content >"$d/root/etc/file"
	head -c 300000 /dev/urandom >"$d/disk.img"
	image_seal "$d" key1
	check_eq "an entry as it was sealed is trusted" trusted "$(_iv key1)"
	check_eq "an entry made for other inputs (another key) is rebuilt" rebuilt "$(_iv key2)"
	truncate -s -1 "$d/disk.img"
	check_eq "a truncated disk image is rebuilt" rebuilt "$(_iv key1)"
	head -c 300000 /dev/urandom >"$d/disk.img"
	check_eq "a disk image with other bytes, same size, is rebuilt" rebuilt "$(_iv key1)"
	image_seal "$d" key1
	echo other >"$d/root/etc/file.new" && mv "$d/root/etc/file.new" "$d/root/etc/file2"
	check_eq "a tree with a file more is rebuilt" rebuilt "$(_iv key1)"
	rm "$d/root/etc/file2" "$d/root/etc/file"
	image_seal "$d" key1
	echo content >"$d/root/etc/file"
	check_eq "a tree with a file that was not there is rebuilt" rebuilt "$(_iv key1)"
	rm -f "$d/complete"
	check_eq "an entry never sealed (an interrupted build) is rebuilt" rebuilt "$(_iv key1)"
	rm -rf "$d"
}

# host_test_system "SERIES..." [LABEL CMD...]: the system scenarios TESTS
# selects (all by default), for each series of the list that has a system
# image. A series' boots run CHECK_JOBS at a time (tests/host/pool.sh),
# beside boots of the same series only, so that a boot's times compare with
# its neighbours'. CMD, when given, is a job of the caller's that boots
# guests of its own (make check's bench smoke; LABEL as pool_run's): it is
# queued in the first series' pool after that pool's first boot, the
# longest (the upgrade), and fills the slot beside it; with no system boot
# in this run it runs on its own.
host_test_system() {
	local series_list=$1 series name names="" line why later elsewhere where companion_label=${2:-} companion
	companion=("${@:3}")
	for name in $SYSTEM_SCENARIOS; do
		selected "$name" && names="$names $name"
	done
	for name in $SYSTEM_EXTRA_SCENARIOS; do
		[[ " ${TESTS:-} " == *" $name "* ]] && names="$names $name"
	done
	if [ -z "$names" ]; then
		_system_companion
		return 0
	fi
	say "system scenarios:$names (real Debian systems; images cached in $IMAGE_CACHE)"
	mkdir -p "$OUT/system"
	: >"$OUT/system/boots.txt"
	host_test_image_cache
	[ -x "$OUT/guest-project/opt/ptpvmw/tools/guestctl" ] || guest_project
	if [ -z "${QEMU:-}" ] || [ -z "${TSC_HZ:-}" ]; then guest_setup; fi
	image_packages
	system_agent_tar
	for series in $series_list; do
		if [ -z "$(system_variant_kind "$series" pkg)" ]; then
			result_context "$series" system
			skip "the system scenarios apply to this kernel series" "no system image has this series' kernel (Debian 12's has 6.1 and 6.12, Debian 13's trixie)"
			continue
		fi
		image_suite "$(kseries_suite "$series")"
		image_base
		if [ "$series" = 6.12 ]; then
			image_variant up
			_system_upgrade_checks "$IMAGE_DIR"
		else
			image_variant deb
			_system_install_checks "$IMAGE_DIR" "$series"
		fi
		SYSTEM_KSIGNED=$(_system_kernel_signed "$IMAGE_DIR")
		say "[$series] the kernel came with a signed ptp_vmw of its own: $SYSTEM_KSIGNED"
		# The series' boots CHECK_JOBS at a time, each image they boot
		# built before.
		pool_begin "system-$series"
		later='' elsewhere=''
		for name in $names; do
			why=$(_system_applies "$series" "$name")
			if [ -n "$why" ]; then
				# make check's quick set boots it on another system of
				# this run: a note below; otherwise it is not proven
				# anywhere in this run: a skip.
				where=$(_system_quick_on "$name" "$series_list")
				if ! _system_all_stages "$name" && [ -n "$where" ]; then
					elsewhere="$elsewhere $name (booted on $where; here: $why)"
				else
					pool_run "$series $name" _system_skip "$series" "$name" "scenario applies to this kernel series" "$why"
				fi
				continue
			fi
			if _system_all_stages "$name"; then
				_system_image_for "$series" "$name"
				pool_run "$series $name" _system_scenario "$series" "$name"
				continue
			fi
			line=$(_system_quick_line "$series" "$name")
			if [ -z "$line" ]; then
				later="$later $name"
				continue
			fi
			_system_image_for "$series" "$name"
			pool_run "$series $name" _system_scenario "$series" "$name" "$(echo "$line" | cut -s -d: -f3 | tr , ' ')"
			_system_companion
		done
		_system_companion
		pool_end
		# What make check leaves to the full set here: not a skip (each is
		# booted on another system of the quick set, SYSTEM_QUICK), a note.
		# (filed with the series' install checks: a scenario of notes alone
		# would read as a skip in KTAP)
		if [ "$series" = 6.12 ]; then
			result_context "$series" system-kernel-upgrade
		else
			result_context "$series" system-install
		fi
		if [ -n "$later" ]; then
			diag "make check does not boot these here (SYSTEM_FULL=1, make stress or TESTS=NAME do):$later"
		fi
		if [ -n "$elsewhere" ]; then
			diag "not for this system, booted on another of this run:$elsewhere"
		fi
	done
	_system_companion
	_system_table
}

# _system_all_stages NAME: scenario NAME boots with all its stages on every
# series it applies to (SYSTEM_FULL=1, make stress, or named in TESTS), not
# as make check's quick set says.
_system_all_stages() {
	[ -n "${SYSTEM_FULL:-}" ] || [ "${STRESS_SCALE:-1}" -gt 1 ] ||
		[[ " $SYSTEM_EXTRA_SCENARIOS ${TESTS:-} " == *" $1 "* ]]
}

# _system_quick_line SERIES NAME: SYSTEM_QUICK's entry for scenario NAME on
# SERIES (SERIES:NAME[:STAGES]), or nothing.
_system_quick_line() {
	echo "$SYSTEM_QUICK" | tr -s ' \t\n' '\n' | grep -E "^$1:$2(:|\$)"
}

# _system_quick_on NAME "SERIES...": the series of the list on which make
# check's quick set (SYSTEM_QUICK) boots scenario NAME.
_system_quick_on() {
	local s out=''
	for s in $2; do
		[ -n "$(_system_quick_line "$s" "$1")" ] && out="$out${out:+, }$s"
	done
	echo "$out"
}

# _system_companion: queue host_test_system's CMD (once) into the pool open
# now, or run it on its own when none is.
_system_companion() {
	[ ${#companion[@]} -gt 0 ] || return 0
	if [ -n "${POOL_DIR:-}" ] && [ ! -e "$POOL_DIR/all-queued" ]; then
		pool_run "$companion_label" "${companion[@]}"
	else
		"${companion[@]}"
	fi
	companion=()
}
