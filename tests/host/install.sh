#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test: `make install` honours DESTDIR and PREFIX and installs exactly
# the binary (0755), the man page and the systemd unit (0644); the installed
# binary runs, the installed page renders without a groff warning, the unit's
# ExecStart= follows PREFIX; `make uninstall` removes all three. Needs no
# root; installs nothing outside its temporary DESTDIR.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"
MAKE=${MAKE:-make}
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

# files DIR: "MODE PATH" of everything under DIR but directories, sorted
files() {
	(cd "$1" && find . ! -type d -printf '%m %P\n' | sort)
}

# same NAME WANT_FILE GOT_FILE: equal, or the difference
same() {
	if diff -u "$2" "$3" >"$WORK/diff"; then
		ok "$1"
	else
		not_ok "$1:"
		sed 's/^/    /' "$WORK/diff"
	fi
}

version=$(cat "$ROOT/VERSION")

# --- PREFIX=/usr -------------------------------------------------------------
D=$WORK/usr-root
if ! $MAKE -C "$ROOT" --no-print-directory install DESTDIR="$D" PREFIX=/usr \
	>"$WORK/install.log" 2>&1; then
	bail "make install DESTDIR=... PREFIX=/usr: $(tail -n 3 "$WORK/install.log")"
fi
ok "make install DESTDIR=... PREFIX=/usr"

cat >"$WORK/want" <<'EOF'
644 usr/lib/systemd/system/mptcp-evlat.service
644 usr/share/man/man8/mptcp-evlat.8
755 usr/sbin/mptcp-evlat
EOF
files "$D" >"$WORK/got"
same "exactly three files, with their modes" "$WORK/want" "$WORK/got"

bin=$D/usr/sbin/mptcp-evlat
out=$("$bin" --version 2>&1)
check "the installed binary runs: '$out'" [ "$out" = "mptcp-evlat $version" ]
check "the installed binary is the built one" cmp "$bin" "$ROOT/mptcp-evlat"

page=$D/usr/share/man/man8/mptcp-evlat.8
check "the installed page is doc/mptcp-evlat.8" cmp "$page" "$ROOT/doc/mptcp-evlat.8"
if command -v man >/dev/null; then
	MANWIDTH=80 MANPAGER=cat man --warnings=w -l "$page" >"$WORK/man.out" 2>"$WORK/man.err"
	rc=$?
	check "man -l renders the installed page (exit $rc)" [ "$rc" -eq 0 ]
	check "man -l: no warnings ($(wc -l <"$WORK/man.err") lines)" [ ! -s "$WORK/man.err" ]
	check "the rendered page names the program" grep -q '^NAME' "$WORK/man.out"
	[ -s "$WORK/man.err" ] && sed 's/^/    /' "$WORK/man.err"
	# every option --help lists has an entry under OPTIONS
	sed -n '/^OPTIONS/,/^[A-Z]/p' "$WORK/man.out" >"$WORK/man.options"
	missing=
	for opt in $("$bin" --help | grep -Eo '^ +(-[^ ,]+, )?--[a-z-]+' | grep -Eo -- '--[a-z-]+'); do
		grep -Eq -- "^ +(-[^ ,]+, )?$opt([=[ ]|\$)" "$WORK/man.options" || missing="$missing $opt"
	done
	check "every option of --help is documented${missing:+ (missing:$missing)}" [ -z "$missing" ]
else
	not_ok "man -l: no man(1) here (Debian: apt-get install man-db groff-base)"
fi

unit=$D/usr/lib/systemd/system/mptcp-evlat.service
check "ExecStart= follows PREFIX" grep -q '^ExecStart=/usr/sbin/mptcp-evlat ' "$unit"
check "no /usr/local left in the unit's ExecStart=" \
	bash -c "! grep -q '^ExecStart=/usr/local' '$unit'"
grep -v '^ExecStart=\|^#ExecStart=' "$unit" >"$WORK/unit.rest"
grep -v '^ExecStart=\|^#ExecStart=' "$ROOT/contrib/mptcp-evlat.service" >"$WORK/unit.want"
same "the unit is contrib/mptcp-evlat.service but for ExecStart=" "$WORK/unit.want" \
	"$WORK/unit.rest"
if command -v systemd-analyze >/dev/null; then
	# verify runs man(1) on Documentation= and checks the ExecStart= binary:
	# point both at the installed copies
	mkdir -p "$WORK/verify"
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$D/usr/sbin/|" "$unit" \
		>"$WORK/verify/mptcp-evlat.service"
	MANPATH=$D/usr/share/man systemd-analyze verify "$WORK/verify/mptcp-evlat.service" \
		>"$WORK/verify.log" 2>&1
	rc=$?
	check "systemd-analyze verify (exit $rc, $(wc -l <"$WORK/verify.log") lines)" \
		[ "$rc" -eq 0 -a ! -s "$WORK/verify.log" ]
	[ -s "$WORK/verify.log" ] && sed 's/^/    /' "$WORK/verify.log"
else
	skip "systemd-analyze verify" "no systemd-analyze here"
fi

$MAKE -C "$ROOT" --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr \
	>"$WORK/uninstall.log" 2>&1
check "make uninstall DESTDIR=... PREFIX=/usr" [ $? -eq 0 ]
files "$D" >"$WORK/got"
check "uninstall removed all three ($(wc -l <"$WORK/got") left)" [ ! -s "$WORK/got" ]
$MAKE -C "$ROOT" --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
check "uninstall twice is fine" [ $? -eq 0 ]

# --- the default PREFIX ------------------------------------------------------
D=$WORK/default
$MAKE -C "$ROOT" --no-print-directory install DESTDIR="$D" >"$WORK/install2.log" 2>&1
check "make install DESTDIR=... (default PREFIX)" [ $? -eq 0 ]
cat >"$WORK/want" <<'EOF'
644 usr/local/lib/systemd/system/mptcp-evlat.service
644 usr/local/share/man/man8/mptcp-evlat.8
755 usr/local/sbin/mptcp-evlat
EOF
files "$D" >"$WORK/got"
same "default PREFIX is /usr/local" "$WORK/want" "$WORK/got"
check "ExecStart= is /usr/local/sbin/mptcp-evlat" \
	grep -q '^ExecStart=/usr/local/sbin/mptcp-evlat ' \
	"$D/usr/local/lib/systemd/system/mptcp-evlat.service"
$MAKE -C "$ROOT" --no-print-directory uninstall DESTDIR="$D" >/dev/null 2>&1
files "$D" >"$WORK/got"
check "uninstall with the default PREFIX removed all three" [ ! -s "$WORK/got" ]

results_done
