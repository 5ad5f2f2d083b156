# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# The announced address has no listener: the client's join is reset before it is established
# (ECONNREFUSED); ANNOUNCED and SUB_CLOSED in the client, nothing in the server.
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario join-refused joinref
}
