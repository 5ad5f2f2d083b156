# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# The client closes with SO_LINGER 0, a join up: MP_FASTCLOSE. No SUB_CLOSED on either side, the
# receiver's token is gone before its close(): only the sender's CLOSED.
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario fastclose fastclose
}
