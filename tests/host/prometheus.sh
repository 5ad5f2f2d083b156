#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of the Prometheus export (no BPF: this kernel refuses fentry).
# build/tools/prom_demo serves synthetic events with src/httpd.c and
# src/prom.c from an epoll loop like main.c's, and writes the textfile; we
# scrape it with curl and check: promtool accepts the scrape, the textfile and
# tests/data/prom/small.prom; the scrape equals the textfile; 404, 405, HEAD,
# keep-alive; a stalled client does not stall a scrape; 127.0.0.1 only by
# default, [::1] and 0.0.0.0 when asked; a port in use is one message, exit 1.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
CHECK_QUIET=1 # check discards the commands' stderr as well as their stdout
DEMO=${PROM_DEMO:-$ROOT/build/tools/prom_demo}
CT='text/plain; version=0.0.4; charset=utf-8'

work_start prometheus

for t in "$DEMO" curl ss promtool; do
	command -v "$t" >/dev/null && continue
	bail "needs $t (make deps, make build/tools/prom_demo)"
done

# free_port: a TCP port nobody listens on
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		[ -z "$(ss -ltnH "sport = :$p")" ] && { echo "$p"; return; }
	done
	return 1
}

# start NAME ARGS...: run prom_demo in the background until it listens (5 s)
start() {
	local name=$1
	shift
	"$DEMO" -s 60 "$@" 2>"$WORK/$name.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 50); do
		grep -q '^prom_demo: serving' "$WORK/$name.err" && return 0
		sleep 0.1
	done
	return 1
}

# promtool_ok FILE: promtool accepts it and has nothing to say (lint included)
promtool_ok() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) && [ -z "$out" ] && return 0
	echo "    promtool on ${1##*/}: $out"
	return 1
}

# http METHOD URL [curl args]: "CODE CONTENT_TYPE" of the reply, body in $WORK/body
http() {
	local m=$1 url=$2
	shift 2
	curl -sS -g --max-time 5 -X "$m" -o "$WORK/body" -w '%{http_code} %{content_type}' "$@" "$url"
}

P=$(free_port) || bail "no free port"
BASE=http://127.0.0.1:$P
check "prom_demo serves on port $P" start main -t "$WORK/mptcp_evlat.prom" "$P"

# --- the scrape ---------------------------------------------------------------
r=$(http GET "$BASE/metrics")
[ "$r" = "200 $CT" ]
check_rc "GET /metrics: '$r', want 200, $CT" $?
cp "$WORK/body" "$WORK/scrape.prom"
echo "    scrape: $(wc -c <"$WORK/scrape.prom") bytes, $(grep -vc '^#' "$WORK/scrape.prom") samples"
check "promtool check metrics: the scrape" promtool_ok "$WORK/scrape.prom"
check "promtool check metrics: the textfile" promtool_ok "$WORK/mptcp_evlat.prom"
check "promtool check metrics: tests/data/prom/small.prom" \
	promtool_ok "$ROOT/tests/data/prom/small.prom"
check "the textfile is the scrape" cmp "$WORK/scrape.prom" "$WORK/mptcp_evlat.prom"
leftover=$(find "$WORK" -name '*.tmp.*')
[ -z "$leftover" ]
check_rc "no temporary textfile left${leftover:+: $leftover}" $?
for m in mptcp_evlat_event_latency_seconds mptcp_evlat_events_total \
	mptcp_evlat_netlink_overruns_total mptcp_evlat_ringbuf_drops_total \
	mptcp_evlat_probe_attached mptcp_evlat_build_info; do
	check "$m: HELP, TYPE and samples" eval "grep -q '^# HELP $m ' '$WORK/scrape.prom' &&
		grep -q '^# TYPE $m ' '$WORK/scrape.prom' && grep -q '^${m}[{_ ]' '$WORK/scrape.prom'"
done

