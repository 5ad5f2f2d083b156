#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root) of src/genl.c, the mptcp_pm_events listener, on the running
# kernel, through tests/tools/genl_listen:
#   - open errors: missing namespace path (-ENOENT), not a namespace (-EINVAL),
#     no privileges (-EPERM for setns, and for joining the group in our netns);
#   - family and group ids as the genl controller lists them (`genl ctrl`),
#     netns inode as stat(1) prints it;
#   - one listener per namespace of tests/lib/lib.sh sees every event trafgen
#     says it caused, in the right namespace, with the right token, nothing
#     undecodable, recv_ns stamps non-decreasing;
#   - a listener with a tiny receive buffer that is not read while trafgen runs
#     counts the overflow (ENOBUFS), loses exactly what the kernel says it
#     dropped, and keeps receiving afterwards.
#
# Environment: TRAFGEN (build/static/trafgen), TOOLS (build/tools; make builds
# genl_listen there), IP (ip), KEEP=1 keeps the work directory.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
TOOLS=${TOOLS:-$ROOT/build/tools}
LISTEN=$TOOLS/genl_listen
WAIT_S=5
LPID=

# before work_cleanup (tests/lib/lib.sh): the listener's stdin, then the listener
work_on_exit()
{
	exec 3>&- 2>/dev/null
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
}

# by the Makefile's rules; TOOLS and TRAFGEN given from elsewhere must exist already
build()
{
	evlat_build build/tools/genl_listen build/static/trafgen || return 1
	[ -x "$LISTEN" ] && [ -x "$TRAFGEN" ]
}

# field KEY LINE: the value of KEY=... in LINE
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# ---- opening ------------------------------------------------------------------

test_open_errors()
{
	local out

	out=$("$LISTEN" open /run/netns/evlat-no-such-netns)
	check "missing netns path: -ENOENT (open=-2)" [ "$(field open "$out")" = -2 ]
	echo "not a namespace" >"$WORK/file"
	out=$("$LISTEN" open "$WORK/file")
	check "a file that is not a netns: -EINVAL (open=-22)" [ "$(field open "$out")" = -22 ]
	if ! command -v setpriv >/dev/null; then
		skip "unprivileged opens" "no setpriv (util-linux) here"
		return
	fi
	out=$(as_nobody "$LISTEN" open "$(evlat_netns_path "$EVLAT_NS_SERVER")")
	check "unprivileged, other netns: -EPERM from setns (open=-1)" \
		[ "$(field open "$out")" = -1 ]
	out=$(as_nobody "$LISTEN" open)
	check "unprivileged, own netns: -EPERM from joining the group (open=-1)" \
		[ "$(field open "$out")" = -1 ]
}

# family and group ids as `genl ctrl get name mptcp_pm` lists them, in decimal
ctrl_ids()
{
	local out fam grp

	out=$(genl ctrl get name mptcp_pm 2>/dev/null) || return 1
	fam=$(sed -n 's/.*ID: \(0x[0-9a-f]*\).*/\1/p' <<<"$out" | head -n1)
	grp=$(sed -n 's/.*ID-\(0x[0-9a-f]*\) *name: mptcp_pm_events.*/\1/p' <<<"$out")
	[ -n "$fam" ] && [ -n "$grp" ] && echo "$((fam)) $((grp))"
}

