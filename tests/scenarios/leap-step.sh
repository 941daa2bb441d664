# The host's clock inserts the leap second at the end of 2016-12-31 the way a
# Linux or NTP host shows it (23:59:59 repeats) and the guest runs the
# policy the package ships: chrony learns of the leap from right/UTC and
# announces it before midnight, the guest's kernel inserts 23:59:60 itself,
# and from 2 s after the leap on the guest is within 1 ms of the host with
# no step by chrony and no sample of chrony's 1 ms or more off. The guest's
# clock starts 32 s before the leap.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-start-utc=2016-12-31T23:59:28Z
	-global vmport.pclk-leap-at=2017-01-01T00:00:00Z -rtc base=2016-12-31T23:59:28"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=240

guest() {
	local s steps out
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	check_has "chronyc tracking announces the leap before midnight" \
		"Insert second" "$(chronyc -n tracking | grep '^Leap status')"
	steps=$(tp_chrony_steps)
	tp_leap_watch 12 2000 || return
	s=$TP_SUMMARY
	check_cmp "before midnight the guest's kernel was told to insert (TIME_INS samples)" \
		"$(kv ins_before "$s")" -gt 0
	check_cmp "the guest's kernel inserted 23:59:60 (TIME_OOP samples)" "$(kv oop "$s")" -gt 0
	check_has "the guest's kernel logged the leap second" "inserting leap second 23:59:60 UTC" \
		"$(dmesg | grep -i 'leap second')"
	check_cmp "from 2 s after the leap, |guest - host| < 1 ms (max $(kv max_after_ns "$s") ns)" \
		"$(kv max_after_ns "$s")" -lt 1000000
	value max_error_after_ns "$(kv max_after_ns "$s")"
	check_eq "chrony did not step the clock at the leap" "$steps" "$(tp_chrony_steps)"
	# chrony's own record of its samples (refclocks.log: date, time, refid,
	# sample, leap, pulse, raw offset, cooked offset, dispersion).
	out=$(awk '$1 == "2017-01-01" && $2 >= "00:00:02" {
		n++; o = $8 < 0 ? -$8 : $8; if (o >= 0.001) bad++ }
		END { print bad + 0, n + 0 }' /var/log/chrony/refclocks.log)
	check_cmp "chrony took samples of the clock from 2 s after the leap on (${out#* })" "${out#* }" -gt 0
	check_eq "... none of them 1 ms or more off the system clock (no outlier)" 0 "${out% *}"
	cat /var/log/chrony/chronyd.log
}
