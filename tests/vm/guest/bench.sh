#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The overhead benchmark, inside one QEMU guest (busybox sh, POSIX):
#
#   tests/vm/run --suite trixie --suite-script tests/vm/guest/bench.sh
#
# MPTCP churn (trafgen --churn: connect, accept, one echo round trip, close,
# back to back between the namespaces evc and evs) under each observer, as a
# ratio to the untraced rate of the same boot:
#
#   none        nothing listens (the kernel then builds no event at all)
#   sink        trafgen --sink: a socket in evc joined to the events group and
#               read only after the run; the kernel builds and queues every evc
#               event, no process wakes up: the floor of any netlink listener
#   monitor1    ip mptcp monitor in evc, output to /dev/null: the same listener
#               set as mptcp-evlat -N evc, woken per event
#   monitor     ip mptcp monitor in evc and in evs, output to /dev/null
#   mon_evlat   monitor1 and mptcp-evlat -N evc: what the tracer adds where a
#               path manager already listens (against monitor1)
#   genl        mptcp-evlat --genl-only -N evc: our listener without the probes
#   evlat_nocons  mptcp-evlat -N evc --no-consumers: without the consumer probes
#   observe_mon monitor1 and mptcp-evlat -N evc --observe: no subscriber of ours, where a
#               path manager (here: one monitor) already listens (against monitor1)
#   evlat       mptcp-evlat -N evc (default mode, output to a file)
#   evlat_all   mptcp-evlat -A -N evc
#   evlat_nocmd mptcp-evlat -N evc --no-commands: without the probes on
#               genl_rcv_msg() (the path manager's commands); the churn sends no
#               generic netlink request, so against evlat: what they cost idle
#   bpftrace    a naive kfunc printf one-liner, when the guest has bpftrace
# and the subflow-heavy variant (--subflows: ADD_ADDR + join per connection)
# without and with mptcp-evlat -N evc, and the same with failures
# (--churn-failures FAIL_PCT: that share of the connections ends in a join reset
# by ss -K, a peer reset or an MP_FASTCLOSE abort), where one more run with a
# monitor in evc that keeps its lines (evlat_counted) checks that mptcp-evlat
# delivered exactly what the kernel sent there and lost nothing. REPS rounds; within a round every
# traced run sits between two untraced runs, and its ratio is taken to the
# mean of those two, so that drift (other guests on the host, mostly) hits
# both sides alike; the median over the rounds is reported. Runs are short
# (SECONDS_PER_RUN) for the same reason. Then the ring-buffer limit: churn
# with mptcp-evlat --json and smaller rings (-r), .ringbuf_drops of the
# summary, and paced churn (--rate) where a ring drops at full speed. The genl
# phase: generic netlink requests of another family back to back (trafgen pm
# --genl-flood, GETFAMILY), untraced, under evlat and under evlat_nocmd: what
# the genl_rcv_msg() probes cost per request they leave at once. The
# tracer's peak RSS is VmHWM of /proc/PID/status read just before each tracer
# is stopped.
#
# tests/bench/run --icount boots the guest with QEMU's -icount (its clock counts
# instructions) and passes evlat.bench_clock=icount evlat.bench_seconds=0.5 on
# the kernel command line; without them: wall clock, 2 s runs.
#
# key=value lines go to $EVLAT_RESULT (bench_*, bpftrace=, check_bench=);
# tests/bench/run prints them as a table (tests/bench/README.md lists the
# keys). Real binaries by full path: busybox runs its own applets first.
set -u
BIN=/opt/evlat/bin
LIB=/opt/evlat/lib
IP=${IP:-/usr/sbin/ip}
JQ="/usr/bin/jq -M"
BPFTRACE=/usr/bin/bpftrace
EVLAT_RESULT=${EVLAT_RESULT:-/tmp/result.kv}
export EVLAT_RESULT IP
W=/tmp/evlat-bench
SECONDS_PER_RUN=2 # churn time of one run
REPS=3
FAIL_PCT=10 # the failures variant: percent of the connections that fail
monitor_out=/dev/null # where monitors_start's monitors write
CLOCK=wall # the guest's clock: wall (TCG's default) or icount (tests/bench/run --icount)
SETTLE=0.5 # after an observer stops (trampolines go away under RCU)
incomplete=0 # runs that did not complete
stuck=0 # tracers that did not stop on SIGINT
observer_pid='' monitor_pids=''
PROFILE='' # set in the profile phase: churn_run samples observer_cost around trafgen

