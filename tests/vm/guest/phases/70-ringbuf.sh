# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Ring-buffer overflow: a 4 KiB ring (-r 4) and the tracer stopped while trafgen makes 10
# connections (stress, common.sh): every event whose hook record was dropped arrives
# unmatched, per event type; the rest correlate.
phase_run() {
	stress ringbuf "-r 4" 10
	d=$(sum delivered "$W/ringbuf.json") r=$(sum lost_ringbuf "$W/ringbuf.json")
	u=$(sum unmatched "$W/ringbuf.json")
	report ringbuf_delivered "$d"
	report ringbuf_lost "$r"
	report ringbuf_unmatched "$u"
	[ "$r" -gt 0 ] && [ "$r" -eq "$u" ] && [ $((d + u)) -eq "$SENT" ]
	check_rc ringbuf_exact $?
	$JQ -se '.[] | select(.type=="summary") | .events | to_entries |
		all(.value.lost_ringbuf == .value.unmatched)' "$W/ringbuf.json" >/dev/null
	check_rc ringbuf_exact_per_type $?
}
