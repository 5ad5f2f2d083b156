# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
#
# What the failure-mode phases (phases/9N-fail_*.sh) share, sourced by them: one trafgen
# --scenario with `mptcp-evlat -N NS --json` and `ip mptcp monitor` in both namespaces, then,
# per namespace, exact agreement:
#   - the monitor printed exactly the (event, token) pairs trafgen listed (the kernel did what
#     trafgen observed), and mptcp-evlat's `delivered` lines are the same pairs: every event the
#     monitor saw was delivered, none twice;
#   - no other status but close_without_event (a subflow closed once its connection had left
#     ESTABLISHED, or whose SUB_CLOSED was already sent; the second needs that delivered
#     SUB_CLOSED): no lost_*, not_delivered, unmatched, evicted or duplicate;
#   - no `differs` field: the kernel record and the message agree on every identifying field;
#   - every SUB_CLOSED the monitor printed is a delivered line with the same token, sport,
#     dport, error, reset_reason and reset_flags;
#   - the summary: no ring-buffer drop, no overrun.
#
#   fail_scenario SCENARIO TAG     run it; checks are named TAG_...
# Reports TAG_NS_events (the event types and counts) and TAG_NS_sub_closed (each SUB_CLOSED's
# ports and failure attributes) for the README's figures.

SS=/usr/bin/ss
export SS

# _fail_pairs_expect EXPECT INO: "event token" of that namespace
_fail_pairs_expect() {
	awk -v ino="$2" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print $3, $4 }' "$1" | sort
}

# _fail_closed_mon MON: "token sport dport error reset_reason reset_flags" per SF_CLOSED
_fail_closed_mon() {
	awk 'function hex(s,  n, i) {
		n = 0
		for (i = 3; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return n
	}
	/^\[ *SF_CLOSED\]/ {
		t = "-"; sp = "-"; dp = "-"; e = "-"; rr = "-"; rf = "-"
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "token") t = sprintf("0x%8s", kv[2])
			else if (kv[1] == "sport") sp = kv[2]
			else if (kv[1] == "dport") dp = kv[2]
			else if (kv[1] == "error") e = kv[2]
			else if (kv[1] == "reset_reason") rr = kv[2]
			else if (kv[1] == "reset_flags") rf = hex(kv[2])
		}
		gsub(/ /, "0", t)
		print t, sp, dp, e, rr, rf
	}' "$1" | sort
}

_fail_closed_json() {
	$JQ -r 'select(.type=="event" and .event=="sub_closed" and .status=="delivered") |
		[.token, .sport, .dport, .error, .reset_reason, .reset_flags] |
		map(if . == null then "-" else tostring end) | join(" ")' "$1" | sort
}

# _fail_same NAME A B: a check that two files are equal; the difference shown when not
_fail_same() {
	cmp -s "$2" "$3"
	_rc=$?
	[ $_rc -eq 0 ] || { echo "$1: $2 vs $3:"; diff "$2" "$3"; }
	check_rc "$1" $_rc
}

