# Why the package's policy names right/UTC: the same stepping host as in
# leap-step, but chrony knows of no leap second, as on a Debian 13 system
# without tzdata-legacy (the right/ zones hidden: neither chrony.conf's
# leapsectz nor the package's can load). The guest's kernel inserts nothing,
# the host's clock goes back 1 s at midnight, and the guest is about 1 s off
# until chrony has corrected it. The scenario measures how far and for how
# long, and checks that the error is the leap's: close to 1 s, none before
# midnight.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-start-utc=2016-12-31T23:59:28Z
	-global vmport.pclk-leap-at=2017-01-01T00:00:00Z -rtc base=2016-12-31T23:59:28"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	local s
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	TP_NO_LEAPSECTZ=1 tp_start || return
	check_has "chronyc tracking knows of no leap" "Normal" \
		"$(chronyc -n tracking | grep '^Leap status')"
	tp_watch_until $((LEAP_S + 15)) 100 /tmp/trace ||
		{ fail "the host's clock reaches the leap second" "$(tail -n 2 /tmp/trace)"; return; }
	s=$(tp_summary /tmp/trace "$LEAP_S" 0)
	echo "$s"
	value leap_summary "$(echo "$s" | tr ' ' ',')"
	check_match "the host's clock reached the leap while the guest watched" '^t_event_ms=[0-9]' "$s"
	check_eq "the guest's kernel inserted nothing (no TIME_INS or TIME_OOP samples)" "0 0" \
		"$(kv ins_before "$s") $(kv oop "$s")"
	check_cmp "before midnight the guest was within 1 ms of the host" "$(kv max_before_ns "$s")" -lt 1000000
	check_cmp "after midnight the guest was off by the leap second, > 0.9 s (saw $(kv max_after_ns "$s") ns)" \
		"$(kv max_after_ns "$s")" -gt 900000000
	value max_error_ns "$(kv max_after_ns "$s")"
	value error_over_1ms_for_ms "$(kv bad_ms "$s")"
	cat /var/log/chrony/chronyd.log
}
