# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# A join reset by ss -K in the server while its connection lives: the client sees the peer's
# reset (MP_TCPRST: its SUB_CLOSED carries reset_reason and reset_flags).
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario kill-join-server killsrv
}
