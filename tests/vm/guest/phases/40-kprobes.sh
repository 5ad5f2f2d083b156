# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# The correlation phase again with --kprobes (probe reads instead of fentry's direct reads),
# and the tracer says it traced with kprobes.
phase_run() {
	run_correlation kprobe "--kprobes"
	grep -q 'traced with kprobes' "$W/kprobe.evs.err"
	check_rc kprobe_mode_used $?
}
