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

phase_run() {
	why=$(mptcpd_missing)
	if [ -n "$why" ]; then
		skip pm_mptcpd "$why"
		return 0
	fi
	pm_sspi
	pm_addr_adv
}
