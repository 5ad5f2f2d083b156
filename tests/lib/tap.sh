# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The result lines of tests/host/*.sh (bash): one line per check, "ok   - WHAT"
# or "FAIL - WHAT", then "N passed, M failed", the line tests/host/run adds up.
#
#   . "$ROOT/tests/lib/tap.sh"
#   check WHAT CMD [ARG...]   ok when CMD succeeds; its stdout is discarded
#                             (and its stderr too when TAP_QUIET=1)
#   ok WHAT, not_ok WHAT      a result decided by the caller
#   bail WHAT                 a failure after which the script cannot go on:
#                             not_ok, the closing line, exit 1
#   tap_done                  the closing line; returns 1 when a check failed,
#                             so that a script ending with it exits accordingly

PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }

check()
{
	local _tap_what=$1 _tap_rc

	shift
	if [ "${TAP_QUIET:-0}" = 1 ]; then
		"$@" >/dev/null 2>&1
	else
		"$@" >/dev/null
	fi
	_tap_rc=$?
	if [ "$_tap_rc" -eq 0 ]; then ok "$_tap_what"; else not_ok "$_tap_what"; fi
}

tap_done()
{
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

bail()
{
	not_ok "$*"
	tap_done
	exit 1
}
