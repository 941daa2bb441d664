# Proves the driver reports exactly what the host says when the host's clock
# steps (as after a migration to a host whose clock differs): with chronyd
# locked and a reader running, the device model steps its answer by +1 h,
# later by -1 h. Thousands of triples (backdoor, driver, backdoor) show every
# driver reading lies between the host's answers around it: no filtering, no
# smoothing, no hidden state. The reader sees only successes and chronyd
# keeps running. What chronyd does under the package's time policy (it
# steps whenever it is more than 1 s off: docs/time-policy.md; chrony.conf's
# own makestep line is recorded too) is recorded as chrony_* values, not
# judged: host-step-hour judges that. In make stress it is given up to 10
# minutes to select the clock again.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

STEP1_AT=300000
STEP2_AT=600000
HOUR_NS=3600000000000
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_QEMU="-global vmport.pclk-step-at=$STEP1_AT -global vmport.pclk-step-ns=$HOUR_NS
	-global vmport.pclk-step2-at=$STEP2_AT -global vmport.pclk-step2-ns=-$HOUR_NS"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((240 + 90 * ${STRESS_SCALE:-1}))

# Every GETTIME call counts towards the model's step points: the driver's
# (its counters) and the direct backdoor calls this scenario makes (counted
# here in HTS_DIRECT).
HTS_DIRECT=0
hts_model_calls() { echo $(($(driver_calls) + HTS_DIRECT)); }

# hts_cross AT DEV: drive the model's call count just past AT with verifying
# triples (2 backdoor calls and 1 driver call each); the summed counts go to
# /tmp/hts.out as one key=value line.
hts_cross() {
	local at="$1" dev="$2" out need n tot=0 cons=0 strad=0 incons=0 failed=0 k=0 last=
	while [ $k -lt 200 ]; do
		need=$((at + 100 - $(hts_model_calls)))
		[ "$need" -le 0 ] && break
		n=$((need / 3 + 1))
		[ $n -gt 20000 ] && n=20000
		out=$(hammer steps "$dev" "$n")
		HTS_DIRECT=$((HTS_DIRECT + 2 * $(kv triples "$out")))
		tot=$((tot + $(kv triples "$out")))
		cons=$((cons + $(kv consistent "$out")))
		strad=$((strad + $(kv straddled "$out")))
		incons=$((incons + $(kv inconsistent "$out")))
		failed=$((failed + $(kv failed "$out")))
		last=$(kv phc_minus_sys_ns "$out")
		k=$((k + 1))
	done
	echo "triples=$tot consistent=$cons straddled=$strad inconsistent=$incons failed=$failed phc_minus_sys_ns=$last" >/tmp/hts.out
}

# hts_host_minus_sys: host_minus_sys_ns, counted (one backdoor call).
hts_host_minus_sys() {
	HTS_DIRECT=$((HTS_DIRECT + 1))
	host_minus_sys_ns >/tmp/hts.off
}

# hts_watch SECONDS TAG: what chronyd makes of it, every second.
hts_watch() {
	local i sys
	for i in $(seq 1 "$1"); do
		sleep 1
		hts_host_minus_sys
		sys=$(chronyc -n tracking | sed -n 's/^System time *: //p')
		echo "$2 t=$i host_minus_sys_ns=$(cat /tmp/hts.off) chrony_system_time='$sys'"
	done
}

