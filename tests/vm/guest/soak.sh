#!/bin/sh
# Soak (make soak): SOAK_SECONDS (default 600) of MPTCP churn in one guest with
# mptcp-evlat tracing it; the tracer's RSS is sampled every 30 s and, after a
# 2-minute warm-up, must stay flat (max - min <= 1 MiB). Prints every sample.
set -u
BIN=/opt/evlat/bin
IP=${IP:-/usr/sbin/ip}
EVLAT_RESULT=${EVLAT_RESULT:-/tmp/result.kv}
export EVLAT_RESULT IP
W=/tmp/evlat-soak
SECS=${SOAK_SECONDS:-600}
STEP=30
WARM=120

# shellcheck source-path=SCRIPTDIR source=../../lib/lib.sh
. /opt/evlat/lib/lib.sh
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$1"/status; }

mkdir -p $W
evlat_netns_up >$W/netns.log 2>&1
check_rc soak_netns_up $? || exit 1
$BIN/mptcp-evlat -N evc -i $STEP >$W/evlat.out 2>$W/evlat.err &
tr=$!
wait_line $W/evlat.err 'tracing MPTCP events' 60 $tr
$BIN/trafgen --server-netns /run/netns/evs --client-netns /run/netns/evc \
	--churn "$SECS" >$W/churn.log 2>&1 &
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
kill -INT $tr
wait $tr
tr_rc=$?
tail -n 25 $W/evlat.out
report soak_seconds "$SECS"
report soak_rss_samples "$(awk '{printf "%s%s", sep, $2; sep=","}' $W/rss.txt)"
report soak_rss_min_kib "${min:-0}"
report soak_rss_max_kib "${max:-0}"
report soak_churn "$(tail -n 1 $W/churn.log)"
ok=1
[ $tg_rc -eq 0 ] && [ $tr_rc -eq 0 ] && [ -n "$min" ] && [ $((max - min)) -le 1024 ] && ok=0
check_rc soak_rss_flat $ok
exit $ok
