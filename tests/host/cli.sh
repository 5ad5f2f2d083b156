#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root): bad input gets one clear message and its documented exit
# code (README "Exit codes"), never a crash; --check on this kernel (which
# refuses fentry) says so and exits 6.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# expect CODE DESCRIPTION PATTERN -- ARGS...: exit code, one stderr line matching PATTERN
expect() {
	local code=$1 what=$2 pat=$3
	shift 4
	"$@" >"$W/out" 2>"$W/err"
	local rc=$? lines
	lines=$(grep -vc '^Try ' "$W/err")
	if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pat" "$W/err"; then
		ok "$what (exit $rc)"
	else
		not_ok "$what: exit $rc (want $code), $lines lines:"
		sed 's/^/    /' "$W/err"
	fi
}

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }

expect 2 "unknown flag" "unrecognized option" -- "$EVLAT" --bogus
expect 2 "non-numeric interval" "invalid interval" -- "$EVLAT" -i abc
expect 2 "negative duration" "invalid duration" -- "$EVLAT" -d -5
expect 2 "zero duration" "invalid duration" -- "$EVLAT" -d 0
expect 2 "unknown event name" "invalid event" -- "$EVLAT" -e created,bogus
expect 2 "token out of range" "invalid token" -- "$EVLAT" -t 0x1ffffffff
expect 2 "ring buffer not a power of 2" "power of 2" -- "$EVLAT" -r 100
expect 2 "stray argument" "unexpected argument" -- "$EVLAT" foo
expect 2 "--check with -j" "runs alone" -- "$EVLAT" --check -j
expect 2 "--records with --json" "raw records only" -- "$EVLAT" --records -j
expect 2 "interval longer than duration" "longer than duration" -- "$EVLAT" -i 5 -d 2
expect 2 "--trace with --genl-only" "follows the kernel's events" -- "$EVLAT" --trace all --genl-only
expect 2 "--trace token not a number" "invalid --trace token" -- "$EVLAT" --trace every
expect 2 "missing network namespace" "no network namespace '/run/netns/no-such-ns'" -- \
	"$EVLAT" --genl-only -N no-such-ns -d 1
expect 3 "not root" "needs root" -- nobody "$EVLAT" -d 1
expect 3 "not root, --genl-only" "CAP_NET_ADMIN" -- nobody "$EVLAT" --genl-only -d 1
# a namespace where MPTCP is switched off: nothing could ever be traced there
ip netns add evlat-cli-off 2>/dev/null
ip netns exec evlat-cli-off sh -c 'echo 0 >/proc/sys/net/mptcp/enabled'
expect 5 "MPTCP disabled in the namespace" "net.mptcp.enabled = 0" -- \
	"$EVLAT" --genl-only -N evlat-cli-off -d 1
ip netns del evlat-cli-off
expect 6 "default mode where fentry is refused" "refused.*--genl-only" -- "$EVLAT" -d 1

# --check: a table on stdout, exit 6, and it names the refusal
"$EVLAT" --check >"$W/check" 2>&1
rc=$?
if [ $rc -eq 6 ] && grep -Eq '^fentry +REFUSED by this kernel \(EPERM\)' "$W/check" &&
	grep -Eq '^result +FAIL' "$W/check" && grep -Eq '^btf +yes' "$W/check"; then
	ok "--check reports fentry refused (exit 6)"
else
	not_ok "--check: exit $rc"
	cat "$W/check"
fi
version_ok() { "$EVLAT" --version | grep -Eq '^mptcp-evlat [0-9]+\.[0-9]+\.[0-9]+$'; }
check "--version" version_ok

results_done
