# SPDX-License-Identifier: GPL-2.0-only
# make bench, what users run instead: chrony over NTP against chrony on the
# precision clock, one boot per configuration (tests/bench/run.sh boots
# this scenario three times, as bench-sync-ntp, -phc and -both, and says
# which in the guest's command line, ptpvmw.sync=):
#   ntp   chrony with Debian's chrony.conf (its pool unreachable: no DNS
#         here) and one "server 10.0.2.2 port N iburst": the host's NTP
#         server (tests/host/ntpserver.sh), the package told not to use the
#         clock (PTP_VMW_USE_CLOCK=no), though its driver is loaded
#   phc   the package as shipped: the refclock ptp-vmware-chrony writes
#   both  the package and that NTP server; chrony must select VMW
# The same start each time: no drift file, kernel frequency reset, the
# system clock 300 ms behind the host. The guest's clock against the
# host's is sampled every BENCH_SYNC_PERIOD_MS from before chronyd starts
# (timewatch: a bare backdoor call bracketed by two system-clock reads, so
# not chrony's own claim, exact to within half the bracket) for
# BENCH_SYNC_CONVERGE + BENCH_SYNC_WINDOW seconds, the last of which are
# the steady window; then for each pause in BENCH_SYNC_PAUSES (ms, comma
# separated) the host stops the guest that long (vm_pause; the host logs
# when, pauses.log) and the guest is watched BENCH_SYNC_RECOVER seconds.
# tests/bench/sync.py turns the samples into the table and the plot.
#
# Sourced by bash on the host (the runner: BOOT_* settings) and by busybox
# sh in the guest (guest()). The counts come from /opt/ptpvmw/bench.conf.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="bench"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_NET=yes
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QMP=yes
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_KARGS="ptpvmw.sync=${BENCH_SYNC_CONFIG:-phc} ptpvmw.ntpport=${NTP_PORT:-0}"
# Real time: the watch, the pauses, and a few minutes for the boot itself.
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((300 + ${BENCH_SYNC_CONVERGE:-0} + ${BENCH_SYNC_WINDOW:-0} + 6 * (${BENCH_SYNC_RECOVER:-0} + 5)))

# sync_net: the NIC up, 10.0.2.15 on QEMU's user network.
sync_net() {
	insmod /opt/ptpvmw/net/e1000.ko || return 1
	wait_until 10 test -d /sys/class/net/eth0 || return 1
	ifconfig lo 127.0.0.1 up && ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
}

# sync_source_line WHAT: chronyc's sources line for WHAT (VMW, 10.0.2.2).
sync_source_line() { chronyc -n sources 2>/dev/null | awk -v w="$1" '$2 == w'; }

guest() {
	local cmd config port p secs=0 tw
	cmd=$(cat /proc/cmdline)
	config=$(kv ptpvmw.sync "$cmd")
	port=$(kv ptpvmw.ntpport "$cmd")
	# shellcheck disable=SC1091 # in the guest only: tests/guest/bench.sh
	. /opt/ptpvmw/bench.sh
	bench_setup
	check_ok "udev loaded the driver and linked /dev/ptp_vmware" test -c /dev/ptp_vmware || return
	check_ok "the guest's NIC is up (10.0.2.15)" sync_net || return
	mkdir -p /etc/default
	case $config in
	ntp) echo PTP_VMW_USE_CLOCK=no >/etc/default/ptp-vmware ;;
	phc) : >/etc/default/ptp-vmware ;;
	both) : >/etc/default/ptp-vmware ;;
	*) fail "configuration named on the command line" "expected ntp, phc or both, saw '$config'"; return ;;
	esac
	if [ "$config" != phc ]; then
		check_cmp "the host's NTP server has a port" "${port:-0}" -gt 0 || return
		echo "server 10.0.2.2 port $port iburst" >/etc/chrony/conf.d/zz-bench-ntp-server.conf
	fi
	rm -f /var/lib/chrony/chrony.drift /var/log/chrony/*.log
	ptpbench resetfreq >/dev/null || fail "kernel frequency reset" "adjtimex failed"
	clock_behind_host 300000000 || fail "the clock set 300 ms behind the host" "guestctl shift failed"
	for p in $(echo "$BENCH_SYNC_PAUSES" | tr ',' ' '); do
		secs=$((secs + BENCH_SYNC_RECOVER))
	done
	secs=$((secs + BENCH_SYNC_CONVERGE + BENCH_SYNC_WINDOW + 1))
	timewatch "$secs" "$BENCH_SYNC_PERIOD_MS" >/tmp/trace &
	tw=$!
	sleep 0.5
	data sync config="$config" op=start host_ns="$(kv host_ns "$(guestctl backdoor 1)")" \
		converge_s="$BENCH_SYNC_CONVERGE" window_s="$BENCH_SYNC_WINDOW" period_ms="$BENCH_SYNC_PERIOD_MS"
	start_chronyd -l /var/log/chrony/chronyd.log ||
		{ fail "chronyd starts" "chronyd exited $?"; kill "$tw"; return; }
	sleep $((BENCH_SYNC_CONVERGE + BENCH_SYNC_WINDOW))
	case $config in
	ntp) check_match "chrony selected the NTP server" '^\^\* ' "$(sync_source_line 10.0.2.2)" ;;
	*) check_match "chrony selected the precision clock (VMW)" '^#\* ' "$(sync_source_line VMW)" ;;
	esac
	if [ "$config" = both ]; then
		# State and reach: "^+ 377", say.
		check_match "and keeps the NTP server as a cross-check (reachable, not rejected)" \
			'^\^[-+] [1-7][0-7]*$' "$(sync_source_line 10.0.2.2 | awk '{ print $1, $5 }')"
	fi
	chronyc -n sources
	for p in $(echo "$BENCH_SYNC_PAUSES" | tr ',' ' '); do
		data sync config="$config" op=pause ms="$p" host_ns="$(kv host_ns "$(guestctl backdoor 1)")"
		vm_pause "$p"
		sleep "$BENCH_SYNC_RECOVER"
	done
	wait "$tw"
	check_eq "every sample of the host's clock answered" 0 \
		"$(sed -n 's/^op=timewatch .*failed=//p' /tmp/trace)"
	sed "s/^/DATA sync config=$config /" /tmp/trace >&3
	stop_chronyd
	cat /var/log/chrony/chronyd.log
	data sync config="$config" op=end
}
