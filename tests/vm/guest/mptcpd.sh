# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
#
# Debian's mptcpd as the path manager of a guest namespace (sourced by the phases that say
# "# needs: mptcpd"; tests/vm/mptcpd.sh puts the daemon, its plugins and strace in the guest).
# It runs under strace, which records its netlink traffic (strace_nl.awk decodes it): mptcpd
# 0.12 logs no line per event it reads or command it sends, only its plugins' messages.
#
#   mptcpd_missing                 why this guest has no mptcpd (empty: it has one)
#   pm_ids                         PM_FAMILY and PM_GROUP: the mptcp_pm family and the
#                                  mptcp_pm_events group ids (mptcp-evlat --check)
#   mptcpd_start NS PLUGIN TAG [ARG...]
#                                  mptcpd in NS with PLUGIN as the path manager; its log in
#                                  $W/TAG.log, strace's record in $W/TAG.strace; MPTCPD_PID (the
#                                  daemon) and MPTCPD_STRACE (strace). Waits (30 s at most) until
#                                  every link of NS is up (mptcpd 0.12 never learns the addresses
#                                  of a link that was not running when it started), then until it
#                                  has joined mptcp_pm_events and read the namespace's addresses
#   mptcpd_stop                    SIGTERM; waits for it and strace
#   mptcpd_netlink TAG             its decoded traffic into $W/TAG.nl (strace_nl.awk's lines)
#   mptcpd_count TAG PATTERN       lines of $W/TAG.nl matching PATTERN (grep -E)
#   trafgen_pm EXPECT LOG [ARG...] "trafgen pm" between evs and evc (tests/trafgen/pm_scen.c)

MPTCPD=/usr/libexec/mptcpd
# Debian's multiarch directory of the guest's architecture (x86-64 or arm64)
MPTCPD_PLUGIN_DIR=/usr/lib/x86_64-linux-gnu/mptcpd
[ -d /usr/lib/aarch64-linux-gnu/mptcpd ] && MPTCPD_PLUGIN_DIR=/usr/lib/aarch64-linux-gnu/mptcpd
STRACE=/usr/bin/strace

mptcpd_missing() {
	if [ -f /etc/evlat/mptcpd.skip ]; then
		cat /etc/evlat/mptcpd.skip
	elif [ ! -x $MPTCPD ] || [ ! -x $STRACE ]; then
		echo "no $MPTCPD or $STRACE in this guest (tests/vm/mptcpd.sh)"
	fi
}

pm_ids() {
	_l=$("$BIN/mptcp-evlat" --check 2>/dev/null | grep '^netlink mptcp_pm_events')
	PM_FAMILY=$(echo "$_l" | sed -n 's/.*family \([0-9]*\), group \([0-9]*\).*/\1/p')
	PM_GROUP=$(echo "$_l" | sed -n 's/.*family \([0-9]*\), group \([0-9]*\).*/\2/p')
	[ -n "$PM_FAMILY" ] && [ -n "$PM_GROUP" ]
}

# every link but lo is up ("state UP" in ip's one-line output)
_links_up() {
	! "$IP" -n "$1" -o link show | grep -v ' lo:' | grep -qv 'state UP'
}

# the daemon's generic netlink socket has joined mptcp_pm_events (bit PM_GROUP - 1 of Groups)
_mptcpd_joined() {
	_g=$(evlat_netns_sh "$1" "cat /proc/net/netlink" |
		awk -v pid="$MPTCPD_PID" '$2 == 16 && $3 == pid { print $4 }' | head -n 1)
	[ -n "$_g" ] && [ $(((0x$_g >> (PM_GROUP - 1)) & 1)) -eq 1 ]
}

_mptcpd_ready() { # NS TAG
	alive "$MPTCPD_STRACE" || return 0 # dead: the caller's checks say so
	_mptcpd_joined "$1" && mptcpd_netlink "$2" && grep -q '^addr_dump_done' "$W/$2.nl"
}

mptcpd_start() {
	_ns=$1 _plugin=$2 _tag=$3
	shift 3
	pm_ids || return 1
	wait_for 30 _links_up "$_ns" || return 1
	nsenter --net="$(evlat_netns_path "$_ns")" $STRACE -f --seccomp-bpf -xx -s 4096 \
		-e trace=socket,sendto,sendmsg,recvmsg -o "$W/$_tag.strace" \
		$MPTCPD --log=stderr --debug --plugin-dir=$MPTCPD_PLUGIN_DIR \
		--load-plugins="$_plugin" --path-manager="$_plugin" \
		--notify-flags=existing,skip_link_local,skip_loopback "$@" >"$W/$_tag.log" 2>&1 &
	MPTCPD_STRACE=$!
	MPTCPD_PID=
	wait_for 30 _mptcpd_child || return 1
	wait_for 30 _mptcpd_ready "$_ns" "$_tag" && alive "$MPTCPD_PID"
}

# the daemon: strace's child once it has exec()ed mptcpd (busybox has no pgrep)
_mptcpd_child() {
	for _s in /proc/[0-9]*/status; do
		grep -q "^PPid:[[:space:]]*$MPTCPD_STRACE\$" "$_s" 2>/dev/null || continue
		grep -q '^Name:[[:space:]]*mptcpd$' "$_s" || continue
		MPTCPD_PID=${_s#/proc/}
		MPTCPD_PID=${MPTCPD_PID%/status}
		return 0
	done
	return 1
}

mptcpd_stop() {
	[ -n "${MPTCPD_PID:-}" ] && kill -TERM "$MPTCPD_PID" 2>/dev/null
	wait "$MPTCPD_STRACE"
}

mptcpd_netlink() {
	awk -v fam="$PM_FAMILY" -f "$GUEST/strace_nl.awk" "$W/$1.strace" >"$W/$1.nl"
}

mptcpd_count() {
	grep -cE "$2" "$W/$1.nl"
}

trafgen_pm() {
	_expect=$1 _log=$2
	shift 2
	"$BIN/trafgen" pm --server-netns "$NS_S" --client-netns "$NS_C" --expect "$_expect" "$@" \
		>"$_log" 2>&1
}
