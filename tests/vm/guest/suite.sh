#!/bin/sh
# The e2e suite that runs inside each QEMU guest (busybox sh + static binaries).
# Reports key=value lines to $EVLAT_RESULT; exits non-zero if any check fails.
# Real binaries are called by full path: busybox runs its own applets first.
#
#   records:     mptcp-evlat --records (every namespace) while trafgen runs:
#                every event trafgen caused arrives as a record of that
#                type, token and namespace; every event type occurs. A second
#                tracer with --kprobes runs beside it: its records, which read
#                kernel memory with bpf_probe_read_kernel(), must equal the
#                fentry ones (direct reads) field for field.
#   correlation: mptcp-evlat -N NS --json -d N in each trafgen namespace, with
#                ip mptcp monitor beside it: one delivered line per event,
#                0 < latency < 1 s, stages add up, the same (event, token)
#                pairs as the monitor; then the same with --kprobes.
set -u
BIN=/opt/evlat/bin
GUEST=/opt/evlat/guest
LIB=/opt/evlat/lib
IP=${IP:-/usr/sbin/ip}
JQ="/usr/bin/jq -M"
RESULT=${EVLAT_RESULT:-/tmp/result.kv}
W=/tmp/evlat-e2e
DURATION=12 # -d for the correlation runs: attach + trafgen fit well inside
TAG=suite
. $LIB/guest.sh

trafgen() { # EXPECT_FILE LOG
	$BIN/trafgen --server-netns /run/netns/evs --client-netns /run/netns/evc \
		--expect "$1" >"$2" 2>&1
}

# --- phase 1: raw records ------------------------------------------------------
phase_records() {
	$BIN/mptcp-evlat --records >$W/records.txt 2>$W/evlat.err &
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
	# the same probes as kprobes, on the same calls
	$BIN/mptcp-evlat --records --kprobes >$W/records_kp.txt 2>$W/evlat_kp.err &
	tracer_kp=$!
	wait_for $W/evlat_kp.err 'attached' 60 $tracer_kp
	check tracer_kprobes_attached $?

	trafgen $W/expect.txt $W/trafgen.log
	rc=$?
	cat $W/trafgen.log
	check trafgen $rc

	# The BPF side wakes the reader only past a backlog; give the 100 ms poll a turn.
	sleep 0.5
	kill -INT $tracer $tracer_kp
	wait $tracer
	check tracer_exit $?
	wait $tracer_kp
	check tracer_kprobes_exit $?
	tail -n 1 $W/evlat.err
	echo "--- records"
	cat $W/records.txt
	report records "$(grep -c '^ktime=' $W/records.txt)"
	report ringbuf_drops "$(sed -n 's/.* records, \([0-9]*\) ring buffer drops.*/\1/p' $W/evlat.err)"

	awk -f $GUEST/check_expect.awk $W/expect.txt $W/records.txt
	check records_match_expect $?
	# fentry (direct reads) against kprobe (probe reads): all but time and CPU
	# (tests/vm/guest/cmp_records.awk)
	awk -f $GUEST/cmp_records.awk $W/records.txt $W/records_kp.txt >$W/records.cmp
	rc=$?
	report records_kprobe_cmp "$(head -n 1 $W/records.cmp | tr ' ' ',')"
	[ $rc -eq 0 ] || tail -n +2 $W/records.cmp | head -n 20
	check records_fentry_equal_kprobe $rc
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
}

# --- phase 2: correlation -----------------------------------------------------
start_pair() { # NS TAG EXTRA_FLAGS: ip mptcp monitor + mptcp-evlat --json in NS
	"$IP" -n "$1" mptcp monitor >$W/$2.$1.mon 2>&1 &
	echo $! >$W/$2.$1.monpid
	extra=$3
	# the fentry run of evs also serves Prometheus metrics (scraped below)
	[ "$2" = fentry ] && [ "$1" = evs ] && extra="$extra --prometheus 9465"
	$BIN/mptcp-evlat -N "$1" --json -d $DURATION $extra >$W/$2.$1.json 2>$W/$2.$1.err &
	echo $! >$W/$2.$1.pid
}

