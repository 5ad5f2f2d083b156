#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Record real mptcp_pm_events datagrams, and what `ip mptcp monitor` printed
# for the same events, in both namespaces of tests/lib/lib.sh. The files
# feed tests/unit/test_nl_decode.c; tests/data/README.md describes them.
#
#   tests/tools/capture.sh [OUT_DIR]        (root; OUT_DIR: tests/data)
#
# Scenarios, each in fresh namespaces, each captured in both of them:
#   v4  trafgen --conns 2: every event type, IPv4
#   v6  mptcp_pair three times:
#       a. IPv6 (listener on ::), ADD_ADDR fd00:2::1, join, MP_PRIO, RM_ADDR, close
#       b. IPv4-mapped (AF_INET6 sockets to ::ffff:10.0.1.1), ADD_ADDR 10.0.2.1, ...
#       c. listener bound to fd00:1::1 only: the join to fd00:2::1 is refused,
#          SUB_CLOSED carries error=111 (ECONNREFUSED)
#       d. as a., with a client endpoint "fd00:2::2 dev evc2 subflow fullmesh": the
#          join is bound to evc2, SUB_ESTABLISHED carries if_idx
#
# Environment: TRAFGEN (build/static/trafgen), TOOLS (build/tools: nlcapture
# and mptcp_pair; make builds them in build/tools), IP (ip).

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

OUT=${1:-$ROOT/tests/data}
TOOLS=${TOOLS:-$ROOT/build/tools}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
WAIT_S=5
CAP_PIDS=
MON_PIDS=
WORK=

die()
{
	echo "capture.sh: $*" >&2
	exit 1
}

# the Makefile's rules; TOOLS and TRAFGEN given from elsewhere must exist already
build_tools()
{
	evlat_build build/tools/nlcapture build/tools/mptcp_pair build/static/trafgen || return 1
	[ -x "$TOOLS/nlcapture" ] && [ -x "$TOOLS/mptcp_pair" ] && [ -x "$TRAFGEN" ]
}

# start NAME NETNS: nlcapture and ip mptcp monitor in NETNS, both subscribed
start()
{
	local name=$1 ns=$2 pid

	rm -f "$WORK/$name.meta"
	"$TOOLS/nlcapture" -n "$(evlat_netns_path "$ns")" -m "$WORK/$name.meta" \
		"$OUT/$name.nlbin" 2>"$WORK/$name.nlcapture.err" &
	CAP_PIDS="$CAP_PIDS $!:$name"
	"$IP" -n "$ns" mptcp monitor >"$OUT/$name.monitor.txt" &
	pid=$!
	MON_PIDS="$MON_PIDS $pid"
	wait_for "$WAIT_S" test -s "$WORK/$name.meta" || die "nlcapture in $ns did not subscribe"
	wait_for "$WAIT_S" monitor_subscribed "$ns" "$pid" || die "ip mptcp monitor in $ns did not subscribe"
}

lines() { grep -c "$2" "$OUT/$1.monitor.txt"; }
# saw NAME PATTERN N: the monitor of NAME printed at least N lines matching
saw() { [ "$(lines "$1" "$2")" -ge "$3" ]; }

# Both monitors quiet for 0.5 s: the kernel has sent everything.
settle()
{
	local a b

	a=$(cat "$OUT"/*.monitor.txt | wc -l)
	while sleep 0.5; do
		b=$(cat "$OUT"/*.monitor.txt | wc -l)
		[ "$a" = "$b" ] && return 0
		a=$b
	done
}

# stop SCENARIO: stop every capture and monitor, write the .meta files
stop()
{
	local entry pid name rc=0

	settle
	for entry in $CAP_PIDS; do
		pid=${entry%%:*} name=${entry#*:}
		kill -TERM "$pid"
		wait "$pid" || rc=1
		{
			cat "$WORK/$name.meta"
			echo "scenario=$1"
			echo "iproute2=$("$IP" -V | sed -n 's/.*iproute2-\([^ ,]*\).*/\1/p')"
		} >"$OUT/$name.meta"
		echo "# $name: $(tail -n1 "$WORK/$name.nlcapture.err" | sed 's/^nlcapture: //')," \
			"$(wc -l <"$OUT/$name.monitor.txt") monitor lines"
	done
	for pid in $MON_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CAP_PIDS='' MON_PIDS=''
	[ "$rc" = 0 ] || die "a capture was incomplete (ENOBUFS or truncated)"
}

cleanup()
{
	local entry

	for entry in $CAP_PIDS; do kill "${entry%%:*}" 2>/dev/null; done
	for entry in $MON_PIDS; do kill "$entry" 2>/dev/null; done
	wait 2>/dev/null
	evlat_netns_down
	[ -n "$WORK" ] && rm -rf "$WORK"
}

