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

# minus A B: how many lines of B are not in A, as multisets (busybox has no comm)
_minus() { awk 'NR == FNR { n[$0]++; next } n[$0] > 0 { n[$0]--; next } { c++ } END { print c + 0 }' "$1" "$2"; }

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

	# the kernel's skipped probe runs: a queueing unrecorded leaves its read without a delivery;
	# a send unrecorded, its deliveries without a queue time; a read unrecorded, without a read
	# time. Each is allowed only as often as the kernel counted it.
	m_q=$(probe_misses queued "$W/c.json")
	m_s=$(probe_misses send "$W/c.json")
	m_r=$(probe_misses read "$W/c.json")
	report consumers_probe_misses "queued:${m_q:-?} send:${m_s:-?} read:${m_r:-?}"
	# three consumers, one of them ours, each read n and lost nothing
	$JQ -se --argjson n "$n" --argjson m "${m_q:-0}" '(.[] | select(.type=="summary") |
		.consumers) as $c |
		($c | length) == 3 and ([$c[] | select(.consumer.ours)] | length) == 1 and
		([$c[].consumer.comm] | sort) == ["genl_listen", "ip", "mptcp-evlat"] and
		all($c[]; .read <= $n and .read >= $n - $m and .lost_overrun == 0 and .unread == 0) and
		([$c[] | $n - .read] | add) <= $m' "$W/c.json" >/dev/null
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
	# the deliveries are the monitor's pairs, but for queueings the kernel did not record
	extra=$(_minus "$W/mon.pairs" "$W/del.pairs")
	missing=$(_minus "$W/del.pairs" "$W/mon.pairs")
	rc=0
	[ -s "$W/del.pairs" ] && [ "$extra" -eq 0 ] && [ "$missing" -le "${m_q:-0}" ] || rc=1
	[ $rc -eq 0 ] || diff "$W/mon.pairs" "$W/del.pairs"
	check_rc consumers_monitor_pairs_agree $rc
	# every read: send <= queued <= read, each stage measured; hook -> read is at least both.
	# A read already blocked in the kernel when the probes were attached is not seen: the next
	# read of that socket says it was read (FIFO), without a read time: one per consumer at most,
	# and one more per read the kernel did not record. A send the kernel did not record leaves
	# the deliveries of its event (one per consumer) without a queue time.
	$JQ -se --argjson ms "${m_s:-0}" --argjson mr "${m_r:-0}" '
		[.[] | select(.type=="delivery")] as $d | ($d | length > 0) and
		($d | all(.status == "read")) and
		([$d[] | select(.queue_ns == null) | "\(.event) \(.token)"] | unique | length) <= $ms and
		([$d[] | select(.read_ns != null and .queue_ns != null)] | all(.latency_ns != null and
			.latency_ns >= .queue_ns + .read_ns)) and
		($d | group_by(.consumer.ino) | all(map(select(.read_ns == null)) | length <= 1 + $mr))
		and ([$d[] | select(.read_ns == null)] | length) <=
			($d | map(.consumer.ino) | unique | length) + $mr' "$W/c.json" >/dev/null
	rc=$?
	[ $rc -eq 0 ] || $JQ -c 'select(.type=="delivery" and (.status != "read" or
		.queue_ns == null or .read_ns == null or .latency_ns < .queue_ns + .read_ns)) |
		{event, token, status, ino: .consumer.ino, queue_ns, read_ns, latency_ns}' "$W/c.json"
	check_rc consumers_stages $rc
	# our own delivery time is the kernel's queue time: the event's delivery stage is ours,
	# but for an event whose queued record had not come 50 ms after we read it (the ring
	# waits behind another CPU's uncommitted record): own_unknown counts those
	$JQ -se '([.[] | select(.type=="delivery" and .consumer.ours)] |
		map({key: "\(.event) \(.token)", value: .queue_ns}) | from_entries) as $q |
		(.[] | select(.type=="summary") | .deliveries.own_unknown) as $u |
		[.[] | select(.type=="event" and .status == "delivered")] | length > 0 and
		([.[] | select($q["\(.event) \(.token)"] != .delivery_ns)] | length) <= $u' \
		"$W/c.json" >/dev/null
	rc=$?
	[ $rc -eq 0 ] || $JQ -c 'select(.type=="delivery" and .consumer.ours) |
		{event, queue_ns}, select(.type=="event") | {event, delivery_ns},
		select(.type=="summary") | .deliveries' "$W/c.json"
	report consumers_own_unknown "$($JQ -r 'select(.type=="summary") | .deliveries.own_unknown' \
		"$W/c.json")"
	(exit $rc)
	check_rc consumers_own_delivery_is_queue_time $?
}
