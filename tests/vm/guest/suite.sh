#!/bin/sh
# The e2e suite that runs inside each QEMU guest (busybox sh + static binaries).
# Reports key=value lines to $EVLAT_RESULT; exits non-zero if any check fails.
# Real binaries are called by full path: busybox runs its own applets first.
set -u
BIN=/opt/evlat/bin
GUEST=/opt/evlat/guest
IP=${IP:-/usr/sbin/ip}
RESULT=${EVLAT_RESULT:-/tmp/result.kv}
W=/tmp/evlat-e2e
failures=0

report() { echo "$1=$2" >>"$RESULT"; echo "suite: $1=$2"; }
check() { # name, status (0 = pass)
	if [ "$2" -eq 0 ]; then report "check_$1" pass; else report "check_$1" fail; failures=$((failures + 1)); fi
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

mkdir -p $W
export IP
. /opt/evlat/lib/netns.sh
evlat_netns_up >$W/netns.log 2>&1
check netns_up $?

# --- tracer + traffic --------------------------------------------------------
$BIN/mptcp-evlat >$W/records.txt 2>$W/evlat.err &
tracer=$!
wait_for $W/evlat.err 'attached' 60 $tracer
check tracer_attached $?
cat $W/evlat.err
attached=$(sed -n 's/^mptcp-evlat: attached \([0-9]*\) probes.*/\1/p' $W/evlat.err)
report probes_attached "${attached:-0}"
report probes "$(sed -n 's/^mptcp-evlat: attached [0-9]* probes: //p' $W/evlat.err | tr ' ' ',')"
sed -n 's/^mptcp-evlat: attached [0-9]* probes: //p' $W/evlat.err | tr ' ' '\n' >$W/probes.txt
seed=0
for p in mptcp_event mptcp_event_addr_announced mptcp_close_ssk; do
	grep -qx "$p" $W/probes.txt || { echo "seed probe $p not attached"; seed=1; }
done
check seed_probes $seed

$BIN/trafgen --server-netns /run/netns/evs --client-netns /run/netns/evc \
	--expect $W/expect.txt >$W/trafgen.log 2>&1
rc=$?
cat $W/trafgen.log
check trafgen $rc

# The BPF side wakes the reader only past a backlog; give the 100 ms poll a turn.
sleep 0.5
kill -INT $tracer
wait $tracer
check tracer_exit $?
tail -n 1 $W/evlat.err
echo "--- records"
cat $W/records.txt
echo "--- expected"
cat $W/expect.txt
report records "$(grep -c '^ktime=' $W/records.txt)"
report ringbuf_drops "$(sed -n 's/.* records, \([0-9]*\) ring buffer drops.*/\1/p' $W/evlat.err)"

# --- every event the generator caused arrived as a record of that type/token --
awk -f $GUEST/check_expect.awk $W/expect.txt $W/records.txt
check records_match_expect $?
report expected_events "$(grep -c '^expect ' $W/expect.txt)"
# Every event type this kernel has must have been caused and recorded:
# 8 types, plus LISTENER_CREATED/CLOSED where the kernel has them (6.2+).
types=$(sed -n 's/.* event=\([a-z_]*\) .*/\1/p' $W/expect.txt | sort -u | wc -l)
want=8
grep -qx mptcp_event_pm_listener $W/probes.txt && want=10
report event_types "$types"
[ "$types" -eq $want ]
check event_types_covered $?
for ev in $(sed -n 's/.* event=\([a-z_]*\) .*/\1/p' $W/expect.txt | sort -u); do
	report "records_$ev" "$(grep -c " event=$ev " $W/records.txt)"
done

evlat_netns_down >/dev/null 2>&1
report failures $failures
[ $failures -eq 0 ]
