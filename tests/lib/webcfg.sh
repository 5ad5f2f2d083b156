# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Test material for --web-config, made at test time (tests/host/*.sh, bash):
#
#   . "$ROOT/tests/lib/webcfg.sh"
#   webcfg_ca DIR        a CA (ca.crt) and a server certificate it signed
#                        (server.crt, server.key: EC P-256, for 127.0.0.1,
#                        ::1 and localhost), with openssl; 1 day
#   webcfg_hash PASS     a bcrypt hash of PASS (htpasswd, cost WEBCFG_COST,
#                        default 10, as exporter-toolkit's documentation)

webcfg_ca()
{
	local d=$1

	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj "/CN=mptcp-evlat test CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
		2>"$d/openssl.log" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" \
			2>>"$d/openssl.log" &&
		printf '%s\n' 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost' \
			'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$d/ext.cnf" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 1 -extfile "$d/ext.cnf" -out "$d/server.crt" \
			2>>"$d/openssl.log"
}

webcfg_hash()
{
	htpasswd -nbBC "${WEBCFG_COST:-10}" user "$1" | sed -n 's/^user://p'
}
