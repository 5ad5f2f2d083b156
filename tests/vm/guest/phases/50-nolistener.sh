# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# -A while listening in evc only: evs's events are sent where nobody of ours listens (the
# kernel's listener check is global across namespaces): no_listener, never a loss; evc's are
# delivered.
phase_run() {
	"$BIN/mptcp-evlat" -N evc -A --json >"$W/nl.json" 2>"$W/nl.err" &
	tr=$!
	tracer_up "$W/nl.err" $tr
	check_rc nolistener_tracer_up $?
	trafgen "$W/nl.expect" "$W/nl.trafgen.log"
	check_rc nolistener_trafgen $?
	settle
	stop $tr
	check_rc nolistener_tracer_exit $?
	s_ino=$(stat -L -c %i "$NS_S") c_ino=$(stat -L -c %i "$NS_C")
	want_s=$(grep -c "netns=$s_ino " "$W/nl.expect")
	want_c=$(grep -c "netns=$c_ino " "$W/nl.expect")
	got_s=$($JQ -s "[.[] | select(.type==\"event\" and .netns==$s_ino and
		.status==\"no_listener\")] | length" "$W/nl.json")
	got_c=$($JQ -s "[.[] | select(.type==\"event\" and .netns==$c_ino and
		.status==\"delivered\")] | length" "$W/nl.json")
	# a hook run the kernel skipped (doc/kernel-notes.md, "Probe misses"; PREEMPT_RT and sid's
	# PREEMPT_LAZY kernels) leaves its event uncounted: allowed only as often as it was counted
	m=$(probe_misses all "$W/nl.json")
	report nolistener_evs "$got_s/$want_s"
	report nolistener_evc_delivered "$got_c/$want_c"
	report nolistener_probe_misses "${m:-?}"
	[ "$got_s" -le "$want_s" ] && [ "$got_c" -le "$want_c" ] &&
		[ $((want_s - got_s + want_c - got_c)) -le "${m:-0}" ] && [ "$want_s" -gt 0 ]
	rc=$?
	[ $rc -eq 0 ] || $JQ -c 'select(.type=="event") | {event, netns, token, status},
		select(.type=="summary") | {probes: (.probes | map_values(.misses)), ringbuf_drops}' \
		"$W/nl.json"
	check_rc nolistener_exact $rc
	$JQ -se '[.[] | select(.type=="event") | .status] |
		all(. == "delivered" or . == "no_listener" or . == "close_without_event")' \
		"$W/nl.json" >/dev/null
	check_rc nolistener_no_loss $?
}
