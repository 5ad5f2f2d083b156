# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# needs: kmod
# The CI verdict, both ways, as README's "Check a kernel in your CI" runs it: a clean trafgen
# run with thresholds it meets exits 0 (verdict: PASS); the same run with a latency bound no
# real event meets exits 7 with that one FAIL line; a run with 2 allocations failed by the
# fault module exits 7 with the --fail-on-loss line counting exactly 2.
KO=/opt/evlat/kmod/evlat_fault.ko
P=/sys/module/evlat_fault/parameters
FAULTS=2
CLEAN="--fail-on-loss --expect-events created=1 --expect-events 7+ --max-latency all:max=2s"

# verdict_run TAG FLAGS...: mptcp-evlat -N evc with FLAGS beside the others, until settled
verdict_start() {
	_tag=$1
	shift
	"$BIN/mptcp-evlat" -N evc --json "$@" >"$W/$_tag.json" 2>"$W/$_tag.err" &
	echo $! >"$W/$_tag.pid"
	tracer_up "$W/$_tag.err" "$(cat "$W/$_tag.pid")"
	check_rc "verdict_${_tag}_tracer_up" $?
}

verdict_stop() { # TAG: its exit status in RC, its verdict lines shown
	stop "$(cat "$W/$1.pid")"
	RC=$?
	grep 'verdict:' "$W/$1.err"
	report "verdict_$1_exit" $RC
}

# one_fail TAG PATTERN: exit 7, one FAIL line matching PATTERN, the JSON verdict failed
one_fail() {
	[ "$RC" -eq 7 ] && [ "$(grep -c 'verdict: FAIL -' "$W/$1.err")" -eq 1 ] &&
		grep -q "verdict: FAIL $2" "$W/$1.err" &&
		$JQ -se '.[-1].verdict.pass == false' "$W/$1.json" >/dev/null
}

phase_run() {
	# shellcheck disable=SC2086 # the flags are words
	verdict_start clean $CLEAN
	verdict_start strict --max-latency all:max=1us
	trafgen "$W/verdict.expect" "$W/verdict.trafgen.log"
	check_rc verdict_trafgen $?
	settle
	verdict_stop clean
	[ "$RC" -eq 0 ] && grep -q 'verdict: PASS, 4 checks' "$W/clean.err" &&
		! grep -q 'FAIL' "$W/clean.err" &&
		$JQ -se '.[-1].verdict.pass and (.[-1].verdict.checks | length == 4)' \
			"$W/clean.json" >/dev/null
	check_rc verdict_clean_run_exits_0 $?
	verdict_stop strict
	one_fail strict '--max-latency=all:max=1us: all events: max latency [0-9.]* us, bound 1.0 us'
	check_rc verdict_strict_latency_exits_7 $?

	if [ -n "${EVLAT_KMOD_SKIP:-}" ] || [ ! -f $KO ]; then
		skip verdict_forced_loss "no evlat_fault.ko for this kernel: ${EVLAT_KMOD_SKIP:-}"
		return
	fi
	insmod $KO netns_ino="$(stat -L -c %i "$NS_C")"
	check_rc verdict_kmod_loaded $?
	# shellcheck disable=SC2086
	verdict_start loss $CLEAN
	echo $FAULTS >$P/fail_count
	trafgen "$W/loss.expect" "$W/loss.trafgen.log"
	check_rc verdict_loss_trafgen $?
	settle
	verdict_stop loss
	report verdict_kmod_failed "$(cat $P/failed)"
	echo 0 >$P/fail_count
	rmmod evlat_fault
	one_fail loss "--fail-on-loss: all events: $FAULTS lost"
	check_rc verdict_forced_loss_exits_7 $?
}
