# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
#
# Helpers the phases of the guest suite share (tests/vm/guest/phases/*.sh), sourced by
# suite.sh after tests/lib/lib.sh. Busybox sh: POSIX only. Real binaries by full path: the
# busybox shell runs its own applets first.
#
#   trafgen EXPECT LOG [ARGS...]   trafgen between evs and evc, its --expect list in EXPECT
#   tracer_up FILE PID             the tracer's stderr says it is tracing (60 s at most)
#   settle                         no MPTCP socket, no TCP socket in use left in evs and evc (30
#                                  s at most, lib.sh: mptcp_sockets): no event can come any
#                                  more, so stopping a tracer then loses nothing
#   stop PID [SECONDS]             SIGINT, then its exit status (KILL and 124 after SECONDS,
#                                  default 30)
#   sum STATUS JSON                a status summed over the event types of the JSON summary
#   wait_monitor MON N             `ip mptcp monitor` output MON has N event lines (10 s)
# and the correlation (run_correlation) and stopped-tracer (stress) runs that two phases each
# use.

BIN=${EVLAT_BIN:-/opt/evlat/bin}
# shellcheck disable=SC2034 # for the phases
GUEST=${EVLAT_GUEST:-/opt/evlat/guest}
LIB=${EVLAT_LIB:-/opt/evlat/lib}
JQ="/usr/bin/jq -M"
NS_S=$(evlat_netns_path evs)
NS_C=$(evlat_netns_path evc)

trafgen() {
	_expect=$1 _log=$2
	shift 2
	"$BIN/trafgen" --server-netns "$NS_S" --client-netns "$NS_C" --expect "$_expect" "$@" \
		>"$_log" 2>&1
}

# How long a tracer may take to attach its probes and say so: a bound for a hung one, not a speed
# check. Under arm64 TCG with another guest on the other core, --check took 69 s and a --records
# tracer over 60 s (sid 7.2.13 arm64, 2026-12-03).
case $(uname -m) in
aarch64) TRACER_WAIT=300 ;;
*) TRACER_WAIT=120 ;;
esac

tracer_up() {
	wait_line "$1" 'tracing MPTCP events' "$TRACER_WAIT" "$2"
}

settle() {
	echo "settle: MPTCP and TCP sockets in use: evs $(mptcp_sockets evs), evc $(mptcp_sockets evc)"
	mptcp_quiet 30 evs evc && return 0
	echo "settle: MPTCP and TCP sockets left after 30 s: evs $(mptcp_sockets evs)," \
		"evc $(mptcp_sockets evc)"
	return 1
}

# How long a tracer may take to stop: a bound for a hung one, not a speed check. Detaching 13
# trampolines under arm64 TCG, with another guest on the other core, took over 30 s twice in 34
# stops of one run (sid 7.2.13 arm64, 2026-12-03).
case $(uname -m) in
aarch64) STOP_WAIT=120 ;;
*) STOP_WAIT=30 ;;
esac

stop() {
	kill -INT "$1" 2>/dev/null
	if ! wait_for "${2:-$STOP_WAIT}" _gone "$1"; then
		echo "stop: pid $1 still running ${2:-$STOP_WAIT} s after SIGINT: killed"
		kill -KILL "$1" 2>/dev/null
		wait "$1"
		return 124
	fi
	wait "$1"
}

_gone() { ! alive "$1"; }

sum() {
	$JQ -s "[.[] | select(.type==\"summary\") | .events[] | .$1] | add // 0" "$2"
}

