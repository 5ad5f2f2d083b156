# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# shellcheck disable=SC2016 # $names inside single quotes are jq's
# needs: mptcpd
# The path manager's commands, triggers and effects (genl_rcv_msg()).
# mptcpd sspi as evs's userspace PM: every command strace saw mptcpd send is reported once, with
# its result; its SUBFLOW_DESTROY has the join's SUB_ESTABLISHED as trigger (the event mptcpd
# read last for that connection), a reaction time, and the join's SUB_CLOSED as effect, inside
# the command's call. mptcpd addr_adv in evc: its endpoint commands, no trigger, no effect due.
# shellcheck source-path=SCRIPTDIR source=../mptcpd.sh
. "$GUEST/mptcpd.sh"

# strace's commands as "seq cmd token result" (result: ok, dump or the error)
_strace_cmds() { # TAG
	mptcpd_netlink "$1"
	awk '$1 == "cmd" { sub("seq=", "", $2); sub("cmd=", "", $3); sub("token=", "", $4)
			c[$2] = $3 " " $4; order[++n] = $2 }
		$1 == "ack" { sub("seq=", "", $2); sub("error=", "", $3)
			r[$2] = $3 == 0 ? "ok" : $3 }
		$1 == "dump_done" { sub("seq=", "", $2); r[$2] = "dump" }
		END { for (i = 1; i <= n; i++) print order[i], c[order[i]], r[order[i]] }' \
		"$W/$1.nl" | sort -n
}

# our command lines of COMM as "seq cmd token result"
_our_cmds() { # JSON COMM
	$JQ -r --arg comm "$2" 'select(.type=="command" and .comm == $comm) |
		"\(.seq) \(.cmd_id) \(.token // "0x00000000") \(if .result == "error" then .error
		else .result end)"' "$1" | sort -n
}

_cmds_match() { # TAG JSON
	_strace_cmds "$1" >"$W/$1.strace.cmds"
	_our_cmds "$2" mptcpd >"$W/$1.our.cmds"
	echo "commands (seq cmd token result), strace then mptcp-evlat:"
	cat "$W/$1.strace.cmds" "$W/$1.our.cmds"
	[ -s "$W/$1.strace.cmds" ] && cmp -s "$W/$1.strace.cmds" "$W/$1.our.cmds"
}

pm_sspi() {
	evlat_netns_sysctl evs net/mptcp/pm_type 1
	# -A: the client's events too, for the pairing of the two ends of a connection
	"$BIN/mptcp-evlat" -N evs -A --json >"$W/sspi.json" 2>"$W/sspi.err" &
	tr=$!
	tracer_up "$W/sspi.err" $tr
	check_rc pm_sspi_tracer_up $?
	mptcpd_start evs sspi sspi
	check_rc pm_sspi_mptcpd_up $?
	trafgen_pm "$W/sspi.expect" "$W/sspi.trafgen.log" --scenario sspi
	check_rc pm_sspi_trafgen $?
	settle
	wait_for 30 _acked sspi 2
	stop $tr
	check_rc pm_sspi_tracer_exit $?
	mptcpd_stop
	cat "$W/sspi.err"
	$JQ -c 'select(.type=="command")' "$W/sspi.json"
	_cmds_match sspi "$W/sspi.json"
	check_rc pm_sspi_every_command_once $?
	# the DESTROY: triggered by the join's SUB_ESTABLISHED, the join closed inside the call
	stok=$(awk -v ino="$(stat -L -c %i "$NS_S")" '$2 == "netns=" ino && $3 ==
		"event=created" { sub("token=", "", $4); print $4 }' "$W/sspi.expect")
	$JQ -se --arg tok "$stok" '[.[] | select(.type=="command" and .command ==
		"subflow_destroy")] | length == 1 and (.[0] | .token == $tok and .comm == "mptcpd"
		and .result == "ok" and .trigger.event == "sub_established" and .reaction_ns > 0 and
		.end_to_end_ns >= .reaction_ns and .effect.status == "seen" and
		.effect.event == "sub_closed" and .effect.inside and (.effect.peer | not) and
		.effect.token == $tok and .effect.latency_ns < .duration_ns)' "$W/sspi.json" >/dev/null
	check_rc pm_sspi_destroy_trigger_effect $?
	# the GET_ADDR of its start: a dump, no connection, nothing due
	$JQ -se '[.[] | select(.type=="command" and .command == "get_addr")] | length == 1 and
		(.[0] | .result == "dump" and .trigger == null and
		.effect.status == "not_expected")' "$W/sspi.json" >/dev/null
	check_rc pm_sspi_dump $?
	$JQ -c 'select(.type=="summary") | .commands[] | {command, comm, count, ok, dump,
		effects, r50: .reaction_ns.p50}' "$W/sspi.json"
	_figures sspi mptcpd "$W/sspi.json"
}

