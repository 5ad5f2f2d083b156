#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF): --prometheus under hostile clients (issue 14).
# mptcp-evlat --genl-only -j -N SERVER_NS --prometheus serves while trafgen
# makes events back to back and a scraper (tests/tools/http_attack.py) scrapes
# every 100 ms; each phase lasts PHASE_S seconds:
#   plain       no attacker
#   plain-atk   100 slow connections (a request line trickled a byte every
#               0.5 s, reconnected when dropped) and oversized requests back
#               to back (200 kB URL, 200 headers of 1 kB)
#   tls         --web-config with TLS and a bcrypt user; the scraper logs in
#   tls-atk     the same attack through TLS, plus 8 clients guessing passwords
# Checked: every scrape of every phase succeeds within 1 s; the oversized
# requests get 414 and 431; slow connections are dropped (with no attacker
# beside them, by the 5 s request deadline); every event trafgen listed for
# the server namespace is in the JSON lines of its phase, nothing more, and
# the summary counts equal the lines. Printed: scrape max/p99 and how long
# after a reference listener (build/tools/genl_listen, same namespace) our
# loop read each event (p50/p99/max), per phase: the figures in README.
#
# Environment: EVLAT, TRAFGEN, GENL_LISTEN, PHASE_S (default 6),
# EVLAT_NS_SERVER/EVLAT_NS_CLIENT (default evlat-http-s/-c), KEEP=1.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${EVLAT_NS_SERVER:=evlat-http-s}"
: "${EVLAT_NS_CLIENT:=evlat-http-c}"
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/webcfg.sh
. "$ROOT/tests/lib/webcfg.sh"

EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
TRAFGEN=${TRAFGEN:-$ROOT/build/static/trafgen}
GENL_LISTEN=${GENL_LISTEN:-$ROOT/build/tools/genl_listen}
ATK="python3 $ROOT/tests/tools/http_attack.py"
PHASE_S=${PHASE_S:-6}
work_start http-attack

for t in "$EVLAT" "$TRAFGEN" "$GENL_LISTEN" python3 openssl htpasswd jq ss; do
	command -v "$t" >/dev/null || bail "needs $t (make deps; make test-host builds the tools)"
done

free_port()
{
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -ltnH "sport = :$p")" ] && { echo "$p"; return; }
	done
	return 1
}

mono_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }

# traffic NAME: trafgen runs back to back for PHASE_S, each listing its events
traffic()
{
	local end=$(($(date +%s) + PHASE_S)) i=0

	while [ "$(date +%s)" -lt "$end" ]; do
		"$TRAFGEN" --server-netns "$S" --client-netns "$C" --conns 3 \
			--expect "$WORK/$1.exp.$i" >>"$WORK/trafgen.log" 2>&1 || return 1
		i=$((i + 1))
		sleep 0.2
	done
}

