# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# shellcheck disable=SC2016 # $names inside single quotes are jq's
# Consumers that fall behind: `ip -rcvbuf 1024 mptcp monitor` stopped (SIGSTOP), and a raw
# subscriber with a 1 KiB receive buffer that does not read (genl_listen -H), while trafgen
# makes its connections. For each, every event the kernel sent in evc is either read or
# lost_overrun, and the losses are exactly the Drops the kernel counted for its socket
# (/proc/net/netlink, sk_drops). The monitor reads with recvmsg(): resumed, it is told of the
# overrun (ENOBUFS), which we see. genl_listen reads with recvmmsg(), which checks the socket's
# error before reading any datagram, out of our probe's sight (doc/kernel-notes.md).

# drops_of PID FIELD: a column of /proc/net/netlink for PID's generic netlink socket
_nl_field() { awk -v pid="$1" -v f="$2" '$2 == 16 && $3 == pid { print $f }' "$W/netlink.txt"; }

# consumer_of INO: its summary line
_consumer_of() {
	$JQ -c --argjson ino "$1" 'select(.type=="summary") | .consumers[] |
		select(.consumer.ino == $ino) | {consumer, read, lost_overrun, unread, enobufs}' \
		"$W/o.json"
}

# what the tracer saw in evc, by event and status, beside trafgen's list (when a count is off)
_by_type() {
	echo "mptcp-evlat's event lines in evc (count, event, status):"
	$JQ -r --argjson ino "$c_ino" 'select(.type == "event" and .netns == $ino) |
		"\(.event) \(.status)"' "$W/o.json" | sort | uniq -c
	echo "trafgen's list for evc (count, event):"
	grep "netns=$c_ino " "$W/o.expect" | sed 's/.* event=\([a-z_]*\).*/\1/' | sort | uniq -c
	echo "mptcp-evlat's event lines in evc (time_ns, event, token, status):"
	$JQ -r --argjson ino "$c_ino" 'select(.type == "event" and .netns == $ino) |
		"\(.time_ns) \(.event) \(.token) \(.status) \(.saddr // "") \(.loc_id // "")"' "$W/o.json"
	grep "netns=$c_ino " "$W/o.expect"
}

phase_run() {
	c_ino=$(stat -L -c %i "$NS_C")
	counts_off=
	"$IP" -rcvbuf 1024 -n evc mptcp monitor >"$W/mon.txt" 2>&1 &
	mon=$!
	wait_for 30 monitor_subscribed evc $mon
	check_rc overrun2_monitor_up $?
	mkfifo "$W/gl.ctl"
	# -H: hold, read nothing until "go"
	"$BIN/genl_listen" listen -r 1024 -H "$NS_C" <"$W/gl.ctl" >"$W/gl.txt" 2>&1 &
	gl=$!
	exec 3>"$W/gl.ctl"
	wait_line "$W/gl.txt" '^ready' 30 $gl
	check_rc overrun2_listener_up $?
	"$BIN/mptcp-evlat" -N evc --json >"$W/o.json" 2>"$W/o.err" &
	tr=$!
	tracer_up "$W/o.err" $tr
	check_rc overrun2_tracer_up $?
	kill -STOP $mon
	trafgen "$W/o.expect" "$W/o.trafgen.log" --conns 5
	check_rc overrun2_trafgen $?
	settle
	n=$(grep -c "netns=$c_ino " "$W/o.expect")
	report overrun2_events "$n"
	# the kernel's counts, before anyone reads again
	evlat_netns_sh evc "cat /proc/net/netlink" >"$W/netlink.txt"
	m_drops=$(_nl_field $mon 9) m_ino=$(_nl_field $mon 10)
	g_drops=$(_nl_field $gl 9) g_ino=$(_nl_field $gl 10)
	report overrun2_kernel_drops "monitor=${m_drops:-?},genl_listen=${g_drops:-?}"
	kill -CONT $mon
	echo go >&3
	echo stats >&3
	wait_line "$W/gl.txt" '^stats ' 30 $gl
	wait_line "$W/mon.txt" 'No buffer space' 30 $mon
	sleep 1 # the monitor prints what it still had queued
	stop $tr
	check_rc overrun2_tracer_exit $?
	kill $gl $mon
	cat "$W/o.err"
	_consumer_of "${m_ino:-0}" | tee "$W/m.cons"
	_consumer_of "${g_ino:-0}" | tee "$W/g.cons"
	for c in m g; do
		eval "drops=\${${c}_drops:-}"
		r=$($JQ -r '.read' "$W/$c.cons") l=$($JQ -r '.lost_overrun' "$W/$c.cons")
		u=$($JQ -r '.unread' "$W/$c.cons")
		report "overrun2_${c}" "read=$r,lost=$l,unread=$u,kernel_drops=$drops,events=$n"
		[ -n "$drops" ] && [ "$drops" -gt 0 ] && [ "$l" = "$drops" ]
		check_rc "overrun2_${c}_lost_equals_kernel_drops" $?
		[ "$((r + l + u))" -eq "$n" ]
		check_rc "overrun2_${c}_every_event_accounted" $? || counts_off=1
	done
	$JQ -e '.enobufs >= 1' "$W/m.cons" >/dev/null
	check_rc overrun2_monitor_told_of_overrun $?
	# mptcp-evlat's own socket lost nothing meanwhile (a queueing the kernel did not record
	# leaves its read uncounted: allowed as often as the kernel counted a miss)
	$JQ -se --argjson n "$n" --argjson m "$(probe_misses queued "$W/o.json")" '
		.[] | select(.type=="summary") | .consumers[] | select(.consumer.ours) |
		.read <= $n and .read >= $n - $m and .lost_overrun == 0' "$W/o.json" >/dev/null
	check_rc overrun2_ours_unaffected $? || counts_off=1
	[ -z "${counts_off:-}" ] || _by_type
}
