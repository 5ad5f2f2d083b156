# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# needs: kmod
# Forced GFP_ATOMIC failures (tests/kmod/evlat_fault.ko, built for this kernel by the host):
# the module fails exactly FAULTS atomic allocations of event messages in evc; mptcp-evlat
# must report exactly FAULTS lost_alloc_atomic, of the same event types, and FAULTS fewer
# delivered than the events trafgen caused there. Where the host cannot build the module for
# this kernel on purpose (EVLAT_KMOD_SKIP, the reason), the phase is one skip.
KO=/opt/evlat/kmod/evlat_fault.ko
P=/sys/module/evlat_fault/parameters
FAULTS=2

phase_run() {
	if [ -n "${EVLAT_KMOD_SKIP:-}" ]; then
		skip fault_kmod_present "$EVLAT_KMOD_SKIP"
		return
	fi
	if [ ! -f $KO ]; then
		echo "no evlat_fault.ko for this kernel (see build/kmod/*.log)"
		report kmod unavailable
		check_rc fault_kmod_present 1
		return
	fi
	c_ino=$(stat -L -c %i "$NS_C")
	insmod $KO netns_ino="$c_ino"
	check_rc fault_kmod_loaded $?
	"$BIN/mptcp-evlat" -N evc --json >"$W/fault.json" 2>"$W/fault.err" &
	tr=$!
	tracer_up "$W/fault.err" $tr
	check_rc fault_tracer_up $?
	echo $FAULTS >$P/fail_count
	trafgen "$W/fault.expect" "$W/fault.trafgen.log"
	check_rc fault_trafgen $?
	settle
	stop $tr
	check_rc fault_tracer_exit $?
	by_event=$(cat $P/failed_by_event) failed=$(cat $P/failed)
	echo 0 >$P/fail_count
	rmmod evlat_fault
	report fault_kmod_failed "$failed"
	report fault_kmod_by_event "$(echo "$by_event" | tr ' ' ',')"
	lost=$(sum lost_alloc_atomic "$W/fault.json") deliv=$(sum delivered "$W/fault.json")
	want=$(grep -c "netns=$c_ino " "$W/fault.expect")
	report fault_lost_alloc_atomic "$lost"
	report fault_delivered "$deliv/$want"
	[ "$failed" -eq $FAULTS ] && [ "$lost" -eq $FAULTS ] && [ "$deliv" -eq $((want - FAULTS)) ]
	check_rc fault_exact $?
	# the same event types as the module failed: "created=1 established=1"
	got=$($JQ -r '[.[] | select(.type=="summary") | .events | to_entries[] |
		select(.value.lost_alloc_atomic > 0) | "\(.key)=\(.value.lost_alloc_atomic)"] |
		sort | join(" ")' -s "$W/fault.json")
	want_types=$(echo "$by_event" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ' |
		sed 's/ $//')
	report fault_lost_types "$(echo "$got" | tr ' ' ',')"
	[ "$got" = "$want_types" ]
	check_rc fault_event_types $?
	$JQ -se '[.[] | select(.type=="event" and (.status | startswith("lost_")))] |
		all(.status == "lost_alloc_atomic" and (.gfp | test("^0x")))' "$W/fault.json" \
		>/dev/null
	check_rc fault_no_other_loss $?
}
