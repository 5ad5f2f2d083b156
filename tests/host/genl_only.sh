#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF: this kernel refuses fentry): mptcp-evlat --genl-only
# in each of the two trafgen namespaces reports, as JSON lines checked with
# jq, every event trafgen caused there with its token, and a summary whose
# counts equal the lines. Also: the default mode's refusal here is one message
# and exit 6, and the text summary of --genl-only has a row per event type.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
work_start genl-only

# --- the host kernel refuses fentry: one line, exit 6 -------------------------
"$EVLAT" -d 1 >"$WORK/refused.out" 2>"$WORK/refused.err"
rc=$?
check "default mode on this kernel exits 6 (BPF refused), got $rc" [ "$rc" -eq 6 ]
check "one error line" [ "$(wc -l <"$WORK/refused.err")" -eq 1 ]
grep -q -- '--genl-only' "$WORK/refused.err"
check_rc "the message points to --genl-only: $(cat "$WORK/refused.err")" $?

# --- --genl-only in each namespace -------------------------------------------
evlat_netns_up >"$WORK/netns.log" 2>&1 || bail "netns up"
for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
	"$EVLAT" --genl-only -N "$ns" -j >"$WORK/$ns.json" 2>"$WORK/$ns.err" &
	PIDS="$PIDS $!"
done
"$EVLAT" --genl-only -N "$EVLAT_NS_SERVER" >"$WORK/text.out" 2>"$WORK/text.err" &
TEXT_PID=$!
PIDS="$PIDS $TEXT_PID"
for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
	check "listener up in $ns" wait_line "$WORK/$ns.err" 'listening to mptcp_pm_events' 10
done
check "text listener up" wait_line "$WORK/text.err" 'listening' 10
"$TRAFGEN" --server-netns "$(evlat_netns_path "$EVLAT_NS_SERVER")" \
	--client-netns "$(evlat_netns_path "$EVLAT_NS_CLIENT")" --conns 3 \
	--expect "$WORK/expect.txt" >"$WORK/trafgen.log" 2>&1
check "trafgen ran" [ $? -eq 0 ]
sleep 0.3
for p in $PIDS; do kill -INT "$p"; done
for p in $PIDS; do wait "$p"; check "mptcp-evlat pid $p exited 0" [ $? -eq 0 ]; done
PIDS=

for ns in "$EVLAT_NS_SERVER" "$EVLAT_NS_CLIENT"; do
	ino=$(stat -L -c %i "$(evlat_netns_path "$ns")")
	check "$ns: every line is valid JSON" jq -e . "$WORK/$ns.json"
	jq -r 'select(.type=="event") | "\(.netns) \(.event) \(.token // "0x00000000")"' \
		"$WORK/$ns.json" | sort >"$WORK/$ns.got"
	awk -v ino="$ino" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print ino, $3, $4 }' "$WORK/expect.txt" | sort >"$WORK/$ns.want"
	missing=$(comm -23 "$WORK/$ns.want" "$WORK/$ns.got")
	check "$ns: all $(wc -l <"$WORK/$ns.want") expected events reported" [ -z "$missing" ]
	[ -z "$missing" ] || printf '%s\n' "$missing" | sed 's/^/  missing: /'
	check "$ns: every event status is received" \
		jq -se '[.[] | select(.type=="event") | .status] | all(. == "received")' \
		"$WORK/$ns.json"
	# shellcheck disable=SC2016 # $lines is jq's
	check "$ns: summary counts equal the event lines" jq -se '
		([.[] | select(.type=="event")] | group_by(.event)
			| map({key: .[0].event, value: length}) | from_entries) as $lines
		| (.[] | select(.type=="summary") | .events | map_values(.received)) == $lines' \
		"$WORK/$ns.json"
	check "$ns: no overruns, no decode errors" jq -se \
		'.[] | select(.type=="summary") | .netlink.overruns == 0 and .netlink.errors == 0' \
		"$WORK/$ns.json"
done
for ev in created established closed sub_established sub_closed; do
	check "text summary has a $ev row" grep -q "^$ev " "$WORK/text.out"
done

# -i 1 -d 3: a summary per interval and one at exit; -T puts a time before each
"$EVLAT" --genl-only -N "$EVLAT_NS_SERVER" -i 1 -d 3 -T >"$WORK/interval.out" 2>/dev/null
check "-i 1 -d 3 -T exits 0" [ $? -eq 0 ]
n=$(grep -Ec '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] *$' "$WORK/interval.out")
check "-i 1 -d 3 -T prints 3 timestamped summaries (got $n)" [ "$n" -eq 3 ]
"$EVLAT" --genl-only -N "$EVLAT_NS_SERVER" -i 1 -d 2 -j >"$WORK/interval.json" 2>/dev/null
check "-i 1 -d 2 -j prints 2 JSON summaries" \
	jq -se '[.[] | select(.type=="summary")] | length == 2' "$WORK/interval.json"

results_done
