#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF: this kernel refuses fentry, so --genl-only): once
# the listener has joined mptcp_pm_events, mptcp-evlat holds no capability
# (src/privdrop.c): CapEff, CapPrm, CapInh and CapAmb of every thread are 0,
# NoNewPrivs is 1, uid stays 0, and events keep arriving: every event trafgen
# causes afterwards is reported. Twice: as plain root (the bounding set is
# emptied too) and under a bounding set without CAP_SETPCAP, as the systemd
# unit (contrib/mptcp-evlat.service) gives it (the bounding set then stays).

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
DURATION=${DURATION:-5}
ZERO=0000000000000000
work_start privdrop

# status_field STATUS_FILE KEY: the value of "KEY:\tvalue"
status_field() {
	awk -v k="$2:" '$1 == k { print $2; exit }' "$1"
}

# check_field NAME STATUS_FILE KEY WANT
check_field() {
	local got
	got=$(status_field "$2" "$3")
	if [ "$got" = "$4" ]; then
		ok "$1: $3 is $4"
	else
		not_ok "$1: $3 is ${got:-missing}, want $4 (is privdrop_all() called once the" \
			"listener has joined?)"
	fi
}

# run_case NAME NS WANT_BND -- [PREFIX...]: start the tracer (behind PREFIX),
# check its sets while it runs, drive traffic, check what it reported.
run_case() {
	local name=$1 ns=$2 want_bnd=$3 pid rc tid ino missing
	shift 4
	"$@" "$EVLAT" --genl-only -N "$ns" -j -d "$DURATION" >"$WORK/$name.json" \
		2>"$WORK/$name.err" &
	pid=$!
	PIDS="$PIDS $pid"
	if ! wait_line "$WORK/$name.err" 'listening to mptcp_pm_events' 10; then
		not_ok "$name: listener up: $(cat "$WORK/$name.err")"
		return
	fi
	ok "$name: listener up in $ns"
	# the "listening" line comes after the drop: no race with the read below
	cp "/proc/$pid/status" "$WORK/$name.status" 2>/dev/null ||
		{ not_ok "$name: tracer exited early: $(cat "$WORK/$name.err")"; return; }
	for f in CapEff CapPrm CapInh CapAmb; do
		check_field "$name" "$WORK/$name.status" "$f" "$ZERO"
	done
	check_field "$name" "$WORK/$name.status" NoNewPrivs 1
	check_field "$name" "$WORK/$name.status" CapBnd "$want_bnd"
	check "$name: uid stays 0 (files stay readable as root)" \
		[ "$(status_field "$WORK/$name.status" Uid)" = 0 ]
	# capabilities are per thread: every thread must have dropped them
	for tid in /proc/"$pid"/task/*; do
		awk '$1 ~ /^Cap(Eff|Prm|Inh|Amb):$/ { print $2 }' "$tid/status" 2>/dev/null
	done | sort -u >"$WORK/$name.threads"
	check "$name: every thread has no capability ($(tr '\n' ' ' <"$WORK/$name.threads"))" \
		[ "$(cat "$WORK/$name.threads")" = "$ZERO" ]

	"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
		--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 3 \
		--expect "$WORK/$name.expect" >"$WORK/$name.trafgen" 2>&1
	check "$name: trafgen ran after the drop" [ $? -eq 0 ]
	wait "$pid"
	rc=$?
	PIDS=${PIDS/ $pid/}
	check "$name: mptcp-evlat -d $DURATION exited 0 (got $rc)" [ "$rc" -eq 0 ]
	check "$name: every line is valid JSON" jq -e . "$WORK/$name.json"

	ino=$(stat -L -c %i "$(evlat_netns_path "$ns")")
	jq -r 'select(.type=="event") | "\(.event) \(.token // "0x00000000")"' \
		"$WORK/$name.json" | sort >"$WORK/$name.got"
	awk -v ino="$ino" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print $3, $4 }' "$WORK/$name.expect" | sort >"$WORK/$name.want"
	missing=$(comm -23 "$WORK/$name.want" "$WORK/$name.got")
	check "$name: all $(wc -l <"$WORK/$name.want") events trafgen caused in $ns arrived" \
		[ -s "$WORK/$name.want" -a -z "$missing" ]
	[ -z "$missing" ] || printf '  missing: %s\n' "$missing"
	check "$name: a summary, no overruns, no decode errors" jq -se '
		[.[] | select(.type=="summary")] | length == 1 and
		.[0].netlink.overruns == 0 and .[0].netlink.errors == 0' "$WORK/$name.json"
}

[ "$(id -u)" -eq 0 ] || bail "privdrop.sh: needs root (network namespaces, CAP_NET_ADMIN)"
for tool in "$EVLAT" "$TRAFGEN"; do
	[ -x "$tool" ] || bail "privdrop.sh: $tool missing: run make"
done
evlat_netns_up >"$WORK/netns.log" 2>&1 || bail "netns up: $(cat "$WORK/netns.log")"

# plain root: with CAP_SETPCAP the bounding set is emptied as well
run_case root "$EVLAT_NS_SERVER" "$ZERO" --

# the unit's situation: no CAP_SETPCAP, so the bounding set stays as given
# (CAP_NET_ADMIN 12: join, SO_RCVBUFFORCE; CAP_SYS_ADMIN 21: setns for -N)
run_case bounded "$EVLAT_NS_CLIENT" 0000000000201000 -- \
	setpriv --bounding-set=-all,+net_admin,+sys_admin --inh-caps=-all

results_done