# probe_misses PROBE JSON: the calls of PROBE (a summary's probes key) the kernel ran no program
# for, plus the ring's drops: records that never came (doc/kernel-notes.md, "Probe misses"; sid's
# PREEMPT_LAZY kernel skips one now and then). A check allows a record missing only that often.
# PROBE "all": every probe's misses (the summary's probe_misses).
probe_misses() {
	# shellcheck disable=SC2016 # $p is jq's
	$JQ -s --arg p "$1" '[.[] | select(.type=="summary")][-1] |
		(if $p == "all" then .probe_misses else .probes[$p].misses end // 0) +
		(.ringbuf_drops // 0)' "$2"
}

_mon_has() { [ "$(grep -c '^\[' "$1")" -ge "$2" ]; }

wait_monitor() {
	wait_for 10 _mon_has "$1" "$2"
}

# --- correlation: run_correlation TAG EXTRA_FLAGS ------------------------------------------
# mptcp-evlat -N NS --json in each namespace with ip mptcp monitor beside it, trafgen, then per
# namespace: one delivered line per event trafgen caused, 0 < latency < 1 s, the stages add
# up, the summary agrees, the monitor saw the same (event, token) pairs. The fentry run also
# serves Prometheus (scraped while it runs), has its capabilities checked while tracing, and a
# third tracer prints the terminal output.

start_pair() { # NS TAG EXTRA_FLAGS: ip mptcp monitor + mptcp-evlat --json in NS
	"$IP" -n "$1" mptcp monitor >"$W/$2.$1.mon" 2>&1 &
	echo $! >"$W/$2.$1.monpid"
	_extra=$3
	# the fentry run of evs also serves Prometheus metrics (scraped below)
	[ "$2" = fentry ] && [ "$1" = evs ] && _extra="$_extra --prometheus 9465"
	# shellcheck disable=SC2086 # flags
	"$BIN/mptcp-evlat" -N "$1" --json $_extra >"$W/$2.$1.json" 2>"$W/$2.$1.err" &
	echo $! >"$W/$2.$1.pid"
}

# while_running PID: what we read from a running tracer: its capability sets (all dropped
# after attach) and a Prometheus scrape (busybox wget).
while_running() {
	grep -E '^(CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs)' "/proc/$1/status" | tee "$W/caps.txt"
	[ "$(grep -c -E '^Cap(Inh|Prm|Eff|Amb):[[:space:]]+0+$' "$W/caps.txt")" -eq 4 ] &&
		grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$W/caps.txt"
	check_rc caps_dropped_while_tracing $?
	busybox wget -q -O "$W/scrape.txt" http://127.0.0.1:9465/metrics
	check_rc prometheus_scrape $?
}

# check_scrape JSON: every delivered count in the scrape equals the final summary's
check_scrape() {
	grep -E '^mptcp_evlat_events_total\{.*status="delivered"' "$W/scrape.txt" |
		sed 's/.*event="\([a-z_0-9]*\)".* \([0-9]*\)$/\1 \2/' | sort >"$W/scrape.pairs"
	$JQ -r 'select(.type=="summary") | .events | to_entries[] | "\(.key) \(.value.delivered)"' \
		"$1" | sort >"$W/summary.pairs"
	[ -s "$W/scrape.pairs" ] && cmp -s "$W/scrape.pairs" "$W/summary.pairs"
	_rc=$?
	[ $_rc -eq 0 ] || diff "$W/scrape.pairs" "$W/summary.pairs"
	check_rc prometheus_matches_json $_rc
	grep -Eq '^mptcp_evlat_probe_attached\{probe="mptcp_event",mode="fentry"\} 1$' \
		"$W/scrape.txt" &&
		grep -q '^mptcp_evlat_event_latency_seconds_bucket{event="created",stage="total",le="+Inf"}' \
			"$W/scrape.txt"
	check_rc prometheus_probes_and_histograms $?
}

# check_ns TAG NS: the JSON of one namespace against trafgen and the monitor
check_ns() {
	_t=$1 _ns=$2 _json=$W/$1.$2.json
	_ino=$(stat -L -c %i "$(evlat_netns_path "$_ns")")
	$JQ -e . "$_json" >/dev/null
	check_rc "${_t}_${_ns}_json_valid" $?
	awk -v ino="$_ino" '$2 == "netns=" ino { sub("event=", "", $3); sub("token=", "", $4);
		print $3, $4 }' "$W/$_t.expect" | sort >"$W/$_t.$_ns.want"
	$JQ -r 'select(.type=="event" and .status != "close_without_event") |
		"\(.event) \(.token // "0x00000000")"' "$_json" | sort >"$W/$_t.$_ns.got"
	cmp -s "$W/$_t.$_ns.want" "$W/$_t.$_ns.got"
	_rc=$?
	[ $_rc -eq 0 ] || { echo "want vs got ($_ns):"; diff "$W/$_t.$_ns.want" "$W/$_t.$_ns.got"; }
	check_rc "${_t}_${_ns}_one_line_per_event" $_rc
	# the only other status allowed: a subflow closed after the connection left ESTABLISHED
	$JQ -se '[.[] | select(.type=="event")] | length > 0 and all(.status == "delivered" or
		(.status == "close_without_event" and .reason == "not_established"))' "$_json" \
		>/dev/null
	check_rc "${_t}_${_ns}_all_delivered" $?
	$JQ -se '[.[] | select(.type=="event" and .status == "delivered")] |
		all(.latency_ns > 0 and .latency_ns < 1000000000)' "$_json" >/dev/null
	check_rc "${_t}_${_ns}_latency_0_1s" $?
	$JQ -se '[.[] | select(.type=="event" and .status == "delivered")] | all(.kernel_ns != null
		and .kernel_ns + .delivery_ns == .latency_ns)' "$_json" >/dev/null
	_rc=$?
	[ $_rc -eq 0 ] || $JQ -c 'select(.type=="event" and .status == "delivered" and
		(.kernel_ns == null or .kernel_ns + .delivery_ns != .latency_ns))' "$_json"
	check_rc "${_t}_${_ns}_stages_add_up" $_rc
	# shellcheck disable=SC2016 # $s is jq's
	$JQ -se '(.[] | select(.type=="summary")) as $s | [.[] | select(.type=="event" and
		.status == "delivered")] |
		length == ($s.events | map(.delivered) | add) and $s.ringbuf_drops == 0 and
		$s.netlink.overruns == 0' "$_json" >/dev/null
	check_rc "${_t}_${_ns}_summary_agrees" $?
	awk -f "$LIB/monitor_pairs.awk" "$W/$_t.$_ns.mon" | sort >"$W/$_t.$_ns.mon.pairs"
	cmp -s "$W/$_t.$_ns.mon.pairs" "$W/$_t.$_ns.got"
	_rc=$?
	[ $_rc -eq 0 ] || {
		echo "monitor vs tracer ($_ns):"
		diff "$W/$_t.$_ns.mon.pairs" "$W/$_t.$_ns.got"
	}
	check_rc "${_t}_${_ns}_monitor_agrees" $_rc
	$JQ -c 'select(.type=="event")' "$_json" | head -n 3
	$JQ -r 'select(.type=="summary") | .events | to_entries[] |
		"\(.key) n=\(.value.count) p50=\(.value.latency_ns.p50) max=\(.value.latency_ns.max)"' \
		"$_json"
}

