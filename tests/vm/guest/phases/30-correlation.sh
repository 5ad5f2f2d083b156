# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Correlation with fentry probes: mptcp-evlat -N NS --json in both trafgen namespaces with
# ip mptcp monitor beside each (run_correlation, common.sh); the evs tracer also serves
# Prometheus and has dropped its capabilities while tracing; a third tracer's terminal output
# has bcc's histogram shape.
phase_run() {
	run_correlation fentry ""
}