# _fail_ns TAG NS: the checks of one namespace
_fail_ns() {
	_t=$1 _ns=$2 _json=$W/$1.$2.json
	_ino=$(stat -L -c %i "$(evlat_netns_path "$_ns")")
	$JQ -e . "$_json" >/dev/null
	check_rc "${_t}_${_ns}_json_valid" $?
	_fail_pairs_expect "$W/$_t.expect" "$_ino" >"$W/$_t.$_ns.want"
	awk -f "$LIB/monitor_pairs.awk" "$W/$_t.$_ns.mon" | sort >"$W/$_t.$_ns.mon.pairs"
	_fail_same "${_t}_${_ns}_monitor_equals_trafgen" "$W/$_t.$_ns.want" "$W/$_t.$_ns.mon.pairs"
	$JQ -r 'select(.type=="event" and .status=="delivered") |
		"\(.event) \(.token // "0x00000000")"' "$_json" | sort >"$W/$_t.$_ns.delivered"
	_fail_same "${_t}_${_ns}_delivered_equals_monitor" "$W/$_t.$_ns.mon.pairs" \
		"$W/$_t.$_ns.delivered"
	# anything but delivered and an explained close_without_event is a failure: show it
	$JQ -c 'select(.type=="event" and .status != "delivered" and
		.status != "close_without_event")' "$_json" >"$W/$_t.$_ns.other"
	[ -s "$W/$_t.$_ns.other" ] && cat "$W/$_t.$_ns.other"
	check "${_t}_${_ns}_nothing_lost_or_unmatched" [ ! -s "$W/$_t.$_ns.other" ]
	# shellcheck disable=SC2016 # $d is jq's
	$JQ -se '[.[] | select(.type=="event" and .status=="delivered" and .event=="sub_closed")]
		as $d | [.[] | select(.type=="event" and .status=="close_without_event")] |
		all(.reason == "not_established" or (.reason == "already_sent" and
			(.sport as $p | .dport as $q | $d | any(.sport == $p and .dport == $q))))' \
		"$_json" >/dev/null
	check_rc "${_t}_${_ns}_close_without_event_explained" $?
	$JQ -c 'select(.differs != null)' "$_json" >"$W/$_t.$_ns.differs"
	[ -s "$W/$_t.$_ns.differs" ] && cat "$W/$_t.$_ns.differs"
	check "${_t}_${_ns}_no_differs" [ ! -s "$W/$_t.$_ns.differs" ]
	_fail_closed_mon "$W/$_t.$_ns.mon" >"$W/$_t.$_ns.closed.mon"
	_fail_closed_json "$_json" >"$W/$_t.$_ns.closed.json"
	_fail_same "${_t}_${_ns}_sub_closed_fields_equal_monitor" "$W/$_t.$_ns.closed.mon" \
		"$W/$_t.$_ns.closed.json"
	$JQ -se '[.[] | select(.type=="summary")][0] | .ringbuf_drops == 0 and
		.netlink.overruns == 0 and .netlink.errors == 0' "$_json" >/dev/null
	check_rc "${_t}_${_ns}_no_drops" $?
	report "${_t}_${_ns}_events" "$(cut -d' ' -f1 "$W/$_t.$_ns.delivered" | uniq -c |
		awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')"
	report "${_t}_${_ns}_close_without_event" "$($JQ -r 'select(.type=="event" and
		.status=="close_without_event") | .reason' "$_json" | sort | uniq -c |
		awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')"
	report "${_t}_${_ns}_sub_closed" "$(awk '{ printf "%s%s>%s err=%s reason=%s flags=%s",
		(NR > 1 ? ";" : ""), $2, $3, $4, $5, $6 }' "$W/$_t.$_ns.closed.json")"
}

fail_scenario() {
	_sc=$1 _t=$2
	for _ns in evs evc; do
		"$IP" -n $_ns mptcp monitor >"$W/$_t.$_ns.mon" 2>&1 &
		echo $! >"$W/$_t.$_ns.monpid"
		"$BIN/mptcp-evlat" -N $_ns --json >"$W/$_t.$_ns.json" 2>"$W/$_t.$_ns.err" &
		echo $! >"$W/$_t.$_ns.pid"
	done
	for _ns in evs evc; do
		tracer_up "$W/$_t.$_ns.err" "$(cat "$W/$_t.$_ns.pid")"
		check_rc "${_t}_${_ns}_tracer_up" $?
		wait_for 30 monitor_subscribed $_ns "$(cat "$W/$_t.$_ns.monpid")"
		check_rc "${_t}_${_ns}_monitor_up" $?
	done
	trafgen "$W/$_t.expect" "$W/$_t.trafgen.log" --scenario "$_sc" -v
	_rc=$?
	[ $_rc -eq 0 ] || cat "$W/$_t.trafgen.log"
	check_rc "${_t}_trafgen" $_rc
	settle
	for _ns in evs evc; do
		stop "$(cat "$W/$_t.$_ns.pid")"
		check_rc "${_t}_${_ns}_tracer_exit" $?
		_ino=$(stat -L -c %i "$(evlat_netns_path $_ns)")
		wait_monitor "$W/$_t.$_ns.mon" "$(grep -c "netns=$_ino " "$W/$_t.expect")"
		kill "$(cat "$W/$_t.$_ns.monpid")"
		wait "$(cat "$W/$_t.$_ns.monpid")"
	done
	grep -h 'SF_CLOSED' "$W/$_t".*.mon
	for _ns in evs evc; do _fail_ns "$_t" $_ns; done
}
