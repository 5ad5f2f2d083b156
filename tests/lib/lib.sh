# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
#
# The shell library of every test script: the host tests (bash) and the guest suites (busybox
# ash) source this one file, so it is POSIX sh (no local, no arrays, no [[ ]]); its own
# variables start with _el_.
#
#   . "$ROOT/tests/lib/lib.sh"        host scripts (ROOT: the repository)
#   . "$EVLAT_LIB/lib.sh"             guest scripts (/opt/evlat/lib)
#
# Results. One line per check on stdout: "ok   - WHAT", "FAIL - WHAT" or "skip - WHAT: WHY".
# When EVLAT_RESULT names a file (the guests), each also appends "check_WHAT=pass|fail|skip" to
# it, the lines tests/vm/run judges; WHAT is then an identifier ([A-Za-z0-9_]).
#   check WHAT CMD [ARG...]    pass when CMD exits 0; its stdout is discarded (its stderr too
#                              with CHECK_QUIET=1); returns 0 on a pass, 1 on a failure
#   check_rc WHAT RC           pass when RC is 0: the status of a command run just before
#                              (returns the same way)
#   ok WHAT / not_ok WHAT      a result the caller decided
#   skip WHAT WHY              a check that could not run here, and why: counted as a skip,
#                              never as a pass
#   bail WHAT                  not_ok, the closing line, exit 1
#   report KEY VALUE           "KEY=VALUE" on stdout and, when EVLAT_RESULT is set, in it
#   results_done               the closing line "N passed, M failed, K skipped" (counted from
#                              EVLAT_RESULT when set, so that checks of subshells count); returns
#                              1 when a check failed
#
# Waiting: bounded, polled, never a blind sleep.
#   now_ms                             milliseconds since boot (/proc/uptime, no fork)
#   alive PID                          PID runs (an exited child not yet waited for does not)
#   wait_for SECONDS CMD [ARG...]      until CMD succeeds; 1 after SECONDS
#   wait_line FILE PATTERN SECONDS [PID]
#                                      until a line of FILE matches PATTERN (grep -E); 1 after
#                                      SECONDS, or as soon as PID (when given) has exited
#
# Network namespaces: two, $EVLAT_NS_SERVER (evs) and $EVLAT_NS_CLIENT (evc), joined by two
# veth pairs (see evlat_netns_up). Debian's busybox shell runs its own "ip" applet before a
# binary on PATH, and that applet knows neither "netns" nor veth peers in another namespace:
# the real iproute2 is always called as "$IP".
#   evlat_netns_up / evlat_netns_down    create both (fresh) / delete both (idempotent)
#   evlat_netns_path NS                  /run/netns/NS, what trafgen's --*-netns take
#   evlat_netns_sh NS CMD                sh -c CMD inside NS's network stack
#   evlat_netns_sysctl NS PATH VALUE     write /proc/sys/PATH inside NS
#   mptcp_sockets NS                     MPTCP and hashed TCP sockets (v4 + v6) in use in NS
#   mptcp_quiet SECONDS NS...            until none is left in the namespaces
#
# `ip mptcp monitor` as the reference listener (uses WORK, a directory, and IP):
#   start_monitor NS       "$IP" -n NS mptcp monitor > $WORK/mon.NS; returns once subscribed
#                          (at most WAIT_S seconds, default 5)
#   stop_monitors          stop every monitor start_monitor started
#   monitor_subscribed NS PID   PID has a generic-netlink socket in NS joined to a group
#
# Host scripts only:
#   work_start TAG         WORK=$(mktemp -d /tmp/evlat-TAG.XXXXXX); work_cleanup at exit
#   work_cleanup           work_on_exit (when the script defines it), kill and reap every pid
#                          of PIDS, stop_monitors, evlat_netns_down (when evlat_netns_up ran),
#                          then remove WORK unless KEEP is set (and not 0)
#   evlat_build TARGET...  make TARGET in the repository (ROOT): helpers are built by the
#                          Makefile's rules, never by a script's own compiler line

: "${IP:=ip}"
: "${EVLAT_NS_SERVER:=evs}"
: "${EVLAT_NS_CLIENT:=evc}"
# Where iproute2 keeps named namespaces (compiled in, not settable).
EVLAT_NETNS_DIR=/run/netns

_el_pass=0
_el_fail=0
_el_skip=0
PIDS=${PIDS:-}
MON_PIDS=
WORK=${WORK:-}

# --- results ----------------------------------------------------------------------------------

# _el_result STATUS WHAT: the result file's line, when there is one
_el_result() {
	[ -n "${EVLAT_RESULT:-}" ] || return 0
	echo "check_$2=$1" >>"$EVLAT_RESULT"
}

ok() {
	_el_pass=$((_el_pass + 1))
	echo "ok   - $*"
	_el_result pass "$*"
}

not_ok() {
	_el_fail=$((_el_fail + 1))
	echo "FAIL - $*"
	_el_result fail "$*"
}

skip() {
	_el_skip=$((_el_skip + 1))
	echo "skip - $1: $2"
	_el_result skip "$1"
	report "skip_$1" "$2" >/dev/null
}