# TAG COMM JSON: COMM's commands, those with an effect seen, and the reaction and effect
# latencies over all of them (nearest-rank p50/p99, µs), for the report
_figures() {
	report "pm_$1_figures" "$($JQ -sr --arg comm "$2" '[.[] | select(.type=="command" and
		.comm == $comm)] as $c | def q($a; $p): ($a | sort) as $s | if ($s | length) == 0
		then "-" else $s[(($s | length) * $p | ceil) - 1] / 1000 | floor end;
		([$c[] | .reaction_ns // empty]) as $r | ([$c[] | .effect.latency_ns // empty]) as $e |
		"commands=\($c | length) effects_seen=\($e | length) reaction_us_p50=\(q($r; 0.5))
		reaction_us_p99=\(q($r; 0.99)) effect_us_p50=\(q($e; 0.5)) effect_us_p99=\(q($e; 0.99))"' \
		"$3" | tr -s ' \t\n' '   ')"
}

# mptcpd's commands, each acknowledged (or a dump that ended), seen by strace
_acked() { # TAG N
	mptcpd_netlink "$1" && [ "$(mptcpd_count "$1" '^(ack|dump_done) seq=([2-9]|[1-9][0-9])')" -ge "$2" ]
}

pm_addr_adv() {
	"$BIN/mptcp-evlat" -N evc --json >"$W/adv.json" 2>"$W/adv.err" &
	tr=$!
	tracer_up "$W/adv.err" $tr
	check_rc pm_addr_adv_tracer_up $?
	mptcpd_start evc addr_adv adv --addr-flags=subflow
	check_rc pm_addr_adv_mptcpd_up $?
	trafgen_pm "$W/adv.expect" "$W/adv.trafgen.log" --scenario addr_adv
	check_rc pm_addr_adv_trafgen $?
	settle
	wait_for 30 _acked adv 6
	stop $tr
	check_rc pm_addr_adv_tracer_exit $?
	mptcpd_stop
	_cmds_match adv "$W/adv.json"
	check_rc pm_addr_adv_every_command_once $?
	# endpoint commands: no connection, so no trigger and no effect due
	$JQ -se '[.[] | select(.type=="command" and .comm == "mptcpd" and .command !=
		"get_addr")] | length >= 3 and all(.token == null and .trigger == null and
		.result == "ok" and .effect.status == "not_expected")' "$W/adv.json" >/dev/null
	check_rc pm_addr_adv_endpoint_commands $?
}

# trafgen's list of its commands, and ours, as "cmd token result effect peer trigger" in time order
_upm_want() {
	sed 's/^command //; s/[a-z_]*=//g' "$W/upm.cmds" | awk '{ print $2, $3, $4, $5, $6, $7 }'
}

_upm_got() { # JSON
	$JQ -sr --argjson ns "$c_ino" '[.[] | select(.type=="command" and .comm == "trafgen" and
		.netns == $ns)] | sort_by(.time_ns)[] | "\(.command) \(.token) \(if .result == "ok"
		then 0 else .error end) \(if .effect.status == "seen" then .effect.event else "none"
		end) \(if .effect.peer then 1 else 0 end) \(if .trigger_lost then "lost" else
		.trigger.event // "none" end)"' "$1"
}

