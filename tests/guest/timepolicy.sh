# SPDX-License-Identifier: GPL-2.0-only
# In the guest, for the time-policy scenarios (leap-*, host-step-*): chronyd
# on the clock under the policy the package ships (or another the scenario
# picks with the package's own switch), and the guest's clock watched
# against the host's across the event. /opt/ptpvmw/timepolicy.sh.

# The leap second every scenario uses: the last one in right/UTC, at the end
# of 2016-12-31 (2017-01-01T00:00:00Z, 1483228800 s since the epoch).
# shellcheck disable=SC2034 # used by the scenarios that source this
LEAP_S=1483228800
NS=1000000000

# tp_start SETTINGS...: the package's files where the .deb puts them, its
# switch (/etc/default/ptp-vmware) holding SETTINGS ("KEY=VALUE" each, or
# nothing for the defaults), udev (which loads the driver and links
# /dev/ptp_vmware), and chronyd as the package's unit starts it. With
# TP_NO_LEAPSECTZ set, the time zone database's right/ zones are hidden
# first, as on a Debian 13 system without tzdata-legacy: then neither
# chrony.conf's leapsectz nor the package's can load, and chrony knows of
# no leap second. Fails the check and returns 1 when chronyd does not lock
# onto the clock within 40 s.
tp_start() {
	local lock kv
	install_dist
	mkdir -p /etc/default
	: >/etc/default/ptp-vmware
	for kv in "$@"; do
		echo "$kv" >>/etc/default/ptp-vmware
	done
	[ -z "${TP_NO_LEAPSECTZ:-}" ] || mv /usr/share/zoneinfo/right /usr/share/zoneinfo/right.hidden
	start_udev
	check_ok "udev loaded the driver and linked /dev/ptp_vmware" test -c /dev/ptp_vmware || return 1
	# chronyd's own log, and its measurements and its tracking, one line a
	# second, for the host to keep.
	printf 'log tracking refclocks\nlogbanner 0\n' >/etc/chrony/conf.d/zz-test-logging.conf
	start_chronyd -l /var/log/chrony/chronyd.log
	lock=$(chrony_wait_lock 40)
	check_ok "chronyd locks onto the clock (in ${lock:-more than 40} s)" test -n "$lock" || return 1
	value lock_s "$lock"
}

# tp_host_s: the host's time, whole seconds since the epoch.
tp_host_s() { echo $(($(kv host_ns "$(guestctl backdoor 1)") / NS)); }

# tp_watch_until HOST_S PERIOD_MS FILE: timewatch samples into FILE until
# the host's clock reads HOST_S (at most 200 s); fails if it never does.
tp_watch_until() {
	local now secs
	now=$(tp_host_s) || return 1
	secs=$(($1 - now))
	if [ "$secs" -le 0 ] || [ "$secs" -gt 200 ]; then
		echo "host clock at $now, event end at $1: not ahead by 1..200 s" >&2
		return 1
	fi
	timewatch "$secs" "$2" >"$3"
}

# tp_summary FILE EVENT_S FROM_MS: figures of a timewatch trace around an
# event at host time EVENT_S, as key=value: t_event_ms (the first sample
# whose host time reached the event, or went back: a stepping host repeats
# 23:59:59 and reaches midnight only a second after its leap),
# max_before_ns (|host - guest| over the 5 s before it), max_after_ns (from
# FROM_MS after it to the end), max_near_ns (from 5 s before it to the
# end), max_ns (the whole trace, from just after chronyd's lock), bad_ms
# (from the event to the last sample off by more than 1 ms), bad10_ms (the
# same for 10 ms), ins_before
# (samples in TIME_INS before it), oop (samples in TIME_OOP), samples.
tp_summary() {
	awk -v ev="$2" -v from="$3" '
	function abs(x) { return x < 0 ? -x : x }
	/^t_ms=/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["host_ns"] == "fail") next
		n++
		t[n] = f["t_ms"] + 0; d[n] = f["diff_ns"] + 0; st[n] = f["state"] + 0
		h = f["host_ns"] / 1e9
		if (te == "" && (h >= ev || (n > 1 && h < prev))) te = t[n]
		prev = h
	}
	END {
		if (te == "") { print "t_event_ms=none samples=" n; exit }
		for (i = 1; i <= n; i++) {
			a = abs(d[i])
			if (a > max) max = a
			if (t[i] < te && t[i] >= te - 5000 && a > mb) mb = a
			if (t[i] >= te + from && a > ma) ma = a
			if (t[i] >= te - 5000 && a > mn) mn = a
			if (t[i] >= te && a > 1000000) bad = t[i] - te
			if (t[i] >= te && a > 10000000) bad10 = t[i] - te
			if (t[i] < te && st[i] == 1) ins++
			if (st[i] == 3) oop++
		}
		# %.0f: busybox awk prints %d through a 32-bit int (an hour in ns
		# would read -2147483648).
		printf "t_event_ms=%.0f max_before_ns=%.0f max_after_ns=%.0f max_near_ns=%.0f max_ns=%.0f bad_ms=%.0f bad10_ms=%.0f ins_before=%d oop=%d samples=%d\n",
			te, mb, ma, mn, max, bad, bad10, ins, oop, n
	}' "$1"
}