# report, alive, wait_line, monitor_subscribed, the namespaces: tests/lib/lib.sh
# shellcheck source-path=SCRIPTDIR source=../../lib/lib.sh
. $LIB/lib.sh
say() { echo "bench: $*"; }
ns_path() { evlat_netns_path "$1"; }

# signal_wait PID SIGNAL SECS: send SIGNAL, 0 once PID has exited, 1 after SECS
signal_wait() {
	kill -"$2" "$1" 2>/dev/null
	n=0
	while alive "$1"; do
		[ $n -lt $(($3 * 10)) ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# vmhwm PID: peak resident set, KiB
vmhwm() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status" 2>/dev/null; }

# max_into FILE VALUE: keep the largest value seen in FILE
max_into() {
	[ -n "$2" ] || return 0
	old=$(cat "$1" 2>/dev/null || echo 0)
	[ "$2" -gt "$old" ] && echo "$2" >"$1"
	return 0
}

# --- observers ----------------------------------------------------------------
# monitors_start TAG NS...: ip mptcp monitor in each NS, return once all listen
monitors_start() {
	tag=$1
	shift
	for ns in "$@"; do
		"$IP" -n "$ns" mptcp monitor >"$monitor_out" 2>"$W/$tag.$ns.monerr" &
		monitor_pids="$monitor_pids $!"
		i=0
		until monitor_subscribed "$ns" $!; do
			i=$((i + 1))
			[ $i -lt 100 ] && alive $! || return 1
			sleep 0.1
		done
	done
}

# observer_start CONFIG TAG: start CONFIG's observer, return once it listens
observer_start() {
	observer_pid='' monitor_pids=''
	case $1 in
	none | sink) return 0 ;;
	monitor) monitors_start "$2" evc evs; return ;;
	monitor1) monitors_start "$2" evc; return ;;
	evlat) set -- "$1" "$2" -N evc ;;
	mon_evlat)
		# what mptcp-evlat adds where a path manager (here: one monitor) listens
		monitors_start "$2" evc || return 1
		set -- "$1" "$2" -N evc
		;;
	evlat_counted)
		# a monitor in evc that keeps its lines: what the kernel sent there
		monitor_out=$W/$2.mon
		monitors_start "$2" evc
		rc=$?
		monitor_out=/dev/null
		[ $rc -eq 0 ] || return 1
		set -- "$1" "$2" -N evc
		;;
	genl) set -- "$1" "$2" --genl-only -N evc ;;
	evlat_nocons) set -- "$1" "$2" -N evc --no-consumers ;;
	observe_mon)
		monitors_start "$2" evc || return 1
		set -- "$1" "$2" -N evc --observe
		;;
	evlat_all) set -- "$1" "$2" -A -N evc ;;
	evlat_nocmd) set -- "$1" "$2" -N evc --no-commands ;;
	evlat_p16k) set -- "$1" "$2" -N evc --pending 16384 ;;
	ring*) set -- "$1" "$2" -N evc --json -r "${1#ring}" ;;
	bpftrace)
		# the naive design: one printf per event, nothing batched
		"$BPFTRACE" -e 'kfunc:mptcp_event { printf("%d\n", args->type); }' \
			>$W/"$2".out 2>$W/"$2".err &
		observer_pid=$!
		wait_line $W/"$2".out '^Attaching' 120 $observer_pid
		return
		;;
	*) say "unknown configuration $1"; return 1 ;;
	esac
	cfg=$1 tag=$2
	shift 2
	$BIN/mptcp-evlat "$@" >$W/"$tag".out 2>$W/"$tag".err &
	observer_pid=$!
	# --genl-only says "listening to mptcp_pm_events", --observe "observing"
	wait_line $W/"$tag".err 'tracing MPTCP events|listening to mptcp_pm_events|observing MPTCP' 120 \
		$observer_pid
}

