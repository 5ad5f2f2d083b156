# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# shellcheck disable=SC2016 # $names inside single quotes are jq's
# The consumers of mptcp_pm_events in evc, seen from the kernel: `ip mptcp monitor`, a raw
# reading subscriber (genl_listen) and mptcp-evlat's own socket. Each is reported with the
# inode /proc/net/netlink shows for it, reads every event the kernel sent in evc (the same
# (event, token) pairs the monitor printed), loses and leaves none; every read has its stages
# (send -> queued -> read), and hook -> read is their sum with the kernel's own stage.

# n_lines FILE PATTERN N: FILE has N lines matching PATTERN
_n_lines() { [ "$(grep -c "$2" "$1")" -ge "$3" ]; }

phase_run() {
	c_ino=$(stat -L -c %i "$NS_C")
	"$IP" -n evc mptcp monitor >"$W/mon.txt" 2>&1 &
	mon=$!
	mkfifo "$W/gl.ctl"
	"$BIN/genl_listen" listen "$NS_C" <"$W/gl.ctl" >"$W/gl.txt" 2>&1 &
	gl=$!
	exec 3>"$W/gl.ctl"
	wait_line "$W/gl.txt" '^ready' 30 $gl
	check_rc consumers_listener_up $?
	"$BIN/mptcp-evlat" -N evc --json >"$W/c.json" 2>"$W/c.err" &
	tr=$!
	tracer_up "$W/c.err" $tr
	check_rc consumers_tracer_up $?
	wait_for 30 monitor_subscribed evc $mon
	check_rc consumers_monitor_subscribed $?
	trafgen "$W/c.expect" "$W/c.trafgen.log"
	check_rc consumers_trafgen $?
	settle
	n=$(grep -c "netns=$c_ino " "$W/c.expect")
	report consumers_events "$n"
	# every consumer has read it all before we stop (the rest would be unread)
	wait_monitor "$W/mon.txt" "$n"
	wait_for 30 _n_lines "$W/gl.txt" '^event ' "$n"
	# the inodes of the subscribers' sockets, as the kernel lists them
	evlat_netns_sh evc "cat /proc/net/netlink" >"$W/netlink.txt"
	stop $tr
	check_rc consumers_tracer_exit $?
	exec 3>&-
	wait $gl
	kill $mon
	cat "$W/c.err"
	$JQ -c 'select(.type=="summary") | .consumers[] | {consumer, read, lost_overrun, unread,
		enobufs, p50: .read_ns.p50}' "$W/c.json"

	# three consumers, one of them ours, each read n and lost nothing
	$JQ -se --argjson n "$n" '(.[] | select(.type=="summary") | .consumers) as $c |
		($c | length) == 3 and ([$c[] | select(.consumer.ours)] | length) == 1 and
		([$c[].consumer.comm] | sort) == ["genl_listen", "ip", "mptcp-evlat"] and
		all($c[]; .read == $n and .lost_overrun == 0 and .unread == 0)' "$W/c.json" >/dev/null
	check_rc consumers_each_read_every_event $?
	# the monitor's pid and its socket's inode are the kernel's
	m_ino=$(awk -v pid="$mon" '$2 == 16 && $3 == pid { print $10 }' "$W/netlink.txt")
	report consumers_monitor_inode "${m_ino:-?}"
	$JQ -se --argjson pid "$mon" --argjson ino "${m_ino:-0}" '[.[] | select(.type=="summary") |
		.consumers[] | select(.consumer.comm == "ip")][0].consumer |
		.pid == $pid and .ino == $ino' "$W/c.json" >/dev/null
	check_rc consumers_monitor_identity $?
	# what the monitor got, as deliveries: the same (event, token) pairs it printed
	awk -f "$LIB/monitor_pairs.awk" "$W/mon.txt" | sort >"$W/mon.pairs"
	$JQ -r 'select(.type=="delivery" and .consumer.comm == "ip") |
		"\(.event) \(.token // "0x00000000")"' "$W/c.json" | sort >"$W/del.pairs"
	cmp -s "$W/mon.pairs" "$W/del.pairs"
	rc=$?
	[ $rc -eq 0 ] || diff "$W/mon.pairs" "$W/del.pairs"
	check_rc consumers_monitor_pairs_agree $rc
	# every read: send <= queued <= read, each stage measured; hook -> read is at least both.
	# A read already blocked in the kernel when the probes were attached is not seen: the next
	# read of that socket says it was read (FIFO), without a read time: one per consumer at most.
	$JQ -se '[.[] | select(.type=="delivery")] as $d | ($d | length > 0) and
		($d | all(.status == "read" and .queue_ns != null)) and
		([$d[] | select(.read_ns != null)] | all(.latency_ns != null and
			.latency_ns >= .queue_ns + .read_ns)) and
		($d | group_by(.consumer.ino) | all(map(select(.read_ns == null)) | length <= 1))' \
		"$W/c.json" >/dev/null
	check_rc consumers_stages $?
	# our own delivery time is the kernel's queue time: the event's delivery stage is ours
	$JQ -se '([.[] | select(.type=="delivery" and .consumer.ours)] |
		map({key: "\(.event) \(.token)", value: .queue_ns}) | from_entries) as $q |
		[.[] | select(.type=="event" and .status == "delivered")] | length > 0 and
		all($q["\(.event) \(.token)"] == .delivery_ns)' "$W/c.json" >/dev/null
	check_rc consumers_own_delivery_is_queue_time $?
}