scenario_v4()
{
	evlat_netns_up || die "namespaces"
	start v4.server "$EVLAT_NS_SERVER"
	start v4.client "$EVLAT_NS_CLIENT"
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 2 \
		--expect "$WORK/v4.expect" || die "trafgen failed"
	stop "trafgen --conns 2"
}

v6_addresses()
{
	local i

	for i in 1 2; do
		"$IP" -n "$EVLAT_NS_SERVER" addr add "fd00:$i::1/64" dev "evs$i" nodad || return 1
		"$IP" -n "$EVLAT_NS_CLIENT" addr add "fd00:$i::2/64" dev "evc$i" nodad || return 1
	done
	for i in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		"$IP" -n "$i" mptcp endpoint flush || return 1
		"$IP" -n "$i" mptcp limits set subflows 2 add_addr_accepted 2 || return 1
	done
}

# one_more NAME PATTERN: wait until the monitor of NAME printed one more line
# matching PATTERN than it had when pair_run started (see BASE)
one_more()
{
	wait_for "$WAIT_S" saw "$1" "$2" $((${BASE[$1 $2]} + 1))
}

# pair_run N LISTEN CONNECT PORT ENDPOINT JOIN [CLIENT_ENDPOINT...]: one
# connection; ENDPOINT is announced by the server; JOIN=ok: the join works
# (MP_PRIO step), else it is refused; CLIENT_ENDPOINT: for the client's joins
pair_run()
{
	local n=$1 line key
	declare -gA BASE=()

	for key in "v6.client \\[ *ESTABLISHED]" "v6.server SF_ESTABLISHED" "v6.client SF_PRIO" \
		"v6.client error=" "v6.client REMOVED" "v6.server \\[ *CLOSED]"; do
		BASE[$key]=$(lines "${key%% *}" "${key#* }")
	done
	if [ $# -gt 6 ]; then
		"$IP" -n "$EVLAT_NS_CLIENT" mptcp endpoint add "${@:7}" || die "run $n: endpoint"
	fi
	coproc PAIR { exec "$TOOLS/mptcp_pair" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --listen "$2" \
		--connect "$3" --port "$4"; }
	{ read -r -t "$WAIT_S" line <&"${PAIR[0]}" && [ "$line" = connected ]; } ||
		die "run $n: no connection"
	one_more v6.client '\[ *ESTABLISHED]' || die "run $n: no ESTABLISHED"
	"$IP" -n "$EVLAT_NS_SERVER" mptcp endpoint add "$5" dev evs2 id 5 signal
	if [ "$6" = ok ]; then
		one_more v6.server SF_ESTABLISHED || die "run $n: no join"
		"$IP" -n "$EVLAT_NS_SERVER" mptcp endpoint change id 5 backup
		one_more v6.client SF_PRIO || die "run $n: no SF_PRIO"
	else
		one_more v6.client 'error=' || die "run $n: join not refused"
	fi
	"$IP" -n "$EVLAT_NS_SERVER" mptcp endpoint delete id 5
	one_more v6.client REMOVED || die "run $n: no REMOVED"
	echo close >&"${PAIR[1]}"
	read -r -t "$WAIT_S" line <&"${PAIR[0]}"
	wait "$PAIR_PID"
	one_more v6.server '\[ *CLOSED]' || die "run $n: no CLOSED"
	"$IP" -n "$EVLAT_NS_CLIENT" mptcp endpoint flush
}

scenario_v6()
{
	{ evlat_netns_up && v6_addresses; } || die "namespaces"
	start v6.server "$EVLAT_NS_SERVER"
	start v6.client "$EVLAT_NS_CLIENT"
	pair_run 1 :: fd00:1::1 10200 fd00:2::1 ok
	pair_run 2 :: ::ffff:10.0.1.1 10201 10.0.2.1 ok
	pair_run 3 fd00:1::1 fd00:1::1 10202 fd00:2::1 refused
	pair_run 4 :: fd00:1::1 10203 fd00:2::1 ok fd00:2::2 dev evc2 id 7 subflow fullmesh
	stop "mptcp_pair: IPv6, IPv4-mapped, IPv6 with a refused join, IPv6 with if_idx"
}

main()
{
	[ "$(id -u)" = 0 ] || die "needs root"
	mkdir -p "$OUT" || die "cannot create $OUT"
	WORK=$(mktemp -d /tmp/evlat-capture.XXXXXX) || die "mktemp"
	trap cleanup EXIT
	build_tools || die "cannot build the tools"
	echo "# kernel $(uname -r), writing to $OUT"
	scenario_v4
	scenario_v6
}

main "$@"