# observer_stop CONFIG TAG: stop it; 1 if it died before (then it observed nothing)
observer_stop() {
	rc=0
	for pid in $monitor_pids; do
		alive "$pid" || { say "$2: ip mptcp monitor died early"; rc=1; }
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$observer_pid" ]; then
		if alive "$observer_pid"; then
			case $1 in evlat* | mon_evlat | observe_mon | genl | ring*) max_into $W/rss."$1" "$(vmhwm "$observer_pid")" ;; esac
			if ! signal_wait "$observer_pid" INT 10; then
				# a background job of this shell has SIGINT ignored: one sent
				# before the tracer blocks it is lost. Do not hang: TERM, KILL
				say "$2: observer still running 10 s after SIGINT: $(grep -E \
					'State|SigPnd|ShdPnd|SigBlk|SigIgn' /proc/$observer_pid/status |
					tr -s '\t\n' '  ')wchan $(cat /proc/$observer_pid/wchan)"
				stuck=$((stuck + 1))
				signal_wait "$observer_pid" TERM 5 || kill -KILL "$observer_pid"
			fi
			wait "$observer_pid" || { say "$2: observer exit $?"; rc=1; }
		else
			say "$2: observer died early"
			wait "$observer_pid"
			rc=1
		fi
	fi
	observer_pid='' monitor_pids=''
	sleep $SETTLE
	return $rc
}

# --- where the cost goes (the profile phase) -----------------------------------
# observer_cost: "cpu_ns ctxsw bpf_ns bpf_runs utime stime" summed over the running observers
# (%.0f: busybox awk's %d stops at 2^31, 2.1 s of CPU in ns):
# time on CPU (/proc/PID/schedstat), context switches, the run time and count of their BPF
# programs (fdinfo; counted while kernel.bpf_stats_enabled=1), and of the CPU time the part in
# user space and in the kernel (/proc/PID/stat, ticks of 10 ms: hence the longer profile runs)
observer_cost() {
	# mptcp-evlat's own where it runs beside a monitor (observe_mon): the monitor is the path
	# manager there, not the observer
	for pid in ${observer_pid:-$monitor_pids}; do
		awk '{ print "cpu", $1 }' "/proc/$pid/schedstat" 2>/dev/null
		awk '{ print "utime", $14; print "stime", $15 }' "/proc/$pid/stat" 2>/dev/null
		awk '/^(non)?voluntary_ctxt_switches:/ { print "ctxsw", $2 }' "/proc/$pid/status" 2>/dev/null
		cat /proc/"$pid"/fdinfo/* 2>/dev/null |
			awk '$1 == "run_time_ns:" { print "bpf_ns", $2 } $1 == "run_cnt:" { print "bpf_runs", $2 }'
	done | awk '{ v[$1] += $2 } END { printf "%.0f %.0f %.0f %.0f %.0f %.0f\n", v["cpu"], v["ctxsw"],
		v["bpf_ns"], v["bpf_runs"], v["utime"], v["stime"] }'
}

# --- one run ------------------------------------------------------------------
# churn_run CONFIG VARIANT TAG [TRAFGEN FLAGS]: one churn under CONFIG; appends
# the rate to $W/rates.CONFIG.VARIANT and echoes the churn line
churn_run() {
	cfg=$1 var=$2 tag=$3
	shift 3
	[ "$var" = subflows ] && set -- "$@" --subflows
	[ "$var" = failures ] && set -- "$@" --subflows --churn-failures "$FAIL_PCT"
	[ "$cfg" = sink ] && set -- "$@" --sink
	if ! observer_start "$cfg" "$tag"; then
		say "$tag: observer did not start"
		cat $W/"$tag".err 2>/dev/null
		observer_stop "$cfg" "$tag"
		incomplete=$((incomplete + 1))
		return 1
	fi
	[ -n "$PROFILE" ] && observer_cost >$W/"$tag".cost0
	secs=$SECONDS_PER_RUN
	[ -n "$PROFILE" ] && secs=$(awk -v s="$SECONDS_PER_RUN" 'BEGIN { print 4 * s }')
	$BIN/trafgen --server-netns "$(ns_path evs)" --client-netns "$(ns_path evc)" \
		--churn "$secs" "$@" >$W/"$tag".churn 2>&1
	trc=$?
	[ -n "$PROFILE" ] && observer_cost >$W/"$tag".cost1
	observer_stop "$cfg" "$tag"
	orc=$?
	line=$(grep '^churn ' $W/"$tag".churn)
	rate=$(echo "$line" | sed -n 's/.* rate=\([0-9.]*\)\/s.*/\1/p')
	say "$tag: $line"
	if [ $trc -ne 0 ] || [ $orc -ne 0 ] || [ -z "$rate" ]; then
		say "$tag: incomplete (trafgen exit $trc, observer $orc)"
		cat $W/"$tag".churn
		incomplete=$((incomplete + 1))
		return 1
	fi
	echo "$rate" >>$W/rates."$cfg"."$var"
	echo "$var $cfg $rate ${tag##*.}" >>$W/seq
	sd=$(echo "$line" | sed -n 's/.* sink_drops=\([0-9]*\).*/\1/p')
	if [ -n "$sd" ] && [ "$sd" -ne 0 ]; then
		say "$tag: the sink dropped $sd events: its floor is too low"
		incomplete=$((incomplete + 1))
	fi
	echo "$line" >$W/"$tag".line
	return 0
}

