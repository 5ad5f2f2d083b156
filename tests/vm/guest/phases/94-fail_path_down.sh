# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# The join's link goes down until both ends time the join out (keepalive, ETIMEDOUT): one
# SUB_CLOSED each side, the connection lives on the initial path.
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario path-down pathdown
}
