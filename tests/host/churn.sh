#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root): the benchmark load is what it says it is. `trafgen
# --churn` ends with "churn conns=N ... events=E", and tests/vm/guest/bench.sh
# checks the tracer against E; `--sink` adds "sink_msgs=M sink_drops=D", the
# floor of the overhead figures. Here:
#   - `ip mptcp monitor` in both namespaces prints exactly E events, plain,
#     with --subflows, and with --churn-failures (connections that end in a
#     reset join or a fastclose: "failures=F reset_client=A reset_server=B
#     fastclose=C"), where the monitors' SF_CLOSED lines are 2 x (A + B);
#   - the sink queued 3 events per connection (CREATED, ESTABLISHED, CLOSED
#     on the client side) and dropped none;
#   - --sink without --churn is a usage error.
#
# Environment: TRAFGEN (default build/static/trafgen), SECS (default 1), RATE
# (connections/s while monitors listen, default 1000), IP
# (default ip), KEEP=1 keeps the work directory.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
SECS=${SECS:-1}
RATE=${RATE:-1000} # connections per second while the monitors listen
WAIT_S=10 # bound on the monitors catching up

# field LINE KEY: the value of KEY=... in a churn line
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"; }

churn() { "$TRAFGEN" --server-netns "$S" --client-netns "$C" --churn "$SECS" "$@" 2>"$WORK/err"; }

# monitor_lines: events printed by both monitors so far
monitor_lines() { cat "$WORK/mon.$EVLAT_NS_SERVER" "$WORK/mon.$EVLAT_NS_CLIENT" | wc -l; }

monitors_have() { [ "$(monitor_lines)" -ge "$1" ]; }

# wait_lines N: until the monitors have printed N lines (or more), at most WAIT_S
wait_lines()
{
	wait_for "$WAIT_S" monitors_have "$1" || return 1
	sleep 0.3 # and nothing more comes: the count is checked for equality
}

# monitored WHAT [TRAFGEN FLAGS]: events= against both monitors' lines
monitored()
{
	local what=$1 line want got
	shift

	start_monitor "$EVLAT_NS_SERVER" || bail "monitor in $EVLAT_NS_SERVER not subscribed"
	start_monitor "$EVLAT_NS_CLIENT" || bail "monitor in $EVLAT_NS_CLIENT not subscribed"
	line=$(churn "$@") || { not_ok "$what: trafgen failed: $(cat "$WORK/err")"; stop_monitors; return; }
	LINE=$line
	echo "# $line"
	want=$(field "$line" events)
	wait_lines "$want"
	got=$(monitor_lines)
	stop_monitors
	if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$got" -eq "$want" ]; then
		ok "$what: the monitors printed events=$want"
	else
		not_ok "$what: events=${want:-?}, the monitors printed $got"
	fi
}

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces)"
[ -x "$TRAFGEN" ] || bail "$TRAFGEN missing (make)"
work_start churn
evlat_netns_up >"$WORK/netns.log" 2>&1 || bail "netns setup: $(tail -n 1 "$WORK/netns.log")"
S=$(evlat_netns_path "$EVLAT_NS_SERVER")
C=$(evlat_netns_path "$EVLAT_NS_CLIENT")

# paced: a monitor that falls behind overruns its socket and prints less
monitored "--churn $SECS --rate $RATE" --rate "$RATE"
monitored "--churn $SECS --subflows --rate $RATE" --subflows --rate "$RATE"

# failing connections: counted by trafgen as it saw them fail, printed by the monitors
for flags in "--churn-failures 20" "--subflows --churn-failures 20"; do
	# shellcheck disable=SC2086 # flags
	monitored "--churn $SECS $flags --rate $RATE" $flags --rate "$RATE"
	f=$(field "$LINE" failures) a=$(field "$LINE" reset_client) b=$(field "$LINE" reset_server)
	c=$(field "$LINE" fastclose)
	sf=$(cat "$WORK/mon.$EVLAT_NS_SERVER" "$WORK/mon.$EVLAT_NS_CLIENT" | grep -c 'SF_CLOSED')
	if [ -n "$f" ] && [ "$f" -gt 0 ] && [ "$f" -eq $((a + b + c)) ] && [ "$sf" -eq $((2 * (a + b))) ]
	then
		ok "$flags: failures=$f (reset_client=$a reset_server=$b fastclose=$c), $sf SF_CLOSED"
	else
		not_ok "$flags: failures=${f:-?} reset_client=${a:-?} reset_server=${b:-?}" \
			"fastclose=${c:-?}, the monitors printed $sf SF_CLOSED"
	fi
done

line=$(churn --sink)
rc=$?
echo "# $line"
conns=$(field "$line" conns) msgs=$(field "$line" sink_msgs) drops=$(field "$line" sink_drops)
if [ $rc -eq 0 ] && [ -n "$conns" ] && [ "$conns" -gt 0 ] && [ "$msgs" = $((3 * conns)) ]; then
	ok "--sink: sink_msgs=$msgs = 3 x conns=$conns"
else
	not_ok "--sink: exit $rc, conns=${conns:-?} sink_msgs=${msgs:-?} (want 3 per connection)"
fi
check "--sink: sink_drops=0" test "${drops:-x}" = 0

"$TRAFGEN" --server-netns "$S" --client-netns "$C" --sink >/dev/null 2>&1
rc=$?
check "--sink without --churn: usage error (exit 1, got $rc)" test $rc -eq 1
"$TRAFGEN" --server-netns "$S" --client-netns "$C" --churn-failures 10 >/dev/null 2>&1
rc=$?
check "--churn-failures without --churn: usage error (exit 1, got $rc)" test $rc -eq 1

results_done
