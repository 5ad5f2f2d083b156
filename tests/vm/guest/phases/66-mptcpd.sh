# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# shellcheck disable=SC2016 # $names inside single quotes are jq's
# needs: mptcpd
# Debian's mptcpd 0.12 as a consumer of mptcp_pm_events, as the path manager it is made for.
# sspi: mptcpd is the userspace path manager of evs (net.mptcp.pm_type=1), beside
# `ip mptcp monitor` and mptcp-evlat's own socket; the client's endpoint makes a join that sspi
# closes (SUBFLOW_DESTROY). mptcpd is reported as a consumer with comm "mptcpd", its pid and
# its socket's inode, and it read exactly the events the kernel sent in evs: the (event, token)
# pairs the monitor printed and the ones strace saw it receive, and its log has one line per
# event it prints one for (listener events, ESTABLISHED, CLOSED). addr_adv: mptcpd sets evc's
# endpoints for the in-kernel path manager and is the only subscriber of evc, and mptcp-evlat
# runs with --observe: every event trafgen caused in evc is sent, and mptcpd read each one
# (strace agrees; a subflow closed after its connection left ESTABLISHED has no event, counted
# apart as close_without_event). mptcpd's own log matches the commands strace saw it send.
# shellcheck source-path=SCRIPTDIR source=../mptcpd.sh
. "$GUEST/mptcpd.sh"

# event numbers of strace_nl.awk's lines -> the names mptcp-evlat uses
_strace_pairs() { # TAG
	awk 'BEGIN { split("1 created 2 established 3 closed 6 announced 7 removed " \
		"10 sub_established 11 sub_closed 13 sub_priority 15 listener_created " \
		"16 listener_closed", w, " "); for (i = 1; i in w; i += 2) name[w[i]] = w[i + 1] }
		$1 == "event" { sub("cmd=", "", $2); sub("token=", "", $3)
			print ($2 in name ? name[$2] : $2), $3 }' "$W/$1.nl" | sort
}

# the (event, token) pairs trafgen listed for the namespace of inode INO
_expect_pairs() { # EXPECT INO
	awk -v ino="$2" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print $3, $4 }' "$1" | sort
}

_delivery_pairs() { # JSON COMM
	$JQ -r --arg comm "$2" 'select(.type=="delivery" and .consumer.comm == $comm) |
		"\(.event) \(.token // "0x00000000")"' "$1" | sort
}

_same() { # WHAT FILE1 FILE2: equal and not empty
	[ -s "$2" ] && cmp -s "$2" "$3" && return 0
	echo "$1 differ:"
	diff "$2" "$3"
	return 1
}

# mptcpd's commands: each one acknowledged with 0, or (GET_ADDR at start) a dump that ended
_commands() { # TAG
	mptcpd_netlink "$1"
	grep -E '^(cmd|ack|dump_done) ' "$W/$1.nl" | sed 's/^/  /'
	awk '$1 == "cmd" { want[$2] = 1 } $1 == "ack" { got[$2] = $3 }
		$1 == "dump_done" { got[$2] = "error=0" }
		END { for (s in want) if (got[s] != "error=0") bad++; exit bad > 0 }' "$W/$1.nl"
}

