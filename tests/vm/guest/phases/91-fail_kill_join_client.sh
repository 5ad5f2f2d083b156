# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# A join reset by ss -K in the client while its connection lives (the case of issue 11): the
# client's SUB_CLOSED (error 103) is exactly one delivered line with both ports, the monitor's
# (the subflows closed with the connection are close_without_event, no event);
# the server gets the reset (error 104, reset_reason, reset_flags).
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario kill-join-client killcli
	for ns in evc evs; do
		mon=$(_fail_closed_mon "$W/killcli.$ns.mon" | cut -d' ' -f2,3)
		# shellcheck disable=SC2016 # jq
		got=$($JQ -r 'select(.type=="event" and .event=="sub_closed" and
			.status != "close_without_event") |
			"\(.status) \(.sport // "none") \(.dport // "none")"' "$W/killcli.$ns.json")
		echo "$ns: monitor sub_closed ports: $mon; mptcp-evlat: $got"
		[ "$(echo "$mon" | wc -l)" -eq 1 ] && [ -n "$mon" ] && [ "$got" = "delivered $mon" ]
		check_rc "killcli_${ns}_one_delivered_sub_closed_with_both_ports" $?
	done
}
