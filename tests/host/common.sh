# SPDX-License-Identifier: GPL-2.0-only
# Shell helpers shared by every test script: where things live, how a step
# reports progress and failure, how packages get installed.
#
# Source it from bash:  . "$(dirname "$0")/common.sh"

set -o pipefail

# Project root, whatever script sourced us.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Expensive things (the QEMU build, chroots, kernel images) are cached outside
# the checkout and reused until stale.
CACHE=${PTP_VMW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptp_vmw}

# Logs of the current run live in the checkout (git ignores them), so a
# failure message can point at them with a short path.
OUT=${PTP_VMW_OUT:-$TOP/test-output}

mkdir -p "$CACHE" "$OUT"

_ts() { date +%H:%M:%S; }

# say MESSAGE: one progress line on stderr.
say() { printf '[%s] %s\n' "$(_ts)" "$*" >&2; }

# die MESSAGE: one error line, then exit 1.
die() { printf '[%s] ERROR: %s\n' "$(_ts)" "$*" >&2; exit 1; }

# step TITLE LOG CMD [ARGS...]
# Runs CMD with its output in LOG. While it runs, prints a heartbeat every
# HEARTBEAT seconds with the elapsed time and the last line of the log, so a
# long step is never silent. On failure, names the step and the log, shows the
# log's tail and exits.
HEARTBEAT=${HEARTBEAT:-20}
step() {
	local title=$1 log=$2 start pid rc last
	shift 2
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	say "$title ..."
	"$@" >"$log" 2>&1 </dev/null &
	pid=$!
	while ! _wait_for "$pid" "$HEARTBEAT"; do
		last=$(tail -n 1 "$log" 2>/dev/null | tr -d '\r' | cut -c1-100)
		say "  ... $title: $(($(date +%s) - start)) s so far${last:+ (last: $last)}"
	done
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '[%s] FAILED step: %s (exit %d). Log: %s\n' "$(_ts)" "$title" "$rc" "$log" >&2
		tail -n 25 "$log" | sed 's/^/    | /' >&2
		exit 1
	fi
	say "  done: $title ($(($(date +%s) - start)) s)"
}

# _wait_for PID SECONDS: 0 once PID has exited, 1 if still running after SECONDS.
_wait_for() {
	local pid=$1 n=$(($2 * 5))
	while [ "$n" -gt 0 ]; do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
		n=$((n - 1))
	done
	kill -0 "$pid" 2>/dev/null || return 0
	return 1
}

# need_pkgs PKG...: make sure Debian packages are installed on the host.
# As root, installs what is missing (apt-get update first); as anyone else,
# prints the exact command to run and exits.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	fi
	_apt_update_once
	step "installing host packages: ${missing[*]}" "$OUT/apt-install.log" \
		flock "$CACHE/host-apt.lock" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# The host's apt, one at a time: the device model's build installs its
# build dependencies in the background while the run goes on (flock; apt
# itself would refuse a second run at once).
_apt_update_once() {
	[ -n "${_PTP_VMW_APT_UPDATED:-}" ] && return 0
	step "apt-get update" "$OUT/apt-update.log" flock "$CACHE/host-apt.lock" apt-get update
	_PTP_VMW_APT_UPDATED=1
	export _PTP_VMW_APT_UPDATED
}

# One fixed instant, 2026-01-01 00:00:00 UTC, in seconds since the epoch:
# where deterministic boots start their clocks (tests/host/boot.sh,
# BOOT_ICOUNT) and the time stamp of every file in the guest's initrd.
# shellcheck disable=SC2034 # read by boot.sh and initramfs.sh
DET_EPOCH=1767225600

# sha_of FILE...: short content hash of files (cache keys).
sha_of() { cat "$@" | sha256sum | cut -c1-12; }

# require_root: the tests build chroots and use mount namespaces.
require_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	die "this needs root (it builds debootstrap chroots under $CACHE and boots QEMU guests); run it with sudo"
}

# project_version, project_sources: the version and the driver's file list,
# from the Makefile (make -s print-version / print-sources), the one place
# that knows them.
project_version() { make -s --no-print-directory -C "$TOP" print-version; }
project_sources() { make -s --no-print-directory -C "$TOP" print-sources; }

# ere_quote TEXT: TEXT quoted for an extended regular expression (the "+" in
# 6.12.117+deb12-amd64).
ere_quote() { printf '%s' "$1" | sed 's/[][\\.^$*+?(){}|]/\\&/g'; }