median() { sort -n "$1" 2>/dev/null | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
runs() { paste -sd, "$1" 2>/dev/null; }
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1" 2>/dev/null; } # FILE KEY of a churn line

# kernel records and ring-buffer drops from the default output's last lines
text_drops() { sed -n 's/^kernel: [0-9]* records, \([0-9]*\) ring buffer drops.*/\1/p' "$1"; }
text_records() { sed -n 's/^kernel: \([0-9]*\) records,.*/\1/p' "$1"; }
# LOST + UNMATCHED columns of the summary table
text_lost() {
	awk '$1 == "EVENT" { t = 1; next } t && NF >= 5 && $2 ~ /^[0-9]+$/ { s += $4 + $5 }
		t && NF == 0 { t = 0 } END { print s + 0 }' "$1"
}
text_delivered() {
	awk '$1 == "EVENT" { t = 1; next } t && NF >= 5 && $2 ~ /^[0-9]+$/ { s += $3 }
		t && NF == 0 { t = 0 } END { print s + 0 }' "$1"
}

# --- phases -------------------------------------------------------------------
TRACED="sink monitor1 monitor genl evlat evlat_nocons evlat_nocmd evlat_all mon_evlat observe_mon"
[ -x $BPFTRACE ] && TRACED="$TRACED bpftrace"
PHASES="ratios subflows failures genl ringbuf rss profile"

# bracketed VARIANT ROUND CFG...: none, then each CFG followed by none again: every
# traced run has an untraced run just before and just after it
bracketed() {
	variant=$1 round=$2 slot=1
	shift 2
	churn_run none "$variant" none."$variant"."$round".0
	for config in "$@"; do
		churn_run "$config" "$variant" "$config"."$variant"."$round"
		churn_run none "$variant" none."$variant"."$round".$slot
		slot=$((slot + 1))
	done
}

# ratios VARIANT CFG: the rate of each CFG run over the mean of the untraced runs
# around it (the sequence of $W/seq), one "round ratio" line per run
ratios() {
	awk -v var="$1" -v cfg="$2" '
		$1 != var { next }
		$2 == "none" { n++; none[n] = $3; next }
		$2 == cfg { k++; at[k] = n; rate[k] = $3; round[k] = $4 }
		END {
			for (i = 1; i <= k; i++) {
				b = none[at[i]]; a = none[at[i] + 1]
				base = (b != "" && a != "") ? (a + b) / 2 : (b != "" ? b : a)
				if (base > 0) printf "%s %.3f\n", round[i], rate[i] / base
			}
		}' $W/seq
}

# over A B: per round, ratio A / ratio B (what A costs beyond B), one per line
over() {
	awk 'NR == FNR { b[$1] = $2; next } ($1 in b) && b[$1] > 0 { printf "%.3f\n", $2 / b[$1] }' \
		"$2" "$1"
}

phase_ratios() {
	r=1
	while [ $r -le "$REPS" ]; do
		# shellcheck disable=SC2086 # TRACED is a list
		bracketed plain $r $TRACED
		want_phase subflows && bracketed subflows $r evlat
		want_phase failures && bracketed failures $r evlat
		r=$((r + 1))
	done
	report bench_rate_none "$(median $W/rates.none.plain)"
	report bench_rate_none_runs "$(runs $W/rates.none.plain)"
	for cfg in $TRACED; do
		[ -s $W/rates."$cfg".plain ] || continue
		report bench_rate_"$cfg" "$(median $W/rates."$cfg".plain)"
		report bench_rate_"${cfg}"_runs "$(runs $W/rates."$cfg".plain)"
		ratios plain "$cfg" >$W/rr."$cfg".plain
		cut -d' ' -f2 $W/rr."$cfg".plain >$W/ratios."$cfg".plain
		report bench_ratio_"$cfg" "$(median $W/ratios."$cfg".plain)"
		report bench_ratio_"${cfg}"_runs "$(runs $W/ratios."$cfg".plain)"
	done
	# the kernel builds and multicasts events only while someone listens: each
	# observer against the floor (sink) and against one monitor in evc (same
	# round, ratio of ratios; 1: costs no more than that reference)
	for ref in sink monitor1 monitor evlat_nocmd; do
		[ -s $W/rr.$ref.plain ] || continue
		for cfg in $TRACED; do
			if [ "$cfg" = $ref ] || [ ! -s $W/rr."$cfg".plain ]; then continue; fi
			over $W/rr."$cfg".plain $W/rr.$ref.plain >$W/ratios."$cfg".vs.$ref
			report bench_ratio_"${cfg}"_vs_$ref "$(median $W/ratios."$cfg".vs.$ref)"
			report bench_ratio_"${cfg}"_vs_${ref}_runs "$(runs $W/ratios."$cfg".vs.$ref)"
		done
	done
	[ -x $BPFTRACE ] || report bpftrace unavailable
	if want_phase subflows; then
		report bench_rate_none_subflows "$(median $W/rates.none.subflows)"
		report bench_rate_none_subflows_runs "$(runs $W/rates.none.subflows)"
		report bench_rate_evlat_subflows "$(median $W/rates.evlat.subflows)"
		report bench_rate_evlat_subflows_runs "$(runs $W/rates.evlat.subflows)"
		ratios subflows evlat | cut -d' ' -f2 >$W/ratios.evlat.subflows
		report bench_ratio_evlat_subflows "$(median $W/ratios.evlat.subflows)"
		report bench_ratio_evlat_subflows_runs "$(runs $W/ratios.evlat.subflows)"
	fi
	if want_phase failures; then
		report bench_rate_none_failures "$(median $W/rates.none.failures)"
		report bench_rate_evlat_failures "$(median $W/rates.evlat.failures)"
		ratios failures evlat | cut -d' ' -f2 >$W/ratios.evlat.failures
		report bench_ratio_evlat_failures "$(median $W/ratios.evlat.failures)"
		report bench_ratio_evlat_failures_runs "$(runs $W/ratios.evlat.failures)"
	fi
	report bench_stalled_cycles "$(cat $W/*.churn | sed -n 's/.* stalled=\([0-9]*\).*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')"

	# the tracer kept up: delivered in evc what the kernel emitted there
	# (3 events per connection in evc, 5 with --subflows, and with failures one
	# SUB_CLOSED more per reset join; a fastclose sender keeps its CLOSED), lost nothing
	drops=0 lost=0 recs=0 got=0 want=0
	for f in "$W"/evlat.*.out "$W"/evlat_all.*.out; do
		[ -f "$f" ] || continue
		t=${f%.out}
		per=3 extra=0
		case $t in
		*.subflows.*) per=5 ;;
		*.failures.*)
			per=5
			extra=$(($(field "$t".line reset_client) + $(field "$t".line reset_server)))
			;;
		esac
		d=$(text_drops "$f") n=$(text_records "$f") c=$(field "$t".line conns)
		drops=$((drops + ${d:-0})) recs=$((recs + ${n:-0}))
		lost=$((lost + $(text_lost "$f"))) got=$((got + $(text_delivered "$f")))
		want=$((want + ${c:-0} * per + extra))
	done
	report bench_evlat_records "$recs"
	report bench_evlat_ringbuf_drops "$drops"
	report bench_evlat_lost "$lost"
	report bench_evlat_delivered "$got/$want"
}

