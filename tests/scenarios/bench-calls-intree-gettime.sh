# make bench: hypercalls per reading, the intree-gettime boot (tests/guest/bench-calls.sh
# says what each of the three measures). Not part of make check's set.
TAGS="bench"

guest() {
	. /opt/ptpvmw/bench-calls.sh
	bench_calls bench-calls-intree-gettime
}