# while_running PID: what we read from a running tracer: its capability sets
# (all dropped after attach) and a Prometheus scrape (busybox wget).
while_running() {
	sleep 1 # the last events of trafgen reach the correlator
	grep -E '^(CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs)' /proc/$1/status | tee $W/caps.txt
	[ "$(grep -c -E '^Cap(Inh|Prm|Eff|Amb):[[:space:]]+0+$' $W/caps.txt)" -eq 4 ] &&
		grep -Eq '^NoNewPrivs:[[:space:]]+1$' $W/caps.txt
	check caps_dropped_while_tracing $?
	busybox wget -q -O $W/scrape.txt http://127.0.0.1:9465/metrics
	check prometheus_scrape $?
}

# check_scrape JSON: every delivered count in the scrape equals the final summary's
check_scrape() {
	grep -E '^mptcp_evlat_events_total\{.*status="delivered"' $W/scrape.txt |
		sed 's/.*event="\([a-z_0-9]*\)".* \([0-9]*\)$/\1 \2/' | sort >$W/scrape.pairs
	$JQ -r 'select(.type=="summary") | .events | to_entries[] | "\(.key) \(.value.delivered)"' \
		"$1" | sort >$W/summary.pairs
	[ -s $W/scrape.pairs ] && cmp -s $W/scrape.pairs $W/summary.pairs
	rc=$?
	[ $rc -eq 0 ] || diff $W/scrape.pairs $W/summary.pairs
	check prometheus_matches_json $rc
	grep -Eq '^mptcp_evlat_probe_attached\{probe="mptcp_event",mode="fentry"\} 1$' $W/scrape.txt &&
		grep -q '^mptcp_evlat_event_latency_seconds_bucket{event="created",stage="total",le="+Inf"}' \
			$W/scrape.txt
	check prometheus_probes_and_histograms $?
}

# check_ns TAG NS: the JSON of one namespace against trafgen and the monitor
check_ns() {
	t=$1 ns=$2 json=$W/$1.$2.json
	ino=$(stat -L -c %i /run/netns/$ns)
	$JQ -e . $json >/dev/null
	check "${t}_${ns}_json_valid" $?
	awk -v ino=$ino '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4); print $3, $4 }' \
		$W/$t.expect | sort >$W/$t.$ns.want
	$JQ -r 'select(.type=="event" and .status != "close_without_event") |
		"\(.event) \(.token // "0x00000000")"' $json | sort >$W/$t.$ns.got
	cmp -s $W/$t.$ns.want $W/$t.$ns.got
	rc=$?
	[ $rc -eq 0 ] || { echo "want vs got ($ns):"; diff $W/$t.$ns.want $W/$t.$ns.got; }
	check "${t}_${ns}_one_line_per_event" $rc
	# the only other status allowed: a subflow closed after the connection left ESTABLISHED
	$JQ -se '[.[] | select(.type=="event")] | length > 0 and all(.status == "delivered" or
		(.status == "close_without_event" and .reason == "not_established"))' $json >/dev/null
	check "${t}_${ns}_all_delivered" $?
	$JQ -se '[.[] | select(.type=="event" and .status == "delivered")] |
		all(.latency_ns > 0 and .latency_ns < 1000000000)' $json >/dev/null
	check "${t}_${ns}_latency_0_1s" $?
	$JQ -se '[.[] | select(.type=="event" and .status == "delivered")] | all(.kernel_ns != null
		and .kernel_ns + .delivery_ns == .latency_ns)' $json >/dev/null
	rc=$?
	[ $rc -eq 0 ] || $JQ -c 'select(.type=="event" and .status == "delivered" and
		(.kernel_ns == null or .kernel_ns + .delivery_ns != .latency_ns))' $json
	check "${t}_${ns}_stages_add_up" $rc
	$JQ -se '(.[] | select(.type=="summary")) as $s | [.[] | select(.type=="event" and
		.status == "delivered")] |
		length == ($s.events | map(.delivered) | add) and $s.ringbuf_drops == 0 and
		$s.netlink.overruns == 0' $json >/dev/null
	check "${t}_${ns}_summary_agrees" $?
	awk -f $LIB/monitor_pairs.awk $W/$t.$ns.mon | sort >$W/$t.$ns.mon.pairs
	cmp -s $W/$t.$ns.mon.pairs $W/$t.$ns.got
	rc=$?
	[ $rc -eq 0 ] || { echo "monitor vs tracer ($ns):"; diff $W/$t.$ns.mon.pairs $W/$t.$ns.got; }
	check "${t}_${ns}_monitor_agrees" $rc
	$JQ -c 'select(.type=="event")' $json | head -n 3
	$JQ -r 'select(.type=="summary") | .events | to_entries[] |
		"\(.key) n=\(.value.count) p50=\(.value.latency_ns.p50) max=\(.value.latency_ns.max)"' $json
}