check_rc() {
	if [ "$2" -eq 0 ] 2>/dev/null; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	return 1
}

check() {
	_el_what=$1
	shift
	if [ "${CHECK_QUIET:-0}" = 1 ]; then
		"$@" >/dev/null 2>&1
	else
		"$@" >/dev/null
	fi
	check_rc "$_el_what" $?
}

report() {
	echo "$1=$2"
	[ -z "${EVLAT_RESULT:-}" ] || echo "$1=$2" >>"$EVLAT_RESULT"
}

results_done() {
	if [ -n "${EVLAT_RESULT:-}" ] && [ -f "$EVLAT_RESULT" ]; then
		_el_pass=$(grep -c '^check_[A-Za-z0-9_]*=pass$' "$EVLAT_RESULT")
		_el_fail=$(grep -c '^check_[A-Za-z0-9_]*=fail$' "$EVLAT_RESULT")
		_el_skip=$(grep -c '^check_[A-Za-z0-9_]*=skip$' "$EVLAT_RESULT")
	fi
	echo "$_el_pass passed, $_el_fail failed, $_el_skip skipped"
	[ "$_el_fail" -eq 0 ]
}

bail() {
	not_ok "$*"
	results_done
	exit 1
}

# --- waiting ----------------------------------------------------------------------------------

