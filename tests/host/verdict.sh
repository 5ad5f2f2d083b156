#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF): the CI verdict of mptcp-evlat --genl-only, both
# ways, with trafgen's real events. A clean run with thresholds it meets exits
# 0 and says PASS; an --expect-events the run cannot meet, a --max-latency no
# real event can meet and an overrun provoked with a tiny receive buffer
# under --fail-on-loss each exit 7 with one FAIL line naming the option; the
# JSON summary carries the same verdict. (The BPF-side losses, e.g. forced
# allocation failures, are the VM suite's.)

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
S=$EVLAT_NS_SERVER C=$EVLAT_NS_CLIENT
work_start verdict

# run TAG FLAGS...: mptcp-evlat --genl-only -N $C -j with FLAGS while trafgen makes 2 connections
run()
{
	local tag=$1 pid
	shift
	"$EVLAT" --genl-only -N "$C" -j "$@" >"$WORK/$tag.json" 2>"$WORK/$tag.err" &
	pid=$!
	check "$tag: listener up" wait_line "$WORK/$tag.err" 'listening to mptcp_pm_events' 10 "$pid"
	"$TRAFGEN" --server-netns "$(evlat_netns_path "$S")" \
		--client-netns "$(evlat_netns_path "$C")" --conns 2 \
		--expect "$WORK/$tag.expect" >"$WORK/$tag.trafgen" 2>&1 || not_ok "$tag: trafgen"
	sleep 0.3
	kill -INT "$pid"
	wait "$pid"
	RC=$?
}

# fails TAG PATTERN: exit 7, exactly one FAIL line matching PATTERN, a closing FAIL line
fails()
{
	check "$1: exit 7 (got $RC)" [ "$RC" -eq 7 ]
	check "$1: one FAIL line: $2" [ "$(grep -c ': verdict: FAIL -' "$WORK/$1.err")" -eq 1 ]
	grep -q -- "verdict: FAIL $2" "$WORK/$1.err"
	check_rc "$1: the line names the threshold: $(grep verdict "$WORK/$1.err")" $?
	check "$1: JSON verdict fails" jq -se '.[-1].verdict.pass == false' "$WORK/$1.json"
}

evlat_netns_up >"$WORK/netns.log" 2>&1 || bail "netns up"
c_ino=$(stat -L -c %i "$(evlat_netns_path "$C")")

# --- clean: thresholds the run meets --------------------------------------------
run clean --fail-on-loss --expect-events created=2 --expect-events 10+ \
	--max-latency all:max=10s
n=$(grep -c "netns=$c_ino " "$WORK/clean.expect")
check "clean: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "clean: verdict PASS, 4 checks" grep -q 'verdict: PASS, 4 checks' "$WORK/clean.err"
check "clean: no FAIL line" bash -c "! grep -q FAIL '$WORK/clean.err'"
# shellcheck disable=SC2016 # $n is jq's
check "clean: JSON verdict passes, with the values seen" jq -se --argjson n "$n" '.[-1].verdict |
	.pass and (.checks | length == 4) and .checks[1].value == 2 and .checks[2].value == $n
	and .checks[3].value == null' "$WORK/clean.json"

# --- an expectation the run cannot meet ----------------------------------------------
run expect --expect-events created=3
fails expect '--expect-events=created=3: created: 2 seen, expected 3'

# --- a latency bound: --genl-only measures none, so nothing to judge: a pass -------
run nolat --max-latency all:max=1ns
check "genl-only latency bound: no sample, exit 0 (got $RC)" [ "$RC" -eq 0 ]

# --- a loss: our socket overruns (4 KiB buffer, listener stopped) ---------------------
"$EVLAT" --genl-only -N "$C" -j --rcvbuf 1024 --fail-on-loss >"$WORK/loss.json" \
	2>"$WORK/loss.err" &
pid=$!
check "loss: listener up" wait_line "$WORK/loss.err" 'listening to mptcp_pm_events' 10 "$pid"
kill -STOP "$pid"
"$TRAFGEN" --server-netns "$(evlat_netns_path "$S")" --client-netns "$(evlat_netns_path "$C")" \
	--conns 10 --expect "$WORK/loss.expect" >"$WORK/loss.trafgen" 2>&1 || not_ok "loss: trafgen"
kill -CONT "$pid"
sleep 0.5
kill -INT "$pid"
wait "$pid"
RC=$?
fails loss '--fail-on-loss: all events: [1-9][0-9]* lost'

# --- bad thresholds: one line, exit 2 -------------------------------------------------
for bad in "--max-latency created:p99" "--max-latency created:p99=5" "--expect-events x" \
	"--fail-on-loss=lost_nothing" "--expect-events created=1 --records"; do
	# shellcheck disable=SC2086 # the flags are words on purpose
	"$EVLAT" --genl-only $bad >/dev/null 2>"$WORK/bad.err"
	rc=$?
	check "'$bad': exit 2 (got $rc), one line" \
		[ "$rc" -eq 2 -a "$(grep -vc '^Try' "$WORK/bad.err")" -eq 1 ]
done

results_done
