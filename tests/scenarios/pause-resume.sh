# A vMotion-like stun: with the package as shipped (chrony on the
# precision clock), the host stops the guest's vCPUs and clocks for 1 s
# (QMP stop, then cont, BOOT_QMP) after chrony locked. On resume the guest
# is about 1 s behind, and it is back within 1 ms of the host within
# PAUSE_BOUND_S of the resume (measured: 9.6 and 9.4 s in two runs under
# TCG on a loaded 2-core machine: chrony stepped by about 1.04 s,
# overshooting by 32 to 38 ms, and slewed that away; the bound is 2.6 times
# that). The offset is timewatch's: bracketed reads of the host's clock,
# not chrony's estimate. make bench's comparison with NTP (bench-sync)
# measures 0.1, 1 and 5 s pauses for each configuration.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="time-policy"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QMP=yes
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=150
PAUSE_BOUND_S=25

# pause_summary FILE: from timewatch's samples, the first one after the
# resume (the guest more than 0.5 s behind) and the last more than 1 ms
# off after it, as key=value: behind_ms, back_ms (host time from the
# resume to the first sample from which the guest stays within 1 ms;
# "none" if it never does), stepped (1 if the offset changed by more than
# 200 ms/s between two samples: chrony slews at most 83.3 ms/s).
pause_summary() {
	awk '
	function abs(x) { return x < 0 ? -x : x }
	/^t_ms=/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["host_ns"] == "fail") next
		h = f["host_ns"] / 1e6; d = f["diff_ns"] / 1e6
		if (r == "" && d > 500) { r = h; behind = d }
		if (r != "") {
			if (abs(d) >= 1) back = ""
			else if (back == "") back = h - r
			if (ph != "" && h > ph && abs(d - pd) > 0.2 * (h - ph) && abs(d - pd) > 10) step = 1
		}
		ph = h; pd = d
	}
	END {
		if (r == "") { print "behind_ms=none"; exit }
		printf "behind_ms=%.1f back_ms=%s stepped=%d\n", behind, back == "" ? "none" : sprintf("%.0f", back), step
	}' "$1"
}

guest() {
	local s back
	# shellcheck source=/dev/null # in the guest only
	. /opt/ptpvmw/timepolicy.sh
	tp_start || return
	timewatch 30 50 >/tmp/trace &
	sleep 3
	vm_pause 1000
	wait
	s=$(pause_summary /tmp/trace)
	echo "pause: $s"
	value pause_summary "$(echo "$s" | tr ' ' ',')"
	check_cmp "the guest's clock stood still while paused (behind $(kv behind_ms "$s") ms on resume)" \
		"$(kv behind_ms "$s" | cut -d. -f1)" -ge 900 || return
	back=$(kv back_ms "$s")
	check_cmp "back within 1 ms of the host within $PAUSE_BOUND_S s of the resume (in ${back} ms, chrony $(
		[ "$(kv stepped "$s")" = 1 ] && echo stepped || echo slewed))" "${back#none}" -lt $((PAUSE_BOUND_S * 1000))
	cat /var/log/chrony/chronyd.log
}

host() {
	check_match "the host stopped the guest once, for at least 1 s (pauses.log)" \
		'^pause ms=1000 .* frozen_ns=[0-9]{10,}$' "$(cat "$RUN_DIR/pauses.log" 2>/dev/null)"
}
