# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# `ip mptcp monitor` as a reference listener for tests/host/*.sh (bash).
#
#   . "$ROOT/tests/lib/netns.sh"; . "$ROOT/tests/lib/monitor.sh"
#   start_monitor NS      ip -n NS mptcp monitor > $WORK/mon.NS, returns once
#                         it is subscribed (at most WAIT_S seconds, default 5)
#   stop_monitors         stop every monitor started
#   monitor_subscribed NS PID
#   now_ms
#
# Uses IP (default ip) and WORK (a directory); keeps the pids in MON_PIDS.

MON_PIDS=

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Is the monitor (pid $2) in netns $1 subscribed to a genl multicast group?
# /proc/net/netlink lists the netns' sockets: protocol 16 is NETLINK_GENERIC,
# Pid the port id (the process id for its first socket of a protocol) and
# Groups the first 32 groups joined; mptcp_pm_events is group 9 on 6.18.
monitor_subscribed()
{
	evlat_netns_sh "$1" "cat /proc/net/netlink" |
		awk -v pid="$2" '$2 == 16 && $3 == pid && $4 != "00000000" { f = 1 }
				 END { exit !f }'
}

start_monitor()
{
	local ns=$1 pid deadline

	"${IP:-ip}" -n "$ns" mptcp monitor >"$WORK/mon.$ns" 2>"$WORK/mon.$ns.err" &
	pid=$!
	MON_PIDS="$MON_PIDS $pid"
	deadline=$(($(now_ms) + ${WAIT_S:-5} * 1000))
	until monitor_subscribed "$ns" "$pid"; do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(now_ms)" -ge "$deadline" ]; then
			cat "$WORK/mon.$ns.err" >&2
			return 1
		fi
		sleep 0.05
	done
}

stop_monitors()
{
	local pid

	for pid in $MON_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	MON_PIDS=
}
