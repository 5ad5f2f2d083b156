#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root, no BPF): --web-config, the exporter-toolkit web config, with
# real clients. mptcp-evlat --genl-only --prometheus serves; a test CA and a
# server certificate are made with openssl, the password hash with htpasswd.
#   - curl over TLS: 401 with WWW-Authenticate without credentials, with a
#     wrong password and for an unknown user; 200 with the right one; the
#     certificate is the test CA's (curl refuses it without --cacert);
#   - promtool check metrics on a scrape fetched through TLS;
#   - plain HTTP to the TLS port fails at once, and the server goes on;
#   - TLS only (no users), users only (plain HTTP), min_version TLS13;
#   - the files are read once: removed after the start, scrapes go on;
#   - every thread (HTTP, bcrypt) has no capability left;
#   - each config error is one line and exit 2.
# Printed: the first login (bcrypt) and a cached one, in ms.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/webcfg.sh
. "$ROOT/tests/lib/webcfg.sh"

EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
CT='text/plain; version=0.0.4; charset=utf-8'
work_start webconfig

for t in "$EVLAT" curl openssl htpasswd promtool ss; do
	command -v "$t" >/dev/null || bail "needs $t (make deps)"
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

# serve NAME ARGS...: mptcp-evlat --genl-only --prometheus on a free port ($P), pid in $EVPID
serve()
{
	local name=$1

	shift
	P=$(free_port) || return 1
	"$EVLAT" --genl-only --prometheus "127.0.0.1:$P" "$@" >"$WORK/$name.out" \
		2>"$WORK/$name.err" &
	EVPID=$!
	PIDS="$PIDS $EVPID"
	wait_line "$WORK/$name.err" 'listening to mptcp_pm_events' 10
}

stop()
{
	kill -INT "$EVPID"
	wait "$EVPID"
}

# get URL [curl args]: "CODE" of the reply, body in $WORK/body, headers in $WORK/hdr
get()
{
	local url=$1

	shift
	curl -sS -g --max-time 5 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' "$@" "$url" \
		2>"$WORK/curl.err"
}

