#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root): every MPTCP event that trafgen claims to have caused is
# multicast by the kernel to the "mptcp_pm_events" genl group of the namespace
# trafgen names, with the token trafgen names.
#
# Two namespaces (tests/lib/lib.sh), one `ip mptcp monitor` in each, trafgen
# with --expect, then each expected (netns, event, token) is matched against
# the monitor of that netns, as a multiset. Events the monitors saw beyond the
# expectations are reported, not failed: trafgen lists only what it is sure of.
#
# Environment: TRAFGEN (default build/static/trafgen, built by make if missing), CONNS (default 3), IP (default ip), KEEP=1 keeps
# the work directory.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

CONNS=${CONNS:-3}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
WAIT_S=5		# bound on every wait for a monitor
EVENTS="created established closed announced removed sub_established sub_closed
	sub_priority listener_created listener_closed"


# by the Makefile's rule; a TRAFGEN given from elsewhere must exist already
build_trafgen()
{
	[ -x "$TRAFGEN" ] && return 0
	[ "$TRAFGEN" = "$ROOT/build/static/trafgen" ] && evlat_build build/static/trafgen
}

# Match expectations ($1) against both monitors' output: "seen INO EVENT
# TOKEN" per monitor line, "ok|missing INO EVENT TOKEN" per expectation, then
# "extra INO EVENT TOKEN N" for what the monitors saw beyond the expectations.
# `ip mptcp monitor` lines look like "[SF_ESTABLISHED] token=1a2b3c4d remid=1
# locid=1 saddr4=..." (name right-aligned in 14 columns); iproute2 6.1 predates
# the listener events (kernel 6.2) and prints them as "[UNKNOWN 15]" / "16".
match_expect()
{
	local ns

	# each monitor's lines as "EVENT 0xTOKEN" (tests/lib/monitor_pairs.awk)
	for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
		awk -f "$ROOT/tests/lib/monitor_pairs.awk" "$WORK/mon.$ns" >"$WORK/pairs.$ns"
	done
	awk '
	phase == "monitor" {
		seen[ino " " $1 " " $2]++
		print "seen " ino " " $1 " " $2
		next
	}
	phase == "expect" && $1 == "expect" {
		ns = $2; ev = $3; tok = $4
		sub(/^netns=/, "", ns); sub(/^event=/, "", ev); sub(/^token=/, "", tok)
		key = ns " " ev " " tolower(tok)
		if (seen[key] > 0) {
			seen[key]--
			print "ok " key
		} else {
			print "missing " key
		}
	}
	END {
		for (key in seen)
			if (seen[key] > 0)
				print "extra " key " " seen[key]
	}' phase=monitor ino="$INO_S" "$WORK/pairs.$EVLAT_NS_SERVER" \
	   ino="$INO_C" "$WORK/pairs.$EVLAT_NS_CLIENT" phase=expect "$1"
}

all_seen() { ! match_expect "$WORK/expect" | grep -q '^missing'; }

# Wait until the monitors have printed every expected event, or WAIT_S.
wait_monitors() { wait_for "$WAIT_S" all_seen; }

ns_name()
{
	case $1 in
	"$INO_S") echo server ;;
	"$INO_C") echo client ;;
	*) echo "netns-$1" ;;
	esac
}

# One check per (namespace, event type) that trafgen listed.
check_matches()
{
	local ns ev n_ok n_miss

	for ns in "$INO_S" "$INO_C"; do
		for ev in $EVENTS; do
			n_ok=$(grep -c "^ok $ns $ev " "$WORK/match")
			n_miss=$(grep -c "^missing $ns $ev " "$WORK/match")
			[ $((n_ok + n_miss)) -eq 0 ] && continue
			if [ "$n_miss" -eq 0 ]; then
				ok "$(ns_name "$ns") $ev: $n_ok expected, all seen"
			else
				not_ok "$(ns_name "$ns") $ev: $n_miss of $((n_ok + n_miss))" \
					"not seen:$(grep "^missing $ns $ev " "$WORK/match" |
					   awk '{printf " %s", $4}')"
			fi
		done
	done
}

