# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Raw records: mptcp-evlat --records (every namespace) while trafgen runs. Every event trafgen
# caused arrives as a record of that type, token and namespace; every event type of this
# kernel occurs. A second tracer with --kprobes runs beside it: its records, which read kernel
# memory with bpf_probe_read_kernel(), must equal the fentry ones (direct reads) in every field
# that cannot change between the two probes of one call (tests/vm/guest/cmp_records.awk).
phase_run() {
	"$BIN/mptcp-evlat" --records >"$W/records.txt" 2>"$W/evlat.err" &
	tracer=$!
	wait_line "$W/evlat.err" 'attached' "$TRACER_WAIT" $tracer
	check_rc tracer_attached $?
	cat "$W/evlat.err"
	sed -n 's/^mptcp-evlat: attached [0-9]* probes: //p' "$W/evlat.err" | tr ' ' '\n' \
		>"$W/probes.txt"
	attached=$(sed -n 's/^mptcp-evlat: attached \([0-9]*\) probes.*/\1/p' "$W/evlat.err")
	report probes_attached "${attached:-0}"
	report probes "$(paste -sd, "$W/probes.txt")"
	seed=0
	for p in mptcp_event mptcp_event_addr_announced mptcp_close_ssk; do
		grep -qx "$p" "$W/probes.txt" || { echo "seed probe $p not attached"; seed=1; }
	done
	check_rc seed_probes $seed
	# the same probes as kprobes, on the same calls
	"$BIN/mptcp-evlat" --records --kprobes >"$W/records_kp.txt" 2>"$W/evlat_kp.err" &
	tracer_kp=$!
	wait_line "$W/evlat_kp.err" 'attached' "$TRACER_WAIT" $tracer_kp
	check_rc tracer_kprobes_attached $?

	trafgen "$W/expect.txt" "$W/trafgen.log"
	rc=$?
	cat "$W/trafgen.log"
	check_rc trafgen $rc
	# No MPTCP socket left: no probe can fire any more, so the two tracers, stopped one
	# after the other, have seen the same calls (cmp_records.awk accepts the rest as late).
	settle
	stop $tracer
	check_rc tracer_exit $?
	stop $tracer_kp
	check_rc tracer_kprobes_exit $?
	tail -n 1 "$W/evlat.err"
	echo "--- records"
	cat "$W/records.txt"
	report records "$(grep -c '^ktime=' "$W/records.txt")"
	report ringbuf_drops "$(sed -n 's/.* records, \([0-9]*\) ring buffer drops.*/\1/p' \
		"$W/evlat.err")"

	awk -f "$GUEST/check_expect.awk" "$W/expect.txt" "$W/records.txt"
	check_rc records_match_expect $?
	# the probe calls each side's kernel skipped (mptcp-evlat's last line at exit)
	miss_a=$(sed -n 's/.* ring buffer drops, \([0-9]*\) probe misses$/\1/p' "$W/evlat.err")
	miss_b=$(sed -n 's/.* ring buffer drops, \([0-9]*\) probe misses$/\1/p' "$W/evlat_kp.err")
	report probe_misses "fentry=${miss_a:-?},kprobe=${miss_b:-?}"
	[ -n "$miss_a" ] && [ -n "$miss_b" ]
	check_rc records_probe_misses_reported $?
	awk -v misses_a="${miss_a:-0}" -v misses_b="${miss_b:-0}" -f "$GUEST/cmp_records.awk" \
		"$W/records.txt" "$W/records_kp.txt" >"$W/records.cmp"
	rc=$?
	report records_kprobe_cmp "$(head -n 1 "$W/records.cmp" | tr ' ' ',')"
	[ $rc -eq 0 ] || tail -n +2 "$W/records.cmp" | head -n 20
	check_rc records_fentry_equal_kprobe $rc
	report expected_events "$(grep -c '^expect ' "$W/expect.txt")"
	# Every event type this kernel has must have been caused and recorded:
	# 8 types, plus LISTENER_CREATED/CLOSED where the kernel has them (6.2+).
	sed -n 's/.* event=\([a-z_]*\) .*/\1/p' "$W/expect.txt" | sort -u >"$W/types.txt"
	want=8
	grep -qx mptcp_event_pm_listener "$W/probes.txt" && want=10
	report event_types "$(grep -c . "$W/types.txt")"
	[ "$(grep -c . "$W/types.txt")" -eq $want ]
	check_rc event_types_covered $?
	while read -r ev; do
		report "records_$ev" "$(grep -c " event=$ev " "$W/records.txt")"
	done <"$W/types.txt"
}