webcfg_ca "$WORK" || bail "openssl: $(cat "$WORK/openssl.log")"
HASH=$(webcfg_hash secret)
[ ${#HASH} -eq 60 ] || bail "htpasswd gave no bcrypt hash"
mkdir "$WORK/etc"
cp "$WORK/server.crt" "$WORK/server.key" "$WORK/etc/"
# relative paths: to the file's directory, as exporter-toolkit
cat >"$WORK/etc/web.yml" <<EOF
# as for node_exporter --web.config.file
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: '$HASH'
EOF

# --- TLS and basic auth -----------------------------------------------------------
serve full --web-config "$WORK/etc/web.yml" || bail "start: $(cat "$WORK/full.err")"
URL=https://127.0.0.1:$P/metrics
TLS=(--cacert "$WORK/ca.crt")
r=$(get "$URL" "${TLS[@]}")
check "no credentials: 401 ($r)" [ "$r" = 401 ]
check "401 says WWW-Authenticate: Basic realm=\"mptcp-evlat\"" \
	grep -qi '^WWW-Authenticate: Basic realm="mptcp-evlat"' "$WORK/hdr"
r=$(get "$URL" "${TLS[@]}" -u prom:wrong)
check "wrong password: 401 ($r)" [ "$r" = 401 ]
r=$(get "$URL" "${TLS[@]}" -u nobody:secret)
check "unknown user: 401 ($r)" [ "$r" = 401 ]
t1=$(curl -sS -o /dev/null -w '%{time_total}' "${TLS[@]}" -u prom:secret "$URL")
r=$(get "$URL" "${TLS[@]}" -u prom:secret)
ct=$(sed -n 's/^[Cc]ontent-[Tt]ype: \(.*\)\r$/\1/p' "$WORK/hdr")
check "right password: 200, $CT ($r, $ct)" [ "$r" = 200 -a "$ct" = "$CT" ]
t2=$(curl -sS -o /dev/null -w '%{time_total}' "${TLS[@]}" -u prom:secret "$URL")
echo "    first login (bcrypt, cost 10) $(awk "BEGIN { print $t1 * 1000 }") ms," \
	"cached $(awk "BEGIN { print $t2 * 1000 }") ms (curl time_total, TLS included)"
cp "$WORK/body" "$WORK/scrape.prom"
out=$(promtool check metrics <"$WORK/scrape.prom" 2>&1)
rc=$?
check "promtool check metrics: the scrape through TLS${out:+: $out}" [ "$rc" -eq 0 -a -z "$out" ]
r=$(get "$URL" -u prom:secret)
check "without the test CA curl refuses the certificate (exit 60, got $r/$?)" \
	grep -q 'SSL certificate problem' "$WORK/curl.err"
r=$(get "https://127.0.0.1:$P/nothing" "${TLS[@]}" -u prom:secret)
check "an authenticated GET /nothing: 404 ($r)" [ "$r" = 404 ]
r=$(get "$URL" "${TLS[@]}" -u prom:secret -X POST -d x=1)
check "POST: 405 ($r)" [ "$r" = 405 ]
t0=$(date +%s%N)
r=$(get "http://127.0.0.1:$P/metrics")
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "plain HTTP to the TLS port fails at once (curl exit $rc in $ms ms)" \
	[ "$rc" -ne 0 -a "$ms" -lt 2000 ]
rm -f "$WORK/etc/server.crt" "$WORK/etc/server.key" "$WORK/etc/web.yml"
r=$(get "$URL" "${TLS[@]}" -u prom:secret)
check "the files removed after the start: still 200 (read once, $r)" [ "$r" = 200 ]
for st in /proc/"$EVPID"/task/*/status; do
	tid=${st%/status}
	caps=$(awk '/^Cap(Eff|Prm|Inh|Amb):/ { printf "%s", $2 } /^NoNewPrivs:/ { printf " %s", $2 }' \
		"$st")
	check "thread ${tid##*/} ($(cat "$tid/comm")): no capability, no_new_privs ($caps)" \
		[ "$caps" = "0000000000000000000000000000000000000000000000000000000000000000 1" ]
done
nthreads=$(find /proc/"$EVPID"/task -mindepth 1 -maxdepth 1 | wc -l)
check "loop, HTTP and bcrypt threads seen ($nthreads)" [ "$nthreads" -ge 3 ]
stop
check "SIGINT: exit 0 (got $?)" [ $? -eq 0 ]

# --- TLS only, users only, TLS 1.3 only ----------------------------------------------
printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n' "$WORK/server.crt" \
	"$WORK/server.key" >"$WORK/tls.yml"
serve tls --web-config "$WORK/tls.yml" || not_ok "tls only: $(cat "$WORK/tls.err")"
r=$(get "https://127.0.0.1:$P/metrics" "${TLS[@]}")
check "TLS only: 200 without credentials ($r)" [ "$r" = 200 ]
stop
printf 'basic_auth_users:\n  prom: %s\n' "$HASH" >"$WORK/auth.yml"
serve auth --web-config "$WORK/auth.yml" || not_ok "auth only: $(cat "$WORK/auth.err")"
r=$(get "http://127.0.0.1:$P/metrics")
check "users only, plain HTTP: 401 without credentials ($r)" [ "$r" = 401 ]
r=$(get "http://127.0.0.1:$P/metrics" -u prom:secret)
check "users only, plain HTTP: 200 with them ($r)" [ "$r" = 200 ]
stop
printf '  min_version: TLS13\n' >>"$WORK/tls.yml"
serve tls13 --web-config "$WORK/tls.yml" || not_ok "tls13: $(cat "$WORK/tls13.err")"
r=$(get "https://127.0.0.1:$P/metrics" "${TLS[@]}" --tls-max 1.2)
check "min_version TLS13: a TLS 1.2 client is refused ($r)" [ "$r" = 000 ]
r=$(get "https://127.0.0.1:$P/metrics" "${TLS[@]}" --tlsv1.3)
check "min_version TLS13: TLS 1.3 is served ($r)" [ "$r" = 200 ]
stop

# --- config errors: one line, exit 2 -------------------------------------------------
# bad NAME PATTERN YAML: mptcp-evlat refuses YAML in one line matching PATTERN, exit 2
bad()
{
	local f=$WORK/bad.yml lines rc

	printf '%s\n' "$3" >"$f"
	"$EVLAT" --genl-only --prometheus 127.0.0.1:1 --web-config "$f" -d 1 >/dev/null \
		2>"$WORK/bad.err"
	rc=$?
	lines=$(wc -l <"$WORK/bad.err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -Eq -- "$2" "$WORK/bad.err"; then
		ok "$1 (exit 2): $(cat "$WORK/bad.err")"
	else
		not_ok "$1: exit $rc, $lines lines:"
		sed 's/^/    /' "$WORK/bad.err"
	fi
}
C=$WORK/server.crt
K=$WORK/server.key
bad "unknown top-level key" "bad.yml:1: top level: unknown key 'tls_config'" \
	"tls_config: {}"
bad "unknown TLS key" "bad.yml:4: tls_server_config: unknown key 'cert_path'" \
	"$(printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n  cert_path: x' "$C" "$K")"
bad "client certificates" "client_auth_type.*not supported" \
	"$(printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_auth_type: RequireAndVerifyClientCert' "$C" "$K")"
bad "cert_file without key_file" "cert_file without key_file" \
	"$(printf 'tls_server_config:\n  cert_file: %s' "$C")"
bad "missing certificate" "cert_file .*/nosuch.crt: No such file" \
	"$(printf 'tls_server_config:\n  cert_file: nosuch.crt\n  key_file: %s' "$K")"
bad "a key that is not the certificate's" "do not match" \
	"$(printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s' "$C" "$WORK/ca.key")"
bad "TLS 1.1" "min_version: 'TLS11'" \
	"$(printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n  min_version: TLS11' "$C" "$K")"
bad "a plain-text password" "basic_auth_users.prom: not a bcrypt hash" \
	"$(printf 'basic_auth_users:\n  prom: secret')"
bad "a truncated hash" "not a bcrypt hash" \
	"$(printf 'basic_auth_users:\n  prom: %s' "${HASH%?}")"
bad "a user twice" "bad.yml:3: basic_auth_users: duplicate user 'prom'" \
	"$(printf 'basic_auth_users:\n  prom: %s\n  prom: %s' "$HASH" "$HASH")"
bad "users as a list" "expected a mapping" "basic_auth_users: [prom]"
bad "extra headers" "http_server_config.headers is not supported" \
	"$(printf 'http_server_config:\n  headers:\n    X-Frame-Options: deny')"
bad "YAML syntax" "bad.yml:[0-9]+: YAML: " "tls_server_config: {cert_file: x"
"$EVLAT" --genl-only --prometheus 127.0.0.1:1 --web-config "$WORK/nosuch.yml" -d 1 2>"$WORK/bad.err"
rc=$?
check "no such file: exit 2, one line ($rc: $(cat "$WORK/bad.err"))" \
	[ "$rc" -eq 2 -a "$(wc -l <"$WORK/bad.err")" -eq 1 ]
"$EVLAT" --genl-only --web-config "$WORK/auth.yml" -d 1 2>"$WORK/bad.err"
rc=$?
check "--web-config without --prometheus: exit 2 ($rc: $(head -n1 "$WORK/bad.err"))" \
	[ "$rc" -eq 2 -a "$(grep -vc '^Try ' "$WORK/bad.err")" -eq 1 ]
printf '# nothing configured: plain HTTP, as without the option\n' >"$WORK/empty.yml"
serve empty --web-config "$WORK/empty.yml" || not_ok "empty: $(cat "$WORK/empty.err")"
r=$(get "http://127.0.0.1:$P/metrics")
check "an empty config: plain HTTP, 200 ($r)" [ "$r" = 200 ]
stop
results_done
