# Proves unbind and unload are safe under load, on two vCPUs: 4 reader
# processes hammer the clock (clock_gettime and PTP_SYS_OFFSET_EXTENDED,
# reopening it whenever it vanishes) while the device is unbound and rebound
# 20 x SCALE times, then the module unloaded and reloaded 20 x SCALE times
# (200 and 200 in make stress). After every step /sys/class/ptp and /dev
# hold exactly what they should (one clock named ptp_vmw, or none); the
# readers only ever see success, ENODEV or EIO; once they stop, a last
# unbind/bind gets ptp0 back (nothing leaked); the kernel says nothing.
#
# A reader reopens the clock once the driver has finished registering it
# (its statistics directory, added after probe returns, is there), as a
# client woken by udev's "bind" event would. LIFECYCLE_EAGER=1 makes the
# readers open the /dev node the moment it appears instead: that reproduces
# a bug of Linux 6.1 and 6.12 themselves (posix_clock_register() publishes
# the node before it sets the clock's device, so an open in that window
# takes no reference that its close then drops: refcount underflow,
# use-after-free, Oops), which the distribution's own ptp_vmw hits the same
# way.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="stress"

# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_SMP=2
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
[ -n "${LIFECYCLE_EAGER:-}" ] && BOOT_KARGS="ptpvmw.eager=1"
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
BOOT_TIMEOUT=$((180 + 150 * ${STRESS_SCALE:-1}))

# lul_state: "N M" = clocks in /sys/class/ptp, /dev/ptp[0-9]* nodes; and the
# clock's name must be ptp_vmw when there is one.
lul_state() {
	local c=0 d=0 f
	for f in /sys/class/ptp/ptp*; do
		[ -e "$f" ] || continue
		c=$((c + 1))
		[ "$(cat "$f/clock_name" 2>/dev/null)" = ptp_vmw ] || c=$((c + 100))
	done
	for f in /dev/ptp[0-9]*; do
		[ -e "$f" ] && d=$((d + 1))
	done
	echo "$c $d"
}

guest() {
	local n i bad=0 badinfo='' drv=/sys/bus/platform/drivers/ptp_vmw stop=/tmp/readers.stop
	local out rpid t0 s dev eager=
	n=$((20 * SCALE))
	grep -q 'ptpvmw\.eager=1' /proc/cmdline && eager=eager
	[ -n "$eager" ] && note "eager readers (LIFECYCLE_EAGER): expect the kernel's posix-clock refcount bug"

	load_ours || { fail "module loads" "insmod failed"; return; }
	check_eq "baseline: one clock, one node" "1 1" "$(lul_state)"

	rm -f "$stop"
	hammer readers 4 $((60 + 120 * SCALE)) "$stop" 0 $eager >/tmp/readers.out &
	rpid=$!
	sleep 1
	t0=$(date +%s)

	for i in $(seq 1 "$n"); do
		echo VMW0005:00 >"$drv/unbind" || { bad=$((bad + 1)); badinfo="$badinfo unbind#$i"; }
		s=$(lul_state)
		[ "$s" = "0 0" ] || { bad=$((bad + 1)); badinfo="$badinfo unbound#$i:$s"; }
		echo VMW0005:00 >"$drv/bind" || { bad=$((bad + 1)); badinfo="$badinfo bind#$i"; }
		s=$(lul_state)
		[ "$s" = "1 1" ] || { bad=$((bad + 1)); badinfo="$badinfo bound#$i:$s"; }
		usleep 20000
	done
	value unbind_seconds $(($(date +%s) - t0))
	t0=$(date +%s)
	for i in $(seq 1 "$n"); do
		timeout 30 rmmod ptp_vmw || { bad=$((bad + 1)); badinfo="$badinfo rmmod#$i"; }
		s=$(lul_state)
		# shellcheck disable=SC2015 # either test failing is the fault
		[ "$s" = "0 0" ] && [ ! -d /sys/module/ptp_vmw ] ||
			{ bad=$((bad + 1)); badinfo="$badinfo unloaded#$i:$s"; }
		timeout 30 insmod "$MODULE" || { bad=$((bad + 1)); badinfo="$badinfo insmod#$i"; }
		s=$(lul_state)
		[ "$s" = "1 1" ] || { bad=$((bad + 1)); badinfo="$badinfo loaded#$i:$s"; }
		usleep 20000
	done
	value unload_seconds $(($(date +%s) - t0))
	touch "$stop"
	wait "$rpid"
	out=$(cat /tmp/readers.out)
	echo "$out"

	check_eq "$n unbind/bind and $n rmmod/insmod cycles, each back to baseline" \
		"0" "$bad${badinfo:+ (}$badinfo${badinfo:+ )}"
	value cycles $((2 * n))
	check_eq "the 4 readers ran to the end (none crashed)" "4 0" \
		"$(kv procs "$out") $(kv crashed "$out")"
	check_eq "readers saw only success, ENODEV or EIO" 0 "$(kv other "$out")"
	check_cmp "readers read the clock ($(kv success "$out") successes)" \
		"$(kv success "$out")" -gt 0
	check_cmp "readers were caught by removals ($(kv enodev "$out") ENODEV)" \
		"$(kv enodev "$out")" -gt 0
	check_eq "opening the clock only ever failed because it was gone" 0 \
		"$(kv open_other "$out")"
	value reads_ok "$(kv success "$out")"
	value reads_enodev "$(kv enodev "$out")"
	value reads_eio "$(kv eio "$out")"
	value reads_other "$(kv other "$out")"

	# With no reader left holding an old clock, its number is free again.
	echo VMW0005:00 >"$drv/unbind"
	echo VMW0005:00 >"$drv/bind"
	dev=$(ptp_vmw_dev)
	check_eq "afterwards the clock is ptp0 again (no clock leaked)" /dev/ptp0 "$dev"
	check_eq "afterwards it reads" 1 "$(kv ok "$(ptptest get "$dev")")"
	# shellcheck disable=SC2012 # ACPI device names (VMW0005:NN) are plain
	check_eq "the platform driver's device count is back to one" 1 \
		"$(ls -d "$drv"/VMW0005:* 2>/dev/null | wc -l)"
}
