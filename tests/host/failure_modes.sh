#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF): every failure mode of `trafgen --scenario` against the kernel. For
# each scenario, in fresh namespaces, with `ip mptcp monitor` and `mptcp-evlat --genl-only
# --json` in both:
#   - trafgen exits 0 and its --expect list equals, per namespace, the (event, token) pairs the
#     monitor printed: exactly, no event missing, none more;
#   - mptcp-evlat reported the same pairs, all `received`;
#   - every SUB_CLOSED the monitor printed has, in mptcp-evlat's JSON line with the same ports,
#     the same error, reset_reason and reset_flags (or none, when the monitor showed none).
# Then: a list with one SUB_CLOSED dropped does not match (the comparison can fail), and an
# unknown scenario or a scenario with --conns 2 is a usage error.
#
# Namespaces: EVLAT_NS_SERVER / EVLAT_NS_CLIENT (default evfm-s / evfm-c, names of this test
# only). Environment: TRAFGEN, EVLAT (default build/static/trafgen, ./mptcp-evlat), SCENARIOS
# (default: all of trafgen --help), IP, SS, KEEP=1 keeps the work directory.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${EVLAT_NS_SERVER:=evfm-s}"
: "${EVLAT_NS_CLIENT:=evfm-c}"
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
WAIT_S=10
export SS=${SS:-ss} IP

# the scenarios trafgen knows: the lines after "Scenarios (--scenario):" of its help
all_scenarios() {
	"$TRAFGEN" --help | sed -n '/^Scenarios/,$p' | awk 'NR > 1 { print $1 }'
}

# pairs_expect FILE INO: "event token" per expected event of that namespace
pairs_expect() {
	awk -v ino="$2" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print $3, $4 }' "$1" | sort
}

# pairs_json FILE: the same from mptcp-evlat's event lines
pairs_json() {
	jq -r 'select(.type=="event") | "\(.event) \(.token // "0x00000000")"' "$1" | sort
}

# closed_attrs_mon FILE: "token sport dport error reset_reason reset_flags" of each SF_CLOSED
closed_attrs_mon() {
	awk 'function hex(s,  n, i) { # "0x1f" -> 31 (mawk has no strtonum)
		n = 0
		for (i = 3; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return n
	}
	/^\[ *SF_CLOSED\]/ {
		t = "-"; sp = "-"; dp = "-"; e = "-"; rr = "-"; rf = "-"
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "token") t = sprintf("0x%08s", kv[2])
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

closed_attrs_json() {
	jq -r 'select(.type=="event" and .event=="sub_closed") |
		[.token, .sport, .dport, .error, .reset_reason, .reset_flags] |
		map(if . == null then "-" else tostring end) | join(" ")' "$1" | sort
}

monitor_has() { [ "$(grep -c '^\[' "$1")" -ge "$2" ]; }

# same WHAT A B: check that two files are equal, show the difference when not
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$2" "$3" | sed 's/^/#   /'
	fi
}

start_listeners() {
	local ns
	for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		start_monitor "$ns" || return 1
		"$EVLAT" --genl-only -N "$ns" --json >"$WORK/$ns.json" 2>"$WORK/$ns.err" &
		PIDS="$PIDS $!"
		wait_line "$WORK/$ns.err" 'listening to mptcp_pm_events' "$WAIT_S" $! || return 1
	done
}

stop_listeners() {
	local p
	stop_monitors
	for p in $PIDS; do
		kill -INT "$p" 2>/dev/null
		wait "$p"
	done
	PIDS=
}

# scenario NAME: one failure mode, its checks
scenario() {
	local sc=$1 ns rc n
	local d=$WORK/$sc

	mkdir -p "$d"
	evlat_netns_up >"$d/netns.log" 2>&1 || { not_ok "$sc: namespaces up"; return; }
	for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		stat -L -c %i "$(evlat_netns_path "$ns")" >"$d/ino.$ns"
	done
	WORK_SAVE=$WORK
	WORK=$d
	if ! start_listeners; then
		not_ok "$sc: monitor and mptcp-evlat listening in both namespaces"
		stop_listeners
		WORK=$WORK_SAVE
		evlat_netns_down
		return
	fi
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --scenario "$sc" \
		--expect "$d/expect" -v 2>"$d/trafgen.err"
	rc=$?
	check_rc "$sc: trafgen exits 0 (got $rc)" $rc || sed 's/^/#   /' "$d/trafgen.err"
	for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		n=$(grep -c "netns=$(cat "$d/ino.$ns") " "$d/expect")
		wait_for "$WAIT_S" monitor_has "$d/mon.$ns" "$n"
	done
	sleep 0.3 # and no more: the lists are compared for equality
	stop_listeners
	WORK=$WORK_SAVE
	evlat_netns_down
	for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		report_side "$sc" "$ns" "$d"
	done
}