# check_text FILE: the terminal output has bcc's histogram shape and a summary row per type
check_text() {
	echo "--- terminal output (mptcp-evlat -N evc)"
	cat "$1"
	grep -q '^event = created, stage = total$' "$1" &&
		grep -Eq '^ +usecs +: count +distribution$' "$1" &&
		grep -Eq '^ +[0-9]+ -> [0-9]+ +: [0-9]+ +\|\*+ *\|$' "$1"
	check_rc text_histogram_shape $?
	_rc=0
	for _ev in created established closed announced removed sub_established sub_closed \
		sub_priority; do
		grep -Eq "^$_ev +[0-9]+ +[0-9]+ +0 +0 " "$1" || {
			echo "no delivered row for $_ev"
			_rc=1
		}
	done
	check_rc text_summary_rows $_rc
}

run_correlation() { # TAG EXTRA_FLAGS
	_t=$1
	for _ns in evs evc; do start_pair $_ns "$_t" "$2"; done
	_text_pid=
	if [ "$_t" = fentry ]; then
		"$BIN/mptcp-evlat" -N evc >"$W/text.out" 2>"$W/text.err" &
		_text_pid=$!
		tracer_up "$W/text.err" $_text_pid
	fi
	for _ns in evs evc; do
		tracer_up "$W/$_t.$_ns.err" "$(cat "$W/$_t.$_ns.pid")"
		check_rc "${_t}_${_ns}_tracer_up" $?
		wait_for 30 monitor_subscribed $_ns "$(cat "$W/$_t.$_ns.monpid")"
	done
	trafgen "$W/$_t.expect" "$W/$_t.trafgen.log"
	check_rc "${_t}_trafgen" $?
	settle
	[ "$_t" = fentry ] && while_running "$(cat "$W/$_t.evs.pid")"
	for _ns in evs evc; do
		stop "$(cat "$W/$_t.$_ns.pid")"
		check_rc "${_t}_${_ns}_tracer_exit" $?
		_ino=$(stat -L -c %i "$(evlat_netns_path $_ns)")
		wait_monitor "$W/$_t.$_ns.mon" "$(grep -c "netns=$_ino " "$W/$_t.expect")"
		kill "$(cat "$W/$_t.$_ns.monpid")"
		wait "$(cat "$W/$_t.$_ns.monpid")"
		cat "$W/$_t.$_ns.err"
	done
	grep -h 'traced with kprobes' "$W/$_t".*.err | head -n 2
	for _ns in evs evc; do check_ns "$_t" $_ns; done
	[ "$_t" = fentry ] && check_scrape "$W/fentry.evs.json"
	if [ -n "$_text_pid" ]; then
		stop $_text_pid
		check_rc text_exit $?
		check_text "$W/text.out"
	fi
}

