# The same smearing host as leap-smear-shipped, with the policy a smearing
# host needs, chosen with the package's switch (PTP_VMW_HOST_LEAP=smear in
# /etc/default/ptp-vmware): chrony applies no leap second of its own and
# the guest follows the host's smear. Nothing is inserted and the guest
# stays within 1 ms of the host through midnight.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-start-utc=2016-12-31T23:59:28Z
	-global vmport.pclk-smear-at=2017-01-01T00:00:00Z -rtc base=2016-12-31T23:59:28"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	local s steps
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start PTP_VMW_HOST_LEAP=smear || return
	steps=$(tp_chrony_steps)
	tp_watch_until $((LEAP_S + 15)) 100 /tmp/trace ||
		{ fail "the host's clock reaches midnight" "$(tail -n 2 /tmp/trace)"; return; }
	s=$(tp_summary /tmp/trace "$LEAP_S" 0)
	echo "$s"
	value leap_summary "$(echo "$s" | tr ' ' ',')"
	check_match "the host's clock reached midnight while the guest watched" '^t_event_ms=[0-9]' "$s"
	check_eq "the guest's kernel inserted nothing (no TIME_OOP samples)" 0 "$(kv oop "$s")"
	check_cmp "through midnight the guest stayed within 1 ms of the host (max $(kv max_ns "$s") ns)" \
		"$(kv max_ns "$s")" -lt 1000000
	value max_error_ns "$(kv max_ns "$s")"
	check_eq "chrony did not step the clock" "$steps" "$(tp_chrony_steps)"
	cat /var/log/chrony/chronyd.log
}
