# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Eight joins, the most the in-kernel PM allows, then all eight killed with ss -K in the client:
# eight SUB_ESTABLISHED and eight SUB_CLOSED on each side, close together.
# With mptcp-evlat and ip mptcp monitor in both namespaces: exact agreement (failures.sh).
phase_run() {
	# shellcheck source-path=SCRIPTDIR source=../failures.sh
	. "$GUEST/failures.sh"
	fail_scenario max-subflows maxsf
}