# --- stress TAG FLAGS CONNS ---------------------------------------------------------------
# mptcp-evlat -N evc --json with FLAGS, stopped (SIGSTOP) while trafgen makes CONNS
# connections, then resumed; ip mptcp monitor counts what the kernel sent in evc (SENT). The
# tracer is stopped once every event of evc has a line (delivered, lost or unmatched).
_caught_up() { # JSON N
	[ "$($JQ -s '[.[] | select(.type=="event" and .status != "close_without_event")] |
		length' "$1")" -ge "$2" ]
}

stress() {
	_t=$1
	"$IP" -n evc mptcp monitor >"$W/$_t.mon" 2>&1 &
	_mon=$!
	# shellcheck disable=SC2086 # flags
	"$BIN/mptcp-evlat" -N evc --json $2 >"$W/$_t.json" 2>"$W/$_t.err" &
	_tr=$!
	tracer_up "$W/$_t.err" $_tr
	check_rc "${_t}_tracer_up" $?
	wait_for 30 monitor_subscribed evc $_mon
	kill -STOP $_tr
	trafgen "$W/$_t.expect" "$W/$_t.trafgen.log" --conns "$3"
	check_rc "${_t}_trafgen" $?
	settle
	_ino=$(stat -L -c %i "$NS_C")
	wait_monitor "$W/$_t.mon" "$(grep -c "netns=$_ino " "$W/$_t.expect")"
	kill -CONT $_tr
	# every event gets its line once the tracer has read what it could and the rest expired
	# (--timeout, 2 s): bounded, the checks below say what was missing
	wait_for 30 _caught_up "$W/$_t.json" "$(grep -c '^\[' "$W/$_t.mon")"
	stop $_tr
	check_rc "${_t}_tracer_exit" $?
	kill $_mon
	wait $_mon
	SENT=$(grep -c '^\[' "$W/$_t.mon")
	cat "$W/$_t.err"
	$JQ -c 'select(.type=="summary") | {netlink, ringbuf_drops, events: (.events | map_values(
		{delivered, lost_overrun, lost_ringbuf, unmatched, not_delivered}))}' "$W/$_t.json"
	report "${_t}_sent" "$SENT"
}