# --- other requests -----------------------------------------------------------
r=$(http GET "$BASE/")
check "GET / is 404 ($r)" [ "${r%% *}" = 404 ]
r=$(http GET "$BASE/metricsx")
check "GET /metricsx is 404 ($r)" [ "${r%% *}" = 404 ]
r=$(http GET "${BASE}/metrics?name[]=up")
check "a query string is ignored ($r)" [ "${r%% *}" = 200 ]
r=$(http POST "$BASE/metrics" -d x=1 -D "$WORK/post.hdr")
check "POST /metrics is 405 ($r)" [ "${r%% *}" = 405 ]
check "405 says Allow: GET, HEAD" grep -qi '^Allow: GET, HEAD' "$WORK/post.hdr"
r=$(http PUT "$BASE/metrics" --data-binary @"$WORK/scrape.prom")
check "PUT /metrics with a body is 405 ($r)" [ "${r%% *}" = 405 ]
r=$(http HEAD "$BASE/metrics" -I)
check "HEAD /metrics: 200, $CT ($r)" [ "$r" = "200 $CT" ]
# curl reads no body after a HEAD: ask over a raw HTTP/1.0 connection (closed by the server
# after the reply) and count the bytes after the headers
exec 8<>/dev/tcp/127.0.0.1/"$P" && printf 'HEAD /metrics HTTP/1.0\r\n\r\n' >&8
timeout 5 cat <&8 >"$WORK/head.raw"
exec 8>&-
n=$(awk 'b { n += length($0) + 1 } /^\r?$/ { b = 1 } END { print b ? n + 0 : -1 }' "$WORK/head.raw")
check "HEAD /metrics over HTTP/1.0: no body after the headers ($n bytes)" [ "$n" = 0 ]
curl -sv -o /dev/null -o /dev/null "$BASE/metrics" "$BASE/metrics" 2>"$WORK/keepalive.log"
check "a second scrape reuses the connection" grep -q 'Re-using existing connection' \
	"$WORK/keepalive.log"

# a client that stops mid-request must not stall the loop (one thread, no blocking read)
exec 7<>/dev/tcp/127.0.0.1/"$P" && printf 'GET /metr' >&7
t0=$(date +%s%N)
r=$(http GET "$BASE/metrics")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "${r%% *}" = 200 ] && [ "$ms" -lt 1000 ]
check_rc "a scrape beside a stalled client: $r in $ms ms" $?
exec 7>&-

# --- where it listens -----------------------------------------------------------
socks=$(ss -ltnH "sport = :$P" | awk '{ print $4 }')
check "'$P' listens on 127.0.0.1:$P only (ss: ${socks//$'\n'/ })" [ "$socks" = "127.0.0.1:$P" ]
"$DEMO" -s 1 "$P" >"$WORK/busy.out" 2>"$WORK/busy.err"
rc=$?
check "the same port again: exit 1, got $rc" [ "$rc" -eq 1 ]
check "one line: address in use" eval "[ \$(wc -l <'$WORK/busy.err') -eq 1 ] &&
	grep -q 'Address already in use' '$WORK/busy.err'"
for bad in 0 65536 abc localhost:9100 ::1:9100; do
	"$DEMO" -s 1 "$bad" 2>/dev/null
	rc=$?
	check "'$bad' refused: exit 2, got $rc" [ "$rc" -eq 2 ]
done

P4=$(free_port)
if start any4 "0.0.0.0:$P4"; then
	socks=$(ss -ltnH "sport = :$P4" | awk '{ print $4 }')
	check "0.0.0.0:$P4 listens on every IPv4 address ($socks)" [ "$socks" = "0.0.0.0:$P4" ]
else
	not_ok "0.0.0.0:$P4: $(cat "$WORK/any4.err")"
fi
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	P6=$(free_port)
	check "[::1]:$P6 serves" start v6 "[::1]:$P6"
	socks=$(ss -ltnH "sport = :$P6" | awk '{ print $4 }')
	check "[::1]:$P6 listens on [::1] only ($socks)" [ "$socks" = "[::1]:$P6" ]
	r=$(http GET "http://[::1]:$P6/metrics")
	check "GET http://[::1]:$P6/metrics: $r" [ "$r" = "200 $CT" ]
else
	skip "[::1]" "no IPv6 loopback on this host"
fi

# --- the --genl-only shape: no probes, no latency ---------------------------------
PG=$(free_port)
if start genl -g -t "$WORK/genl.prom" "$PG"; then
	http GET "http://127.0.0.1:$PG/metrics" >/dev/null
	cp "$WORK/body" "$WORK/genl_scrape.prom"
	check "promtool check metrics: the --genl-only shape" promtool_ok "$WORK/genl_scrape.prom"
	check "--genl-only: no probe gauge, no histogram" eval "! grep -q \
		'probe_attached\|latency_seconds' '$WORK/genl_scrape.prom'"
else
	not_ok "genl shape: $(cat "$WORK/genl.err")"
fi

# --- exit: SIGTERM ends the loop, the last textfile is written ----------------------
main_pid=${PIDS# }
main_pid=${main_pid%% *}
rm -f "$WORK/mptcp_evlat.prom"
kill -TERM "$main_pid"
wait "$main_pid"
rc=$?
check "SIGTERM: exit 0, got $rc" [ "$rc" -eq 0 ]
check "the textfile is written again at exit" cmp "$WORK/scrape.prom" "$WORK/mptcp_evlat.prom"
results_done