# One churn with failures under mptcp-evlat -N evc beside a monitor in evc that keeps its
# lines: delivered must be what the monitor printed, nothing lost or unmatched, no ring drop.
phase_failures_exact() {
	churn_run evlat_counted failures evlat_counted.failures || return 1
	f=$W/evlat_counted.failures
	got=$(text_delivered $f.out) lost=$(text_lost $f.out) drops=$(text_drops $f.out)
	mon=$(grep -c '^\[' $f.mon)
	report bench_failures_churn "$(cat $f.line)"
	report bench_failures_delivered "$got/$mon"
	report bench_failures_lost "$lost"
	report bench_failures_ringbuf_drops "${drops:-?}"
	[ "$mon" -gt 0 ] && [ "$got" -eq "$mon" ] && [ "$lost" -eq 0 ] && [ "${drops:-1}" -eq 0 ]
	check_rc bench_failures_exact $?
}

# genl_run CONFIG TAG: generic netlink requests for SECONDS_PER_RUN under CONFIG's observer;
# appends "genl CONFIG RATE ROUND" to $W/seq, as churn_run does for churn
genl_run() {
	if ! observer_start "$1" "$2"; then
		observer_stop "$1" "$2"
		incomplete=$((incomplete + 1))
		return 1
	fi
	$BIN/trafgen pm --client-netns "$(ns_path evc)" --genl-flood "$SECONDS_PER_RUN" \
		>$W/"$2".genl 2>&1
	trc=$?
	observer_stop "$1" "$2"
	orc=$?
	rate=$(sed -n 's/^genl .* rate=\([0-9.]*\)\/s$/\1/p' $W/"$2".genl)
	say "$2: $(cat $W/"$2".genl)"
	if [ $trc -ne 0 ] || [ $orc -ne 0 ] || [ -z "$rate" ]; then
		incomplete=$((incomplete + 1))
		return 1
	fi
	echo "genl $1 $rate ${2##*.}" >>$W/seq
	echo "$rate" >>$W/rates."$1".genl
}

