# Proves writes are opt-in: loaded without parameters, the driver is
# read-only and never asks the host to change its clock. clock_settime,
# clock_adjtime (step, frequency 0) and phc_ctl set/adj/freq are refused in
# the driver with EOPNOTSUPP (a non-zero frequency by the PTP core, max_adj
# 0), nothing is counted as a write, the parameter is fixed at N and
# modinfo explains it. The device model would take writes
# (pclk-writable=on), yet no write call ever reached it and its clock is
# exactly the host's.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="quick"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-writable=on"

guest() {
	local dev out param=/sys/module/ptp_vmw/parameters/writable
	check_has "modinfo describes the parameter 'writable'" \
		"writable:Let root set, step and slew the clock" "$(modinfo -F parm "$MODULE")"
	mark_dmesg wdefault
	load_ours || { fail "module loads" "insmod failed"; return; }
	dev=$(ptp_vmw_dev)
	check_eq "the parameter reads N" N "$(cat "$param")"
	check_eq "the parameter is mode 444" 444 "$(stat -c %a "$param")"
	check_fails_with "root cannot turn writes on after load" \
		"Permission denied" sh -c "echo Y > $param"
	check_eq "max_adj is 0" 0 "$(kv max_adj "$(ptptest caps "$dev")")"
	check_has "the registration line says read-only" \
		"registered as ${dev#/dev/} (read-only)" "$(driver_log_since wdefault)"
	check_eq "no other driver log line" 1 \
		"$(driver_log_since wdefault | grep -c .)"

	check_eq "clock_settime fails with EOPNOTSUPP" EOPNOTSUPP \
		"$(kv err "$(ptptest settime "$dev")")"
	check_eq "clock_adjtime(ADJ_SETOFFSET +1 s) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjtime "$dev")")"
	check_eq "clock_adjtime(ADJ_FREQUENCY 0) fails with EOPNOTSUPP" \
		EOPNOTSUPP "$(kv err "$(ptptest adjfreq "$dev" 0)")"
	check_eq "clock_adjtime(ADJ_FREQUENCY 1000 ppb) fails with ERANGE" \
		ERANGE "$(kv err "$(ptptest adjfreq "$dev" 1000)")"
	check_has "phc_ctl set is refused" \
		"failed to set clock time: Operation not supported" "$(phc_ctl "$dev" set 2>&1)"
	check_has "phc_ctl adj 10 is refused" \
		"failed to step clock: Operation not supported" "$(phc_ctl "$dev" adj 10 2>&1)"
	check_has "phc_ctl freq 0 is refused" \
		"failed to adjust the clock: Operation not supported" "$(phc_ctl "$dev" freq 0 2>&1)"

	check_eq "successful_writes is 0" 0 "$(vmw_stat successful_writes)"
	check_eq "failed_writes is 0" 0 "$(vmw_stat failed_writes)"
	check_eq "last_error is 0x00000000" 0x00000000 "$(vmw_stat last_error)"
	out=$(ptptest get "$dev")
	check_cmp "afterwards the PHC reads the host's time (within 1 s)" \
		"$(abs $(($(kv host_ns "$(guestctl backdoor 1)") - $(kv ns "$out"))))" -lt 1000000000
}

host() {
	check_eq "model: no write reached it (settime/adjtime/adjfreq/refused)" \
		"0 0 0 0" "$(model_stat writes_settime) $(model_stat writes_adjtime) $(model_stat writes_adjfreq) $(model_stat writes_refused)"
	check_eq "model: its clock is unchanged (written offset 0, rate 0)" \
		"0 0" "$(model_stat offset_ns) $(model_stat rate_scaled_ppm)"
	check_eq "model: it refused nothing" "0 0" \
		"$(model_stat failed) $(model_stat failed_bad_subcommand)"
}
