# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# IPv6 subflows (SADDR6/DADDR6), the join killed in the client; then an IPv4-mapped IPv6
# connection (the kernel reports IPv4 addresses) with an IPv4 join killed in the server.
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario ipv6 ipv6
	fail_scenario ipv4-mapped mapped
	# the addresses as the events carry them: the join's SUB_CLOSED; the initial subflow, when
	# the worker closes it after CLOSED (close_without_event, as timing has it), is IPv6 too
	$JQ -se '[.[] | select(.type=="event" and .event=="sub_closed")] |
		([.[] | select(.status == "delivered")] | length == 1 and
			all(.saddr | startswith("fd00:2::"))) and all(.[]; .family == 6)' \
		"$W/ipv6.evc.json" >/dev/null
	check_rc ipv6_sub_closed_ipv6_addresses $?
	$JQ -se '[.[] | select(.type=="event" and .saddr != null)] | length > 0 and
		all(.family == 4 and (.saddr | startswith("10.0.")))' "$W/mapped.evc.json" >/dev/null
	check_rc mapped_reported_as_ipv4 $?
}