# Requests of another family under the command probes, without them, untraced: each traced
# run between two untraced ones, as in the ratios phase
phase_genl() {
	r=1
	while [ $r -le "$REPS" ]; do
		genl_run none none.genl.$r.0
		slot=1
		for cfg in evlat evlat_nocmd; do
			genl_run $cfg $cfg.genl.$r
			genl_run none none.genl.$r.$slot
			slot=$((slot + 1))
		done
		r=$((r + 1))
	done
	report bench_genl_rate_none "$(median $W/rates.none.genl)"
	for cfg in evlat evlat_nocmd; do
		ratios genl $cfg >$W/rr.$cfg.genl
		cut -d' ' -f2 $W/rr.$cfg.genl >$W/ratios.$cfg.genl
		report bench_genl_ratio_$cfg "$(median $W/ratios.$cfg.genl)"
		report bench_genl_ratio_${cfg}_runs "$(runs $W/ratios.$cfg.genl)"
	done
	over $W/rr.evlat.genl $W/rr.evlat_nocmd.genl >$W/ratios.evlat.genl.vs
	report bench_genl_ratio_evlat_vs_nocmd "$(median $W/ratios.evlat.genl.vs)"
	report bench_genl_ratio_evlat_vs_nocmd_runs "$(runs $W/ratios.evlat.genl.vs)"
}