now_ms() {
	read -r _el_up _el_idle </proc/uptime
	# "12345.67": 1 before the decimals, so that "05" is not read as octal
	echo $((${_el_up%.*} * 1000 + 1${_el_up#*.}0 - 1000))
}

wait_for() {
	_el_deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$_el_deadline" ] || return 1
		sleep 0.05
	done
}

# alive PID: running (a child that has exited is a zombie until waited for: not alive)
alive() {
	_el_st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$_el_st" != Z ]
}

_el_line_or_dead() { # FILE PATTERN PID
	grep -Eq -- "$2" "$1" 2>/dev/null && return 0
	[ -z "$3" ] || alive "$3" || _el_dead=1
	[ "$_el_dead" = 1 ]
}

wait_line() {
	_el_dead=0
	wait_for "$3" _el_line_or_dead "$1" "$2" "${4:-}" || return 1
	# the line, or its writer died: only the line is a success (a last look after the death)
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# --- network namespaces -----------------------------------------------------------------------

evlat_netns_path() {
	echo "$EVLAT_NETNS_DIR/$1"
}

# nsenter is util-linux on the host and a busybox applet in the guests; unlike "ip netns exec"
# it does not remount /sys, which a minimal guest may lack.
evlat_netns_sh() {
	nsenter --net="$(evlat_netns_path "$1")" sh -c "$2"
}

# /proc/sys/net follows the netns of the process that opens the file: entering the net
# namespace alone is enough.
evlat_netns_sysctl() {
	evlat_netns_sh "$1" "echo $3 > /proc/sys/$2" || {
		echo "lib.sh: cannot set $2=$3 in $1" >&2
		return 1
	}
}

# Deleting a namespace destroys the veth ends inside it (and so their peers). Missing
# namespaces are fine: teardown must be idempotent.
evlat_netns_down() {
	"$IP" netns del "$EVLAT_NS_CLIENT" 2>/dev/null
	"$IP" netns del "$EVLAT_NS_SERVER" 2>/dev/null
	return 0
}

# One veth pair: $1 index (1 or 2) -> 10.0.$1.1 server (evs$1), 10.0.$1.2 client (evc$1), and
# fd00:$1::1, fd00:$1::2 (trafgen's IPv6 scenario), without duplicate address detection so
# that they are usable at once.
evlat_netns_link() {
	"$IP" link add "evs$1" netns "$EVLAT_NS_SERVER" type veth \
		peer name "evc$1" netns "$EVLAT_NS_CLIENT" || return 1
	"$IP" -n "$EVLAT_NS_SERVER" addr add "10.0.$1.1/24" dev "evs$1" || return 1
	"$IP" -n "$EVLAT_NS_CLIENT" addr add "10.0.$1.2/24" dev "evc$1" || return 1
	"$IP" -n "$EVLAT_NS_SERVER" addr add "fd00:$1::1/64" dev "evs$1" nodad || return 1
	"$IP" -n "$EVLAT_NS_CLIENT" addr add "fd00:$1::2/64" dev "evc$1" nodad || return 1
	"$IP" -n "$EVLAT_NS_SERVER" link set "evs$1" up || return 1
	"$IP" -n "$EVLAT_NS_CLIENT" link set "evc$1" up || return 1
}

# Per-namespace settings, before the links exist so that they take the "default" values. The
# MPTCP sysctls start at their kernel defaults in a new netns, but the IPv4 ones are copied from
# the initial netns (net.core.devconf_inherit_init_net=0), so a host's strict rp_filter would
# leak in: set everything the tests rely on explicitly.
evlat_netns_tune() {
	evlat_netns_sysctl "$1" net/mptcp/enabled 1 || return 1
	# the in-kernel path manager (pm_type exists since 5.19; 0 = kernel PM)
	if evlat_netns_sh "$1" "[ -e /proc/sys/net/mptcp/pm_type ]"; then
		evlat_netns_sysctl "$1" net/mptcp/pm_type 0 || return 1
	fi
	evlat_netns_sysctl "$1" net/ipv4/conf/all/rp_filter 0 || return 1
	evlat_netns_sysctl "$1" net/ipv4/conf/default/rp_filter 0 || return 1
	"$IP" -n "$1" link set lo up || return 1
}

#   $EVLAT_NS_SERVER                       $EVLAT_NS_CLIENT
#   evs1 10.0.1.1/24  <---- veth ---->  evc1 10.0.1.2/24
#        fd00:1::1/64                        fd00:1::2/64
#   evs2 10.0.2.1/24  <---- veth ---->  evc2 10.0.2.2/24
#        fd00:2::1/64                        fd00:2::2/64
# Endpoints and limits are left to trafgen, which sets what it needs.
evlat_netns_up() {
	evlat_netns_down
	_el_netns=1
	# ip creates only the last component; a minimal guest may lack /run
	mkdir -p "$EVLAT_NETNS_DIR" || return 1
	"$IP" netns add "$EVLAT_NS_SERVER" || return 1
	"$IP" netns add "$EVLAT_NS_CLIENT" || {
		evlat_netns_down
		return 1
	}
	if ! evlat_netns_tune "$EVLAT_NS_SERVER" || ! evlat_netns_tune "$EVLAT_NS_CLIENT" ||
		! evlat_netns_link 1 || ! evlat_netns_link 2; then
		echo "lib.sh: namespace setup failed" >&2
		evlat_netns_down
		return 1
	fi
	return 0
}

# MPTCP sockets and hashed TCP sockets (listeners and subflows not yet closed) in use in a
# namespace. Every MPTCP event belongs to an MPTCP socket, so none can come once both are 0 and
# the last subflow has reached TCP_CLOSE. The "sockets" column of /proc/net/protocols counts
# MPTCP sockets per namespace on 6.12 and later; 6.1 leaves it at 0 (measured in the
# bookworm 6.1.192 guest during churn), where the TCP count ("inuse" of /proc/net/sockstat and
# sockstat6, per namespace on every kernel) is what remains.
mptcp_sockets() {
	evlat_netns_sh "$1" "cat /proc/net/protocols /proc/net/sockstat /proc/net/sockstat6" |
		awk '$1 == "MPTCP" || $1 == "MPTCPv6" { n += $3 }
			($1 == "TCP:" || $1 == "TCP6:") && $2 == "inuse" { n += $3 }
			END { print n + 0 }'
}

_el_no_mptcp() {
	for _el_ns in "$@"; do
		[ "$(mptcp_sockets "$_el_ns")" -eq 0 ] || return 1
	done
}

mptcp_quiet() {
	_el_secs=$1
	shift
	wait_for "$_el_secs" _el_no_mptcp "$@"
}

# --- ip mptcp monitor -------------------------------------------------------------------------

# /proc/net/netlink lists the netns' sockets: protocol 16 is NETLINK_GENERIC, Pid the port id
# (the process id for its first socket of a protocol) and Groups the first 32 groups joined.
monitor_subscribed() {
	evlat_netns_sh "$1" "cat /proc/net/netlink" |
		awk -v pid="$2" '$2 == 16 && $3 == pid && $4 != "00000000" { f = 1 } END { exit !f }'
}

_el_monitor_up() { # NS PID: subscribed, or dead (then a failure)
	monitor_subscribed "$1" "$2" && return 0
	alive "$2" || _el_dead=1
	[ "$_el_dead" = 1 ]
}

start_monitor() {
	"$IP" -n "$1" mptcp monitor >"$WORK/mon.$1" 2>"$WORK/mon.$1.err" &
	_el_mon=$!
	MON_PIDS="$MON_PIDS $_el_mon"
	_el_dead=0
	if ! wait_for "${WAIT_S:-5}" _el_monitor_up "$1" "$_el_mon" || [ "$_el_dead" = 1 ]; then
		cat "$WORK/mon.$1.err" >&2
		return 1
	fi
}

stop_monitors() {
	for _el_pid in $MON_PIDS; do
		kill "$_el_pid" 2>/dev/null
		wait "$_el_pid" 2>/dev/null
	done
	MON_PIDS=
}

# --- host scripts -----------------------------------------------------------------------------

work_start() {
	WORK=$(mktemp -d "/tmp/evlat-$1.XXXXXX") || exit 2
	trap work_cleanup EXIT
}

work_cleanup() {
	if command -v work_on_exit >/dev/null 2>&1; then work_on_exit; fi
	for _el_pid in $PIDS; do
		kill "$_el_pid" 2>/dev/null
		wait "$_el_pid" 2>/dev/null
	done
	PIDS=
	stop_monitors
	# only what this script set up: another test may be using namespaces of other names
	[ -z "${_el_netns:-}" ] || evlat_netns_down >/dev/null 2>&1
	[ -n "$WORK" ] || return 0
	if [ "${KEEP:-0}" != 0 ]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}

evlat_build() {
	make -C "$ROOT" --no-print-directory -s "$@" >&2
}