# check_text FILE: the terminal output has bcc's histogram shape and a summary row per type
check_text() {
	echo "--- terminal output (mptcp-evlat -N evc -d $DURATION)"
	cat "$1"
	grep -q '^event = created, stage = total$' "$1" &&
		grep -Eq '^ +usecs +: count +distribution$' "$1" &&
		grep -Eq '^ +[0-9]+ -> [0-9]+ +: [0-9]+ +\|\*+ *\|$' "$1"
	check text_histogram_shape $?
	rc=0
	for ev in created established closed announced removed sub_established sub_closed sub_priority; do
		grep -Eq "^$ev +[0-9]+ +[0-9]+ +0 +0 " "$1" || { echo "no delivered row for $ev"; rc=1; }
	done
	check text_summary_rows $rc
}

phase_correlation() { # TAG EXTRA_FLAGS
	t=$1
	for ns in evs evc; do start_pair $ns $t "$2"; done
	text_pid=
	if [ "$t" = fentry ]; then
		$BIN/mptcp-evlat -N evc -d $DURATION >$W/text.out 2>$W/text.err &
		text_pid=$!
		wait_for $W/text.err 'tracing MPTCP events' 60 $text_pid
	fi
	for ns in evs evc; do
		wait_for $W/$t.$ns.err 'tracing MPTCP events' 60 "$(cat $W/$t.$ns.pid)"
		check "${t}_${ns}_tracer_up" $?
		i=0
		until monitor_subscribed $ns "$(cat $W/$t.$ns.monpid)" || [ $i -ge 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
	trafgen $W/$t.expect $W/$t.trafgen.log
	check "${t}_trafgen" $?
	[ "$t" = fentry ] && while_running "$(cat $W/$t.evs.pid)"
	for ns in evs evc; do
		wait "$(cat $W/$t.$ns.pid)"
		check "${t}_${ns}_tracer_exit" $?
		kill "$(cat $W/$t.$ns.monpid)"
		cat $W/$t.$ns.err
	done
	grep -h 'traced with kprobes' $W/$t.*.err | head -n 2
	for ns in evs evc; do check_ns $t $ns; done
	[ "$t" = fentry ] && check_scrape $W/fentry.evs.json
	if [ -n "$text_pid" ]; then
		wait $text_pid
		check text_exit $?
		check_text $W/text.out
	fi
}

# --- --check ------------------------------------------------------------------
phase_check() {
	$BIN/mptcp-evlat --check >$W/check.out 2>&1
	rc=$?
	cat $W/check.out
	check selfcheck_exit0 $rc
	rc=0
	for p in mptcp_event mptcp_event_addr_announced mptcp_close_ssk mptcp_event_addr_removed; do
		grep -Eq "^probe $p +attachable: fentry" $W/check.out || rc=1
	done
	grep -Eq '^result +ok' $W/check.out || rc=1
	check selfcheck_probes $rc
}

# --- phase 3: losses we can provoke without a kernel module ----------------------
# stress TAG FLAGS CONNS: mptcp-evlat -N evc with FLAGS, stopped (SIGSTOP) while
# trafgen makes CONNS connections, then resumed; ip mptcp monitor counts what the
# kernel sent in evc.
stress() {
	t=$1
	"$IP" -n evc mptcp monitor >$W/$t.mon 2>&1 &
	mon=$!
	$BIN/mptcp-evlat -N evc --json -d 25 $2 >$W/$t.json 2>$W/$t.err &
	tr=$!
	wait_for $W/$t.err 'tracing MPTCP events' 60 $tr
	check "${t}_tracer_up" $?
	i=0
	until monitor_subscribed evc $mon || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -STOP $tr
	$BIN/trafgen --server-netns /run/netns/evs --client-netns /run/netns/evc --conns $3 \
		--expect $W/$t.expect >$W/$t.trafgen.log 2>&1
	check "${t}_trafgen" $?
	kill -CONT $tr
	wait $tr
	check "${t}_tracer_exit" $?
	kill $mon
	cat $W/$t.err
	$JQ -c 'select(.type=="summary") | {netlink, ringbuf_drops, events: (.events | map_values(
		{delivered, lost_overrun, lost_ringbuf, unmatched, not_delivered}))}' $W/$t.json
	sent=$(grep -c '^\[' $W/$t.mon)
	report "${t}_sent" "$sent"
}