run_sspi() {
	s_ino=$(stat -L -c %i "$NS_S")
	evlat_netns_sysctl evs net/mptcp/pm_type 1
	"$BIN/mptcp-evlat" -N evs --json >"$W/sspi.json" 2>"$W/sspi.err" &
	tr=$!
	tracer_up "$W/sspi.err" $tr
	check_rc mptcpd_sspi_tracer_up $?
	"$IP" -n evs mptcp monitor >"$W/sspi.mon" 2>&1 &
	mon=$!
	wait_for 30 monitor_subscribed evs $mon
	mptcpd_start evs sspi sspi
	check_rc mptcpd_sspi_up $?
	trafgen_pm "$W/sspi.expect" "$W/sspi.trafgen.log" --scenario sspi
	check_rc mptcpd_sspi_trafgen $?
	settle
	n=$(grep -c "netns=$s_ino " "$W/sspi.expect")
	wait_monitor "$W/sspi.mon" "$n"
	wait_for 30 _strace_events sspi "$n"
	evlat_netns_sh evs "cat /proc/net/netlink" >"$W/sspi.netlink"
	stop $tr
	check_rc mptcpd_sspi_tracer_exit $?
	mptcpd_stop
	kill $mon
	wait $mon
	cat "$W/sspi.trafgen.log" "$W/sspi.log"
	report mptcpd_sspi_events "$n"

	# three consumers, mptcpd among them with its pid and socket, each read all n
	m_ino=$(awk -v pid="$MPTCPD_PID" '$2 == 16 && $3 == pid { print $10 }' "$W/sspi.netlink")
	$JQ -c 'select(.type=="summary") | .consumers[] | {consumer, read, lost_overrun, unread}' \
		"$W/sspi.json"
	$JQ -se --argjson n "$n" --argjson pid "$MPTCPD_PID" --argjson ino "${m_ino:-0}" \
		--argjson m "$(probe_misses queued "$W/sspi.json")" '
		(.[] | select(.type=="summary") | .consumers) as $c |
		([$c[].consumer.comm] | sort) == ["ip", "mptcp-evlat", "mptcpd"] and
		all($c[]; .read <= $n and .read >= $n - $m and .lost_overrun == 0 and
			.unread == 0) and ([$c[] | $n - .read] | add) <= $m and
		([$c[] | select(.consumer.comm == "mptcpd")][0].consumer |
			.pid == $pid and .ino == $ino and (.ours | not))' "$W/sspi.json" >/dev/null
	check_rc mptcpd_sspi_consumer_read_every_event $?
	# what mptcpd read, three ways: our deliveries, the monitor, strace
	_delivery_pairs "$W/sspi.json" mptcpd >"$W/sspi.del"
	awk -f "$LIB/monitor_pairs.awk" "$W/sspi.mon" | sort >"$W/sspi.mon.pairs"
	mptcpd_netlink sspi
	_strace_pairs sspi >"$W/sspi.strace.pairs"
	_expect_pairs "$W/sspi.expect" "$s_ino" >"$W/sspi.want"
	_same "deliveries and monitor" "$W/sspi.del" "$W/sspi.mon.pairs" &&
		_same "deliveries and strace" "$W/sspi.del" "$W/sspi.strace.pairs" &&
		_same "deliveries and trafgen" "$W/sspi.del" "$W/sspi.want"
	check_rc mptcpd_sspi_reads_exact $?
	# the events mptcpd logs a line for, one line per event we saw it read
	_log_per_event sspi "Unhandled MPTCP event: 15" listener_created &&
		_log_per_event sspi "Unhandled MPTCP event: 16" listener_closed &&
		_log_per_event sspi "sspi_connection_established is unimplemented" established &&
		_log_per_event sspi "connection closed" closed
	check_rc mptcpd_sspi_log_lines_per_event $?
	# sspi closed the join: one line of its log, one SUBFLOW_DESTROY (11), acknowledged
	closing=$(grep -c 'Closing new subflow' "$W/sspi.log")
	destroys=$(mptcpd_count sspi '^cmd .* cmd=11 ')
	report mptcpd_sspi_destroy "log=$closing strace=$destroys"
	_commands sspi && [ "$closing" -eq 1 ] && [ "$destroys" -eq 1 ]
	check_rc mptcpd_sspi_log_matches_commands $?
}

