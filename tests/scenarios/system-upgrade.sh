# shellcheck shell=dash
# shellcheck disable=SC2034 # SYS_*: settings the host reads (tests/host/system.sh)
# System scenario: our own package upgraded in a running system, the way
# unattended-upgrades does it. The previous release (built from git: the
# commit before dkms.conf's version last changed) is installed with apt on
# a VMware VM with the clock. Stage old: that release's module drives the
# clock and chronyd uses it; then this checkout's .deb comes from an apt
# repository (repo/ on the agent disk): apt-get update, apt-get upgrade -y,
# apt's defaults. DKMS knows the new version only, nothing of the old is
# left on disk, and the clock in use stays in use. Stage new, after the
# reboot: the new module drives the clock, chronyd uses it, and still
# nothing of the old version. The host names both versions on the kernel
# command line (ptpvmw.from, ptpvmw.to).
SYS_IMAGE=old
SYS_ENV=present
SYS_STAGES="old new"
SYS_SERIES=6.1
# DKMS builds the new version inside the guest: 2-3 minutes of the one
# emulated CPU (the probes and the module), 4.5 minutes for all of apt's
# work on a loaded host.
SYS_TIMEOUT=900
SYS_SERIES_WHY="the package's upgrade is dpkg's and DKMS's work, the same for every kernel; on 6.12 it would need an image of the previous release with the 6.12 kernel too, and DKMS rebuilds for both kernels there (minutes under TCG)"

UPGRADE_REPO=/run/ptpvmw/repo

# upgrade_versions: FROM and TO, the previous release's version and ours.
upgrade_versions() {
	FROM=$(kv ptpvmw.from "$(cat /proc/cmdline)")
	TO=$(kv ptpvmw.to "$(cat /proc/cmdline)")
	value from_version "$FROM"
	value to_version "$TO"
}

# old_leftovers: every path that names the previous version under a path
# of ours (/usr/src/ptp_vmw-FROM, /var/lib/dkms/ptp_vmw/FROM, DKMS's links
# to it, a cached .deb), one a line.
old_leftovers() {
	find / -xdev \( -path "*ptp*$FROM*" -o -path '*ptp*' -lname "*$FROM*" \) -print 2>/dev/null
}