# trafgen's list, where mptcp-evlat says a trigger is lost (trafgen's read of it skipped by the
# kernel's probe, doc/kernel-notes.md "Probe misses") and the kernel counted probe misses: "lost"
_upm_want_lost() { # WANT GOT JSON
	_m=$($JQ -s '[.[] | select(.type=="summary")][-1].probe_misses // 0' "$3")
	awk -v m="$_m" 'NR == FNR { g[FNR] = $6; next }
		g[FNR] == "lost" && m > 0 { $6 = "lost" } { print }' "$2" "$1"
	grep -q ' lost$' "$2" && echo "pm_upm: trigger(s) lost; probe misses counted: $_m" >&2
	return 0
}

# The client connection's timeline, projected: its events and commands in order, then its flags.
# A subflow closed without an event (close_without_event: the initial one, when the worker closes
# it after CLOSED, as timing has it) is no kernel event of the scenario's.
_timeline_json() { # JSON TOKEN
	$JQ -r --arg tok "$2" 'select(.type=="trace" and .token == $tok) |
		if .what == "event" then (if .status == "close_without_event" then empty
			else "event \(.event)" end)
		elif .what == "command" then "command \(.command) \(.result) \(.effect)"
		elif .what == "flag" then "flag \(.flag) \(.of) \(.why)" else empty end' "$1"
}

_timeline_text() { # TEXT TOKEN: the same from the text block of that connection
	awk -v tok="$2" '$1 == "connection" { on = ($3 == tok) ; next }
		!on || NF < 3 { next }
		$1 == "!!" { print "flag", $2, $3, substr($0, index($0, " ms: ") + 5); next }
		$3 == "event" && $5 != "close_without_event" { print "event", $4 }
		$3 == "command" { r = $9; sub(/;.*/, "", r); e = $0; sub(/.*; effect /, "", e)
			split(e, ew, " "); print "command", $4, r, ew[1] }' "$1"
}

_timeline_want() { # the scenario's own account of the client connection
	awk -v ino="$c_ino" -v tok="$ctok" '$1 == "expect" && $2 == "netns=" ino &&
		$4 == "token=" tok { sub("event=", "", $3); print "event", $3 }' "$W/upm.expect" \
		>"$W/upm.want.events"
	_upm_want | awk -v tok="$ctok" '$2 == tok { print "command", $1,
		($3 == 0 ? "ok" : "error"), ($4 == "none" ? "not_expected" : "seen") }' \
		>"$W/upm.want.cmds"
}

pm_upm() {
	c_ino=$(stat -L -c %i "$NS_C")
	evlat_netns_sysctl evc net/mptcp/pm_type 1
	"$IP" -n evc addr add 10.0.2.3/24 dev evc2
	"$BIN/mptcp-evlat" -N evc -A --json --trace all --prometheus 9466 >"$W/upm.json" \
		2>"$W/upm.err" &
	tr=$!
	"$BIN/mptcp-evlat" -N evc -A --trace all >"$W/upm.txt" 2>"$W/upm.txt.err" &
	tt=$!
	tracer_up "$W/upm.err" $tr && tracer_up "$W/upm.txt.err" $tt
	check_rc pm_upm_tracers_up $?
	trafgen_pm "$W/upm.expect" "$W/upm.trafgen.log" --scenario upm --commands "$W/upm.cmds"
	check_rc pm_upm_trafgen $?
	settle
	busybox wget -q -O "$W/upm.prom" http://127.0.0.1:9466/metrics
	check_rc pm_upm_scrape $?
	stop $tr && stop $tt
	check_rc pm_upm_tracers_exit $?
	cat "$W/upm.trafgen.log" "$W/upm.cmds"
	ctok=$(awk -v ino="$c_ino" '$2 == "netns=" ino && $3 == "event=created" {
		sub("token=", "", $4); print $4 }' "$W/upm.expect")
	# every command trafgen sent as the path manager, once, with its result, effect, trigger
	_upm_want >"$W/upm.want.trafgen"
	_upm_got "$W/upm.json" >"$W/upm.got"
	_upm_want_lost "$W/upm.want.trafgen" "$W/upm.got" "$W/upm.json" >"$W/upm.want"
	cmp -s "$W/upm.want" "$W/upm.got" && [ -s "$W/upm.want" ]
	rc=$?
	[ $rc -eq 0 ] || diff "$W/upm.want" "$W/upm.got"
	check_rc pm_upm_every_command $rc
	# the destroy closed its subflow inside the call; each trigger's reaction was measured
	$JQ -se --arg tok "$ctok" '[.[] | select(.type=="command" and .token == $tok)] as $c |
		([$c[] | select(.command == "subflow_destroy")][0].effect.inside) and
		([$c[] | select(.command == "subflow_create" and .result == "error")][0].error ==
			-101) and all($c[] | select(.trigger); .reaction_ns > 0)' "$W/upm.json" >/dev/null
	check_rc pm_upm_inside_and_errors $?
	_figures upm trafgen "$W/upm.json"
	_upm_prom
	_upm_timeline
}