# ring_run KIB NAME [TRAFGEN FLAGS]: one churn under mptcp-evlat -N evc --json -r KIB;
# sets rate, drops, recs and reports them
ring_run() {
	kib=$1 name=$2
	shift 2
	churn_run ring"$kib" ring ring"$kib"."$name" "$@" || return 1
	rate=$(field $W/ring"$kib"."$name".line rate)
	drops=$($JQ -s '[.[] | select(.type=="summary")][-1].ringbuf_drops' $W/ring"$kib"."$name".out)
	recs=$($JQ -s '[.[] | select(.type=="summary")][-1].records' $W/ring"$kib"."$name".out)
	report bench_ringbuf_r"${kib}"_"${name}"_rate "$rate"
	report bench_ringbuf_r"${kib}"_"${name}"_drops "$drops"
	report bench_ringbuf_r"${kib}"_"${name}"_records "$recs"
	[ "$drops" -eq 0 ] 2>/dev/null && max_rate $W/zero."$kib" "$rate"
	return 0
}

max_rate() { # FILE RATE: keep the highest rate
	awk -v r="$2" '{ m = $1 } END { print (m != "" && m + 0 > r + 0) ? m : r }' "$1" \
		2>/dev/null >"$1.new" || echo "$2" >"$1.new"
	mv "$1.new" "$1"
}

phase_ringbuf() {
	drop_kib=''
	for kib in 256 16 8 4; do
		ring_run $kib full || continue
		[ "$drops" -gt 0 ] && [ -z "$drop_kib" ] && drop_kib=$kib full=$rate
	done
	# the largest ring that drops at full speed: paced churn, to where drops stop
	if [ -n "$drop_kib" ]; then
		for pct in 50 25; do
			pace=$(awk -v f="$full" -v p=$pct 'BEGIN { r = int(f * p / 100); print (r > 0 ? r : 1) }')
			ring_run "$drop_kib" at"$pace" --rate "$pace" || continue
			[ "$drops" -eq 0 ] && break
		done
	fi
	for kib in 256 16 8 4; do
		report bench_ringbuf_r${kib}_zero_drop_max "$(cat $W/zero.$kib 2>/dev/null || echo none)"
	done
}

