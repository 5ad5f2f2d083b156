# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# --check: exit 0, every probe the suite relies on attachable with fentry (the consumer probes
# with fentry/fexit, the listener check included: --check tries them all), "result ok".
phase_run() {
	"$BIN/mptcp-evlat" --check >"$W/check.out" 2>&1
	rc=$?
	cat "$W/check.out"
	check_rc selfcheck_exit0 $rc
	rc=0
	for p in mptcp_event mptcp_event_addr_announced mptcp_close_ssk mptcp_event_addr_removed; do
		grep -Eq "^probe $p +attachable: fentry" "$W/check.out" || rc=1
	done
	grep -Eq '^result +ok: the seed probes attach$' "$W/check.out" || rc=1
	check_rc selfcheck_probes $rc
	rc=0
	for p in send_end queued overrun read has_listeners gone; do
		grep -Eq "^probe $p( \([a-z_]+\))? +attachable: fentry" "$W/check.out" || rc=1
	done
	check_rc selfcheck_consumer_probes $rc
}