# the scrape's command counters and reaction histograms against the JSON summary
_upm_prom() {
	grep '^mptcp_evlat_pm_commands_total{.*comm="trafgen"' "$W/upm.prom" |
		sed 's/.*command="\([a-z_]*\)".*result="\([a-z]*\)"} \([0-9]*\)$/\1 \2 \3/' |
		sort >"$W/upm.prom.pairs"
	$JQ -r 'select(.type=="summary") | .commands[] | select(.comm == "trafgen") |
		"\(.command) ok \(.ok)", "\(.command) error \(.error)", "\(.command) dump \(.dump)"' \
		"$W/upm.json" | sort >"$W/upm.json.pairs"
	cmp -s "$W/upm.prom.pairs" "$W/upm.json.pairs" && [ -s "$W/upm.prom.pairs" ] &&
		grep -q '^mptcp_evlat_pm_reaction_seconds_bucket{command="subflow_create",comm="trafgen",le="+Inf"} [1-9]' \
			"$W/upm.prom"
	rc=$?
	[ $rc -eq 0 ] || diff "$W/upm.prom.pairs" "$W/upm.json.pairs"
	check_rc pm_upm_prometheus_matches_json $rc
}

# --trace: the client connection's life line by line against the scenario, text and JSON alike
_upm_timeline() {
	_timeline_want
	_timeline_json "$W/upm.json" "$ctok" >"$W/upm.tl.json"
	_timeline_text "$W/upm.txt" "$ctok" >"$W/upm.tl.text"
	echo "--- the client connection, mptcp-evlat --trace all"
	awk -v tok="$ctok" '$1 == "connection" { on = ($3 == tok) } on' "$W/upm.txt"
	echo "--- its summary: the reaction histograms and the command table"
	sed -n '/^command = /,$p' "$W/upm.txt"
	grep '^event ' "$W/upm.tl.json" | cmp -s - "$W/upm.want.events"
	check_rc pm_upm_trace_events $?
	grep '^command ' "$W/upm.tl.json" | cmp -s - "$W/upm.want.cmds"
	check_rc pm_upm_trace_commands $?
	# one thing wrong: trafgen closed its event socket without reading CLOSED
	grep '^flag ' "$W/upm.tl.json" >"$W/upm.tl.flags"
	cat "$W/upm.tl.flags"
	[ "$(cat "$W/upm.tl.flags")" = "flag unread closed not read by trafgen: unread" ]
	check_rc pm_upm_trace_flags $?
	cmp -s "$W/upm.tl.json" "$W/upm.tl.text"
	rc=$?
	[ $rc -eq 0 ] || diff "$W/upm.tl.json" "$W/upm.tl.text"
	check_rc pm_upm_trace_text_equals_json $rc
}

phase_run() {
	why=$(mptcpd_missing)
	if [ -n "$why" ]; then
		skip pm_mptcpd "$why"
		return 0
	fi
	pm_sspi
	pm_addr_adv
	# fresh namespaces: the runs above left a userspace PM and mptcpd's endpoints behind
	evlat_netns_up
	check_rc pm_upm_netns_up $? && pm_upm
}