# report_side SCENARIO NS DIR: the three comparisons for one namespace
report_side() {
	local sc=$1 ns=$2 d=$3 side ino counts

	side=$([ "$ns" = "$EVLAT_NS_SERVER" ] && echo server || echo client)
	ino=$(cat "$d/ino.$ns")
	pairs_expect "$d/expect" "$ino" >"$d/want.$ns"
	awk -f "$ROOT/tests/lib/monitor_pairs.awk" "$d/mon.$ns" | sort >"$d/mon.$ns.pairs"
	counts=$(cut -d' ' -f1 "$d/want.$ns" | sort | uniq -c | awk '{ printf " %s %s", $1, $2 }')
	same "$sc: $side: trafgen's list = ip mptcp monitor ($(wc -l <"$d/want.$ns") events:$counts)" \
		"$d/want.$ns" "$d/mon.$ns.pairs"
	pairs_json "$d/$ns.json" >"$d/json.$ns.pairs"
	same "$sc: $side: mptcp-evlat --genl-only reported the same events" \
		"$d/mon.$ns.pairs" "$d/json.$ns.pairs"
	check "$sc: $side: every event received, no overrun" jq -se '
		([.[] | select(.type=="event") | .status] | all(. == "received")) and
		([.[] | select(.type=="summary")][0].netlink.overruns == 0)' "$d/$ns.json"
	closed_attrs_mon "$d/mon.$ns" >"$d/mon.$ns.closed"
	closed_attrs_json "$d/$ns.json" >"$d/json.$ns.closed"
	same "$sc: $side: sub_closed error/reset_reason/reset_flags as the monitor printed" \
		"$d/mon.$ns.closed" "$d/json.$ns.closed"
	sed "s/^/# $sc $side sub_closed: /" "$d/mon.$ns.closed"
}

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces)"
[ -x "$TRAFGEN" ] || bail "$TRAFGEN missing (make)"
[ -x "$EVLAT" ] || bail "$EVLAT missing (make)"
work_start failure-modes
echo "# kernel $(uname -r), namespaces $EVLAT_NS_SERVER / $EVLAT_NS_CLIENT, $($SS -V 2>&1)"
SCENARIOS=${SCENARIOS:-$(all_scenarios)}
[ -n "$SCENARIOS" ] || bail "trafgen --help lists no scenario"

for sc in $SCENARIOS; do
	case $sc in
	kill-* | ipv6 | ipv4-mapped | max-subflows)
		if ! command -v "$SS" >/dev/null; then
			skip "${sc}" "no ss (iproute2) here"
			continue
		fi
		;;
	esac
	echo "# --- scenario $sc"
	scenario "$sc"
done

# the comparison can fail: one SUB_CLOSED fewer in a list that had one
d=$WORK/kill-join-client
if [ -s "$d/want.$EVLAT_NS_CLIENT" ]; then
	awk '$1 == "sub_closed" && !done { done = 1; next } { print }' "$d/want.$EVLAT_NS_CLIENT" \
		>"$d/mutant"
	! cmp -s "$d/mutant" "$d/mon.$EVLAT_NS_CLIENT.pairs"
	check_rc "a list with one sub_closed dropped does not equal the monitor's" $?
fi
# the attributes reached the JSON lines at all
cat "$WORK"/*/"$EVLAT_NS_SERVER".json "$WORK"/*/"$EVLAT_NS_CLIENT".json >"$WORK/all.json"
check "some sub_closed carried error and reset_reason into the JSON" jq -se '
	any(.[]; .event == "sub_closed" and .error != null) and
	any(.[]; .event == "sub_closed" and .reset_reason != null)' "$WORK/all.json"

S=$(evlat_netns_path "$EVLAT_NS_SERVER") C=$(evlat_netns_path "$EVLAT_NS_CLIENT")
"$TRAFGEN" --server-netns "$S" --client-netns "$C" --scenario no-such >/dev/null 2>&1
rc=$?
check "an unknown scenario is a usage error (exit 1, got $rc)" [ $rc -eq 1 ]
"$TRAFGEN" --server-netns "$S" --client-netns "$C" --scenario fastclose --conns 2 \
	>/dev/null 2>&1
rc=$?
check "a scenario with --conns 2 is a usage error (exit 1, got $rc)" [ $rc -eq 1 ]
results_done