test_open_ids()
{
	local out ids ns ino

	out=$("$LISTEN" open)
	check "own netns: open=0" [ "$(field open "$out")" = 0 ]
	check "own netns: netns_ino is /proc/self/ns/net's inode" \
		[ "$(field netns "$out")" = "$(stat -L -c %i /proc/self/ns/net)" ]
	check "receive buffer enlarged (rcvbuf=$(field rcvbuf "$out") >= 4 MiB)" \
		[ "$(field rcvbuf "$out")" -ge $((4 << 20)) ]
	ids=$(ctrl_ids)
	if [ -z "$ids" ]; then
		skip "family and group ids as genl ctrl lists them" "genl ctrl unavailable"
	else
		check "family and group ids as genl ctrl lists them ($ids)" \
			[ "$(field family_id "$out") $(field group_id "$out")" = "$ids" ]
	fi
	ns=$(evlat_netns_path "$EVLAT_NS_SERVER")
	ino=$(stat -L -c %i "$ns")
	out=$("$LISTEN" open "$ns")
	check "netns $EVLAT_NS_SERVER: open=0, netns_ino $ino" \
		[ "$(field open "$out") $(field netns "$out")" = "0 $ino" ]
	check "the opening thread is back in its own netns afterwards" \
		[ "$(field self_ino "$out")" = "$(stat -L -c %i /proc/self/ns/net)" ]
}

# ---- events -------------------------------------------------------------------

# start_listener OUT ARGS...: genl_listen listen, stdin from fd 3, until "ready"
start_listener()
{
	local out=$1

	shift
	rm -f "$WORK/ctl"
	mkfifo "$WORK/ctl" || return 1
	"$LISTEN" listen "$@" <"$WORK/ctl" >"$out" 2>"$out.err" &
	LPID=$!
	exec 3>"$WORK/ctl"
	wait_for "$WAIT_S" grep -q '^ready$' "$out"
}

stop_listener()
{
	local rc

	exec 3>&-
	wait "$LPID"
	rc=$?
	LPID=
	return $rc
}

# Match "expect netns=I event=E token=0xT" lines ($1) against the listener's
# "event netns=I ... event=E token=0xT" lines ($2), as a multiset:
# "ok|missing I E T" per expectation.
match_expect()
{
	awk '
	FNR == NR && $1 == "event" {
		ns = $2; sub(/^netns=/, "", ns)
		ev = ""; tok = "0x00000000"
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^event=/) ev = substr($i, 7)
			if ($i ~ /^token=/) tok = substr($i, 7)
		}
		seen[ns " " ev " " tok]++
		next
	}
	FNR != NR && $1 == "expect" {
		ns = $2; ev = $3; tok = $4
		sub(/^netns=/, "", ns); sub(/^event=/, "", ev); sub(/^token=/, "", tok)
		key = ns " " ev " " tok
		if (seen[key] > 0) { seen[key]--; print "ok " key } else print "missing " key
	}' "$2" "$1"
}

all_seen() { ! match_expect "$1" "$2" | grep -q '^missing'; }

# recv_ns never goes back within one listener
stamps_monotonic()
{
	awk '$1 == "event" { ns = $2; t = $3; sub(/^recv_ns=/, "", t)
		if (t == 0 || (ns in last && t < last[ns])) bad = 1; last[ns] = t }
		END { exit bad }' "$1"
}

stat_of() { field "$2" "$(grep "^stats netns=$1 " "$3" | tail -n1)"; }

# clean_stats INO OUT: the listener of INO counted one msg per line it printed,
# and nothing went wrong
clean_stats()
{
	[ "$(stat_of "$1" msgs "$2")" = "$(grep -c "^event netns=$1 " "$2")" ] &&
		[ "$(stat_of "$1" decode_errors "$2")" = 0 ] &&
		[ "$(stat_of "$1" overruns "$2")" = 0 ] && [ "$(stat_of "$1" msgs "$2")" -gt 0 ]
}