# Every event type must be listed at least once (the listener ones only on
# kernels that have them), or a trafgen that lists nothing would pass.
check_coverage()
{
	local ev missing=

	for ev in $EVENTS; do
		case $ev in
		listener_*) [ "$LISTENER" = 1 ] || continue ;;
		esac
		grep -q " event=$ev " "$WORK/expect" || missing="$missing $ev"
	done
	if [ -z "$missing" ]; then
		ok "expect file lists every event type ($([ "$LISTENER" = 1 ] &&
			echo 10 || echo 8) types)"
	else
		not_ok "expect file lacks:$missing"
	fi
}

# Proof that the matcher can fail: move a client ANNOUNCED to the server
# netns, where nothing announces an address to anybody in this scenario.
check_mutant()
{
	awk -v s="$INO_S" -v c="$INO_C" \
		'!done && $3 == "event=announced" && $2 == "netns=" c {
			$2 = "netns=" s; done = 1; print }' \
		"$WORK/expect" >"$WORK/expect.mutant"
	[ -s "$WORK/expect.mutant" ] && match_expect "$WORK/expect.mutant" | grep -q '^missing'
}

expect_well_formed()
{
	local re='^expect netns=[0-9]+ event=[a-z_]+ token=0x[0-9a-f]{8}$'

	[ -s "$WORK/expect" ] && ! grep -Evq "$re" "$WORK/expect" &&
		! awk -v s="$INO_S" -v c="$INO_C" \
			'$2 != "netns=" s && $2 != "netns=" c { bad = 1 } END { exit !bad }' \
			"$WORK/expect"
}

report_counts()
{
	local ev ns line

	echo "# events per type and namespace: expected by trafgen / seen by the monitor"
	printf '# %-17s %13s %13s\n' event server client
	for ev in $EVENTS; do
		line=$(printf '# %-17s' "$ev")
		for ns in "$INO_S" "$INO_C"; do
			line="$line $(printf '%13s' "$(grep -c "^expect netns=$ns event=$ev " \
				"$WORK/expect")/$(grep -c "^seen $ns $ev " "$WORK/match")")"
		done
		echo "$line"
	done
	# what the monitors saw that trafgen did not claim
	awk '$1 == "extra" { print $2, $3, $5 }' "$WORK/match" | sort |
		while read -r ns ev n; do
			echo "# not claimed by trafgen: $(ns_name "$ns") $ev x$n"
		done
}

main()
{
	local t0 t1 rc

	[ "$(id -u)" = 0 ] || { echo "genl_events.sh: needs root" >&2; exit 2; }
	work_start genl
	t0=$(now_ms)

	build_trafgen || bail "build trafgen"
	evlat_netns_up || bail "set up namespaces $EVLAT_NS_SERVER, $EVLAT_NS_CLIENT"
	INO_S=$(stat -L -c %i "$(evlat_netns_path "$EVLAT_NS_SERVER")")
	INO_C=$(stat -L -c %i "$(evlat_netns_path "$EVLAT_NS_CLIENT")")
	# Listener events exist from 6.2: the running kernel's BTF names them.
	LISTENER=0
	grep -aq 'MPTCP_EVENT_LISTENER_CREATED' /sys/kernel/btf/vmlinux 2>/dev/null &&
		LISTENER=1
	echo "# kernel $(uname -r), listener events: $([ $LISTENER = 1 ] && echo yes || echo no)"
	echo "# netns $EVLAT_NS_SERVER (server) $INO_S, $EVLAT_NS_CLIENT (client) $INO_C"

	start_monitor "$EVLAT_NS_SERVER" || bail "monitor in $EVLAT_NS_SERVER not subscribed"
	start_monitor "$EVLAT_NS_CLIENT" || bail "monitor in $EVLAT_NS_CLIENT not subscribed"

	t1=$(now_ms)
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" \
		--conns "$CONNS" --expect "$WORK/expect" -v 2>"$WORK/trafgen.err"
	rc=$?
	echo "# trafgen: $CONNS connection(s), exit $rc, $(($(now_ms) - t1)) ms"
	sed 's/^/#   /' "$WORK/trafgen.err"
	check "trafgen exits 0" [ "$rc" -eq 0 ]
	check "expect file is well formed, netns inodes are the two namespaces" \
		expect_well_formed

	wait_monitors
	stop_monitors
	match_expect "$WORK/expect" >"$WORK/match"
	check_coverage
	check_matches
	check "matcher flags an event moved to the wrong netns" check_mutant
	report_counts
	echo "# total $(($(now_ms) - t0)) ms"
	results_done
}

main "$@"