# phase NAME SCRAPE_ARGS -- [ATTACK_ARGS]: traffic and scrapes, an attacker if asked
phase()
{
	local name=$1 scrape=() attack=() apid='' spid start rc

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do scrape+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	attack=("$@")
	start=$(mono_ns)
	if [ ${#attack[@]} -gt 0 ]; then
		$ATK attack --port "$P" "${attack[@]}" --duration $((PHASE_S + 2)) \
			>"$WORK/$name.attack" 2>&1 &
		apid=$!
		wait_line "$WORK/$name.attack" '^holding' 10 || not_ok "$name: attacker ready"
	fi
	$ATK scrape --port "$P" "${scrape[@]}" --duration "$PHASE_S" >"$WORK/$name.scrape" 2>&1 &
	spid=$!
	traffic "$name"
	check "$name: trafgen ran" [ $? -eq 0 ]
	wait "$spid"
	rc=$?
	[ -n "$apid" ] && wait "$apid"
	echo "$name $start $(mono_ns) $(echo "$WORK/$name".exp.*)" >>"$WORK/phases"
	grep -v '^scrape n=' "$WORK/$name.scrape" | head -n 5 | sed 's/^/    /'
	check "$name: every scrape within 1 s: $(tail -n1 "$WORK/$name.scrape")" [ "$rc" -eq 0 ]
}

# run NAME ARGS...: mptcp-evlat --genl-only -j in the server namespace, serving on $P
run_start()
{
	local name=$1

	shift
	P=$(free_port) || bail "no free port"
	"$EVLAT" --genl-only -N "$EVLAT_NS_SERVER" -j --prometheus "127.0.0.1:$P" "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err" &
	EVPID=$!
	wait_line "$WORK/$name.err" 'listening to mptcp_pm_events' 10 || bail "$name: $(cat "$WORK/$name.err")"
}

run_stop()
{
	kill -INT "$EVPID"
	wait "$EVPID"
	check "$1: mptcp-evlat exit 0 (got $?)" [ $? -eq 0 ]
	# shellcheck disable=SC2016 # jq's own $variables
	check "$1: summary counts equal the event lines" jq -se '
		([.[] | select(.type=="event")] | group_by(.event)
			| map({key: .[0].event, value: length}) | from_entries) as $lines
		| (.[] | select(.type=="summary") | .events | map_values(.received)) == $lines' \
		"$WORK/$1.json"
	check "$1: no netlink overruns or errors" jq -se \
		'.[] | select(.type=="summary") | .netlink.overruns == 0 and .netlink.errors == 0' \
		"$WORK/$1.json"
}

# field FILE KEY: KEY=VALUE of the last line of FILE
field() { tail -n1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

evlat_netns_up >"$WORK/netns.log" 2>&1 || bail "netns up: $(cat "$WORK/netns.log")"
S=$(evlat_netns_path "$EVLAT_NS_SERVER")
C=$(evlat_netns_path "$EVLAT_NS_CLIENT")
SINO=$(stat -L -c %i "$S")
webcfg_ca "$WORK" || bail "openssl: $(cat "$WORK/openssl.log")"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$WORK/web.yml"
printf 'basic_auth_users:\n  prom: %s\n' "$(webcfg_hash secret)" >>"$WORK/web.yml"

# the reference: an idle listener in the same namespace, its own receive stamps
mkfifo "$WORK/genl.in"
"$GENL_LISTEN" listen "$S" <"$WORK/genl.in" >"$WORK/genl.out" 2>"$WORK/genl.err" &
GLPID=$!
PIDS="$PIDS $GLPID"
exec 9>"$WORK/genl.in"
wait_line "$WORK/genl.out" '^ready' 10 || bail "genl_listen: $(cat "$WORK/genl.err")"

# --- the request deadline alone: 3 slow clients, no eviction (64 slots) ---------
run_start plain
$ATK attack --port "$P" --slow 3 --trickle 0.5 --duration 7 >"$WORK/deadline.attack" 2>&1
dropped=$(field "$WORK/deadline.attack" dropped)
check "3 clients trickling a request line for 7 s: dropped by the 5 s deadline ($dropped)" \
	[ "${dropped:-0}" -ge 3 -a "${dropped:-0}" -le 6 ]

phase plain --
phase plain-atk -- --slow 100 --trickle 0.5 --oversize
run_stop plain
A=$WORK/plain-atk.attack
echo "    $(tail -n1 "$A")"
check "100 slow clients: the server dropped some ($(field "$A" dropped) of $(field "$A" connects))" \
	[ "$(field "$A" dropped)" -gt 0 ]
check "200 kB URL: 414 ($(field "$A" s414) of $(field "$A" oversize) oversized)" \
	[ "$(field "$A" s414)" -gt 0 ]
check "200 headers of 1 kB: 431 ($(field "$A" s431))" [ "$(field "$A" s431)" -gt 0 ]

run_start tls --web-config "$WORK/web.yml"
phase tls --tls "$WORK/ca.crt" --user prom:secret --
phase tls-atk --tls "$WORK/ca.crt" --user prom:secret -- --tls "$WORK/ca.crt" --slow 100 \
	--trickle 0.5 --oversize --badpass 8 --user prom
run_stop tls
A=$WORK/tls-atk.attack
echo "    $(tail -n1 "$A")"
check "TLS: slow clients dropped ($(field "$A" dropped) of $(field "$A" connects))" \
	[ "$(field "$A" dropped)" -gt 0 ]
check "TLS: oversized requests get 414 and 431" \
	[ "$(field "$A" s414)" -gt 0 -a "$(field "$A" s431)" -gt 0 ]
check "TLS: wrong passwords get 401 or 503, never 200 ($(field "$A" s401) 401, \
$(field "$A" s503) 503, $(field "$A" s200) 200 of $(field "$A" badpass))" \
	[ "$(field "$A" s401)" -gt 0 -a "$(field "$A" s200)" -eq 0 ]

exec 9>&- # genl_listen drains and exits
wait "$GLPID"
$ATK analyse --json "$WORK/plain.json" "$WORK/tls.json" --genl "$WORK/genl.out" \
	--phases "$WORK/phases" --netns "$SINO" >"$WORK/analyse.out"
while read -r _ name rest; do
	echo "    $name $rest"
	e=$(sed -n 's/^expected=\([0-9]*\).*/\1/p' <<<"$rest")
	m=$(sed -n 's/.*missing=\([0-9]*\).*/\1/p' <<<"$rest")
	u=$(sed -n 's/.*unexpected=\([0-9]*\).*/\1/p' <<<"$rest")
	check "$name: all $e events trafgen listed were received, no other" \
		[ "${e:-0}" -gt 0 -a "$m" = 0 -a "$u" = 0 ]
done <"$WORK/analyse.out"
check "four phases analysed" [ "$(wc -l <"$WORK/analyse.out")" -eq 4 ]
results_done