test_events()
{
	local out=$WORK/events ino_s ino_c ns n_exp

	ino_s=$(stat -L -c %i "$(evlat_netns_path "$EVLAT_NS_SERVER")")
	ino_c=$(stat -L -c %i "$(evlat_netns_path "$EVLAT_NS_CLIENT")")
	start_listener "$out" "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		"$(evlat_netns_path "$EVLAT_NS_CLIENT")" || bail "listener did not start"
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 3 \
		--expect "$WORK/expect" 2>"$WORK/trafgen.err" || bail "trafgen failed"
	n_exp=$(grep -c '^expect' "$WORK/expect")
	wait_for "$WAIT_S" all_seen "$WORK/expect" "$out"
	check "listener exits cleanly" stop_listener
	check "every one of $n_exp events trafgen caused was received, right netns and token" \
		all_seen "$WORK/expect" "$out"
	check "all 10 event types among them" [ "$(grep -o ' event=[a-z_]*' "$WORK/expect" |
		sort -u | wc -l)" -eq 10 ]
	check "events only from the two namespaces" \
		[ -z "$(awk -v s="$ino_s" -v c="$ino_c" '$1 == "event" && $2 != "netns=" s &&
			$2 != "netns=" c' "$out")" ]
	check "recv_ns stamps non-zero and non-decreasing per listener" stamps_monotonic "$out"
	for ns in "$ino_s" "$ino_c"; do
		check "netns $ns: msgs = lines printed, no decode error, no overrun" \
			clean_stats "$ns" "$out"
	done
	# a test that cannot fail is a defect: a wrong token must show as missing
	sed '0,/token=0x[0-9a-f]\{8\}$/s//token=0xdeadbeef/' "$WORK/expect" >"$WORK/expect.mutant"
	check "the matcher flags an event with a wrong token" \
		match_expect_fails "$WORK/expect.mutant" "$out"
}

match_expect_fails() { match_expect "$1" "$2" | grep -q '^missing'; }

# Tiny buffer, not read while trafgen runs: ENOBUFS counted; received + dropped
# = what trafgen caused in that netns; then more events still arrive.
test_overrun()
{
	local out=$WORK/overrun ino n_exp n_got n_drop n_over

	ino=$(stat -L -c %i "$(evlat_netns_path "$EVLAT_NS_CLIENT")")
	start_listener "$out" -r 1 -H "$(evlat_netns_path "$EVLAT_NS_CLIENT")" ||
		bail "held listener did not start"
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 3 \
		--expect "$WORK/expect2" 2>>"$WORK/trafgen.err" || bail "trafgen failed"
	echo go >&3
	echo stats >&3
	wait_for "$WAIT_S" grep -q '^stats' "$out"
	n_exp=$(grep -c "^expect netns=$ino " "$WORK/expect2")
	n_got=$(stat_of "$ino" msgs "$out")
	n_drop=$(stat_of "$ino" drops "$out")
	n_over=$(stat_of "$ino" overruns "$out")
	echo "# held listener: $n_exp events caused, $n_got received, $n_drop dropped," \
		"$n_over ENOBUFS"
	check "overflow reported as ENOBUFS and counted (overruns=$n_over)" [ "$n_over" -ge 1 ]
	check "received + dropped = caused ($n_got + $n_drop = $n_exp)" \
		[ $((n_got + n_drop)) -eq "$n_exp" ]
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 1 \
		--expect "$WORK/expect3" 2>>"$WORK/trafgen.err" || bail "trafgen failed"
	wait_for "$WAIT_S" grep -q "token=$(awk -v i="$ino" '$2 == "netns=" i { sub(/^token=/, "", $4);
		print $4; exit }' "$WORK/expect3")" "$out"
	check "listener exits cleanly after the overflow" stop_listener
	check "events still arrive after the overflow" \
		grep -q "token=$(awk -v i="$ino" '$2 == "netns=" i { sub(/^token=/, "", $4);
			print $4; exit }' "$WORK/expect3")" "$out"
}

main()
{
	[ "$(id -u)" = 0 ] || { echo "genl_listener.sh: needs root" >&2; exit 2; }
	work_start genl-listener
	build || bail "build genl_listen / trafgen"
	evlat_netns_up || bail "set up namespaces $EVLAT_NS_SERVER, $EVLAT_NS_CLIENT"
	echo "# kernel $(uname -r)"
	test_open_errors
	test_open_ids
	test_events
	test_overrun
	results_done
}

main "$@"
