# SPDX-License-Identifier: GPL-2.0-only
# Independent guest boots side by side. Under TCG a guest keeps one host
# core busy while it computes and none while it sleeps (chrony's polls, a
# scenario's waits); make check boots CHECK_JOBS guests at a time (default
# 2, this project's two-core machine; 1 boots one after the other).
# Sourced after results.sh.
#
#   pool_begin NAME        a new pool (its files in $OUT/pool/NAME)
#   pool_run LABEL CMD...  CMD in the background once a slot is free; its
#                          results go to a file of its own. LABEL is
#                          "GROUP SCENARIO": where a failure of the job
#                          itself is filed
#   pool_after LABEL       (inside a job) wait for another job of the pool
#                          to end; a job waiting holds no slot, so the jobs
#                          may be queued in any order (the dependencies
#                          must not go round in a circle)
#   pool_end               wait for every job, then append their results to
#                          the run's in the order they were queued, so that
#                          results.ktap does not depend on which one finished
#                          first; a job that died (no end, or an exit
#                          status other than 0: a die on the way) is a
#                          failure of its own
#
# A job runs in a subshell: what it sets stays there. What jobs share (the
# image cache, a series' kernel) must be ready before pool_run.

POOL_WIDTH=${CHECK_JOBS:-2}
case $POOL_WIDTH in '' | *[!0-9]* | 0) die "CHECK_JOBS must be a number of guests, 1 or more (it is '$POOL_WIDTH')" ;; esac

pool_begin() {
	POOL_DIR=$OUT/pool/$1
	POOL_N=0
	rm -rf "$POOL_DIR"
	mkdir -p "$POOL_DIR"
}

# _pool_running: how many jobs of the current pool hold a slot: not ended,
# not waiting for another.
_pool_running() {
	local f n=0
	for f in "$POOL_DIR"/*.pid; do
		[ -e "$f" ] || continue
		[ -e "${f%.pid}.rc" ] || [ -e "${f%.pid}.waiting" ] && continue
		kill -0 "$(cat "$f")" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# _pool_ended JOB: the job (its files' stem) has ended.
_pool_ended() {
	[ -e "$1.rc" ] && return 0
	[ -s "$1.pid" ] || return 1 # (queued this instant: its pid comes next)
	! kill -0 "$(cat "$1.pid")" 2>/dev/null
}

pool_run() {
	local label=$1 job
	shift
	while [ "$(_pool_running)" -ge "$POOL_WIDTH" ]; do
		sleep 1
	done
	POOL_N=$((POOL_N + 1))
	job=$POOL_DIR/$(printf '%03d' "$POOL_N")
	printf '%s\n' "$label" >"$job.label"
	(
		: >"$job.tsv"
		trap 'echo $? >"$job.rc"' EXIT
		# The job's own name and results file, for the command's run.
		POOL_JOB=$job RESULTS=$job.tsv "$@"
	) &
	echo $! >"$job.pid"
}

# pool_after LABEL: return once the job of the current pool labelled LABEL
# has ended, or at once when the pool will have no such job. Meanwhile this
# job gives its slot up.
pool_after() {
	local f job=
	: >"$POOL_JOB.waiting"
	while [ -z "$job" ]; do
		for f in "$POOL_DIR"/*.label; do
			[ "$(cat "$f" 2>/dev/null)" = "$1" ] && job=${f%.label} && break
		done
		[ -z "$job" ] && [ -e "$POOL_DIR/all-queued" ] && break
		[ -z "$job" ] && sleep 1
	done
	while [ -n "$job" ] && ! _pool_ended "$job"; do
		sleep 1
	done
	rm -f "$POOL_JOB.waiting"
	return 0
}

pool_end() {
	local f job label rc
	: >"$POOL_DIR/all-queued"
	wait
	for f in "$POOL_DIR"/*.label; do
		[ -e "$f" ] || continue
		job=${f%.label}
		label=$(cat "$f")
		cat "$job.tsv" >>"$RESULTS" 2>/dev/null
		rc=$(cat "$job.rc" 2>/dev/null)
		[ "$rc" = 0 ] && continue
		result_context "${label%% *}" "${label#* }"
		fail "its boots ran to their end" "the job stopped ${rc:+with exit status $rc }before its end; see the progress lines above (ERROR, FAILED step)"
	done
	return 0
}