# tp_leap_watch SECONDS FROM_MS: the guest watched against the host until
# SECONDS past the leap, summarised (tp_summary from FROM_MS after it) into
# TP_SUMMARY, printed and kept as the value leap_summary; checks that the
# host's clock reached the leap while the guest watched. Returns 1 if not.
tp_leap_watch() {
	TP_SUMMARY=
	if ! tp_watch_until $((LEAP_S + $1)) 100 /tmp/trace; then
		fail "the host's clock reaches midnight" "$(tail -n 2 /tmp/trace)"
		return 1
	fi
	TP_SUMMARY=$(tp_summary /tmp/trace "$LEAP_S" "$2")
	echo "$TP_SUMMARY"
	value leap_summary "$(echo "$TP_SUMMARY" | tr ' ' ',')"
	check_match "the host's clock reached midnight while the guest watched" \
		'^t_event_ms=[0-9]' "$TP_SUMMARY"
}

# tp_chrony_steps: how often chronyd stepped the clock (its log says
# "System clock wrong by ..." and then steps, or starts a slew for a
# smaller error).
tp_chrony_steps() { grep -c 'System clock was stepped' /var/log/chrony/chronyd.log; }

# tp_step_follow NAME SIZE_NS SECONDS BOUND_S: make GETTIME calls until the
# host's clock has stepped by about SIZE_NS (the model steps at a call
# number), then watch the guest for SECONDS: it must have followed the step
# (within 10 ms of the host, for good) within BOUND_S, and have settled
# (within 1 ms) by the end. Values NAME_follow_ms (how long it was more than
# 10 ms off), NAME_settle_ms (more than 1 ms) and NAME_chrony (stepped or
# slewed). The two differ by chrony's settling after it stepped or slewed:
# its frequency estimate starts again from the samples after the step.
tp_step_follow() {
	local name="$1" size="$2" secs="$3" bound="$4" before after jump k=0 steps s action
	before=$(host_minus_sys_ns)
	while [ $k -lt 400 ]; do
		guestctl backdoor 500 >/dev/null
		after=$(host_minus_sys_ns)
		jump=$((after - before))
		# Within half the step's size of it: that step, not drift.
		[ "$(abs $((jump - size)))" -lt "$(abs $((size / 2)))" ] && break
		k=$((k + 1))
	done
	check_cmp "$name: the host's clock stepped by about $size ns (saw $jump ns)" \
		"$(abs $((jump - size)))" -lt "$(abs $((size / 2)))" || return 1
	steps=$(tp_chrony_steps)
	timewatch "$secs" 100 >"/tmp/trace-$name"
	s=$(tp_summary "/tmp/trace-$name" 0 0)
	echo "$name: $s"
	action=slewed
	[ "$(tp_chrony_steps)" -gt "$steps" ] && action=stepped
	value "${name}_follow_ms" "$(kv bad10_ms "$s")"
	value "${name}_settle_ms" "$(kv bad_ms "$s")"
	value "${name}_chrony" "$action"
	check_cmp "$name: the guest follows the host within ${bound} s (more than 10 ms off for $(kv bad10_ms "$s") ms; chrony $action)" \
		"$(kv bad10_ms "$s")" -lt $((bound * 1000))
	check_cmp "$name: and is within 1 ms of it at the end of ${secs} s (settled after $(kv bad_ms "$s") ms)" \
		"$(tail -n 2 "/tmp/trace-$name" | head -n 1 | sed -n 's/.*diff_ns=-*\([0-9]*\).*/\1/p')" -lt 1000000
}