# sum STATUS FILE: total of a status over the event types of the summary
sum() { $JQ -s "[.[] | select(.type==\"summary\") | .events[] | .$1] | add // 0" "$2"; }

phase_overrun() {
	stress overrun "--rcvbuf 4096" 10
	d=$(sum delivered $W/overrun.json) l=$(sum lost_overrun $W/overrun.json)
	report overrun_delivered "$d"
	report overrun_lost "$l"
	[ "$l" -gt 0 ] && [ $((d + l)) -eq "$sent" ]
	check overrun_exact $?
	$JQ -se '.[] | select(.type=="summary") | .netlink.overruns > 0 and .ringbuf_drops == 0' \
		$W/overrun.json >/dev/null
	check overrun_enobufs_counted $?
}

phase_ringbuf() {
	stress ringbuf "-r 4" 10
	d=$(sum delivered $W/ringbuf.json) r=$(sum lost_ringbuf $W/ringbuf.json)
	u=$(sum unmatched $W/ringbuf.json)
	report ringbuf_delivered "$d"
	report ringbuf_lost "$r"
	report ringbuf_unmatched "$u"
	# every event whose hook record was dropped arrives unmatched; the rest correlate
	[ "$r" -gt 0 ] && [ "$r" -eq "$u" ] && [ $((d + u)) -eq "$sent" ]
	check ringbuf_exact $?
	$JQ -se '.[] | select(.type=="summary") | .events | to_entries |
		all(.value.lost_ringbuf == .value.unmatched)' $W/ringbuf.json >/dev/null
	check ringbuf_exact_per_type $?
}

# -A while listening in evc only: evs's events are sent where nobody of ours
# listens (the kernel's listener check is global, KERNELS.md): no_listener,
# never a loss; evc's are delivered.
phase_nolistener() {
	$BIN/mptcp-evlat -N evc -A --json -d $DURATION >$W/nl.json 2>$W/nl.err &
	tr=$!
	wait_for $W/nl.err 'tracing MPTCP events' 60 $tr
	check nolistener_tracer_up $?
	trafgen $W/nl.expect $W/nl.trafgen.log
	check nolistener_trafgen $?
	wait $tr
	check nolistener_tracer_exit $?
	s_ino=$(stat -L -c %i /run/netns/evs) c_ino=$(stat -L -c %i /run/netns/evc)
	want_s=$(grep -c "netns=$s_ino " $W/nl.expect) want_c=$(grep -c "netns=$c_ino " $W/nl.expect)
	got_s=$($JQ -s "[.[] | select(.type==\"event\" and .netns==$s_ino and
		.status==\"no_listener\")] | length" $W/nl.json)
	got_c=$($JQ -s "[.[] | select(.type==\"event\" and .netns==$c_ino and
		.status==\"delivered\")] | length" $W/nl.json)
	report nolistener_evs "$got_s/$want_s"
	report nolistener_evc_delivered "$got_c/$want_c"
	[ "$got_s" -eq "$want_s" ] && [ "$got_c" -eq "$want_c" ] && [ "$want_s" -gt 0 ]
	check nolistener_exact $?
	$JQ -se '[.[] | select(.type=="event") | .status] |
		all(. == "delivered" or . == "no_listener" or . == "close_without_event")' \
		$W/nl.json >/dev/null
	check nolistener_no_loss $?
}

# --- phase 4: forced GFP_ATOMIC failures (tests/kmod/evlat_fault.ko) ----------
# The module fails exactly N atomic allocations of event messages in evc;
# mptcp-evlat must report exactly N lost_alloc_atomic, of the same event
# types, and N fewer delivered than the events trafgen caused there.
KO=/opt/evlat/kmod/evlat_fault.ko
P=/sys/module/evlat_fault/parameters
FAULTS=2