guest() {
	local dev out lock t stop=/tmp/readers.stop off1 off2 watch makestep
	watch=$((4 * SCALE))
	install_dist
	start_udev
	dev=$(ptp_vmw_dev) || { fail "udev loads the module" "no clock"; return; }
	makestep=$(grep -h '^makestep' /etc/chrony/chrony.conf /etc/chrony/conf.d/*.conf 2>/dev/null | tail -n 1)
	value chrony_makestep "$(echo "${makestep:-none}" | tr ' ' '_')"
	start_chronyd -l /var/log/chrony/chronyd.log
	lock=$(chrony_wait_lock 60)
	check_ok "chronyd locks before the steps (${lock:-no lock in 60} s)" test -n "$lock"
	# Past chrony's first updates, where makestep would still step.
	sleep 4

	rm -f "$stop"
	hammer readers 1 $((120 + 60 * SCALE)) "$stop" 1000 >/tmp/readers.out &

	# +1 h.
	check_cmp "the +1 h step is still ahead when chronyd has locked" \
		"$(hts_model_calls)" -lt "$STEP1_AT"
	hts_cross "$STEP1_AT" "$dev"
	out=$(cat /tmp/hts.out)
	echo "step +1h: $out"
	check_eq "+1 h: every driver reading lies between the host's answers around it" \
		"0 0" "$(kv inconsistent "$out") $(kv failed "$out")"
	check_cmp "+1 h: at most one triple straddles the step" "$(kv straddled "$out")" -le 1
	value phc_minus_sys_after_plus_1h_ns "$(kv phc_minus_sys_ns "$out")"
	value triples_step1 "$(kv triples "$out")"
	hts_watch "$watch" "after+1h"
	check_ok "chronyd still running after the +1 h step" pidof chronyd
	hts_host_minus_sys
	off1=$(cat /tmp/hts.off)
	value host_minus_sys_after_plus_1h_ns "$off1"
	# The system clock stepped to the host, slewed towards it, or held.
	if [ "$(abs "$off1")" -lt 2000000000 ]; then
		value chrony_after_plus_1h "stepped_the_system_clock"
	elif [ $((HOUR_NS - off1)) -gt 100000000 ]; then
		value chrony_after_plus_1h "slewing_$(((HOUR_NS - off1) / 1000000))ms_in_${watch}s"
	else
		value chrony_after_plus_1h "held_the_system_clock"
	fi
	value chrony_selected_after_plus_1h "$(chronyc -n sources | awk '$2 == "VMW" { print $1 }')"

	# -1 h: back where the host started.
	check_cmp "the -1 h step is still ahead" "$(hts_model_calls)" -lt "$STEP2_AT"
	hts_cross "$STEP2_AT" "$dev"
	out=$(cat /tmp/hts.out)
	echo "step -1h: $out"
	value phc_minus_sys_after_minus_1h_ns "$(kv phc_minus_sys_ns "$out")"
	check_eq "-1 h: every driver reading lies between the host's answers around it" \
		"0 0" "$(kv inconsistent "$out") $(kv failed "$out")"
	check_cmp "-1 h: at most one triple straddles the step" "$(kv straddled "$out")" -le 1
	value triples_step2 "$(kv triples "$out")"
	hts_watch "$watch" "after-1h"
	check_ok "chronyd still running after the -1 h step" pidof chronyd
	hts_host_minus_sys
	value host_minus_sys_after_minus_1h_ns "$(cat /tmp/hts.off)"

	touch "$stop"
	wait
	out=$(cat /tmp/readers.out)
	echo "$out"
	check_eq "the reader saw only successes through both steps" "0 0 0" \
		"$(kv eio "$out") $(kv enodev "$out") $(kv other "$out")"
	value reads_ok "$(kv success "$out")"
	value reads_eio "$(kv eio "$out")"
	value reads_enodev "$(kv enodev "$out")"
	value reads_other "$(kv other "$out")"

	# How long chrony distrusts the clock once the host is back.
	t=0
	if [ "$SCALE" -gt 1 ]; then
		t=$(chrony_wait_lock 600) || t="none_within_600"
	elif chrony_locked; then
		t=0
	else
		t="not_yet_(make_stress_waits)"
	fi
	chronyc -n tracking
	chronyc -n sources
	grep -v 'starting\|Running with\|failed leap second' /var/log/chrony/chronyd.log
	check_ok "chronyd still running at the end" pidof chronyd
	value chrony_relock_seconds_after_host_back "$t"
	value chrony_steps "$(grep -c 'System clock was stepped' /var/log/chrony/chronyd.log)"
	value chrony_log "$(grep -v 'starting\|Running with\|failed leap second' /var/log/chrony/chronyd.log | cut -c22- | tr ' ' '_' | tr '\n' '|')"
	hts_host_minus_sys
	off2=$(cat /tmp/hts.off)
	value host_minus_sys_at_end_ns "$off2"
	check_eq "no read failed" 0 "$(vmw_stat failed_reads)"
	stop_chronyd
}

host() {
	check_eq "the device model refused nothing" 0 "$(model_stat failed)"
	check_cmp "the device model got past both steps" "$(model_stat gettime)" -ge "$STEP2_AT"
}