run_observe() {
	c_ino=$(stat -L -c %i "$NS_C")
	mptcpd_start evc addr_adv observe --addr-flags=subflow
	check_rc mptcpd_addr_adv_up $?
	# its endpoints: one per global address of evc (10.0.1.2, 10.0.2.2 and the IPv6 ones of
	# tests/lib/lib.sh; --notify-flags skips the link-local ones)
	n_addrs=$("$IP" -n evc -o addr show scope global | grep -c .)
	report mptcpd_addr_adv_addresses "$n_addrs"
	[ "$n_addrs" -ge 2 ] && wait_for 30 _endpoints "$n_addrs"
	check_rc mptcpd_addr_adv_endpoints $?
	"$BIN/mptcp-evlat" -N evc --observe --json >"$W/obs.json" 2>"$W/obs.err" &
	tr=$!
	wait_line "$W/obs.err" 'observing MPTCP events' "$TRACER_WAIT" $tr
	check_rc mptcpd_observe_up $?
	evlat_netns_sh evc "cat /proc/net/netlink" >"$W/obs.netlink"
	trafgen_pm "$W/obs.expect" "$W/obs.trafgen.log" --scenario addr_adv
	check_rc mptcpd_observe_trafgen $?
	settle
	n=$(grep -c "netns=$c_ino " "$W/obs.expect")
	wait_for 30 _strace_events observe "$n"
	stop $tr
	check_rc mptcpd_observe_tracer_exit $?
	mptcpd_stop
	cat "$W/obs.trafgen.log" "$W/observe.log"
	report mptcpd_observe_events "$n"
	# no socket of ours: mptcpd is evc's only subscriber
	awk -v pid="$tr" '$2 == 16 && $3 == pid' "$W/obs.netlink" | grep -q .
	check_rc mptcpd_observe_no_socket_of_ours $((!$?))
	$JQ -c 'select(.type=="summary") | {events: (.events | map_values({count, sent,
		no_listener, close_without_event})), consumers: [.consumers[] | {comm: .consumer.comm, read,
		lost_overrun, unread}]}' "$W/obs.json"
	$JQ -se --argjson n "$n" --argjson m "$(probe_misses queued "$W/obs.json")" '
		(.[] | select(.type=="summary")) as $s |
		([$s.events[].sent] | add) == $n and
		([$s.events[] | .count - .close_without_event] | add) == $n and
		($s.consumers | length) == 1 and $s.consumers[0].consumer.comm == "mptcpd" and
		$s.consumers[0].read <= $n and $s.consumers[0].read >= $n - $m and
		$s.consumers[0].lost_overrun == 0' "$W/obs.json" >/dev/null
	check_rc mptcpd_observe_every_sent_event_read $?
	_delivery_pairs "$W/obs.json" mptcpd >"$W/obs.del"
	_strace_pairs observe >"$W/obs.strace.pairs"
	_expect_pairs "$W/obs.expect" "$c_ino" >"$W/obs.want"
	_same "deliveries and strace" "$W/obs.del" "$W/obs.strace.pairs" &&
		_same "deliveries and trafgen" "$W/obs.del" "$W/obs.want"
	check_rc mptcpd_observe_reads_exact $?
	# addr_adv: one ADD_ADDR (1) per address, limits (5) set, everything acknowledged
	adds=$(mptcpd_count observe '^cmd .* cmd=1 ')
	report mptcpd_addr_adv_commands "add_addr=$adds set_limits=$(mptcpd_count observe '^cmd .* cmd=5 ')"
	_commands observe && [ "$adds" -eq "$n_addrs" ]
	check_rc mptcpd_addr_adv_commands_acked $?
}

# TAG PATTERN EVENT: mptcpd's log has as many lines matching PATTERN as it read EVENTs
_log_per_event() {
	_lines=$(grep -c "$2" "$W/$1.log")
	_reads=$(grep -c "^$3 " "$W/$1.del")
	echo "mptcpd log '$2': $_lines, $3 read: $_reads"
	[ "$_lines" -eq "$_reads" ]
}

_endpoints() { [ "$("$IP" -n evc mptcp endpoint show | grep -c .)" -eq "$1" ]; }

_strace_events() { # TAG N: strace saw mptcpd read N events
	mptcpd_netlink "$1" && [ "$(mptcpd_count "$1" '^event ')" -ge "$2" ]
}

phase_run() {
	why=$(mptcpd_missing)
	if [ -n "$why" ]; then
		skip mptcpd "$why"
		return 0
	fi
	run_sspi
	run_observe
}
