# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Two network namespaces for MPTCP tests, joined by two veth pairs:
#
#   $EVLAT_NS_SERVER                       $EVLAT_NS_CLIENT
#   evs1 10.0.1.1/24  <---- veth ---->  evc1 10.0.1.2/24
#   evs2 10.0.2.1/24  <---- veth ---->  evc2 10.0.2.2/24
#
# Sourced by bash on the host and by busybox sh inside the test guests, so
# it is plain POSIX sh.  Debian's busybox shell runs its own "ip" applet in
# preference to a binary on PATH, and that applet knows neither "netns" nor
# veth peers in another namespace: always call the real iproute2 as "$IP".
#
# Usage:  . tests/lib/netns.sh; evlat_netns_up; ...; evlat_netns_down

: "${IP:=ip}"
: "${EVLAT_NS_SERVER:=evs}"
: "${EVLAT_NS_CLIENT:=evc}"
# Where Debian's iproute2 keeps named namespaces (compiled in, not settable).
EVLAT_NETNS_DIR=/run/netns

# Path of a named namespace, what trafgen's --server-netns/--client-netns take.
evlat_netns_path()
{
	echo "$EVLAT_NETNS_DIR/$1"
}

# Run a shell command inside a namespace's network stack.  nsenter is
# util-linux on the host and a busybox applet in the guests; unlike
# "ip netns exec" it does not remount /sys, which a minimal guest may lack.
evlat_netns_sh()
{
	# $1 namespace, $2 command for sh -c
	nsenter --net="$(evlat_netns_path "$1")" sh -c "$2"
}

# Write a sysctl inside a namespace.  /proc/sys/net follows the netns of the
# process that opens the file, so entering the net namespace alone is enough.
evlat_netns_sysctl()
{
	# $1 namespace, $2 path below /proc/sys, $3 value
	evlat_netns_sh "$1" "echo $3 > /proc/sys/$2" || {
		echo "netns.sh: cannot set $2=$3 in $1" >&2
		return 1
	}
}

evlat_netns_down()
{
	# Deleting a namespace destroys the veth ends inside it (and so their
	# peers).  Missing namespaces are fine: teardown must be idempotent.
	"$IP" netns del "$EVLAT_NS_CLIENT" 2>/dev/null
	"$IP" netns del "$EVLAT_NS_SERVER" 2>/dev/null
	return 0
}

# One veth pair: $1 index (1 or 2) -> 10.0.$1.1 server, 10.0.$1.2 client.
evlat_netns_link()
{
	"$IP" link add "evs$1" netns "$EVLAT_NS_SERVER" type veth \
		peer name "evc$1" netns "$EVLAT_NS_CLIENT" || return 1
	"$IP" -n "$EVLAT_NS_SERVER" addr add "10.0.$1.1/24" dev "evs$1" || return 1
	"$IP" -n "$EVLAT_NS_CLIENT" addr add "10.0.$1.2/24" dev "evc$1" || return 1
	"$IP" -n "$EVLAT_NS_SERVER" link set "evs$1" up || return 1
	"$IP" -n "$EVLAT_NS_CLIENT" link set "evc$1" up || return 1
}

# Per-namespace settings, before the links exist so that they take the
# "default" values.  The MPTCP sysctls start at their kernel defaults in a
# new netns, but the IPv4 ones are copied from the initial netns
# (net.core.devconf_inherit_init_net=0), so a host's strict rp_filter would
# leak in: set everything the tests rely on explicitly.
evlat_netns_tune()
{
	evlat_netns_sysctl "$1" net/mptcp/enabled 1 || return 1
	# the in-kernel path manager (pm_type exists since 5.19; 0 = kernel PM)
	if evlat_netns_sh "$1" "[ -e /proc/sys/net/mptcp/pm_type ]"; then
		evlat_netns_sysctl "$1" net/mptcp/pm_type 0 || return 1
	fi
	evlat_netns_sysctl "$1" net/ipv4/conf/all/rp_filter 0 || return 1
	evlat_netns_sysctl "$1" net/ipv4/conf/default/rp_filter 0 || return 1
	"$IP" -n "$1" link set lo up || return 1
}

evlat_netns_up()
{
	evlat_netns_down
	# ip creates only the last component; a minimal guest may lack /run
	mkdir -p "$EVLAT_NETNS_DIR" || return 1
	"$IP" netns add "$EVLAT_NS_SERVER" || return 1
	"$IP" netns add "$EVLAT_NS_CLIENT" || { evlat_netns_down; return 1; }
	if ! evlat_netns_tune "$EVLAT_NS_SERVER" ||
	   ! evlat_netns_tune "$EVLAT_NS_CLIENT" ||
	   ! evlat_netns_link 1 || ! evlat_netns_link 2; then
		echo "netns.sh: namespace setup failed" >&2
		evlat_netns_down
		return 1
	fi
	# Endpoints and limits are left to trafgen, which sets what it needs.
	return 0
}
