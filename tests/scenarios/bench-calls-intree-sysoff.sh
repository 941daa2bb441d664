# make bench: hypercalls per reading, the intree-sysoff boot (tests/guest/bench-calls.sh
# says what each of the three measures). Not part of make check's set.
: # a command first: a directive before any applies to the whole file
# shellcheck disable=SC2034 # read by the host's runner (tests/host/boot.sh)
TAGS="bench"

guest() {
	# shellcheck disable=SC1091 # in the guest only: tests/guest/bench-calls.sh
	. /opt/ptpvmw/bench-calls.sh
	bench_calls bench-calls-intree-sysoff
}