phase_fault() {
	if [ ! -f $KO ]; then
		echo "no evlat_fault.ko for this kernel (see build/kmod/*.log)"
		report kmod unavailable
		check fault_kmod_present 1
		return
	fi
	c_ino=$(stat -L -c %i /run/netns/evc)
	insmod $KO netns_ino=$c_ino
	check fault_kmod_loaded $?
	$BIN/mptcp-evlat -N evc --json -d $DURATION >$W/fault.json 2>$W/fault.err &
	tr=$!
	wait_for $W/fault.err 'tracing MPTCP events' 60 $tr
	check fault_tracer_up $?
	echo $FAULTS >$P/fail_count
	trafgen $W/fault.expect $W/fault.trafgen.log
	check fault_trafgen $?
	wait $tr
	check fault_tracer_exit $?
	by_event=$(cat $P/failed_by_event) failed=$(cat $P/failed)
	echo 0 >$P/fail_count
	rmmod evlat_fault
	report fault_kmod_failed "$failed"
	report fault_kmod_by_event "$(echo "$by_event" | tr ' ' ',')"
	lost=$(sum lost_alloc_atomic $W/fault.json) deliv=$(sum delivered $W/fault.json)
	want=$(grep -c "netns=$c_ino " $W/fault.expect)
	report fault_lost_alloc_atomic "$lost"
	report fault_delivered "$deliv/$want"
	[ "$failed" -eq $FAULTS ] && [ "$lost" -eq $FAULTS ] && [ "$deliv" -eq $((want - FAULTS)) ]
	check fault_exact $?
	# the same event types as the module failed: "created=1 established=1"
	got=$($JQ -r '[.[] | select(.type=="summary") | .events | to_entries[] |
		select(.value.lost_alloc_atomic > 0) | "\(.key)=\(.value.lost_alloc_atomic)"] |
		sort | join(" ")' -s $W/fault.json)
	want_types=$(echo "$by_event" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ' | sed 's/ $//')
	report fault_lost_types "$(echo "$got" | tr ' ' ',')"
	[ "$got" = "$want_types" ]
	check fault_event_types $?
	$JQ -se '[.[] | select(.type=="event" and (.status | startswith("lost_")))] |
		all(.status == "lost_alloc_atomic" and (.gfp | test("^0x")))' $W/fault.json >/dev/null
	check fault_no_other_loss $?
}

# --- bad input the host cannot provoke: no BTF, MPTCP disabled -----------------
# one_line CODE PATTERN CMD...: exit code CODE and one stderr line matching PATTERN
one_line() {
	code=$1 pat=$2
	shift 2
	"$@" >$W/bad.out 2>$W/bad.err
	rc=$?
	cat $W/bad.err
	[ $rc -eq "$code" ] && [ "$(wc -l <$W/bad.err)" -eq 1 ] && grep -q "$pat" $W/bad.err
}

phase_badinput() {
	# the kernel's BTF made unreadable: an empty file in its place
	mount --bind /dev/null /sys/kernel/btf/vmlinux
	one_line 4 'no kernel BTF' $BIN/mptcp-evlat -d 1
	check badinput_no_btf $?
	$BIN/mptcp-evlat --check >$W/bad.check 2>&1
	[ $? -eq 4 ] && grep -q '^btf  *NO' $W/bad.check
	check badinput_no_btf_check $?
	umount /sys/kernel/btf/vmlinux
	evlat_netns_sysctl evc net/mptcp/enabled 0
	one_line 5 'net.mptcp.enabled = 0' $BIN/mptcp-evlat -N evc -d 1
	check badinput_mptcp_disabled $?
	evlat_netns_sysctl evc net/mptcp/enabled 1
}

mkdir -p $W
export IP
. $LIB/netns.sh
evlat_netns_up >$W/netns.log 2>&1
check netns_up $?
phase_check
phase_records
evlat_netns_down >/dev/null 2>&1

evlat_netns_up >$W/netns.log 2>&1
phase_correlation fentry ""
evlat_netns_down >/dev/null 2>&1
evlat_netns_up >$W/netns.log 2>&1
phase_correlation kprobe "--kprobes"
grep -q 'traced with kprobes' $W/kprobe.evs.err
check kprobe_mode_used $?
evlat_netns_down >/dev/null 2>&1
evlat_netns_up >$W/netns.log 2>&1
phase_nolistener
evlat_netns_down >/dev/null 2>&1
evlat_netns_up >$W/netns.log 2>&1
phase_overrun
evlat_netns_down >/dev/null 2>&1
evlat_netns_up >$W/netns.log 2>&1
phase_ringbuf
evlat_netns_down >/dev/null 2>&1
evlat_netns_up >$W/netns.log 2>&1
phase_fault
phase_badinput
evlat_netns_down >/dev/null 2>&1

report failures $failures
[ $failures -eq 0 ]