# One run per observer with the cost sampled around the churn, reported per
# connection: the observer's CPU time and context switches, and (evlat) the
# time in its BPF programs. kernel.bpf_stats_enabled costs two clock reads per
# program run, so it is on only here, not in the ratio runs.
phase_profile() {
	PROFILE=1
	echo 1 2>/dev/null >/proc/sys/kernel/bpf_stats_enabled || say "no kernel.bpf_stats_enabled"
	for cfg in monitor1 genl evlat evlat_nocons observe_mon; do
		churn_run "$cfg" profile "$cfg.profile" || continue
		c=$(field $W/"$cfg".profile.line conns)
		read -r cpu0 sw0 bns0 bruns0 ut0 st0 <$W/"$cfg".profile.cost0
		read -r cpu1 sw1 bns1 bruns1 ut1 st1 <$W/"$cfg".profile.cost1
		awk -v c="$c" -v cpu=$((cpu1 - cpu0)) -v sw=$((sw1 - sw0)) -v bns=$((bns1 - bns0)) \
			-v br=$((bruns1 - bruns0)) -v ut=$((ut1 - ut0)) -v st=$((st1 - st0)) \
			-v k="bench_profile_$cfg" 'BEGIN {
			if (c <= 0) exit
			printf "%s_cpu_ns_per_conn=%.0f\n%s_ctxsw_per_conn=%.2f\n", k, cpu / c, k, sw / c
			# ticks of 10 ms (USER_HZ 100)
			printf "%s_utime_ns_per_conn=%.0f\n%s_stime_ns_per_conn=%.0f\n", k,
				ut * 1e7 / c, k, st * 1e7 / c
			if (br > 0)
				printf "%s_bpf_ns_per_conn=%.0f\n%s_bpf_runs_per_conn=%.2f\n", k, bns / c, k, br / c
		}' >$W/"$cfg".profile.kv
		while IFS='=' read -r key val; do report "$key" "$val"; done <$W/"$cfg".profile.kv
	done
	echo 0 2>/dev/null >/proc/sys/kernel/bpf_stats_enabled
	PROFILE=''
}

# --- main ---------------------------------------------------------------------
# tests/bench/run --icount passes evlat.bench_*= on the kernel command line
cmdline_opt() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
v=$(cmdline_opt evlat.bench_seconds) && [ -n "$v" ] && SECONDS_PER_RUN=$v
v=$(cmdline_opt evlat.bench_reps) && [ -n "$v" ] && REPS=$v
v=$(cmdline_opt evlat.bench_clock) && [ -n "$v" ] && CLOCK=$v
# a subset for quick comparisons, e.g. evlat.bench_configs=sink,evlat evlat.bench_phases=ratios
v=$(cmdline_opt evlat.bench_configs) && [ -n "$v" ] && TRACED=$(echo "$v" | tr , ' ')
v=$(cmdline_opt evlat.bench_phases) && [ -n "$v" ] && PHASES=$(echo "$v" | tr , ' ')
want_phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p $W
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $SECONDS_PER_RUN s per run, $REPS rounds"
report bench_kernel "$(uname -r)"
report bench_seconds_per_run "$SECONDS_PER_RUN"
report bench_reps "$REPS"
report bench_clock "$CLOCK"
if ! evlat_netns_up >$W/netns.log 2>&1; then
	cat $W/netns.log
	not_ok bench
	exit 1
fi
t0=$(date +%s)
# the first churn after boot runs at half speed (cold caches, first allocations), the
# second a little below: twice a run's time, not counted
$BIN/trafgen --server-netns "$(ns_path evs)" --client-netns "$(ns_path evc)" \
	--churn "$(awk -v s="$SECONDS_PER_RUN" 'BEGIN { print 2 * s }')" >$W/warmup.churn 2>&1
say "warm-up: $(cat $W/warmup.churn)"
want_phase ratios && phase_ratios
want_phase failures && phase_failures_exact
want_phase genl && phase_genl
t1=$(date +%s)
want_phase ringbuf && phase_ringbuf
# the peak RSS with --pending 16384 given explicitly (the default since it was measured here)
want_phase rss && churn_run evlat_p16k rss evlat_p16k.rss
want_phase profile && phase_profile
t2=$(date +%s)
for f in "$W"/rss.*; do
	[ -f "$f" ] && report bench_rss_kib_"${f##*/rss.}" "$(cat "$f")" && max_into $W/rss "$(cat "$f")"
done
report bench_rss_kib "$(cat $W/rss 2>/dev/null)"
report bench_time_ratios_s $((t1 - t0))
report bench_time_ringbuf_s $((t2 - t1))
evlat_netns_down >/dev/null 2>&1
report bench_stuck_stops $stuck
report bench_incomplete_runs $incomplete
[ $incomplete -eq 0 ]
check_rc bench $?
