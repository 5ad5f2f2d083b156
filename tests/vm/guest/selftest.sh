#!/bin/sh
# Self-test of the VM harness (tests/vm/run --suite-script tests/vm/guest/selftest.sh):
# checks the guest environment that the real suite relies on, attaches no probe.
# Reports key=value lines to $EVLAT_RESULT; exits non-zero if any check fails.
set -u
IP=${IP:-/usr/sbin/ip}
EVLAT_RESULT=${EVLAT_RESULT:-/tmp/result.kv}
export EVLAT_RESULT IP
# shellcheck source-path=SCRIPTDIR source=../../lib/lib.sh
. /opt/evlat/lib/lib.sh

ip_version() { "$IP" -V | grep -q iproute2; }

mounted() { grep -q "^[^ ]* $1 $2 " /proc/mounts; } # MOUNTPOINT FSTYPE

veth_pair() {
	"$IP" netns add a &&
		"$IP" link add v0 type veth peer name v1 netns a &&
		"$IP" addr add 192.0.2.1/24 dev v0 && "$IP" link set v0 up &&
		"$IP" -n a addr add 192.0.2.2/24 dev v1 && "$IP" -n a link set v1 up &&
		"$IP" -n a link set lo up &&
		ping -c 1 -W 5 192.0.2.2 >/dev/null &&
		"$IP" netns del a
}

netns_lib() {
	evlat_netns_up && evlat_netns_down
}

check ip_runs ip_version
check mount_proc mounted /proc proc
check mount_bpffs mounted /sys/fs/bpf bpf
check mount_tmp mounted /tmp tmpfs
check btf test -r /sys/kernel/btf/vmlinux
check mptcp_sysctl test -r /proc/sys/net/mptcp/enabled
check veth_pair veth_pair
check netns_lib netns_lib

report kernel "$(uname -r)"
bins=""
for f in /opt/evlat/bin/*; do [ -e "$f" ] && bins="$bins${bins:+,}${f##*/}"; done
report opt_bin "$bins"
report probes_attached 0
report records 0
results_done
