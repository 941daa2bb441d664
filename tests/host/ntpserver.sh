# SPDX-License-Identifier: GPL-2.0-only
# An NTP server for the guest: chronyd from the cached bookworm chroot (the
# guest's own chrony, GUEST_SUITE's), server-only (-x: it never touches the
# host's clock), "local stratum 1", bound to 127.0.0.1 on a UDP port of its
# own (never 123, never the host's time service), serving the host's
# CLOCK_REALTIME: the clock the device model hands the guest. The guest
# reaches it as 10.0.2.2 (QEMU's user network maps that to the host's
# loopback; BOOT_NET=yes). Nothing is installed on the host and nothing in
# the shared chroot changes: chronyd runs in a private mount namespace with
# tmpfs over the chroot's /run and /var/lib/chrony, its configuration in
# there.
# Sourced after common.sh, chroot.sh and initramfs.sh.

NTP_PID=''
NTP_PORT=''

# _ntp_chroot_exec SECONDS CONF CMD...: CMD in the chroot for at most
# SECONDS, in a mount namespace of its own whose /run (with CONF as
# /run/ptpvmw-ntp/chrony.conf) and /var/lib/chrony are fresh tmpfs. exec
# all the way: the caller's $! is the timeout's, which passes a SIGTERM on
# to CMD.
_ntp_chroot_exec() {
	local root secs=$1 conf=$2
	root=$(chroot_root "$GUEST_SUITE")
	shift 2
	# shellcheck disable=SC2016 # expanded by the sh it runs, not here
	exec unshare --mount --propagation private -- sh -c '
		root=$1 secs=$2 conf=$3; shift 3
		mount -t tmpfs -o mode=0755 tmpfs "$root/run" &&
			mount -t tmpfs -o mode=0750 tmpfs "$root/var/lib/chrony" &&
			mkdir -p "$root/run/ptpvmw-ntp" && mkdir -m 0750 "$root/run/chrony" &&
			cp "$conf" "$root/run/ptpvmw-ntp/chrony.conf" || exit 1
		exec timeout --kill-after=5 "$secs" chroot "$root" /usr/bin/env -i HOME=/root \
			LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"' sh "$root" "$secs" "$conf" "$@"
}

# _ntp_free_port: a UDP port on 127.0.0.1 that nothing holds now.
_ntp_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# ntp_server_start DIR SECONDS: the server, for at most SECONDS (a timeout
# ends it even if nobody else does), its configuration and log in DIR;
# sets NTP_PORT and NTP_PID. Waits until it answers an NTP query (chronyd
# -Q from the same chroot, which also says how far the served time is from
# the host's clock) and fails otherwise.
ntp_server_start() {
	local dir=$1 secs=$2 n
	chroot_ensure "$GUEST_SUITE" chrony
	mkdir -p "$dir"
	NTP_PORT=$(_ntp_free_port) || return 1
	cat >"$dir/server.conf" <<-EOF
		# The guest's NTP server (tests/host/ntpserver.sh): the host's clock, untouched.
		port $NTP_PORT
		bindaddress 127.0.0.1
		allow 127.0.0.0/8
		local stratum 1
		cmdport 0
		pidfile /run/ptpvmw-ntp/chronyd.pid
		driftfile /var/lib/chrony/drift
	EOF
	say "NTP server for the guest: chronyd -x on 127.0.0.1:$NTP_PORT (the guest's 10.0.2.2), at most $secs s; log $dir/server.log"
	(_ntp_chroot_exec "$secs" "$dir/server.conf" chronyd -x -d -u root \
		-f /run/ptpvmw-ntp/chrony.conf) >"$dir/server.log" 2>&1 &
	NTP_PID=$!
	printf 'server 127.0.0.1 port %s iburst maxsamples 4\n' "$NTP_PORT" >"$dir/query.conf"
	for n in 1 2 3; do
		kill -0 "$NTP_PID" 2>/dev/null || break
		if (_ntp_chroot_exec 30 "$dir/query.conf" chronyd -Q -u root -t 10 \
			-f /run/ptpvmw-ntp/chrony.conf) >"$dir/query.log" 2>&1 &&
			grep -q 'System clock wrong by' "$dir/query.log"; then
			say "NTP server answers: $(grep -m1 'System clock wrong by' "$dir/query.log" | sed 's/.*System clock/its time against the host clock:/')"
			return 0
		fi
		sleep "$n"
	done
	echo "the NTP server on 127.0.0.1:$NTP_PORT does not answer; its log ($dir/server.log):" >&2
	tail -n 5 "$dir/server.log" >&2
	tail -n 3 "$dir/query.log" >&2
	ntp_server_stop
	return 1
}

# ntp_server_stop: end the server (if it runs) and wait for it.
ntp_server_stop() {
	[ -n "$NTP_PID" ] || return 0
	kill "$NTP_PID" 2>/dev/null
	wait "$NTP_PID" 2>/dev/null
	NTP_PID=''
}