# check_only_version N VERSION: DKMS, dpkg and the module files know
# VERSION only, and nothing of FROM is left.
check_only_version() {
	local n="$1" v="$2" st mods
	# Once (seconds under TCG), stdout only: DKMS 3.0.10's own check that
	# /proc is mounted, [ -e <(echo) ], at times leaves "echo: write error"
	# on stderr.
	st=$(dkms status -m ptp_vmw 2>/dev/null)
	echo "$st" | sed 's/^/DIAG dkms status: /' >&3
	check_eq "$n: dkms status knows ptp_vmw $v only" "ptp_vmw/$v" \
		"$(echo "$st" | cut -d, -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
	check_match "$n: dkms status: $v is installed for the running kernel" \
		"^ptp_vmw/$v, $(uname -r), x86_64: installed" "$st"
	check_eq "$n: dpkg has ptp-vmw-dkms $v installed" "install ok installed $v" \
		"$(dpkg-query -W -f='${Status} ${Version}' ptp-vmw-dkms 2>&1)"
	check_eq "$n: /usr/src has the sources of $v only" "/usr/src/ptp_vmw-$v" \
		"$(echo /usr/src/ptp_vmw-*)"
	mods=$(for f in /lib/modules/*/updates/dkms/ptp_vmw.ko*; do modinfo -F version "$f"; done 2>&1 | sort -u)
	check_eq "$n: every ptp_vmw DKMS installed is version $v" "$v" "$mods"
	if [ "$v" != "$FROM" ]; then
		check_ok "$n: /usr/src/ptp_vmw-$FROM is gone" test ! -e "/usr/src/ptp_vmw-$FROM"
		check_ok "$n: /var/lib/dkms/ptp_vmw/$FROM is gone" test ! -e "/var/lib/dkms/ptp_vmw/$FROM"
		check_eq "$n: nothing names $FROM under a path of ours (files, DKMS's links)" "" \
			"$(old_leftovers | head -n 10 | tr '\n' ' ')"
	fi
}

guest_old() {
	local out rc t0 t1 log start
	upgrade_versions
	# The previous release's own way of waiting for the clock (1.1.0: a
	# bounded device job; from 1.2.0 on, the wait for udev).
	if grep -qs dev-ptp_vmware.device /run/systemd/generator/chrony.service.d/ptp-vmware-wait.conf; then
		WAIT_FORM=device-job
	fi
	check_clock_used "old" /lib/systemd/system/chrony.service.d/ptp-vmware.conf \
		/etc/chrony/conf.d/ptp_vmw.conf
	WAIT_FORM=""
	check_eq "old: the running ptp_vmw is the previous release, $FROM" "$FROM" \
		"$(cat /sys/module/ptp_vmw/version 2>&1)"
	check_only_version "old" "$FROM"
	[ "$NEXT_STAGE" = new ] || return 0

	# The guest has no network: Debian's archive, the image's source, cannot
	# be reached, and its lists name security updates apt would then fail
	# to download. So the machine's one apt source is the local repository,
	# as on a machine that takes its packages from a local mirror.
	echo "deb [trusted=yes] file:$UPGRADE_REPO ./" >/etc/apt/sources.list
	out=$(apt-get update 2>&1)
	rc=$?
	echo "$out"
	check_eq "upgrade: apt-get update exits 0" 0 "$rc"
	[ "$rc" -eq 0 ] || echo "$out" | tail -n 30 | sed 's/^/DIAG /' >&3
	t0=$(uptime_us)
	out=$(apt-get upgrade -y 2>&1)
	rc=$?
	t1=$(uptime_us)
	echo "$out"
	value upgrade_ms $(((t1 - t0) / 1000))
	check_eq "upgrade: apt-get upgrade -y inside the running system exits 0" 0 "$rc"
	[ "$rc" -eq 0 ] || echo "$out" | tail -n 40 | sed 's/^/DIAG /' >&3
	check_match "upgrade: apt upgraded our package and nothing else" \
		"^1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded" "$out"
	check_has "upgrade: dpkg unpacked $TO over $FROM" "Unpacking ptp-vmw-dkms ($TO) over ($FROM)" "$out"
	# DKMS's make.log has the build's start (date) on its second line; its
	# last write is the build's end.
	log=/var/lib/dkms/ptp_vmw/$TO/$(uname -r)/x86_64/log/make.log
	start=$(sed -n 2p "$log" 2>/dev/null)
	value dkms_build_s "$(($(stat -c %Y "$log" 2>/dev/null || echo 0) - $(date -d "$start" +%s 2>/dev/null || echo 0)))"

	check_only_version "upgrade" "$TO"
	check_eq "upgrade: the running module stays the previous release's (no maintainer script unloads it)" \
		"$FROM" "$(cat /sys/module/ptp_vmw/version 2>&1)"
	check_ok "upgrade: the refclock file chronyd was given stays (/run/ptp_vmw-chrony.conf)" \
		test -f /run/ptp_vmw-chrony.conf
	check_eq "upgrade: chronyd keeps running" active "$(systemctl is-active chrony.service)"
	check_ok "upgrade: chronyc still selects VMW (#*) with |System time| < 1 ms" chrony_wait_lock 30
	diag chronyc -n sources
	check_no_failed_units "upgrade: systemctl --failed is empty"
}

guest_new() {
	upgrade_versions
	check_clock_used "new" /lib/systemd/system/chrony.service.d/ptp-vmware.conf \
		/etc/chrony/conf.d/ptp_vmw.conf
	check_eq "new: the running ptp_vmw is this release, $TO" "$TO" "$(cat /sys/module/ptp_vmw/version 2>&1)"
	check_only_version "new" "$TO"
}

host() {
	check_eq "old: the system ran the kernel the boot loader would take ($(cat "$SYSTEM_VARIANT/release"))" \
		"$(cat "$SYSTEM_VARIANT/release")" "$(system_stage_value old kernel_release)"
}
