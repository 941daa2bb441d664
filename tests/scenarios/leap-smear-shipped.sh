# A host that smears leap seconds (as large public NTP services do: here the
# leap at the end of 2016-12-31 spread linearly over 24 h centred on
# midnight, the model's default window; the guest watches its last 32 s)
# with the policy the package ships, which expects a stepping host: chrony
# announces the leap from right/UTC, the guest's kernel inserts 23:59:60
# while the host's clock just keeps running 1/86400 slow, and the guest ends
# up about 1 s off the host until chrony has corrected it. Measured: how far
# and for how long (the reason for the switch, leap-smear-follow).
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-start-utc=2016-12-31T23:59:28Z
	-global vmport.pclk-smear-at=2017-01-01T00:00:00Z -rtc base=2016-12-31T23:59:28"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	local s
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	tp_watch_until $((LEAP_S + 15)) 100 /tmp/trace ||
		{ fail "the host's clock reaches midnight" "$(tail -n 2 /tmp/trace)"; return; }
	s=$(tp_summary /tmp/trace "$LEAP_S" 0)
	echo "$s"
	value leap_summary "$(echo "$s" | tr ' ' ',')"
	check_match "the host's clock reached midnight while the guest watched" '^t_event_ms=[0-9]' "$s"
	check_cmp "before midnight the guest followed the smearing host within 1 ms" \
		"$(kv max_before_ns "$s")" -lt 1000000
	check_cmp "the guest's kernel inserted a leap second the host smeared (TIME_OOP samples)" \
		"$(kv oop "$s")" -gt 0
	check_cmp "so after midnight the guest was off by about 1 s (> 0.9 s; saw $(kv max_after_ns "$s") ns)" \
		"$(kv max_after_ns "$s")" -gt 900000000
	value max_error_ns "$(kv max_after_ns "$s")"
	value error_over_1ms_for_ms "$(kv bad_ms "$s")"
	cat /var/log/chrony/chronyd.log
}
