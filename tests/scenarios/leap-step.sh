# The host's clock inserts the leap second at the end of 2016-12-31 the way a
# Linux or NTP host shows it (23:59:59 repeats) and the guest runs the
# policy the package ships: chrony learns of the leap from right/UTC and
# announces it before midnight, the guest's kernel inserts 23:59:60 itself,
# and from 2 s after the leap on the guest is within 1 ms of the host with
# no step by chrony. The guest's clock starts 32 s before the leap.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-start-utc=2016-12-31T23:59:28Z
	-global vmport.pclk-leap-at=2017-01-01T00:00:00Z -rtc base=2016-12-31T23:59:28"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	local s steps
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	check_has "chronyc tracking announces the leap before midnight" \
		"Insert second" "$(chronyc -n tracking | grep '^Leap status')"
	steps=$(tp_chrony_steps)
	tp_watch_until $((LEAP_S + 12)) 100 /tmp/trace ||
		{ fail "the host's clock reaches the leap second" "$(tail -n 2 /tmp/trace)"; return; }
	s=$(tp_summary /tmp/trace "$LEAP_S" 2000)
	echo "$s"
	value leap_summary "$(echo "$s" | tr ' ' ',')"
	check_match "the host's clock reached the leap while the guest watched" '^t_event_ms=[0-9]' "$s"
	check_cmp "before midnight the guest's kernel was told to insert (TIME_INS samples)" \
		"$(kv ins_before "$s")" -gt 0
	check_cmp "the guest's kernel inserted 23:59:60 (TIME_OOP samples)" "$(kv oop "$s")" -gt 0
	check_has "the guest's kernel logged the leap second" "inserting leap second 23:59:60 UTC" \
		"$(dmesg | grep -i 'leap second')"
	check_cmp "from 2 s after the leap, |guest - host| < 1 ms (max $(kv max_after_ns "$s") ns)" \
		"$(kv max_after_ns "$s")" -lt 1000000
	value max_error_after_ns "$(kv max_after_ns "$s")"
	check_eq "chrony did not step the clock at the leap" "$steps" "$(tp_chrony_steps)"
	cat /var/log/chrony/chronyd.log
}
