#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (root): a kernel without the "mptcp_pm" generic-netlink family. This
# one has MPTCP built in, so build/tools/nofamily_preload.so (tests/tools/
# nofamily_preload.c) renames the family in mptcp-evlat's CTRL_CMD_GETFAMILY
# request to "mptcp_p_", and the kernel's controller answers ENOENT, as it does
# where MPTCP is missing. Then the default mode and --genl-only print one line
# naming the family on stderr, nothing on stdout, and exit 5 (README "Exit
# codes"); --check says so in its table and fails, with 5 where the probes
# attach (else the probes' own code, 6 on a kernel that refuses fentry, comes
# first). The same runs without the shim are the controls: they do not fail
# that way, so this test can.
#
# Environment: EVLAT (./mptcp-evlat), NOFAMILY_SO (build/tools/nofamily_preload.so).

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
EVLAT=${EVLAT:-$ROOT/mptcp-evlat}
SO=${NOFAMILY_SO:-$ROOT/build/tools/nofamily_preload.so}
MSG='no mptcp_pm netlink family'
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# shim CMD ARGS...: CMD with the family renamed; $W/trace gets a line per rename
shim() { NOFAMILY_TRACE="$W/trace" LD_PRELOAD="$SO" "$@"; }

# run NAME CMD ARGS...: exit code in RC and $W/NAME.rc, stdout in $W/NAME.out,
# stderr in $W/NAME.err, the shim's renames in $W/NAME.trace
run()
{
	local name=$1

	shift
	: >"$W/trace"
	"$@" >"$W/$name.out" 2>"$W/$name.err"
	RC=$?
	echo "$RC" >"$W/$name.rc"
	mv "$W/trace" "$W/$name.trace"
}

# show NAME: what the run printed, and how many requests the shim renamed
show()
{
	echo "    exit $(cat "$W/$1.rc"), shim renamed $(wc -l <"$W/$1.trace") request(s); stdout:"
	sed 's/^/      /' "$W/$1.out"
	echo "    stderr:"
	sed 's/^/      /' "$W/$1.err"
}

# expect_missing WHAT NAME ARGS...: with the shim, exit 5, one stderr line
# naming the family, nothing on stdout
expect_missing()
{
	local what=$1 name=$2

	shift 2
	run "$name" shim "$EVLAT" "$@"
	if [ "$RC" -eq 5 ] && [ "$(wc -l <"$W/$name.err")" -eq 1 ] &&
		grep -q "$MSG" "$W/$name.err" && [ ! -s "$W/$name.out" ]; then
		ok "$what: exit 5, one line: $(cat "$W/$name.err")"
	else
		not_ok "$what: want exit 5, one stderr line with '$MSG', no stdout"
		show "$name"
	fi
}

[ "$(id -u)" -eq 0 ] || bail "no_family.sh: needs root (netlink, BPF)"
[ -x "$EVLAT" ] || bail "$EVLAT missing: run make"
[ -r "$SO" ] || bail "$SO missing: make ${SO#"$ROOT"/}"

# the kernel itself answers ENOENT to the renamed request, whoever asks (genl
# sends it with sendmsg(), mptcp-evlat through libmnl with sendto())
if command -v genl >/dev/null; then
	run genl shim genl ctrl get name mptcp_pm
	if [ "$RC" -ne 0 ] && grep -q 'No such file or directory' "$W/genl.err" &&
		genl ctrl get name mptcp_pm >/dev/null 2>&1; then
		ok "genl ctrl get name mptcp_pm: ENOENT with the shim, found without"
	else
		not_ok "genl ctrl get name mptcp_pm with the shim: want ENOENT"
		show genl
	fi
else
	skip "genl ctrl get name mptcp_pm with the shim" "no genl (iproute2) here"
fi

expect_missing "default mode" default -d 1
expect_missing "--genl-only" genl-only --genl-only -d 1

# --check: the exit code of the probes' check without the shim decides what to expect
run check.ctl "$EVLAT" --check
CHECK_CTL=$RC
WANT=$([ "$CHECK_CTL" -eq 0 ] && echo 5 || echo "$CHECK_CTL")
run check shim "$EVLAT" --check
if [ "$RC" -eq "$WANT" ] && grep -Eq "^netlink mptcp_pm_events +NO: $MSG" "$W/check.out" &&
	grep -Eq '^result +FAIL' "$W/check.out" && [ ! -s "$W/check.err" ]; then
	ok "--check: exit $RC (probes alone: $CHECK_CTL), the netlink row says '$MSG'"
else
	not_ok "--check: want exit $WANT, a netlink row with '$MSG', result FAIL, no stderr"
	show check
fi

# controls: the same kernel without the shim
run ctl.default "$EVLAT" -d 1
if [ "$RC" -ne 5 ] && ! grep -q "$MSG" "$W/ctl.default.err"; then
	ok "control, default mode: exit $RC, not 5"
else
	not_ok "control, default mode: exit 5 or '$MSG' without the shim"
	show ctl.default
fi
run ctl.genl "$EVLAT" --genl-only -d 1
if [ "$RC" -eq 0 ] && grep -q '^mptcp-evlat: listening to mptcp_pm_events' "$W/ctl.genl.err"; then
	ok "control, --genl-only -d 1: exit 0, listening"
else
	not_ok "control, --genl-only -d 1: want exit 0"
	show ctl.genl
fi
if grep -Eq '^netlink mptcp_pm_events +family [0-9]+, group [0-9]+$' "$W/check.ctl.out"; then
	ok "control, --check: $(grep '^netlink' "$W/check.ctl.out" | tr -s ' ')"
else
	not_ok "control, --check: no family and group ids"
	show check.ctl
fi

results_done
