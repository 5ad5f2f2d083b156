# Helpers of the guest scripts (tests/vm/guest/*.sh), busybox sh. Source after
# setting RESULT (the key=value file) and TAG (the prefix of console lines).
failures=0

report() { echo "$1=$2" >>"$RESULT"; echo "$TAG: $1=$2"; }

check() { # name, status (0 = pass)
	if [ "$2" -eq 0 ]; then
		report "check_$1" pass
	else
		report "check_$1" fail
		failures=$((failures + 1))
	fi
}

# wait_for FILE PATTERN SECONDS [PID]: poll for a line while PID lives, no blind sleeps
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# monitor_subscribed NS PID: the monitor's generic netlink socket has joined a
# group (/proc/net/netlink: protocol 16, its port id, a non-zero group mask)
monitor_subscribed() {
	evlat_netns_sh "$1" "cat /proc/net/netlink" |
		awk -v pid="$2" '$2 == 16 && $3 == pid && $4 != "00000000" { f = 1 } END { exit !f }'
}
