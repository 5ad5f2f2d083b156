# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Netlink overrun: --rcvbuf 4096 and the tracer stopped while trafgen makes 10 connections
# (stress, common.sh): the events it could not receive are lost_overrun, exactly.
phase_run() {
	stress overrun "--rcvbuf 4096" 10
	d=$(sum delivered "$W/overrun.json") l=$(sum lost_overrun "$W/overrun.json")
	report overrun_delivered "$d"
	report overrun_lost "$l"
	[ "$l" -gt 0 ] && [ $((d + l)) -eq "$SENT" ]
	check_rc overrun_exact $?
	$JQ -se '.[] | select(.type=="summary") | .netlink.overruns > 0 and .ringbuf_drops == 0' \
		"$W/overrun.json" >/dev/null
	check_rc overrun_enobufs_counted $?
}
