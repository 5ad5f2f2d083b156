#!/bin/sh
# Soak (make soak): SOAK_SECONDS (default 600) of MPTCP churn in one guest with
# mptcp-evlat tracing it; the tracer's RSS is sampled every 30 s and, after a
# 2-minute warm-up, must stay flat (max - min <= 1 MiB). Prints every sample.
# The churn has joins and failures (--subflows --churn-failures 10: one
# connection in ten ends in a reset join, either side, or an MP_FASTCLOSE), and
# `ip mptcp monitor` in the traced namespace counts what the kernel sent there:
# mptcp-evlat's delivered count (its --textfile, cumulative) must equal it,
# with nothing lost, unmatched or evicted. SOAK_SECONDS: make soak
# SOAK_SECONDS=N puts evlat.soak_seconds=N on the guest's command line.
set -u
BIN=/opt/evlat/bin
IP=${IP:-/usr/sbin/ip}
EVLAT_RESULT=${EVLAT_RESULT:-/tmp/result.kv}
export EVLAT_RESULT IP
W=/tmp/evlat-soak
# make soak SOAK_SECONDS=N passes evlat.soak_seconds=N on the guest's kernel command line
SECS=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^evlat.soak_seconds=//p' | tail -n 1)
SECS=${SECS:-${SOAK_SECONDS:-600}}
STEP=30
WARM=120
FLAGS="--subflows --churn-failures 10"

# shellcheck source-path=SCRIPTDIR source=../../lib/lib.sh
. /opt/evlat/lib/lib.sh
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$1"/status; }

mkdir -p $W
evlat_netns_up >$W/netns.log 2>&1
check_rc soak_netns_up $? || exit 1
# the monitor's lines counted as they come (a file of them would fill the guest's memory)
mkfifo $W/mon.fifo
awk '/^\[/ { n++ } END { print n + 0 }' <$W/mon.fifo >$W/mon.count &
counter=$!
"$IP" -n evc mptcp monitor >$W/mon.fifo 2>$W/mon.err &
mon=$!
wait_for 30 monitor_subscribed evc $mon
check_rc soak_monitor_up $?
$BIN/mptcp-evlat -N evc -i $STEP --textfile $W/metrics.prom >$W/evlat.out 2>$W/evlat.err &
tr=$!
wait_line $W/evlat.err 'tracing MPTCP events' 60 $tr
# shellcheck disable=SC2086 # flags
$BIN/trafgen --server-netns /run/netns/evs --client-netns /run/netns/evc \
	--churn "$SECS" $FLAGS >$W/churn.log 2>&1 &
tg=$!
t=0 min='' max=''
while [ $t -lt "$SECS" ]; do
	sleep $STEP
	t=$((t + STEP))
	r=$(rss_kib $tr)
	echo "soak: t=${t}s rss=${r}KiB"
	echo "$t $r" >>$W/rss.txt
	if [ $t -gt $WARM ] && [ -n "$r" ]; then
		[ -z "$min" ] || [ "$r" -lt "$min" ] && min=$r
		[ -z "$max" ] || [ "$r" -gt "$max" ] && max=$r
	fi
done
wait $tg
tg_rc=$?
cat $W/churn.log
# no MPTCP socket left: no event can come any more, the monitor has them all
mptcp_quiet 60 evs evc
kill -INT $tr
wait $tr
tr_rc=$?
kill $mon
wait $mon
wait $counter
tail -n 25 $W/evlat.out
# status sums over the event types, from the tracer's last (exit) textfile
status_sum() {
	awk -v st="$1" '$1 ~ /^mptcp_evlat_events_total\{/ && index($1, "status=\"" st "\"") {
		n += $2 } END { printf "%d\n", n }' $W/metrics.prom
}
delivered=$(status_sum delivered) sent=$(cat $W/mon.count)
lost=0
for st in lost_alloc_atomic lost_alloc_other lost_overrun lost_ringbuf not_delivered unmatched \
	evicted; do
	lost=$((lost + $(status_sum $st)))
done
report soak_seconds "$SECS"
report soak_rss_samples "$(awk '{printf "%s%s", sep, $2; sep=","}' $W/rss.txt)"
report soak_rss_min_kib "${min:-0}"
report soak_rss_max_kib "${max:-0}"
report soak_churn "$(tail -n 1 $W/churn.log)"
report soak_monitor_evc "$sent"
report soak_delivered_evc "$delivered"
report soak_lost_evc "$lost"
report soak_close_without_event_evc "$(status_sum close_without_event)"
ok=1
[ $tg_rc -eq 0 ] && [ $tr_rc -eq 0 ] && [ -n "$min" ] && [ $((max - min)) -le 1024 ] && ok=0
check_rc soak_rss_flat $ok
[ "$sent" -gt 0 ] && [ "$delivered" -eq "$sent" ] && [ "$lost" -eq 0 ]
check_rc soak_delivered_equals_monitor $?
results_done
